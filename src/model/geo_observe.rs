//! The geography's metrics: request rows per user region
//! (`region:NAME`, the same metrics as `overall`), per data center
//! (`datacenter:NAME`: utilization, throughput and errors of what stands
//! there, calls lost to partitions, requests its dead balancers refused),
//! geoDNS answers per target (`DNS/TARGET`: `dns_answers`, `healthy`), and
//! how far behind each replica placed in a data center is right now
//! (`replication_behind_ms`: age of the oldest write it has not applied).

use super::frame::StationId;
use super::ids::DatacenterId;
use super::observe::{close_requests, summary_requests};
use super::{Cause, Model};
use crate::engine::SimTime;
use crate::engine::id::IdVec;
use crate::metrics::catalog as metric;
use crate::metrics::{StationCounters, Summary, Timeseries};

impl Model {
    /// The geography's rows for the window ending `now`.
    pub(super) fn close_geo_window(
        &mut self,
        keep: bool,
        elapsed: u128,
        now: SimTime,
        closed: &IdVec<StationId, StationCounters>,
        series: &mut Timeseries,
    ) {
        if !self.geo.enabled {
            return;
        }
        let time_s = now.as_secs_f64();
        for (name, metrics) in self.geo.regions.iter().zip(&mut self.geo.per_region) {
            let scope = series.scope(&format!("region:{name}"));
            let latency = metrics.close_latency_windows(keep);
            close_requests(metrics, latency, keep, elapsed, time_s, scope, series);
        }
        for dc in self.geo.datacenters.ids() {
            let (combined, workers) = self.datacenter_counters(dc, closed);
            let mut refused_by_balancers = 0;
            for b in self.geo.balancer_dc.ids() {
                if self.geo.balancer_dc[b] == dc {
                    let refused = std::mem::take(&mut self.geo.balancer_refused_window[b]);
                    refused_by_balancers += refused;
                    if keep {
                        self.geo.balancer_refused_total[b] += refused;
                    }
                }
            }
            let partitioned = std::mem::take(&mut self.geo.partitioned_window[dc]);
            if keep {
                self.geo.partitioned_total[dc] += partitioned;
            }
            let scope = series.scope(&format!("datacenter:{}", self.geo.datacenters[dc]));
            series.push(time_s, scope, metric::UTILIZATION, combined.utilization(workers));
            series.push(
                time_s,
                scope,
                metric::THROUGHPUT_RPS,
                combined.throughput_per_second(),
            );
            let errors = combined.rejected + combined.refused + combined.reset + refused_by_balancers;
            series.push(time_s, scope, metric::ERRORS, (errors + partitioned) as f64);
            series.push(time_s, scope, metric::PARTITIONED, partitioned as f64);
        }
        for (dns, state) in self.geo.dns.iter_enumerated_mut() {
            let Some(state) = state else {
                continue;
            };
            for target in &mut state.targets {
                let scope = series.scope(&format!("{}/{}", self.dns[dns].name, target.name));
                let answers = std::mem::take(&mut target.answers_window);
                series.push(time_s, scope, metric::DNS_ANSWERS, answers as f64);
                series.push(
                    time_s,
                    scope,
                    metric::HEALTHY,
                    if target.healthy { 1.0 } else { 0.0 },
                );
                if keep {
                    target.answers_total += answers;
                }
            }
        }
        for database in &self.databases {
            for (index, node) in database.nodes.iter_enumerated() {
                let shard = &database.shards[node.shard];
                let station = self.instances[node.instance].station;
                if shard.primary == index || shard.replicas.is_empty() {
                    continue;
                }
                if self.geo.station_dc[station] == super::geo::NO_DC {
                    continue;
                }
                let behind = shard
                    .log
                    .iter()
                    .find(|entry| entry.seq > node.applied)
                    .map_or(0.0, |entry| now.since(entry.committed).as_secs_f64() * 1e3);
                let scope = series.scope(&self.stations[station].name);
                series.push(time_s, scope, metric::REPLICATION_BEHIND_MS, behind);
            }
        }
    }

    /// The counters of every station in data center `dc`, and their workers.
    fn datacenter_counters(
        &self,
        dc: DatacenterId,
        counters: &IdVec<StationId, StationCounters>,
    ) -> (StationCounters, u64) {
        let mut combined = StationCounters::default();
        let mut workers = 0;
        for (index, station) in self.stations.iter_enumerated() {
            if self.geo.station_dc[index] != dc {
                continue;
            }
            combined.add_parallel(&counters[index]);
            workers += station.workers_per_instance as u64 * station.instance_count as u64;
        }
        (combined, workers)
    }

    /// The geography's summary rows over the windows after warm-up.
    pub(super) fn summary_geo(&self, summary: &mut Summary, elapsed: u128) {
        if !self.geo.enabled {
            return;
        }
        for (name, metrics) in self.geo.regions.iter().zip(&self.geo.per_region) {
            let scope = format!("region:{name}");
            summary_requests(
                summary,
                &scope,
                &metrics.total,
                (metrics.latency.total(), metrics.latency_all.total()),
                elapsed,
                metrics.degraded_rows,
            );
            for cause in Cause::ALL {
                if cause.is_opt_in() && !self.cause_possible(cause) {
                    continue;
                }
                let count = metrics.total.failed_by_cause[cause.index()];
                summary.push(&scope, cause.error_metric(), count as f64);
            }
        }
        for (dc, name) in self.geo.datacenters.iter_enumerated() {
            let (combined, workers) = self.datacenter_counters(dc, &self.station_totals);
            let refused: u64 = self
                .geo
                .balancer_dc
                .iter_enumerated()
                .filter(|&(_, &at)| at == dc)
                .map(|(b, _)| self.geo.balancer_refused_total[b])
                .sum();
            let partitioned = self.geo.partitioned_total[dc];
            let scope = format!("datacenter:{name}");
            summary.push(&scope, metric::UTILIZATION, combined.utilization(workers));
            summary.push(&scope, metric::THROUGHPUT_RPS, combined.throughput_per_second());
            let errors = combined.rejected + combined.refused + combined.reset + refused + partitioned;
            summary.push(&scope, metric::ERRORS, errors as f64);
            summary.push(&scope, metric::PARTITIONED, partitioned as f64);
        }
        for (dns, state) in self.geo.dns.iter_enumerated() {
            let Some(state) = state else {
                continue;
            };
            for target in &state.targets {
                let scope = format!("{}/{}", self.dns[dns].name, target.name);
                summary.push(&scope, metric::DNS_ANSWERS, target.answers_total as f64);
            }
        }
    }
}
