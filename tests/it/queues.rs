//! Message queues: a backlog that autoscaled consumers drain, broker
//! crashes (in-memory loses exactly the queued messages, durable none),
//! Little's law on the queue, conservation of messages, blocking producers,
//! the feasibility warning on consumers, and the shipped scenarios.

use capsim::engine::SimDuration;
use capsim::results::RunResult;

use crate::support::{assert_conserved, metric, scenario, scenario_file, series, shipped, simulate};

/// (window end, value) of a time series.
/// Every message accepted is consumed, failed, lost, or still there.
fn assert_messages_conserved(result: &RunResult, queue: &str) {
    let accepted = metric(result, queue, "enqueued")
        + metric(result, queue, "in_queue_at_warmup")
        + metric(result, queue, "in_service_at_warmup");
    let accounted = metric(result, queue, "consumed")
        + metric(result, queue, "failed_jobs")
        + metric(result, queue, "lost_messages")
        + metric(result, queue, "in_queue_at_end")
        + metric(result, queue, "in_service_at_end");
    assert_eq!(
        accepted, accounted,
        "{queue}: enqueued = consumed + failed + lost + left"
    );
}

/// Producers at `rate`; consumers: `consumers` instances × 4 workers, 50 ms
/// each (80 jobs/s per instance); `extra` is appended.
fn text(rate: &str, consumers: u32, queue: &str, extra: &str) -> String {
    format!(
        r#"
[scenario]
duration = "5m"
window = "10s"

[workload]
arrivals = {{ kind = "open", rate = "{rate}", users = 1000 }}
mix = [{{ class = "submit", call = "api/submit" }}]

[pool.api]
instances = 2
workers = 32
endpoint.submit = {{ service = "1ms", steps = [{{ enqueue = "jobs" }}] }}

[pool.workers]
instances = {consumers}
workers = 4
endpoint.process = {{ service = {{ dist = "exp", mean = "50ms" }} }}

[queue.jobs]
latency = "1ms"
consumer = "workers/process"
{queue}
{extra}
"#
    )
}

/// 200 jobs/s against one consumer instance (80/s): the backlog grows
/// until the queue-depth autoscaler (50 messages per instance) has added
/// consumers, which then drain it.
#[test]
fn a_backlog_grows_until_autoscaling_adds_consumers_then_drains() {
    let autoscale = r#"
[pool.workers.autoscale]
min = 1
max = 6
metric = "queue_depth"
target = 50
interval = "10s"
cooldown = "20s"
scale_in_cooldown = "1h"
boot = "20s"
"#;
    let result = simulate(&scenario(&text("200/s", 1, "", autoscale)));
    let depth = series(&result, "jobs", "depth_mean");
    let serving = series(&result, "workers", "serving_instances");
    // Until the first new consumer has booted (10 s evaluation + 20 s boot),
    // one instance falls behind by ~120 jobs a second.
    let early = depth.iter().find(|(t, _)| *t == 30.0).expect("window").1;
    assert!(early > 2_000.0, "backlog after 30 s: {early}");
    assert_eq!(serving.iter().find(|(t, _)| *t == 20.0).unwrap().1, 1.0);
    // Consumers are added; the peak backlog comes before the last ones serve.
    let most = serving.iter().map(|&(_, v)| v).fold(0.0, f64::max);
    assert_eq!(most, 6.0, "scaled to max: {serving:?}");
    let (peak_at, peak) = depth
        .iter()
        .copied()
        .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    let full_at = serving.iter().find(|&&(_, v)| v == 6.0).unwrap().0;
    assert!(peak_at <= full_at, "peak at {peak_at} s, full at {full_at} s");
    // 6 × 80 = 480 jobs/s against 200/s: drained well before the end.
    let last = depth.last().unwrap().1;
    assert!(last < 0.01 * peak, "depth at the end {last}, peak {peak}");
    assert!(metric(&result, "jobs", "in_queue_at_end") < 50.0);
    assert_eq!(metric(&result, "jobs", "rejected"), 0.0);
    assert_messages_conserved(&result, "jobs");
    assert_conserved(&result);
    // Every scale action is logged with its metric value.
    let outs: Vec<_> = result.events.iter().filter(|e| e.kind == "scale_out").collect();
    assert!(!outs.is_empty());
    assert!(
        outs.iter()
            .all(|e| e.scope == "workers" && e.detail.contains("queue_depth"))
    );
}

/// The broker crashes at 30.5 s with a backlog. The run is deterministic,
/// so a run that simply ends at 30.5 s holds exactly the messages queued at
/// the crash: an in-memory broker loses that many, a durable one none (and
/// delivers them all after the restore).
#[test]
fn an_in_memory_broker_loses_exactly_the_queued_messages_a_durable_one_none() {
    let crash = "[[faults]]\nat = \"30500ms\"\nkill = \"queue.jobs\"\nfor = \"20s\"\n";
    let mut until_crash = scenario(&text("120/s", 1, "durable = false", ""));
    until_crash.duration = SimDuration::from_millis(30_500);
    until_crash.window = SimDuration::from_millis(500);
    let queued = metric(&simulate(&until_crash), "jobs", "in_queue_at_end");
    assert!(queued > 500.0, "a backlog at the crash: {queued}");

    let in_memory = simulate(&scenario(&text("120/s", 1, "durable = false", crash)));
    assert_eq!(metric(&in_memory, "jobs", "lost_messages"), queued);
    assert_eq!(
        metric(&in_memory, "drill:queue.jobs@30.5s", "lost_messages"),
        queued
    );
    assert_messages_conserved(&in_memory, "jobs");
    // While down, every enqueue fails with `unavailable` (120/s for 20 s).
    let unavailable = metric(&in_memory, "overall", "errors_unavailable");
    assert!(
        (unavailable - 2_400.0).abs() < 5.0 * 2_400f64.sqrt(),
        "{unavailable}"
    );
    assert_eq!(unavailable, metric(&in_memory, "jobs", "unavailable"));

    let durable = simulate(&scenario(&text("120/s", 2, "durable = true", crash)));
    assert_eq!(metric(&durable, "jobs", "lost_messages"), 0.0);
    assert_eq!(metric(&durable, "drill:queue.jobs@30.5s", "lost_messages"), 0.0);
    assert_messages_conserved(&durable, "jobs");
    // Two consumers (160/s) keep up with 120/s: everything kept is consumed.
    assert!(metric(&durable, "jobs", "in_queue_at_end") < 50.0);
}

/// Little's law on the broker: the time-weighted mean depth equals the
/// dequeue rate × the mean wait, up to the messages still queued at the
/// end (their waits are not finished). At ρ = 0.9 over 20 minutes the
/// queue empties every few seconds, so that remainder is far below 1 %.
#[test]
fn littles_law_holds_on_the_queue() {
    let mut scenario = scenario(&text("144/s", 2, "", ""));
    scenario.duration = SimDuration::from_secs(1200);
    let result = simulate(&scenario);
    let depth = metric(&result, "jobs", "depth_mean");
    let rate = metric(&result, "jobs", "dequeue_rps");
    let wait_s = metric(&result, "jobs", "queue_wait_mean_ms") / 1e3;
    assert!(depth > 1.0, "a real queue: {depth}");
    assert!(
        (depth - rate * wait_s).abs() < 0.01 * depth,
        "L = {depth}, λW = {}",
        rate * wait_s
    );
    // The job's end-to-end latency is its wait plus its service (50 ms).
    let job = metric(&result, "jobs", "job_latency_mean_ms");
    let expected = metric(&result, "jobs", "queue_wait_mean_ms") + 50.0;
    assert!((job - expected).abs() < 0.03 * expected, "{job} vs {expected}");
    assert_messages_conserved(&result, "jobs");
}

/// A full broker that blocks makes producers wait (holding their worker)
/// instead of failing; one that rejects fails them with `rejected`.
#[test]
fn a_full_broker_blocks_or_rejects_producers() {
    let blocking = simulate(&scenario(&text(
        "120/s",
        1,
        "capacity = 20\nwhen_full = \"block\"",
        "",
    )));
    assert_eq!(metric(&blocking, "jobs", "rejected"), 0.0);
    assert_eq!(metric(&blocking, "overall", "errors"), 0.0);
    assert!(metric(&blocking, "jobs", "depth_max") <= 20.0);
    // Producers wait for room: their requests take far longer than the ack.
    assert!(metric(&blocking, "overall", "latency_p50_ms") > 50.0);
    assert_messages_conserved(&blocking, "jobs");

    let rejecting = simulate(&scenario(&text(
        "120/s",
        1,
        "capacity = 20\nwhen_full = \"reject\"",
        "",
    )));
    let rejected = metric(&rejecting, "jobs", "rejected");
    // 120/s offered, ~80/s consumed: about a third is turned away.
    let requests = metric(&rejecting, "overall", "requests");
    assert!(
        (rejected / requests - 1.0 / 3.0).abs() < 0.05,
        "{rejected} of {requests}"
    );
    assert_eq!(rejected, metric(&rejecting, "overall", "errors_rejected"));
    assert!(metric(&rejecting, "overall", "latency_p99_ms") < 5.0);
    assert_messages_conserved(&rejecting, "jobs");
}

/// The pre-check counts the consumers' load from the enqueue rate.
#[test]
fn feasibility_warns_about_overloaded_consumers() {
    use capsim::study::feasibility::{estimate, warnings};
    let overloaded = warnings(&estimate(&scenario(&text("200/s", 1, "", "")))).join("\n");
    assert!(overloaded.contains("`workers` is overloaded"), "{overloaded}");
    let fine = warnings(&estimate(&scenario(&text("60/s", 1, "", "")))).join("\n");
    assert!(!fine.contains("`workers`"), "{fine}");
}

/// Scenario 10: uploads stay fast while the thumbnail backlog grows during
/// the burst and drains afterwards.
#[test]
fn shipped_message_queue_scenario_lags_and_catches_up() {
    let result = simulate(&scenario_file(&shipped("10-message-queue.toml"), &[]));
    let depth = series(&result, "thumbnails", "depth_max");
    let at = |t: f64| depth.iter().find(|(time, _)| *time == t).expect("window").1;
    assert!(at(110.0) < 50.0, "before the burst: {}", at(110.0));
    assert!(at(180.0) > 5_000.0, "end of the burst: {}", at(180.0));
    assert!(at(480.0) < 50.0, "caught up: {}", at(480.0));
    assert!(metric(&result, "thumbnails", "job_latency_p99_ms") > 30_000.0);
    assert!(
        metric(&result, "overall", "latency_p99_ms") < 50.0,
        "users wait for the ack only"
    );
    assert_eq!(metric(&result, "thumbnails", "lost_messages"), 0.0);
    assert_messages_conserved(&result, "thumbnails");
    assert_conserved(&result);
}

/// The broker drill: the in-memory broker loses its backlog; made durable,
/// it loses nothing.
#[test]
fn shipped_broker_drill_loses_messages_unless_durable() {
    let path = shipped("drill-message-broker.toml");
    let result = simulate(&scenario_file(&path, &[]));
    let lost = metric(&result, "jobs", "lost_messages");
    assert!(lost > 500.0, "{lost}");
    assert_eq!(metric(&result, "drill:queue.jobs@120s", "lost_messages"), lost);
    assert!(metric(&result, "drill:queue.jobs@120s", "errors_unavailable") > 0.0);
    assert_messages_conserved(&result, "jobs");
    let durable = simulate(&scenario_file(&path, &["queue.jobs.durable=true"]));
    assert_eq!(metric(&durable, "jobs", "lost_messages"), 0.0);
    assert_messages_conserved(&durable, "jobs");
    assert!(metric(&durable, "jobs", "consumed") > metric(&result, "jobs", "consumed") + lost - 50.0);
}

/// Mistakes in queues, enqueue steps and autoscaling are reported with
/// where they are and what to write instead.
#[test]
fn bad_queue_and_autoscale_settings_are_reported_with_hints() {
    let error = |text: String| match capsim::scenario::load_str(&text) {
        Ok(_) => panic!("should not load:\n{text}"),
        Err(error) => error.to_string(),
    };
    let message = error(text("10/s", 1, "durabel = true", ""));
    assert!(message.contains("did you mean `durable`"), "{message}");
    let message = error(text("10/s", 1, "when_full = \"drop\"", ""));
    assert!(
        message.contains("reject") && message.contains("block"),
        "{message}"
    );
    let message =
        error(text("10/s", 1, "", "").replace("consumer = \"workers/process\"", "consumer = \"api\""));
    assert!(message.contains("component/endpoint"), "{message}");
    let message = error(text(
        "10/s",
        1,
        "",
        "[pool.workers.autoscale]\nmin = 3\nmax = 2\ntarget = 0.5\n",
    ));
    assert!(message.contains("`max` (2) is below `min` (3)"), "{message}");
    let message = error(text(
        "10/s",
        1,
        "",
        "[pool.workers.autoscale]\nmax = 4\ntarget = 60\n",
    ));
    assert!(message.contains("more than 1"), "{message}");
    let message = error(text(
        "10/s",
        1,
        "",
        "[pool.workers.autoscale]\nmax = 4\ntarget = 0.5\nbot = \"30s\"\n",
    ));
    assert!(message.contains("did you mean `boot`"), "{message}");
    let message = error(text(
        "10/s",
        1,
        "",
        "[[faults]]\nat = \"1s\"\nslow = \"queue.jobs\"\nfactor = 2\n",
    ));
    assert!(message.contains("not slowed down"), "{message}");
    let message = error(text(
        "10/s",
        1,
        "",
        "[[faults]]\nat = \"1s\"\nkill = \"queue.job\"\n",
    ));
    assert!(message.contains("did you mean `jobs`"), "{message}");
    // An autoscaled pool's instances up to `max` can be targeted.
    let scaled = text(
        "10/s",
        1,
        "",
        "[pool.workers.autoscale]\nmax = 4\ntarget = 0.5\n[[faults]]\nat = \"1s\"\nkill = \"pool.workers.instance[3]\"\n",
    );
    assert!(capsim::scenario::load_str(&scaled).is_ok());
}
