//! Metrics of CDNs, per CDN and per edge: requests, hits and misses, the
//! hit ratio, origin requests, egress bytes and their cost, stale reads,
//! evictions, the live bytes an edge holds and, with a TTL, expiries; per
//! CDN also the requests that fell back to the origin or failed while an
//! edge was down.

use super::Model;
use super::cache::CacheStore;
use super::cdn::CdnCounters;
use crate::engine::SimTime;
use crate::metrics::catalog as metric;
use crate::metrics::{Summary, Timeseries};

/// The rows of one scope's counters (hits are requests − misses; the
/// summary states them too).
fn rows(counters: &CdnCounters) -> [(&'static str, f64); 7] {
    [
        (metric::REQUESTS.name, counters.requests as f64),
        (metric::HIT_RATIO.name, counters.hit_ratio()),
        (metric::MISSES.name, counters.misses as f64),
        (metric::ORIGIN_REQUESTS.name, counters.origin_requests as f64),
        (metric::EGRESS_BYTES.name, counters.egress_bytes as f64),
        (metric::STALE_READS.name, counters.stale_reads as f64),
        (metric::EVICTIONS.name, counters.evictions as f64),
    ]
}

impl Model {
    /// Closes the CDNs' window: rows into `series`, totals if kept.
    pub(super) fn close_cdn_window(
        &mut self,
        keep: bool,
        now: SimTime,
        time_s: f64,
        series: &mut Timeseries,
    ) {
        for cdn in &mut self.cdns {
            let mut combined = CdnCounters::default();
            let expires = cdn.stores.iter().any(CacheStore::has_ttl);
            for edge in cdn.edges.ids() {
                let mut window = std::mem::take(&mut cdn.window[edge]);
                // Counts the window's last expiries before taking its counters.
                let live_bytes = cdn.stores[edge].live_bytes(now);
                let store = std::mem::take(&mut cdn.stores[edge].counters);
                window.evictions = store.evictions;
                window.expired = store.expired;
                let scope = series.scope(&cdn.edge_scopes[edge]);
                for (metric, value) in rows(&window) {
                    series.push(time_s, scope, metric, value);
                }
                series.push(time_s, scope, metric::STORED_BYTES, live_bytes as f64);
                if expires {
                    series.push(time_s, scope, metric::EXPIRED, window.expired as f64);
                }
                combined.merge(&window);
                if keep {
                    cdn.totals[edge].merge(&window);
                }
            }
            let fallback = std::mem::take(&mut cdn.fallback_window);
            let unavailable = std::mem::take(&mut cdn.unavailable_window);
            if keep {
                cdn.fallback_total += fallback;
                cdn.unavailable_total += unavailable;
            }
            let scope = series.scope(&cdn.name);
            for (metric, value) in rows(&combined) {
                series.push(time_s, scope, metric, value);
            }
            if expires {
                series.push(time_s, scope, metric::EXPIRED, combined.expired as f64);
            }
            series.push(time_s, scope, metric::FALLBACK_REQUESTS, fallback as f64);
            series.push(time_s, scope, metric::UNAVAILABLE, unavailable as f64);
            series.push(
                time_s,
                scope,
                metric::COST_USD,
                cdn.cost_usd(combined.egress_bytes),
            );
        }
    }

    /// The CDNs' rows over the kept windows.
    pub(super) fn summary_cdn(&self, summary: &mut Summary, elapsed_ns: u128) {
        for cdn in &self.cdns {
            let mut combined = CdnCounters::default();
            let expires = cdn.stores.iter().any(CacheStore::has_ttl);
            for (scope, totals) in cdn.edge_scopes.iter().zip(&cdn.totals) {
                for (metric, value) in rows(totals) {
                    summary.push(scope, metric, value);
                }
                if expires {
                    summary.push(scope, metric::EXPIRED, totals.expired as f64);
                }
                combined.merge(totals);
            }
            for (metric, value) in rows(&combined) {
                summary.push(&cdn.name, metric, value);
            }
            if expires {
                summary.push(&cdn.name, metric::EXPIRED, combined.expired as f64);
            }
            summary.push(&cdn.name, metric::HITS, combined.hits as f64);
            summary.push(&cdn.name, metric::FALLBACK_REQUESTS, cdn.fallback_total as f64);
            summary.push(&cdn.name, metric::UNAVAILABLE, cdn.unavailable_total as f64);
            let cost_usd = cdn.cost_usd(combined.egress_bytes);
            super::observe::summary_cost(summary, &cdn.name, cost_usd, elapsed_ns);
        }
    }
}
