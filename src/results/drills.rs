//! Drills as people read them: for each fault that struck, its detection
//! time, RTO, RPO, failed requests and users affected, read back from a
//! summary's `drill:<target>@<time>s` scopes, so `capsim run`'s `drill`
//! lines and report.html's Drills block say the same. The model measures
//! (`model::drills`); this only gathers one drill's rows and names the
//! component it struck once.

use crate::metrics::catalog as metric;

/// The prefix of a drill's scope.
const PREFIX: &str = "drill:";

/// One fault that struck, as its summary rows tell it (absent rows: the
/// fault was never detected, the service never recovered, no data lost).
#[derive(Clone, Debug, PartialEq)]
pub struct Drill {
    /// The summary scope, `drill:<target>@<time>s`.
    pub scope: String,
    /// The struck component, named once (`web.instance[0]`, `queue jobs`).
    pub component: String,
    pub fault_at_s: f64,
    pub time_to_detect_s: Option<f64>,
    pub rto_s: Option<f64>,
    pub rpo_s: Option<f64>,
    pub lost_writes: f64,
    pub lost_messages: f64,
    /// Requests that failed for good until recovery (every cause).
    pub failed_requests: f64,
    /// Attempts that failed until recovery, retried or not.
    pub failed_attempts: f64,
    pub users_affected: f64,
    /// Whether requests saw the fault (`seen_by_requests`; a summary
    /// without that row is taken as seen). An unseen fault's `rto_s` is
    /// only the wait for the next calm window: it reads "not seen by
    /// requests", not "RTO 0".
    pub seen_by_requests: bool,
}

/// Every drill among `scopes`, in their order (each scope once), its
/// values read through `value(scope, metric)`.
pub fn drills<'a>(
    scopes: impl IntoIterator<Item = &'a str>,
    value: &dyn Fn(&str, &str) -> Option<f64>,
) -> Vec<Drill> {
    let mut seen: Vec<&str> = Vec::new();
    for scope in scopes {
        if scope.starts_with(PREFIX) && !seen.contains(&scope) {
            seen.push(scope);
        }
    }
    seen.into_iter()
        .map(|scope| {
            let get = |metric: &str| value(scope, metric).filter(|v| v.is_finite());
            let count = |metric: &str| get(metric).unwrap_or(0.0);
            let target = scope[PREFIX.len()..]
                .rsplit_once('@')
                .map_or(&scope[PREFIX.len()..], |(target, _)| target);
            Drill {
                scope: scope.to_owned(),
                component: component(target),
                fault_at_s: count(metric::FAULT_AT_S.name),
                time_to_detect_s: get(metric::TIME_TO_DETECT_S.name),
                rto_s: get(metric::RTO_S.name),
                rpo_s: get(metric::RPO_S.name),
                lost_writes: count(metric::LOST_WRITES.name),
                lost_messages: count(metric::LOST_MESSAGES.name),
                failed_requests: metric::ERRORS_BY_CAUSE
                    .names()
                    .iter()
                    .map(|name| count(name))
                    .sum(),
                failed_attempts: count(metric::FAILED_ATTEMPTS.name),
                users_affected: count(metric::USERS_AFFECTED.name),
                seen_by_requests: get(metric::SEEN_BY_REQUESTS.name) != Some(0.0),
            }
        })
        .collect()
}

/// A drill's target (`model`'s fault label) in words: a part of a
/// component is already named once, as its own rows name it
/// (`cache.node[0]`, `web.instance[1]`, `db.primary`); a whole component,
/// labelled `<kind>.<name>` as the scenario writes it, reads as its kind in
/// words and its name (`queue.jobs` is `queue jobs`, `datacenter.dc-us` is
/// `data center dc-us`).
pub fn component(target: &str) -> String {
    let Some((kind, rest)) = target.split_once('.') else {
        return target.to_owned();
    };
    let kind = match kind {
        "datacenter" => "data center",
        "cdn" => "CDN",
        "pool" | "queue" | "partition" => kind,
        _ => return target.to_owned(),
    };
    // `pool.instance[0]` is an instance of a pool called `pool`.
    if rest.contains('.') || rest.ends_with(']') {
        return target.to_owned();
    }
    format!("{kind} {rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_is_named_once() {
        assert_eq!(component("cache.node[0]"), "cache.node[0]");
        assert_eq!(component("web.instance[1]"), "web.instance[1]");
        assert_eq!(component("pool.instance[1]"), "pool.instance[1]");
        assert_eq!(component("db.shard[0].primary"), "db.shard[0].primary");
        assert_eq!(component("static.edge[1]"), "static.edge[1]");
        assert_eq!(component("static.eu"), "static.eu");
        assert_eq!(component("queue.jobs"), "queue jobs");
        assert_eq!(component("datacenter.dc-us"), "data center dc-us");
        assert_eq!(component("partition.dc-us|dc-eu"), "partition dc-us|dc-eu");
        assert_eq!(component("cdn.static"), "CDN static");
        assert_eq!(component("pool.web"), "pool web");
    }

    #[test]
    fn a_fault_no_request_saw_says_so() {
        let rows = [
            ("drill:pool.batch@30s", "rto_s", 0.0),
            ("drill:pool.batch@30s", "seen_by_requests", 0.0),
            ("drill:web.instance[0]@60s", "rto_s", 12.0),
        ];
        let value = |scope: &str, metric: &str| {
            rows.iter()
                .find(|(s, m, _)| *s == scope && *m == metric)
                .map(|(_, _, v)| *v)
        };
        let found = drills(rows.iter().map(|(scope, _, _)| *scope), &value);
        assert!(!found[0].seen_by_requests);
        // Without the row (an older summary) a drill counts as seen.
        assert!(found[1].seen_by_requests);
    }

    #[test]
    fn a_drill_is_read_from_its_rows() {
        let rows = [
            ("overall", "requests", 10.0),
            ("drill:queue.jobs@120s", "fault_at_s", 120.0),
            ("drill:queue.jobs@120s", "time_to_detect_s", 0.0),
            ("drill:queue.jobs@120s", "errors_unavailable", 7.0),
            ("drill:queue.jobs@120s", "errors_timeout", 2.0),
            ("drill:queue.jobs@120s", "failed_attempts", 12.0),
            ("drill:queue.jobs@120s", "users_affected", 5.0),
            ("drill:queue.jobs@120s", "lost_messages", 835.0),
        ];
        let value = |scope: &str, metric: &str| {
            rows.iter()
                .find(|(s, m, _)| *s == scope && *m == metric)
                .map(|(_, _, v)| *v)
        };
        let found = drills(rows.iter().map(|(scope, _, _)| *scope), &value);
        assert_eq!(
            found,
            [Drill {
                scope: "drill:queue.jobs@120s".to_owned(),
                component: "queue jobs".to_owned(),
                fault_at_s: 120.0,
                time_to_detect_s: Some(0.0),
                rto_s: None,
                rpo_s: None,
                lost_writes: 0.0,
                lost_messages: 835.0,
                failed_requests: 9.0,
                failed_attempts: 12.0,
                users_affected: 5.0,
                seen_by_requests: true,
            }]
        );
    }
}
