//! Checks of message queues and autoscaling that need the whole scenario:
//! a pool scaled on queue depth must consume a queue; dead letters must not
//! come back to their queue; poison messages redelivered without end are
//! worth a warning.

use super::diagnostic::Diagnostic;
use super::ids::PoolId;
use super::types::{Entry, ScaleMetric, Scenario};

/// The queue a pool consumes (the first, if it consumes several).
fn consumed_queue(scenario: &Scenario, pool: PoolId) -> Option<&super::types::Queue> {
    scenario
        .queues
        .iter()
        .find(|queue| queue.consumer.entry == Entry::Pool(pool))
}

pub(crate) fn autoscale_metrics(scenario: &Scenario) -> Vec<Diagnostic> {
    scenario
        .pools
        .iter_enumerated()
        .filter(|(_, pool)| {
            pool.autoscale
                .as_ref()
                .is_some_and(|scale| scale.metric == ScaleMetric::QueueDepth)
        })
        .filter(|&(id, _)| consumed_queue(scenario, id).is_none())
        .map(|(_, pool)| {
            Diagnostic::error(format!(
                "pool `{}` scales on `queue_depth`, but it consumes no queue",
                pool.name
            ))
            .path(format!("pool.{}.autoscale.metric", pool.name))
            .help(format!(
                "name it as a queue's consumer (`consumer = \"{}/ENDPOINT\"`), or scale on `utilization`",
                pool.name
            ))
        })
        .collect()
}

/// A queue's dead letters must not come back to it, directly or down a
/// chain of `dead_letter` queues (a message would circle for ever), and a
/// queue with a `dead_letter` queue must have `max_deliveries`.
pub(crate) fn dead_letter_loops(scenario: &Scenario) -> Vec<Diagnostic> {
    scenario
        .queues
        .iter_enumerated()
        .filter(|&(start, _)| {
            let mut next = scenario.queues[start].dead_letter;
            (0..scenario.queues.len()).any(|_| match next {
                Some(id) if id == start => true,
                Some(id) => {
                    next = scenario.queues[id].dead_letter;
                    false
                }
                None => false,
            })
        })
        .map(|(_, queue)| {
            Diagnostic::error(format!("queue `{}`'s dead letters come back to it", queue.name))
                .path(format!("queue.{}.dead_letter", queue.name))
                .help("a dead-letter queue keeps what failed: give it no `dead_letter`, or one outside the loop")
        })
        .chain(
            scenario
                .queues
                .iter()
                .filter(|queue| queue.dead_letter.is_some() && queue.max_deliveries.is_none())
                .map(|queue| {
                    Diagnostic::error(format!(
                        "queue `{}` has a `dead_letter` queue but no `max_deliveries`",
                        queue.name
                    ))
                    .path(format!("queue.{}.dead_letter", queue.name))
                    .help("a message is dead-lettered after `max_deliveries` deliveries: set it (for example 5)")
                }),
        )
        .collect()
}

/// A queue with poison messages and a `visibility_timeout` but no
/// `max_deliveries` redelivers each poison message for ever.
pub(crate) fn endless_poison(scenario: &Scenario) -> Vec<Diagnostic> {
    scenario
        .queues
        .iter()
        .filter(|queue| {
            queue.poison.is_some_and(|share| share > 0.0)
                && queue.visibility_timeout.is_some()
                && queue.max_deliveries.is_none()
        })
        .map(|queue| {
            Diagnostic::warning(format!(
                "queue `{}` redelivers its poison messages for ever: with a `visibility_timeout` and no \
                 `max_deliveries`, deliveries are unlimited",
                queue.name
            ))
            .path(format!("queue.{}.max_deliveries", queue.name))
            .help("set `max_deliveries` (for example 5) so poison messages are dead-lettered")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    const BASE: &str = r#"
[scenario]
duration = "1m"
[workload]
arrivals = { kind = "open", rate = "10/s", users = 100 }
mix = [{ class = "a", call = "web/a" }]
[pool.web]
workers = 2
endpoint.a = { service = "1ms", steps = [{ enqueue = "jobs" }] }
[pool.work]
workers = 2
endpoint.run = { service = "5ms" }
[queue.jobs]
consumer = "work/run"
"#;

    #[test]
    fn queue_depth_needs_a_consumed_queue() {
        let text = format!("{BASE}\n[pool.web.autoscale]\nmax = 3\nmetric = \"queue_depth\"\ntarget = 10\n");
        let error = load_str(&text).unwrap_err().to_string();
        assert!(error.contains("consumes no queue"), "{error}");
        let text = format!("{BASE}\n[pool.work.autoscale]\nmax = 3\nmetric = \"queue_depth\"\ntarget = 10\n");
        assert!(load_str(&text).is_ok());
    }

    #[test]
    fn consumers_are_pools_and_queues_exist() {
        let text = BASE.replace("consumer = \"work/run\"", "consumer = \"work/runn\"");
        let error = load_str(&text).unwrap_err().to_string();
        assert!(error.contains("did you mean `work/run`"), "{error}");
        let text = BASE.replace("{ enqueue = \"jobs\" }", "{ enqueue = \"job\" }");
        let error = load_str(&text).unwrap_err().to_string();
        assert!(error.contains("no queue named `job`"), "{error}");
    }

    #[test]
    fn redelivery_keys_are_read_and_checked() {
        let text = BASE.replace(
            "consumer = \"work/run\"",
            "consumer = \"work/run\"\nmax_deliveries = 3\nvisibility_timeout = \"2s\"\npoison = 0.01",
        );
        let scenario = load_str(&text).unwrap().scenario;
        let queue = &scenario.queues[crate::scenario::ids::QueueId(0)];
        assert_eq!(queue.max_deliveries, Some(3));
        assert_eq!(
            queue.visibility_timeout,
            Some(crate::engine::SimDuration::from_secs(2))
        );
        assert_eq!(queue.poison, Some(0.01));
        let bad = BASE.replace(
            "consumer = \"work/run\"",
            "consumer = \"work/run\"\nmax_deliveries = 0\nvisibility_timeout = \"0s\"\npoison = 2",
        );
        let error = load_str(&bad).unwrap_err().to_string();
        for key in ["max_deliveries", "visibility_timeout", "poison"] {
            assert!(error.contains(&format!("queue.jobs.{key}")), "{key}: {error}");
        }
    }

    #[test]
    fn dead_letters_go_to_another_queue_never_back() {
        let dlq = "\n[pool.ops]\nworkers = 1\nendpoint.inspect = { service = \"1ms\" }\n[queue.dlq]\nconsumer = \"ops/inspect\"\n";
        let keys = "consumer = \"work/run\"\nmax_deliveries = 2\ndead_letter = \"dlq\"";
        let text = format!("{}{dlq}", BASE.replace("consumer = \"work/run\"", keys));
        let loaded = load_str(&text).unwrap();
        assert!(
            loaded.warnings.is_empty(),
            "the dead-letter queue is reached through `jobs`"
        );
        let queues = &loaded.scenario.queues;
        assert_eq!(
            queues[crate::scenario::ids::QueueId(0)].dead_letter,
            Some(crate::scenario::ids::QueueId(1))
        );
        let looped = text.replace(
            "consumer = \"ops/inspect\"",
            "consumer = \"ops/inspect\"\ndead_letter = \"jobs\"",
        );
        let error = load_str(&looped).unwrap_err().to_string();
        assert!(error.contains("`jobs`'s dead letters come back to it"), "{error}");
        assert!(error.contains("`dlq`'s dead letters come back to it"), "{error}");
        let missing = text.replace("dead_letter = \"dlq\"", "dead_letter = \"dlg\"");
        let error = load_str(&missing).unwrap_err().to_string();
        assert!(error.contains("did you mean `dlq`"), "{error}");
        let unbounded = text.replace("max_deliveries = 2\n", "");
        let error = load_str(&unbounded).unwrap_err().to_string();
        assert!(error.contains("no `max_deliveries`"), "{error}");
    }

    #[test]
    fn endless_poison_is_a_warning() {
        let text = BASE.replace(
            "consumer = \"work/run\"",
            "consumer = \"work/run\"\nvisibility_timeout = \"2s\"\npoison = 0.01",
        );
        let loaded = load_str(&text).unwrap();
        assert_eq!(loaded.warnings.len(), 1);
        let message = &loaded.warnings[0].message;
        assert!(message.contains("for ever"), "{message}");
        let capped = text.replace("poison = 0.01", "poison = 0.01\nmax_deliveries = 4");
        assert!(load_str(&capped).unwrap().warnings.is_empty());
    }
}
