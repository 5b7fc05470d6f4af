//! Turning model state into metrics: one set of time-series rows per
//! window, and the summary of every window after warm-up.

use super::drills::WindowOutcome;
use super::frame::{ClassId, StationId};
use super::ids::MemberId;
use super::{Cause, Model, RequestScope, StationKind};
use crate::engine::SimTime;
use crate::engine::id::IdVec;
use crate::metrics::catalog as metric;
use crate::metrics::{
    LatencyDistribution, LatencyStats, RequestCounters, StationCounters, Summary, Timeseries,
};

const NANOS_PER_MILLI: f64 = 1e6;
/// Hours in the month `cost_per_month_usd` extrapolates to (365 × 24 / 12).
const HOURS_PER_MONTH: f64 = 730.0;

/// What something priced per hour costs over `elapsed_ns` of running.
pub(super) fn running_cost(price_per_hour: f64, elapsed_ns: u128) -> f64 {
    price_per_hour * elapsed_ns as f64 / 3.6e12
}

/// Pushes a component's `cost_usd` and `cost_per_month_usd` rows.
pub(super) fn summary_cost(summary: &mut Summary, scope: &str, cost_usd: f64, elapsed_ns: u128) {
    summary.push(scope, metric::COST_USD, cost_usd);
    summary.push(scope, metric::COST_PER_MONTH_USD, per_month(cost_usd, elapsed_ns));
}

/// A cost over `elapsed_ns` of measured time, extrapolated to a 730-hour
/// month at the same average rate.
pub(super) fn per_month(cost_usd: f64, elapsed_ns: u128) -> f64 {
    if elapsed_ns == 0 {
        0.0
    } else {
        cost_usd * HOURS_PER_MONTH * 3.6e12 / elapsed_ns as f64
    }
}

fn per_second(count: u64, elapsed_ns: u128) -> f64 {
    if elapsed_ns == 0 {
        0.0
    } else {
        count as f64 * 1e9 / elapsed_ns as f64
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// max / mean of counts: 1 is perfectly even.
fn imbalance(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 1.0;
    }
    let mean = total as f64 / counts.len() as f64;
    *counts.iter().max().expect("a balancer has instances") as f64 / mean
}

impl Model {
    /// Ends the window `[start, now)`: appends its rows to `series`, and
    /// merges it into the totals if it starts after warm-up.
    pub fn close_window(&mut self, start: SimTime, now: SimTime, series: &mut Timeseries) {
        let keep = start >= self.warmup;
        if self.in_flight_at_warmup.is_none() && now >= self.warmup {
            self.in_flight_at_warmup = Some(if self.warmup == SimTime::ZERO {
                0
            } else {
                self.requests.len() as u64
            });
        }
        let elapsed = now.since(start).as_nanos() as u128;
        if keep {
            self.kept_elapsed_ns += elapsed;
        }
        let time_s = now.as_secs_f64();

        // Every request is of one class: the overall latency is theirs
        // merged, or with a single class simply theirs (no copy of its
        // histogram to merge, scan and clear).
        let single_class = self.per_class.len() == 1;
        let (overall_latency, overall_all) = if single_class {
            self.per_class[ClassId(0)].close_latency_windows(keep)
        } else {
            for class in self.per_class.iter_mut() {
                class.merge_successes();
            }
            for class in &self.per_class {
                self.overall.latency.absorb_window(&class.latency);
                self.overall.latency_all.absorb_window(&class.latency_all);
            }
            (
                self.overall.latency.close_window(keep),
                self.overall.latency_all.close_window(keep),
            )
        };
        let scope = series.scope("overall");
        let in_flight = self.requests.len() as f64;
        let (error_rate, p99_ns, ended) = close_requests(
            &mut self.overall,
            (overall_latency, overall_all),
            keep,
            elapsed,
            time_s,
            scope,
            series,
        );
        series.push(time_s, scope, metric::IN_FLIGHT, in_flight);
        self.call_policies.close_window(keep, time_s, series);
        self.ejection_close_window(keep, time_s, series);
        let outcome = WindowOutcome {
            start,
            error_rate,
            p99_ns,
            ended,
        };
        let recovery = self.recovery.clone();
        self.drill_window(outcome, now, &recovery);
        for (class, metrics) in self.classes.iter().zip(&mut self.per_class) {
            let scope = series.scope(&format!("class:{}", class.name));
            let latency = if single_class {
                (overall_latency, overall_all)
            } else {
                (
                    metrics.latency.close_window(keep),
                    metrics.latency_all.close_window(keep),
                )
            };
            close_requests(metrics, latency, keep, elapsed, time_s, scope, series);
        }

        let closed: IdVec<StationId, StationCounters> = self
            .station_metrics
            .iter_mut()
            .map(|metrics| metrics.close_window(now))
            .collect();
        self.close_scaling_window(&closed, keep, now, elapsed);
        for group in &self.groups {
            let members = group.stations();
            let mut combined = StationCounters::default();
            for counters in &closed[members.clone()] {
                combined.add_parallel(counters);
            }
            let (workers, cores) = self.scaled_capacity(
                group.first_station,
                false,
                capacity(&self.stations[members.clone()]),
            );
            let scope = series.scope(&group.name);
            station_series(series, time_s, scope, group.kind, &combined, workers, cores);
            if group.kind == StationKind::Pool {
                self.instance_rows(members.clone(), time_s, scope, series);
            }
            if group.station_count > 1 {
                for (station, counters) in self.stations[members.clone()]
                    .iter()
                    .zip(&closed[members.clone()])
                {
                    let scope = series.scope(&station.name);
                    let (workers, _) = capacity(std::slice::from_ref(station));
                    series.push(time_s, scope, metric::UTILIZATION, counters.utilization(workers));
                    series.push(
                        time_s,
                        scope,
                        metric::THROUGHPUT_RPS,
                        counters.throughput_per_second(),
                    );
                }
            }
        }
        if keep {
            for (total, counters) in self.station_totals.iter_mut().zip(&closed) {
                total.merge(counters);
            }
        }
        for host in self.hosts.iter_mut() {
            let (busy, waiting) = host.close_window(now, elapsed, keep);
            let scope = series.scope(&host.scope);
            series.push(time_s, scope, metric::CPU_UTILIZATION, busy / host.cores as f64);
            series.push(time_s, scope, metric::QUEUE_LEN_MEAN, waiting);
        }
        self.close_queue_windows(keep, now, elapsed, time_s, series);
        self.close_data_window(keep, now, time_s, series);
        self.close_shedding_window(keep, time_s, series);
        self.close_geo_window(keep, elapsed, now, &closed, series);
        self.close_cdn_window(keep, now, time_s, series);
        self.close_traffic_window(keep, time_s, series);

        for (index, balancer) in self.balancers.iter_enumerated_mut() {
            let scope = series.scope(&self.balancer_names[index]);
            let forwarded: u64 = balancer.forwarded_window.iter().sum();
            series.push(time_s, scope, metric::FORWARDED, forwarded as f64);
            series.push(
                time_s,
                scope,
                metric::IMBALANCE,
                imbalance(balancer.forwarded_window.as_slice()),
            );
            let unavailable = std::mem::take(&mut self.balancer_unavailable[index]);
            series.push(time_s, scope, metric::UNAVAILABLE, unavailable as f64);
            // Only instances taking new work count: an autoscaled pool's
            // arena holds `max` instances, stopped, booting or draining.
            let in_rotation = (0..balancer.instance_count)
                .filter(|&local| balancer.takes_work(&self.instances, MemberId(local)))
                .count();
            series.push(time_s, scope, metric::IN_ROTATION, in_rotation as f64);
            if let Some(sessions) = &mut balancer.sessions {
                let lost = std::mem::take(&mut sessions.lost_window);
                series.push(time_s, scope, metric::SESSIONS_LOST, lost as f64);
                if keep {
                    sessions.lost_total += lost;
                }
            }
            if let Some(capacity) = balancer.capacity.as_deref_mut() {
                let counters = capacity.metrics.close_window(now);
                for (metric, value) in balancer_capacity_rows(capacity.cores, &counters) {
                    series.push(time_s, scope, metric, value);
                }
                if keep {
                    capacity.total.merge(&counters);
                }
            }
            if keep {
                self.balancer_unavailable_total[index] += unavailable;
            }
            if keep {
                for (total, window) in self.balancer_totals[index]
                    .iter_mut()
                    .zip(&balancer.forwarded_window)
                {
                    *total += window;
                }
            }
            balancer.forwarded_window.iter_mut().for_each(|count| *count = 0);
        }

        for (index, dns) in self.dns.iter_enumerated() {
            let window = std::mem::take(&mut self.dns_window[index]);
            let scope = series.scope(&dns.name);
            series.push(time_s, scope, metric::LOOKUPS, window.lookups as f64);
            series.push(
                time_s,
                scope,
                metric::CACHE_HIT_RATIO,
                ratio(window.cache_hits, window.cache_hits + window.lookups),
            );
            if keep {
                self.dns_totals[index].lookups += window.lookups;
                self.dns_totals[index].cache_hits += window.cache_hits;
            }
        }
    }

    /// Every metric over the windows after warm-up.
    /// The kept windows' latency distributions: `overall`, then each
    /// class (with one class, `overall` is that class's).
    pub fn latency_distribution(&self) -> LatencyDistribution {
        let mut distribution = LatencyDistribution::default();
        let overall = match self.per_class.as_slice() {
            [single] => single,
            _ => &self.overall,
        };
        distribution.push_scope("overall", &overall.latency, &overall.latency_all);
        for (class, metrics) in self.classes.iter().zip(&self.per_class) {
            distribution.push_scope(
                &format!("class:{}", class.name),
                &metrics.latency,
                &metrics.latency_all,
            );
        }
        distribution
    }

    pub fn summary(&self) -> Summary {
        let mut summary = Summary::default();
        let elapsed = self.kept_elapsed_ns;
        // Instances billed by up-time (instance-time running and up, × price);
        // balancers and brokers for the whole measured time (balancers also
        // per GB processed); CDNs by egress; traffic between regions per GB.
        let cost: f64 = self
            .stations
            .iter()
            .zip(&self.billing)
            .map(|(station, billing)| billing.cost(station.price_per_hour))
            .sum::<f64>()
            + self
                .balancers
                .iter_enumerated()
                .map(|(id, balancer)| {
                    running_cost(balancer.price_per_hour, elapsed) + self.traffic.balancer_cost(id)
                })
                .sum::<f64>()
            + self
                .brokers
                .iter()
                .map(|broker| running_cost(broker.price_per_hour, elapsed))
                .sum::<f64>()
            + self.cdn_cost_usd()
            + self.traffic.links_cost();

        let overall = &self.overall;
        let overall_latency = match self.per_class.as_slice() {
            [single] => (single.latency.total(), single.latency_all.total()),
            _ => (overall.latency.total(), overall.latency_all.total()),
        };
        summary_requests(
            &mut summary,
            "overall",
            &overall.total,
            overall_latency,
            elapsed,
            overall.degraded_rows,
        );
        summary.push("overall", metric::ATTEMPTS, overall.total.attempts as f64);
        summary.push("overall", metric::RETRIES, overall.total.retries as f64);
        summary.push("overall", metric::TIMEOUTS, overall.total.timeouts as f64);
        for cause in Cause::ALL {
            if cause.is_opt_in() && !self.cause_possible(cause) {
                continue;
            }
            summary.push(
                "overall",
                cause.error_metric(),
                overall.total.failed_by_cause[cause.index()] as f64,
            );
        }
        summary.push(
            "overall",
            metric::STALE_RESPONSES,
            overall.total.stale_responses as f64,
        );
        self.call_policies.summary(&mut summary);
        self.ejection_summary(&mut summary);
        summary.push(
            "overall",
            metric::IN_FLIGHT_AT_WARMUP,
            self.in_flight_at_warmup.unwrap_or(0) as f64,
        );
        summary.push("overall", metric::IN_FLIGHT_AT_END, self.requests.len() as f64);
        summary.push("overall", metric::MEASURED_S, elapsed as f64 / 1e9);
        summary.push("overall", metric::COST_USD, cost);
        summary.push("overall", metric::COST_PER_MONTH_USD, per_month(cost, elapsed));
        summary.push(
            "overall",
            metric::COST_PER_MILLION_REQUESTS_USD,
            // Per completed request: none completed, no such cost.
            if overall.total.completed == 0 {
                f64::NAN
            } else {
                cost / overall.total.completed as f64 * 1e6
            },
        );

        for (class, metrics) in self.classes.iter().zip(&self.per_class) {
            let scope = format!("class:{}", class.name);
            summary_requests(
                &mut summary,
                &scope,
                &metrics.total,
                (metrics.latency.total(), metrics.latency_all.total()),
                elapsed,
                metrics.degraded_rows,
            );
        }

        for (dns, totals) in self.dns.iter().zip(&self.dns_totals) {
            summary.push(&dns.name, metric::LOOKUPS, totals.lookups as f64);
            summary.push(
                &dns.name,
                metric::CACHE_HIT_RATIO,
                ratio(totals.cache_hits, totals.cache_hits + totals.lookups),
            );
        }
        for (index, name) in self.balancer_names.iter_enumerated() {
            let totals = &self.balancer_totals[index];
            summary.push(name, metric::FORWARDED, totals.iter().sum::<u64>() as f64);
            summary.push(name, metric::IMBALANCE, imbalance(totals.as_slice()));
            summary.push(
                name,
                metric::UNAVAILABLE,
                self.balancer_unavailable_total[index] as f64,
            );
            if let Some(sessions) = &self.balancers[index].sessions {
                summary.push(name, metric::SESSIONS_LOST, sessions.lost_total as f64);
            }
            if self.traffic.counts_balancer_bytes {
                let processed = self.traffic.processed_total[index];
                summary.push(name, metric::PROCESSED_BYTES, processed as f64);
            }
            let price = self.balancers[index].price_per_hour;
            let cost = running_cost(price, elapsed) + self.traffic.balancer_cost(index);
            summary_cost(&mut summary, name, cost, elapsed);
            if let Some(capacity) = self.balancers[index].capacity.as_deref() {
                if let Some(cores) = capacity.cores {
                    summary.push(name, metric::CORES, cores as f64);
                }
                summary.push(name, metric::ARRIVALS, capacity.total.arrivals as f64);
                for (metric, value) in balancer_capacity_rows(capacity.cores, &capacity.total) {
                    summary.push(name, metric, value);
                }
                if capacity.cores.is_some() {
                    summary.push(name, metric::WAIT_PROBABILITY, capacity.total.wait_probability());
                }
            }
        }
        for group in &self.groups {
            let members = group.stations();
            let mut combined = StationCounters::default();
            for totals in &self.station_totals[members.clone()] {
                combined.add_parallel(totals);
            }
            let stations = &self.stations[members.clone()];
            let (workers, cores) = self.scaled_capacity(group.first_station, true, capacity(stations));
            let instances: u32 = stations.iter().map(|station| station.instance_count).sum();
            let group_cost: f64 = stations
                .iter()
                .zip(&self.billing[members.clone()])
                .map(|(station, billing)| billing.cost(station.price_per_hour))
                .sum();
            summary_station(
                &mut summary,
                &group.name,
                group.kind,
                &combined,
                instances,
                workers,
                cores,
                Some(group_cost),
                elapsed,
            );
            // A member's cost is in its component's row (a pool, database or
            // cache): node rows carry none, so the cost rows add up to overall.
            if group.station_count > 1 {
                for (station, totals) in stations.iter().zip(&self.station_totals[members]) {
                    let (workers, cores) = capacity(std::slice::from_ref(station));
                    summary_station(
                        &mut summary,
                        &station.name,
                        group.kind,
                        totals,
                        1,
                        workers,
                        cores,
                        None,
                        elapsed,
                    );
                }
            }
        }
        for host in &self.hosts {
            let (busy, waiting) = host.totals();
            summary.push(&host.scope, metric::CORES, host.cores as f64);
            summary.push(&host.scope, metric::CPU_UTILIZATION, busy / host.cores as f64);
            summary.push(&host.scope, metric::QUEUE_LEN_MEAN, waiting);
        }
        self.summary_data(&mut summary, elapsed);
        self.summary_shedding(&mut summary);
        self.summary_geo(&mut summary, elapsed);
        self.summary_traffic(&mut summary, elapsed);
        self.summary_cdn(&mut summary, elapsed);
        self.summary_queues(&mut summary, elapsed);
        self.summary_scalers(&mut summary, elapsed);
        self.summary_roles(&mut summary);
        self.summary_drills(&mut summary);
        summary
    }
}

/// Closes a scope's request window, whose latencies are `latency` (the
/// scope's recorders' windows, closed by the caller: the successes', then
/// every ended request's): its rows, and the
/// window's error rate, p99 and number of requests that ended (the rate NaN
/// when none ended, the p99 NaN when none completed).
pub(super) fn close_requests(
    metrics: &mut RequestScope,
    (latency, latency_all): (LatencyStats, LatencyStats),
    keep: bool,
    elapsed: u128,
    time_s: f64,
    scope: u32,
    series: &mut Timeseries,
) -> (f64, f64, u64) {
    let window = std::mem::take(&mut metrics.window);
    let outcome = (
        window.error_rate(),
        latency.p99_ns,
        window.completed + window.failed,
    );
    for cause in Cause::ALL {
        let count = window.failed_by_cause[cause.index()];
        if count > 0 {
            series.push(time_s, scope, cause.error_metric(), count as f64);
        }
    }
    series.push(
        time_s,
        scope,
        metric::OFFERED_RPS,
        per_second(window.arrivals, elapsed),
    );
    series.push(
        time_s,
        scope,
        metric::THROUGHPUT_RPS,
        per_second(window.completed, elapsed),
    );
    series.push(time_s, scope, metric::ERRORS, window.failed as f64);
    series.push(time_s, scope, metric::ERROR_RATE, window.error_rate());
    series.push(time_s, scope, metric::COMPLETED, window.completed as f64);
    if metrics.degraded_rows {
        series.push(time_s, scope, metric::DEGRADED_REQUESTS, window.degraded as f64);
    }
    // A window in which nothing completed has no latency (`LatencyStats`
    // is NaN): its cells are blank, not 0 ms, and charts leave a gap there.
    let milliseconds = |nanos: f64| nanos / NANOS_PER_MILLI;
    series.push(
        time_s,
        scope,
        metric::LATENCY_MEAN_MS,
        milliseconds(latency.mean_ns),
    );
    series.push(
        time_s,
        scope,
        metric::LATENCY_P50_MS,
        milliseconds(latency.p50_ns),
    );
    series.push(
        time_s,
        scope,
        metric::LATENCY_P95_MS,
        milliseconds(latency.p95_ns),
    );
    series.push(
        time_s,
        scope,
        metric::LATENCY_P99_MS,
        milliseconds(latency.p99_ns),
    );
    series.push(
        time_s,
        scope,
        metric::LATENCY_MAX_MS,
        milliseconds(latency.max_ns),
    );
    for (name, nanos) in all_latency_rows(&latency_all) {
        series.push(time_s, scope, name, milliseconds(nanos));
    }
    series.push(time_s, scope, metric::RETRIES, window.retries as f64);
    series.push(time_s, scope, metric::TIMEOUTS, window.timeouts as f64);
    if keep {
        metrics.total.merge(&window);
    }
    outcome
}

pub(super) fn summary_requests(
    summary: &mut Summary,
    scope: &str,
    totals: &RequestCounters,
    (latency, latency_all): (LatencyStats, LatencyStats),
    elapsed: u128,
    degraded_rows: bool,
) {
    summary.push(scope, metric::REQUESTS, totals.arrivals as f64);
    summary.push(scope, metric::COMPLETED, totals.completed as f64);
    if degraded_rows {
        summary.push(scope, metric::DEGRADED_REQUESTS, totals.degraded as f64);
    }
    summary.push(scope, metric::ERRORS, totals.failed as f64);
    summary.push(scope, metric::ERROR_RATE, totals.error_rate());
    summary.push(scope, metric::OFFERED_RPS, per_second(totals.arrivals, elapsed));
    summary.push(
        scope,
        metric::THROUGHPUT_RPS,
        per_second(totals.completed, elapsed),
    );
    summary.push(scope, metric::LATENCY_MEAN_MS, latency.mean_ns / NANOS_PER_MILLI);
    summary.push(scope, metric::LATENCY_P50_MS, latency.p50_ns / NANOS_PER_MILLI);
    summary.push(scope, metric::LATENCY_P95_MS, latency.p95_ns / NANOS_PER_MILLI);
    summary.push(scope, metric::LATENCY_P99_MS, latency.p99_ns / NANOS_PER_MILLI);
    summary.push(scope, metric::LATENCY_P999_MS, latency.p999_ns / NANOS_PER_MILLI);
    summary.push(scope, metric::LATENCY_MAX_MS, latency.max_ns / NANOS_PER_MILLI);
    for (name, nanos) in all_latency_rows(&latency_all) {
        summary.push(scope, name, nanos / NANOS_PER_MILLI);
    }
}

/// The `latency_all_*` rows of every ended request's latencies, in
/// nanoseconds (NaN, a blank cell, when none ended).
fn all_latency_rows(latency: &LatencyStats) -> [(crate::metrics::catalog::Metric, f64); 5] {
    [
        (metric::LATENCY_ALL_MEAN_MS, latency.mean_ns),
        (metric::LATENCY_ALL_P50_MS, latency.p50_ns),
        (metric::LATENCY_ALL_P95_MS, latency.p95_ns),
        (metric::LATENCY_ALL_P99_MS, latency.p99_ns),
        (metric::LATENCY_ALL_MAX_MS, latency.max_ns),
    ]
}

/// The rows of a balancer's own capacity over some time: connections
/// (and rejections over `max_connections`), and with `cores` their load
/// as a station's (`cpu_utilization` makes it a bottleneck candidate).
fn balancer_capacity_rows(cores: Option<u32>, counters: &StationCounters) -> Vec<(&'static str, f64)> {
    let mut rows = vec![
        (metric::CONNECTIONS_MEAN.name, counters.in_system_mean()),
        (metric::REJECTED.name, counters.rejected as f64),
    ];
    if let Some(cores) = cores {
        rows.extend([
            (metric::CPU_UTILIZATION.name, counters.utilization(cores as u64)),
            (metric::QUEUE_LEN_MEAN.name, counters.queue_len_mean()),
            (
                metric::WAIT_MEAN_MS.name,
                counters.wait_mean_ns() / NANOS_PER_MILLI,
            ),
            (metric::THROUGHPUT_RPS.name, counters.throughput_per_second()),
        ]);
    }
    rows
}

/// Total workers and cores of some stations. Instances on a host all
/// compute on its cores, so a host's cores count once: a placed
/// component's `cpu_utilization` is its share of the host.
fn capacity(stations: &[super::Station]) -> (u64, u64) {
    let mut hosts_counted = Vec::new();
    stations.iter().fold((0, 0), |(workers, cores), station| {
        let count = station.instance_count as u64;
        let station_cores = match station.host {
            Some(host) if hosts_counted.contains(&host) => 0,
            Some(host) => {
                hosts_counted.push(host);
                station.cores_per_instance as u64
            }
            None => station.cores_per_instance as u64 * count,
        };
        (
            workers + station.workers_per_instance as u64 * count,
            cores + station_cores,
        )
    })
}

/// One window's rows for a component's stations together.
fn station_series(
    series: &mut Timeseries,
    time_s: f64,
    scope: u32,
    kind: StationKind,
    counters: &StationCounters,
    workers: u64,
    cores: u64,
) {
    series.push(time_s, scope, metric::UTILIZATION, counters.utilization(workers));
    if matches!(
        kind,
        StationKind::Pool | StationKind::Database | StationKind::Cache
    ) {
        series.push(
            time_s,
            scope,
            metric::CPU_UTILIZATION,
            counters.cpu_utilization(cores),
        );
        core_rows(kind, counters, |metric, value| {
            series.push(time_s, scope, metric, value)
        });
    }
    series.push(time_s, scope, metric::QUEUE_LEN_MEAN, counters.queue_len_mean());
    series.push(
        time_s,
        scope,
        metric::WAIT_MEAN_MS,
        counters.wait_mean_ns() / NANOS_PER_MILLI,
    );
    series.push(
        time_s,
        scope,
        metric::THROUGHPUT_RPS,
        counters.throughput_per_second(),
    );
    series.push(time_s, scope, metric::REJECTED, counters.rejected as f64);
    series.push(time_s, scope, metric::IN_SYSTEM_MEAN, counters.in_system_mean());
}

/// A pool's, database's or cache's wait for a core, apart from its wait
/// for a worker or connection (`wait_mean_ms`); a database's or cache's (or
/// node's) connections in use before it, its other limit.
fn core_rows(kind: StationKind, counters: &StationCounters, mut push: impl FnMut(metric::Metric, f64)) {
    if matches!(kind, StationKind::Database | StationKind::Cache) {
        push(metric::CONNECTIONS_MEAN, counters.busy_mean());
    }
    push(
        metric::CPU_WAIT_MEAN_MS,
        counters.core_wait_mean_ns() / NANOS_PER_MILLI,
    );
}

#[allow(clippy::too_many_arguments)]
fn summary_station(
    summary: &mut Summary,
    name: &str,
    kind: StationKind,
    totals: &StationCounters,
    instances: u32,
    workers: u64,
    cores: u64,
    cost_usd: Option<f64>,
    elapsed_ns: u128,
) {
    summary.push(name, metric::INSTANCES, instances as f64);
    summary.push(name, metric::WORKERS, workers as f64);
    summary.push(name, metric::UTILIZATION, totals.utilization(workers));
    if matches!(
        kind,
        StationKind::Pool | StationKind::Database | StationKind::Cache
    ) {
        summary.push(name, metric::CPU_UTILIZATION, totals.cpu_utilization(cores));
        core_rows(kind, totals, |metric, value| summary.push(name, metric, value));
    }
    summary.push(name, metric::QUEUE_LEN_MEAN, totals.queue_len_mean());
    summary.push(
        name,
        metric::WAIT_MEAN_MS,
        totals.wait_mean_ns() / NANOS_PER_MILLI,
    );
    summary.push(name, metric::WAIT_PROBABILITY, totals.wait_probability());
    summary.push(name, metric::ARRIVALS, totals.arrivals as f64);
    summary.push(name, metric::SERVED, totals.completed as f64);
    summary.push(name, metric::REJECTED, totals.rejected as f64);
    summary.push(name, metric::REFUSED, totals.refused as f64);
    summary.push(name, metric::RESET, totals.reset as f64);
    summary.push(name, metric::THROUGHPUT_RPS, totals.throughput_per_second());
    summary.push(name, metric::IN_SYSTEM_MEAN, totals.in_system_mean());
    summary.push(
        name,
        metric::RESIDENCE_MEAN_MS,
        totals.residence_mean_ns() / NANOS_PER_MILLI,
    );
    if let Some(cost_usd) = cost_usd {
        summary_cost(summary, name, cost_usd, elapsed_ns);
    }
}
