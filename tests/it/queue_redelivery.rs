//! Queue redelivery: failed jobs given back until `max_deliveries`, then
//! dead-lettered; poison messages; a `visibility_timeout` shorter than the
//! job redelivering it (and the late job's work wasted); a crashed
//! consumer's jobs redelivered after the timeout instead of lost; dead
//! letters put on a `dead_letter` queue. Every test checks that messages
//! are conserved exactly.
//!
//! The producers stop (the rate falls to 0.001/s) well before the end, so
//! the queue drains and each message's fate is final: the counts can be
//! compared with what independent draws predict, message by message.

use capsim::results::RunResult;

use crate::support::{assert_conserved, metric, scenario, series, simulate};

/// Producers at `rate` for `produce`, then (almost) none until `duration`;
/// consumers: 2 instances × `workers`, each job running `job` (an endpoint
/// table's keys); the queue's `keys`; `extra` appended.
fn text(
    rate: &str,
    produce: &str,
    duration: &str,
    workers: u32,
    job: &str,
    keys: &str,
    extra: &str,
) -> String {
    format!(
        r#"
[scenario]
duration = "{duration}"
window = "1s"
seed = 7

[workload]
arrivals = {{ kind = "open", rate = "{rate}", users = 1000 }}
profile = [{{ at = "{produce}", rate = "0.001/s" }}]
mix = [{{ class = "submit", call = "api/submit" }}]

[pool.api]
instances = 2
workers = 32
endpoint.submit = {{ service = "1ms", steps = [{{ enqueue = "jobs" }}] }}

[pool.workers]
instances = 2
workers = {workers}
endpoint.process = {{ {job} }}

[queue.jobs]
consumer = "workers/process"
{keys}
{extra}
"#
    )
}

/// Every message accepted is acknowledged, dead-lettered, dropped (failed
/// without redelivery), lost with the broker, or still there — exactly.
fn assert_messages_conserved(result: &RunResult, redelivery: bool) {
    let accepted = metric(result, "jobs", "enqueued")
        + metric(result, "jobs", "in_queue_at_warmup")
        + metric(result, "jobs", "in_service_at_warmup");
    let gone = if redelivery {
        metric(result, "jobs", "dead_lettered")
    } else {
        metric(result, "jobs", "failed_jobs")
    };
    let accounted = metric(result, "jobs", "consumed")
        + gone
        + metric(result, "jobs", "lost_messages")
        + metric(result, "jobs", "in_queue_at_end")
        + metric(result, "jobs", "in_service_at_end");
    assert_eq!(
        accepted, accounted,
        "enqueued = consumed + dead-lettered or dropped + lost + left"
    );
    assert_conserved(result);
}

/// The queue drained: every message's fate is final.
fn assert_drained(result: &RunResult) {
    assert_eq!(
        metric(result, "jobs", "in_queue_at_end"),
        0.0,
        "nothing waits at the end"
    );
    assert_eq!(
        metric(result, "jobs", "in_service_at_end"),
        0.0,
        "nothing is in flight at the end"
    );
}

/// `observed` is within `sigmas` standard deviations of a binomial count
/// of `trials` with probability `p`.
fn assert_binomial(what: &str, observed: f64, trials: f64, p: f64, sigmas: f64) {
    let mean = trials * p;
    let sd = (trials * p * (1.0 - p)).sqrt();
    assert!(
        (observed - mean).abs() <= sigmas * sd,
        "{what}: {observed} against {mean:.1} ± {sigmas}σ (σ = {sd:.1})"
    );
}

/// Poison messages are the only failures: each is delivered
/// `max_deliveries` times and dead-lettered, every other message is
/// acknowledged on its first delivery. The share poisoned is a binomial
/// draw: within 4σ of `p × enqueued` (σ = √(n p (1 − p)) ≈ 24 for n ≈
/// 12 000, p = 0.05).
#[test]
fn poison_messages_and_only_they_are_dead_lettered() {
    let keys = "max_deliveries = 4\npoison = 0.05";
    let result = simulate(&scenario(&text(
        "200/s",
        "60s",
        "80s",
        64,
        "service = \"10ms\"",
        keys,
        "",
    )));
    assert_drained(&result);
    assert_messages_conserved(&result, true);
    let enqueued = metric(&result, "jobs", "enqueued");
    let poisoned = metric(&result, "jobs", "poisoned");
    assert!(enqueued > 11_000.0, "{enqueued}");
    assert_binomial("poisoned", poisoned, enqueued, 0.05, 4.0);
    assert_eq!(metric(&result, "jobs", "dead_lettered"), poisoned);
    assert_eq!(
        metric(&result, "jobs", "failed_jobs"),
        4.0 * poisoned,
        "every delivery of a poison message fails"
    );
    assert_eq!(metric(&result, "jobs", "redelivered"), 3.0 * poisoned);
    assert_eq!(metric(&result, "jobs", "consumed"), enqueued - poisoned);
    assert_eq!(metric(&result, "jobs", "visibility_timeouts"), 0.0);
    assert_eq!(metric(&result, "jobs", "wasted_jobs"), 0.0);
    let alarms: Vec<_> = result
        .events
        .iter()
        .filter(|event| event.kind == "dead_lettered")
        .collect();
    assert_eq!(alarms.len(), 1, "the first dead letter is an event: {alarms:?}");
    assert_eq!(alarms[0].scope, "jobs");
}

/// A job fails independently with probability f = 0.5 per delivery (it
/// calls a dead pool half the time); with N = 3 deliveries a message is
/// dead-lettered with probability f^N = 0.125. Over n ≈ 12 000 messages the
/// count is binomial: within 4σ of n f^N (σ = √(n f^N (1 − f^N)) ≈ 36).
/// Failed jobs per message are a geometric count cut at N: mean f + f² + f³
/// = 0.875, variance 1.109 (E[X²] = 1.875), so within 4σ of 0.875 n
/// (σ ≈ 115). Each failure is either redelivered or dead-lettered.
#[test]
fn random_failures_dead_letter_as_often_as_every_attempt_fails() {
    let job = r#"service = "5ms", steps = [{ probability = 0.5, steps = [{ call = "flaky/fail" }] }]"#;
    let extra = r#"
[pool.flaky]
workers = 4
endpoint.fail = { service = "1ms" }

[[faults]]
at = "0s"
kill = "pool.flaky"
"#;
    let result = simulate(&scenario(&text(
        "200/s",
        "60s",
        "80s",
        64,
        job,
        "max_deliveries = 3",
        extra,
    )));
    assert_drained(&result);
    assert_messages_conserved(&result, true);
    let messages = metric(&result, "jobs", "enqueued");
    let dead = metric(&result, "jobs", "dead_lettered");
    let failed = metric(&result, "jobs", "failed_jobs");
    assert_binomial("dead_lettered", dead, messages, 0.125, 4.0);
    let failed_sd = (messages * 1.109).sqrt();
    assert!(
        (failed - 0.875 * messages).abs() <= 4.0 * failed_sd,
        "failed_jobs {failed} against {:.1} ± 4σ (σ = {failed_sd:.1})",
        0.875 * messages
    );
    assert_eq!(metric(&result, "jobs", "redelivered") + dead, failed);
    assert_eq!(metric(&result, "jobs", "consumed") + dead, messages);
}

/// Every job takes 300 ms against a 100 ms visibility timeout: each
/// delivery times out while its job still runs, so each message is
/// delivered exactly N = 3 times (2 redeliveries), dead-lettered at its
/// third timeout, and all 3 jobs end late, their work wasted; nothing is
/// acknowledged. With a 1 s timeout nothing is redelivered.
#[test]
fn a_visibility_timeout_shorter_than_the_job_redelivers_and_wastes_work() {
    let job = r#"service = "300ms""#;
    let short = "max_deliveries = 3\nvisibility_timeout = \"100ms\"";
    let result = simulate(&scenario(&text("50/s", "30s", "40s", 200, job, short, "")));
    assert_drained(&result);
    assert_messages_conserved(&result, true);
    let messages = metric(&result, "jobs", "enqueued");
    assert!(messages > 1_300.0, "{messages}");
    assert_eq!(metric(&result, "jobs", "consumed"), 0.0);
    assert_eq!(metric(&result, "jobs", "failed_jobs"), 0.0);
    assert_eq!(metric(&result, "jobs", "dequeued"), 3.0 * messages);
    assert_eq!(metric(&result, "jobs", "redelivered"), 2.0 * messages);
    assert_eq!(metric(&result, "jobs", "visibility_timeouts"), 3.0 * messages);
    assert_eq!(metric(&result, "jobs", "wasted_jobs"), 3.0 * messages);
    assert_eq!(metric(&result, "jobs", "dead_lettered"), messages);

    let long = "max_deliveries = 3\nvisibility_timeout = \"1s\"";
    let result = simulate(&scenario(&text("50/s", "30s", "40s", 200, job, long, "")));
    assert_drained(&result);
    assert_messages_conserved(&result, true);
    let messages = metric(&result, "jobs", "enqueued");
    assert_eq!(metric(&result, "jobs", "consumed"), messages);
    for name in [
        "redelivered",
        "visibility_timeouts",
        "wasted_jobs",
        "dead_lettered",
    ] {
        assert_eq!(metric(&result, "jobs", name), 0.0, "{name}");
    }
}

/// Exponential jobs (mean 100 ms) against a 200 ms visibility timeout: a
/// delivery times out with probability q = e^−2 ≈ 0.135, independently, so
/// over n messages and N = 2 deliveries `redelivered` is binomial (n, q)
/// and `dead_lettered` binomial (n, q²); every timed-out job ends late.
#[test]
fn visibility_timeouts_of_random_jobs_follow_the_service_tail() {
    let job = r#"service = { dist = "exp", mean = "100ms" }"#;
    let keys = "max_deliveries = 2\nvisibility_timeout = \"200ms\"";
    let result = simulate(&scenario(&text("200/s", "60s", "80s", 200, job, keys, "")));
    assert_drained(&result);
    assert_messages_conserved(&result, true);
    let messages = metric(&result, "jobs", "enqueued");
    let q = (-2.0f64).exp();
    let redelivered = metric(&result, "jobs", "redelivered");
    let dead = metric(&result, "jobs", "dead_lettered");
    assert_binomial("redelivered", redelivered, messages, q, 4.0);
    assert_binomial("dead_lettered", dead, messages, q * q, 4.0);
    assert_eq!(metric(&result, "jobs", "visibility_timeouts"), redelivered + dead);
    assert_eq!(metric(&result, "jobs", "wasted_jobs"), redelivered + dead);
}

/// A consumer instance crashes at 30 s. Its jobs (500 ms each) are lost
/// with it; with a 5 s visibility timeout their messages come back 5 s
/// after their delivery — between 34.5 s and 35 s — and the other instance
/// runs them: every message is acknowledged. Without redelivery the same
/// crash drops them (`failed_jobs`, never consumed); with `max_deliveries`
/// but no timeout they come back at once, when the model drops the jobs.
#[test]
fn a_crashed_consumer_s_jobs_are_redelivered_after_the_timeout() {
    let job = r#"service = "500ms""#;
    let crash = "[[faults]]\nat = \"30s\"\nkill = \"pool.workers.instance[0]\"\nfor = \"20s\"\n";
    let keys = "max_deliveries = 3\nvisibility_timeout = \"5s\"";
    let result = simulate(&scenario(&text("10/s", "60s", "80s", 8, job, keys, crash)));
    assert_drained(&result);
    assert_messages_conserved(&result, true);
    let lost = metric(&result, "jobs", "failed_jobs");
    assert!(lost >= 1.0, "the crash took jobs: {lost}");
    assert_eq!(metric(&result, "jobs", "visibility_timeouts"), lost);
    assert_eq!(metric(&result, "jobs", "redelivered"), lost);
    assert_eq!(metric(&result, "jobs", "wasted_jobs"), 0.0);
    assert_eq!(metric(&result, "jobs", "dead_lettered"), 0.0);
    assert_eq!(
        metric(&result, "jobs", "consumed"),
        metric(&result, "jobs", "enqueued")
    );
    // Rows are stamped with their window's end: redeliveries fall in the
    // windows [34 s, 35 s) and [35 s, 36 s), none before.
    let redelivered = series(&result, "jobs", "redelivered");
    let when = |from: f64, to: f64| -> f64 {
        redelivered
            .iter()
            .filter(|(end, _)| *end > from && *end <= to)
            .map(|(_, value)| value)
            .sum()
    };
    assert_eq!(when(0.0, 34.0), 0.0, "{redelivered:?}");
    assert_eq!(when(34.0, 36.0), lost, "{redelivered:?}");

    let dropped = simulate(&scenario(&text("10/s", "60s", "80s", 8, job, "", crash)));
    assert_drained(&dropped);
    assert_messages_conserved(&dropped, false);
    let failed = metric(&dropped, "jobs", "failed_jobs");
    assert!(failed >= 1.0, "{failed}");
    assert_eq!(
        metric(&dropped, "jobs", "consumed"),
        metric(&dropped, "jobs", "enqueued") - failed
    );
    assert!(
        dropped.summary.get("jobs", "redelivered").is_none(),
        "no redelivery rows when off"
    );

    let at_once = simulate(&scenario(&text(
        "10/s",
        "60s",
        "80s",
        8,
        job,
        "max_deliveries = 3",
        crash,
    )));
    assert_drained(&at_once);
    assert_messages_conserved(&at_once, true);
    let lost = metric(&at_once, "jobs", "failed_jobs");
    assert!(lost >= 1.0, "{lost}");
    assert_eq!(metric(&at_once, "jobs", "redelivered"), lost);
    let redelivered = series(&at_once, "jobs", "redelivered");
    let total: f64 = redelivered
        .iter()
        .filter(|(end, _)| *end > 30.0 && *end <= 31.0)
        .map(|(_, value)| value)
        .sum();
    assert_eq!(
        total, lost,
        "given back within the crash's window: {redelivered:?}"
    );
    assert_eq!(
        metric(&at_once, "jobs", "consumed"),
        metric(&at_once, "jobs", "enqueued")
    );
}

/// A `dead_letter` queue receives every dead letter as a new message and
/// its own consumer runs them: the dead-letter queue's `enqueued` equals
/// the source's `dead_lettered`, and conservation holds on both queues.
#[test]
fn dead_letters_go_to_the_dead_letter_queue_and_its_consumer_runs_them() {
    let keys = "max_deliveries = 2\npoison = 0.05\ndead_letter = \"dlq\"";
    let extra = r#"
[pool.ops]
workers = 2
endpoint.inspect = { service = "20ms" }

[queue.dlq]
consumer = "ops/inspect"
"#;
    let result = simulate(&scenario(&text(
        "200/s",
        "60s",
        "80s",
        64,
        "service = \"10ms\"",
        keys,
        extra,
    )));
    assert_drained(&result);
    assert_messages_conserved(&result, true);
    let dead = metric(&result, "jobs", "dead_lettered");
    assert_eq!(dead, metric(&result, "jobs", "poisoned"));
    assert!(dead > 400.0, "{dead}");
    assert_eq!(metric(&result, "dlq", "enqueued"), dead);
    assert_eq!(
        metric(&result, "dlq", "consumed"),
        dead,
        "the dead-letter consumer ran them all"
    );
    assert_eq!(
        metric(&result, "dlq", "in_queue_at_end") + metric(&result, "dlq", "in_service_at_end"),
        0.0
    );
    let alarm = result
        .events
        .iter()
        .find(|event| event.kind == "dead_lettered")
        .expect("an alarm");
    assert!(alarm.detail.contains("to `dlq`"), "{}", alarm.detail);
}
