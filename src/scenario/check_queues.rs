//! Checks of message queues and autoscaling that need the whole scenario:
//! a pool scaled on queue depth must consume a queue.

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

#[cfg(test)]
mod tests {
    use crate::scenario::load_str;

    const BASE: &str = r#"
[scenario]
duration = "1m"
[workload]
arrivals = { kind = "open", rate = "10/s" }
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
}
