//! Metrics of the data tier: cache hit ratios and evictions per cache and
//! node, live entries and expiries, database reads, writes, staleness and
//! replication lag.

use super::Model;
use super::cache::{CacheCounters, CacheStore};
use crate::engine::SimTime;
use crate::metrics::catalog as metric;
use crate::metrics::{LatencyStats, Summary, Timeseries};

const NANOS_PER_MILLI: f64 = 1e6;

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

fn lag_rows(summary: &mut Summary, scope: &str, lag: &LatencyStats) {
    summary.push(
        scope,
        metric::REPLICATION_LAG_MEAN_MS,
        lag.mean_ns / NANOS_PER_MILLI,
    );
    summary.push(
        scope,
        metric::REPLICATION_LAG_P99_MS,
        lag.p99_ns / NANOS_PER_MILLI,
    );
    summary.push(
        scope,
        metric::REPLICATION_LAG_MAX_MS,
        lag.max_ns / NANOS_PER_MILLI,
    );
}

impl Model {
    /// Closes the data tier's window: rows into `series`, totals if kept.
    pub(super) fn close_data_window(
        &mut self,
        keep: bool,
        now: SimTime,
        time_s: f64,
        series: &mut Timeseries,
    ) {
        for cluster in &mut self.caches {
            let mut combined = CacheCounters::default();
            let mut entries = 0u64;
            let node_rows = cluster.stores.len() > 1;
            let expires = cluster.stores.iter().any(CacheStore::has_ttl);
            for (node, store) in cluster.stores.iter_enumerated_mut() {
                // Counts the window's last expiries before taking its counters.
                let live = store.live_len(now);
                let window = std::mem::take(&mut store.counters);
                entries += live as u64;
                if node_rows {
                    let scope = series.scope(&format!("{}.node[{node}]", cluster.name));
                    series.push(time_s, scope, metric::HIT_RATIO, window.hit_ratio());
                    series.push(time_s, scope, metric::ENTRIES, live as f64);
                }
                combined.merge(&window);
                if keep {
                    cluster.totals[node].merge(&window);
                }
            }
            let unavailable = std::mem::take(&mut cluster.unavailable_window);
            if keep {
                cluster.unavailable_total += unavailable;
            }
            let scope = series.scope(&cluster.name);
            let lookups = combined.hits + combined.misses + unavailable;
            series.push(time_s, scope, metric::HIT_RATIO, ratio(combined.hits, lookups));
            series.push(time_s, scope, metric::EVICTIONS, combined.evictions as f64);
            series.push(time_s, scope, metric::STALE_READS, combined.stale_reads as f64);
            series.push(time_s, scope, metric::ENTRIES, entries as f64);
            if expires {
                series.push(time_s, scope, metric::EXPIRED, combined.expired as f64);
            }
            if let Some(flight) = cluster.coalesce.as_deref_mut() {
                let (coalesced, expired) = flight.close_window(keep);
                series.push(time_s, scope, metric::COALESCED_LOOKUPS, coalesced as f64);
                series.push(time_s, scope, metric::LEASE_EXPIRIES, expired as f64);
            }
            if let Some(revalidate) = cluster.revalidate.as_deref_mut() {
                let (started, failed) = revalidate.close_window(keep);
                series.push(time_s, scope, metric::STALE_HITS, combined.stale_hits as f64);
                series.push(time_s, scope, metric::REFRESHES, started as f64);
                series.push(time_s, scope, metric::FAILED_REFRESHES, failed as f64);
            }
            if let Some(warmer) = cluster.warm_restart.as_deref_mut() {
                let loaded = warmer.close_window(keep);
                series.push(time_s, scope, metric::WARMING_NODES, warmer.warming() as f64);
                series.push(time_s, scope, metric::WARM_LOADED, loaded as f64);
                let timed_out = warmer.timed_out.close(keep);
                if warmer.timeout {
                    series.push(time_s, scope, metric::WARM_READS_TIMED_OUT, timed_out as f64);
                }
            }
        }
        for database in &mut self.databases {
            let window = std::mem::take(&mut database.window);
            let lag = database.lag.close_window(keep);
            let scope = series.scope(&database.name);
            series.push(time_s, scope, metric::READS, window.reads as f64);
            series.push(time_s, scope, metric::WRITES, window.writes as f64);
            series.push(time_s, scope, metric::STALE_READS, window.stale_reads as f64);
            if database.is_semi_sync() {
                series.push(
                    time_s,
                    scope,
                    metric::DEGRADED_WRITES,
                    window.degraded_writes as f64,
                );
                let degraded = database.shards.iter().filter(|shard| shard.degraded).count();
                series.push(time_s, scope, metric::SEMI_SYNC_DEGRADED_SHARDS, degraded as f64);
            }
            if !database.applied.is_empty() {
                series.push(
                    time_s,
                    scope,
                    metric::REPLICATION_LAG_MEAN_MS,
                    lag.mean_ns / NANOS_PER_MILLI,
                );
                series.push(
                    time_s,
                    scope,
                    metric::REPLICATION_LAG_P99_MS,
                    lag.p99_ns / NANOS_PER_MILLI,
                );
                series.push(
                    time_s,
                    scope,
                    metric::REPLICATION_LAG_MAX_MS,
                    lag.max_ns / NANOS_PER_MILLI,
                );
            }
            if keep {
                database.total.merge(&window);
            }
        }
    }

    /// The data tier's summary rows.
    pub(super) fn summary_data(&self, summary: &mut Summary, elapsed: u128) {
        for cluster in &self.caches {
            let mut combined = CacheCounters::default();
            for totals in &cluster.totals {
                combined.merge(totals);
            }
            let name = cluster.name.as_str();
            let lookups = combined.hits + combined.misses + cluster.unavailable_total;
            summary.push(name, metric::CORES, cluster.cores as f64);
            summary.push(name, metric::LOOKUPS, lookups as f64);
            summary.push(name, metric::HITS, combined.hits as f64);
            summary.push(
                name,
                metric::MISSES,
                (combined.misses + cluster.unavailable_total) as f64,
            );
            summary.push(name, metric::HIT_RATIO, ratio(combined.hits, lookups));
            summary.push(name, metric::EVICTIONS, combined.evictions as f64);
            summary.push(
                name,
                metric::EVICTIONS_PER_S,
                per_second(combined.evictions, elapsed),
            );
            summary.push(name, metric::EXPIRATIONS, combined.expirations as f64);
            if cluster.stores.iter().any(CacheStore::has_ttl) {
                summary.push(name, metric::EXPIRED, combined.expired as f64);
            }
            summary.push(name, metric::FILLS, combined.fills as f64);
            summary.push(name, metric::REJECTED_FILLS, combined.rejected_fills as f64);
            summary.push(name, metric::INVALIDATIONS, combined.invalidations as f64);
            summary.push(name, metric::STALE_READS, combined.stale_reads as f64);
            summary.push(
                name,
                metric::UNAVAILABLE_LOOKUPS,
                cluster.unavailable_total as f64,
            );
            if let Some(flight) = cluster.coalesce.as_deref() {
                summary.push(name, metric::COALESCED_LOOKUPS, flight.coalesced.total as f64);
                summary.push(name, metric::LEASE_EXPIRIES, flight.expired.total as f64);
            }
            if let Some(revalidate) = cluster.revalidate.as_deref() {
                summary.push(name, metric::STALE_HITS, combined.stale_hits as f64);
                summary.push(name, metric::REFRESHES, revalidate.started.total as f64);
                summary.push(name, metric::FAILED_REFRESHES, revalidate.failed.total as f64);
            }
            if let Some(warmer) = cluster.warm_restart.as_deref() {
                summary.push(name, metric::WARM_LOADED, warmer.loaded_total as f64);
                if warmer.timeout {
                    summary.push(name, metric::WARM_READS_TIMED_OUT, warmer.timed_out.total as f64);
                }
            }
            if cluster.stores.len() > 1 {
                for (node, totals) in cluster.totals.iter().enumerate() {
                    let scope = format!("{name}.node[{node}]");
                    summary.push(&scope, metric::HIT_RATIO, totals.hit_ratio());
                    summary.push(&scope, metric::LOOKUPS, (totals.hits + totals.misses) as f64);
                    summary.push(&scope, metric::EVICTIONS, totals.evictions as f64);
                }
            }
        }
        for database in &self.databases {
            let name = database.name.as_str();
            let totals = &database.total;
            summary.push(name, metric::CORES, database.size.cores as f64);
            summary.push(name, metric::READS, totals.reads as f64);
            summary.push(name, metric::WRITES, totals.writes as f64);
            summary.push(name, metric::REPLICA_READS, totals.replica_reads as f64);
            summary.push(name, metric::STALE_READS, totals.stale_reads as f64);
            summary.push(
                name,
                metric::STALE_READ_RATIO,
                ratio(totals.stale_reads, totals.reads),
            );
            summary.push(
                name,
                metric::READ_YOUR_WRITES_VIOLATIONS,
                totals.read_your_writes_violations as f64,
            );
            summary.push(name, metric::LOST_WRITES, totals.lost_writes as f64);
            if database.is_semi_sync() {
                summary.push(
                    name,
                    metric::SEMI_SYNC_FALLBACKS,
                    totals.semi_sync_fallbacks as f64,
                );
                summary.push(name, metric::DEGRADED_WRITES, totals.degraded_writes as f64);
            }
            if !database.applied.is_empty() {
                lag_rows(summary, name, &database.lag.total());
            }
        }
    }
}
