//! Metrics of the data tier: cache hit ratios and evictions per cache and
//! node, database reads, writes, staleness and replication lag.

use super::Model;
use super::cache::CacheCounters;
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
    summary.push(scope, "replication_lag_mean_ms", lag.mean_ns / NANOS_PER_MILLI);
    summary.push(scope, "replication_lag_p99_ms", lag.p99_ns / NANOS_PER_MILLI);
    summary.push(scope, "replication_lag_max_ms", lag.max_ns / NANOS_PER_MILLI);
}

impl Model {
    /// Closes the data tier's window: rows into `series`, totals if kept.
    pub(super) fn close_data_window(&mut self, keep: bool, time_s: f64, series: &mut Timeseries) {
        for cluster in &mut self.caches {
            let mut combined = CacheCounters::default();
            let mut entries = 0u64;
            let node_rows = cluster.stores.len() > 1;
            for (node, store) in cluster.stores.iter_enumerated_mut() {
                let window = std::mem::take(&mut store.counters);
                entries += store.len() as u64;
                if node_rows {
                    let scope = series.scope(&format!("{}.node[{node}]", cluster.name));
                    series.push(time_s, scope, "hit_ratio", window.hit_ratio());
                    series.push(time_s, scope, "entries", store.len() as f64);
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
            series.push(time_s, scope, "hit_ratio", ratio(combined.hits, lookups));
            series.push(time_s, scope, "evictions", combined.evictions as f64);
            series.push(time_s, scope, "stale_reads", combined.stale_reads as f64);
            series.push(time_s, scope, "entries", entries as f64);
        }
        for database in &mut self.databases {
            let window = std::mem::take(&mut database.window);
            let lag = database.lag.close_window(keep);
            let scope = series.scope(&database.name);
            series.push(time_s, scope, "reads", window.reads as f64);
            series.push(time_s, scope, "writes", window.writes as f64);
            series.push(time_s, scope, "stale_reads", window.stale_reads as f64);
            if database.is_semi_sync() {
                series.push(time_s, scope, "degraded_writes", window.degraded_writes as f64);
                let degraded = database.shards.iter().filter(|shard| shard.degraded).count();
                series.push(time_s, scope, "semi_sync_degraded_shards", degraded as f64);
            }
            if !database.applied.is_empty() {
                series.push(
                    time_s,
                    scope,
                    "replication_lag_mean_ms",
                    lag.mean_ns / NANOS_PER_MILLI,
                );
                series.push(
                    time_s,
                    scope,
                    "replication_lag_p99_ms",
                    lag.p99_ns / NANOS_PER_MILLI,
                );
                series.push(
                    time_s,
                    scope,
                    "replication_lag_max_ms",
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
            summary.push(name, "lookups", lookups as f64);
            summary.push(name, "hits", combined.hits as f64);
            summary.push(
                name,
                "misses",
                (combined.misses + cluster.unavailable_total) as f64,
            );
            summary.push(name, "hit_ratio", ratio(combined.hits, lookups));
            summary.push(name, "evictions", combined.evictions as f64);
            summary.push(name, "evictions_per_s", per_second(combined.evictions, elapsed));
            summary.push(name, "expirations", combined.expirations as f64);
            summary.push(name, "fills", combined.fills as f64);
            summary.push(name, "rejected_fills", combined.rejected_fills as f64);
            summary.push(name, "invalidations", combined.invalidations as f64);
            summary.push(name, "stale_reads", combined.stale_reads as f64);
            summary.push(name, "unavailable_lookups", cluster.unavailable_total as f64);
            if cluster.stores.len() > 1 {
                for (node, totals) in cluster.totals.iter().enumerate() {
                    let scope = format!("{name}.node[{node}]");
                    summary.push(&scope, "hit_ratio", totals.hit_ratio());
                    summary.push(&scope, "lookups", (totals.hits + totals.misses) as f64);
                    summary.push(&scope, "evictions", totals.evictions as f64);
                }
            }
        }
        for database in &self.databases {
            let name = database.name.as_str();
            let totals = &database.total;
            summary.push(name, "reads", totals.reads as f64);
            summary.push(name, "writes", totals.writes as f64);
            summary.push(name, "replica_reads", totals.replica_reads as f64);
            summary.push(name, "stale_reads", totals.stale_reads as f64);
            summary.push(name, "stale_read_ratio", ratio(totals.stale_reads, totals.reads));
            summary.push(
                name,
                "read_your_writes_violations",
                totals.read_your_writes_violations as f64,
            );
            summary.push(name, "lost_writes", totals.lost_writes as f64);
            if database.is_semi_sync() {
                summary.push(name, "semi_sync_fallbacks", totals.semi_sync_fallbacks as f64);
                summary.push(name, "degraded_writes", totals.degraded_writes as f64);
            }
            if !database.applied.is_empty() {
                lag_rows(summary, name, &database.lag.total());
            }
        }
    }
}
