//! `report.html` for one run: the scenario, headline numbers, SLO verdicts
//! and drills (with replications, means ± their 95 % intervals), the
//! topology drawn as a diagram (`diagram`), the bottleneck, tables of key
//! metrics, the charts (inline SVG) and the events. Everything comes from the run's CSV files
//! (`RunData`) and, when available, its resolved scenario; nothing is
//! recomputed, only arranged.

use crate::metrics::catalog as metric;
use std::fmt::Write;

use super::bottleneck::{StationLoad, station_loads};
use super::diagram;
use super::graph::Topology;
use super::html::{self, Cell, escape, num, number, percent, raw, section, table, text};
use super::run_charts::NamedFigure;
use super::run_data::RunData;
use crate::results::slo::{Verdict, value_text};
use crate::scenario::Scenario;

/// Everything the page shows.
pub struct RunPage<'a> {
    pub data: &'a RunData,
    /// The resolved scenario, when it could be read.
    pub scenario: Option<&'a Scenario>,
    pub verdicts: &'a [Verdict],
    /// Each chart with its SVG text.
    pub figures: &'a [(NamedFigure, String)],
}

/// A headline number: metric, label, and how to format it.
type Card = (&'static str, &'static str, fn(f64) -> String);

/// Events shown in the table; the rest are counted and left to events.csv.
const MAX_EVENT_ROWS: usize = 500;

/// Drills shown at the top; the rest are counted and left to summary.csv.
const MAX_DRILL_ROWS: usize = 10;

impl RunPage<'_> {
    pub fn html(&self) -> String {
        let name = self.scenario.map_or("capsim run".to_owned(), |s| s.name.clone());
        let body = [
            // The answer first, inside the first screen (900 px): headline
            // numbers with headroom and the bottleneck, the verdicts with
            // their margins, then each fault's detection, RTO and RPO.
            section("summary", "Summary", &self.summary_cards()),
            section("slo", "SLO verdicts", &self.slo_verdicts()),
            self.drills(),
            // The details, the architecture drawn first.
            section("topology", "Topology", &self.topology()),
            section("bottleneck", "Bottleneck", &self.bottleneck()),
            section("metrics", "Key metrics", &self.key_metrics()),
            section("charts", "Charts", &self.charts()),
            section("events", "Events", &self.events()),
        ]
        .concat();
        let footer = format!(
            "<p>capsim {} · results in summary.csv, timeseries.csv, events.csv and scenario.resolved.toml; \
             charts in charts/ as SVG and PNG.</p>\n",
            env!("CARGO_PKG_VERSION")
        );
        html::page(
            &format!("{name} — capsim report"),
            &self.header(&name),
            &body,
            &footer,
        )
    }

    fn header(&self, name: &str) -> String {
        let mut header = format!("<h1>{}</h1>\n", escape(name));
        if let Some(scenario) = self.scenario {
            if !scenario.description.is_empty() {
                let _ = writeln!(header, "<p class=\"sub\">{}</p>", escape(&scenario.description));
            }
            let _ = writeln!(
                header,
                "<p class=\"sub\">seed {} · {} simulated · {} warm-up · {} windows</p>",
                scenario.seed, scenario.duration, scenario.warmup, scenario.window
            );
        }
        let drills = if self.has_drills() {
            "<a href=\"#drills\">Drills</a>"
        } else {
            ""
        };
        let _ = writeln!(
            header,
            "<nav><a href=\"#summary\">Summary</a><a href=\"#slo\">SLOs</a>{drills}<a href=\"#topology\">Topology</a>\
             <a href=\"#bottleneck\">Bottleneck</a><a href=\"#metrics\">Metrics</a><a href=\"#charts\">Charts</a>\
             <a href=\"#events\">Events</a></nav>",
        );
        header
    }

    fn summary_cards(&self) -> String {
        let cards: [Card; 8] = [
            (metric::REQUESTS.name, "requests after warm-up", number),
            (metric::THROUGHPUT_RPS.name, "throughput (requests/s)", number),
            (metric::ERROR_RATE.name, "error rate", html::error_percent),
            (metric::LATENCY_P50_MS.name, "latency p50 (ms)", number),
            (metric::LATENCY_P99_MS.name, "latency p99 (ms)", number),
            (metric::LATENCY_MAX_MS.name, "latency max (ms)", number),
            (
                metric::COST_PER_MONTH_USD.name,
                "US$ per month at this load",
                number,
            ),
            (
                metric::COST_PER_MILLION_REQUESTS_USD.name,
                "US$ per million requests",
                number,
            ),
        ];
        let mut html = String::from("<div class=\"cards\">\n");
        for (metric, label, format) in cards {
            if let Some(value) = self.data.value("overall", metric) {
                // A blank cell (no request completed, none ended) is no
                // number: the card says so instead of showing 0 or NaN.
                // With replications, the mean ± its 95 % interval.
                let scale = if html::is_error_rate(metric) { 100.0 } else { 1.0 };
                let shown = if value.is_nan() {
                    "none".to_owned()
                } else {
                    html::plus_minus(&format(value), self.interval("overall", metric), scale)
                };
                let _ = writeln!(
                    html,
                    "<div class=\"card\" data-metric=\"{metric}\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
                    escape(&shown),
                    escape(label)
                );
            }
        }
        html.push_str("</div>\n");
        if self.replicated() {
            let _ = writeln!(
                html,
                "<p id=\"replicated\" class=\"sub\">Means over the replications ± the half-width of their 95 % \
                 interval (summary.csv's <code>ci95_low</code>, <code>ci95_high</code>); headroom and the \
                 bottleneck are those of the means.</p>"
            );
        }
        if let Some(headroom) = self.headroom() {
            let _ = writeln!(
                html,
                "<p id=\"headroom\"><strong>Headroom:</strong> {} <span class=\"sub\">(the utilization law from \
                 the hottest node, not a mean over nodes: latency SLOs may be missed before)</span></p>",
                escape(&headroom.describe())
            );
            let busy = html::plus_minus(
                &format!("{:.1}", 100.0 * headroom.busiest.utilization),
                self.interval(&headroom.busiest.station, &headroom.busiest.metric),
                100.0,
            );
            let _ = writeln!(
                html,
                "<p id=\"bottleneck-node\"><strong>Bottleneck:</strong> {}, its {} {busy}% busy \
                 <span class=\"sub\">(the hottest node; <a href=\"#bottleneck\">details below</a>)</span></p>",
                escape(&headroom.busiest.station),
                headroom.resource,
            );
        }
        if let Some(stall) = self.stall() {
            let _ = writeln!(
                html,
                "<p id=\"stall\" class=\"fail\">{}</p>",
                escape(&stall.describe())
            );
        }
        html
    }

    /// The 95 % interval of a value, after replications.
    fn interval(&self, scope: &str, metric: &str) -> Option<(f64, f64)> {
        self.data
            .summary
            .iter()
            .find(|row| row.scope == scope && row.metric == metric)
            .and_then(|row| row.ci95)
    }

    /// Whether the summary holds means over replications.
    fn replicated(&self) -> bool {
        self.data.summary.iter().any(|row| row.ci95.is_some())
    }

    /// How far the load can grow before the hottest node saturates.
    fn headroom(&self) -> Option<crate::results::headroom::Headroom> {
        crate::results::headroom::of_rows(
            self.data
                .summary
                .iter()
                .map(|row| (row.scope.as_str(), row.metric.as_str())),
            &|scope, metric| self.data.value(scope, metric),
        )
    }

    /// Why no request completed, when none did.
    fn stall(&self) -> Option<crate::results::stall::Stall> {
        crate::results::stall::stall(
            self.data
                .summary
                .iter()
                .map(|row| (row.scope.as_str(), row.metric.as_str())),
            &|scope, metric| self.data.value(scope, metric),
        )
    }

    fn slo_verdicts(&self) -> String {
        if self.verdicts.is_empty() {
            return "<p id=\"no-slo\">No SLOs were given. Add them to the scenario, \
                    <code>[slo] objectives = [\"p99 &lt; 200ms\"]</code>, or with <code>--slo</code>, for example \
                    <code>--slo 'p99&lt;200ms' --slo 'errors&lt;0.1%'</code>.</p>\n"
                .to_owned();
        }
        let met = self.verdicts.iter().filter(|v| v.met).count();
        let rows = self
            .verdicts
            .iter()
            .map(|verdict| {
                let (label, class) = match (verdict.met, verdict.measured, &verdict.reason) {
                    (true, _, _) => ("met".to_owned(), "pass"),
                    (false, None, _) => ("no such metric".to_owned(), "fail"),
                    // Nothing measured: say what did not happen.
                    (false, Some(_), Some(reason)) => (format!("missed: {reason}"), "fail"),
                    (false, Some(_), None) => ("missed".to_owned(), "fail"),
                };
                // The metric measured is named in the objective and again
                // in `why`: no column of its own, so a row fits one line.
                // Threshold and measured value in one unit, the one `why`
                // uses (a rate as a percentage, latency in ms).
                let metric = &verdict.slo.metric;
                let measured =
                    verdict
                        .measured
                        .filter(|value| !value.is_nan())
                        .map_or(String::new(), |value| {
                            let scale = if value_text(metric, 1.0).ends_with(" %") {
                                100.0
                            } else {
                                1.0
                            };
                            html::plus_minus(&value_text(metric, value), verdict.interval, scale)
                        });
                vec![
                    text(&verdict.slo.text),
                    text(format!(
                        "{} {}",
                        verdict.slo.op.symbol(),
                        value_text(metric, verdict.slo.threshold)
                    )),
                    raw(escape(&measured), "num"),
                    raw(escape(&label), class),
                    // The margin, and the 95 % interval after replications.
                    text(verdict.describe().split_once(": ").map_or("", |(_, why)| why)),
                ]
            })
            .collect();
        format!(
            "<p>{met} of {} objectives met.</p>\n{}",
            self.verdicts.len(),
            table(
                "slo-table",
                &["objective", "threshold", "measured", "verdict", "why"],
                rows
            )
        )
    }

    /// The run's drills, from the summary's `drill:` scopes.
    fn drill_list(&self) -> Vec<crate::results::drills::Drill> {
        crate::results::drills::drills(
            self.data.summary.iter().map(|row| row.scope.as_str()),
            &|scope, metric| self.data.value(scope, metric),
        )
    }

    fn has_drills(&self) -> bool {
        self.data
            .summary
            .iter()
            .any(|row| row.scope.starts_with("drill:"))
    }

    /// One compact row per fault that struck, near the top: the answer a
    /// drill is run for. Absent without faults.
    fn drills(&self) -> String {
        let drills = self.drill_list();
        if drills.is_empty() {
            return String::new();
        }
        let rows = drills
            .iter()
            .take(MAX_DRILL_ROWS)
            .map(|drill| {
                // A value with its interval's half-width after replications.
                let shown = |value: f64, metric: &str| {
                    raw(
                        escape(&html::plus_minus(
                            &number(value),
                            self.interval(&drill.scope, metric),
                            1.0,
                        )),
                        "num",
                    )
                };
                let seconds = |value: Option<f64>, metric: &str, none: &str| {
                    value.map_or(text(none), |value| shown(value, metric))
                };
                // A fault no request saw has no RTO worth the name: its
                // `rto_s` is only the wait for the next calm window.
                let rto = if drill.seen_by_requests {
                    seconds(drill.rto_s, metric::RTO_S.name, "not recovered")
                } else {
                    text("not seen by requests")
                };
                vec![
                    text(&drill.component),
                    num(drill.fault_at_s),
                    seconds(
                        drill.time_to_detect_s,
                        metric::TIME_TO_DETECT_S.name,
                        "not detected",
                    ),
                    rto,
                    seconds(drill.rpo_s, metric::RPO_S.name, ""),
                    raw(
                        escape(&html::plus_minus(
                            &number(drill.failed_requests),
                            self.failed_requests_interval(&drill.scope),
                            1.0,
                        )),
                        "num",
                    ),
                    shown(drill.users_affected, metric::USERS_AFFECTED.name),
                ]
            })
            .collect();
        let mut html = table(
            "drills-table",
            &[
                "fault on",
                "at (s)",
                "detected after (s)",
                "RTO (s)",
                "RPO (s)",
                "failed requests",
                "users affected",
            ],
            rows,
        );
        if self.replicated() {
            html.push_str(
                "<p class=\"sub\">± a 95 % interval's half-width; for failed requests the sum of its \
                 causes' half-widths, at least as wide as the interval of their sum.</p>\n",
            );
        }
        if drills.len() > MAX_DRILL_ROWS {
            let _ = writeln!(
                html,
                "<p>{} more drills are in summary.csv (<code>drill:</code> scopes).</p>",
                drills.len() - MAX_DRILL_ROWS
            );
        }
        section("drills", "Drills", &html)
    }

    /// A drill's failed requests are the sum of its rows by cause; the
    /// interval of a sum is not in summary.csv, so this is the sum of the
    /// causes' intervals: `(Σ low, Σ high)`, never narrower than the sum's
    /// own (a standard deviation of a sum is at most the sum of theirs).
    fn failed_requests_interval(&self, scope: &str) -> Option<(f64, f64)> {
        let mut total: Option<(f64, f64)> = None;
        for name in metric::ERRORS_BY_CAUSE.names() {
            if let Some((low, high)) = self.interval(scope, &name) {
                let (sum_low, sum_high) = total.unwrap_or((0.0, 0.0));
                total = Some((sum_low + low, sum_high + high));
            }
        }
        total
    }

    fn bottleneck(&self) -> String {
        let loads = station_loads(self.data);
        let Some(top) = loads.first() else {
            return "<p>The run has no station with a utilization.</p>\n".to_owned();
        };
        let core_wait = top
            .cpu_wait_mean_ms
            .map_or(String::new(), |wait| format!(", for a core {} ms", number(wait)));
        let mut html = format!(
            "<p id=\"bottleneck-station\">The station closest to saturation is <strong>{}</strong>: \
             {} {} busy, mean queue {} requests, mean wait for a {} {} ms{}.</p>\n",
            escape(&top.station),
            escape(top.resource),
            percent(top.utilization),
            top.queue_len_mean.map_or("–".to_owned(), number),
            top.waits_for,
            top.wait_mean_ms.map_or("–".to_owned(), number),
            escape(&core_wait),
        );
        html.push_str(&station_table(&loads));
        html
    }

    fn key_metrics(&self) -> String {
        let scopes = self.data.summary_scopes();
        let request_scopes: Vec<&str> = scopes
            .iter()
            .copied()
            .filter(|s| *s == "overall" || s.starts_with("class:"))
            .collect();
        let request_metrics = metric::REQUEST_HEADLINE;
        let rows = request_scopes
            .iter()
            .map(|scope| {
                std::iter::once(text(*scope))
                    .chain(request_metrics.iter().map(|m| self.cell(scope, m)))
                    .collect()
            })
            .collect();
        let mut html = String::from("<h3>Requests</h3>\n");
        html.push_str(&table(
            "requests-table",
            &[
                "scope",
                "requests",
                "throughput (/s)",
                "error rate",
                "mean (ms)",
                "p50 (ms)",
                "p95 (ms)",
                "p99 (ms)",
                "max (ms)",
            ],
            rows,
        ));
        html.push_str(&self.station_metrics(&scopes));
        html.push_str(&self.component_metrics());
        html.push_str(&self.all_values());
        html
    }

    fn cell(&self, scope: &str, metric: &str) -> Cell {
        self.data
            .value(scope, metric)
            .map_or(text(""), |value| html::metric_num(metric, value))
    }

    fn is_station(&self, scope: &str) -> bool {
        self.data.value(scope, metric::UTILIZATION.name).is_some()
            || self.data.value(scope, metric::CPU_UTILIZATION.name).is_some()
    }

    fn station_metrics(&self, scopes: &[&str]) -> String {
        let metrics = [
            metric::INSTANCES.name,
            metric::UTILIZATION.name,
            metric::CPU_UTILIZATION.name,
            metric::QUEUE_LEN_MEAN.name,
            metric::WAIT_MEAN_MS.name,
            metric::CPU_WAIT_MEAN_MS.name,
            metric::THROUGHPUT_RPS.name,
            metric::SERVED.name,
            metric::REJECTED.name,
        ];
        let rows: Vec<Vec<Cell>> = scopes
            .iter()
            .filter(|scope| self.is_station(scope))
            .map(|scope| {
                std::iter::once(text(*scope))
                    .chain(metrics.iter().map(|m| self.cell(scope, m)))
                    .collect()
            })
            .collect();
        if rows.is_empty() {
            return String::new();
        }
        let headers = [
            "station",
            "instances",
            "utilization",
            "CPU utilization",
            "mean queue",
            "mean wait (ms)",
            "wait for a core (ms)",
            "throughput (/s)",
            "served",
            "rejected",
        ];
        format!("<h3>Stations</h3>\n{}", table("stations-table", &headers, rows))
    }

    /// Components that are not stations (DNS names, balancers, and kinds
    /// to come): every summary value they have.
    fn component_metrics(&self) -> String {
        let rows: Vec<Vec<Cell>> = self
            .data
            .summary
            .iter()
            .filter(|row| {
                row.scope != "overall"
                    && !row.scope.starts_with("class:")
                    && !row.scope.starts_with("drill:")
                    && !self.is_station(&row.scope)
            })
            .map(|row| {
                vec![
                    text(&row.scope),
                    text(&row.metric),
                    html::metric_num(&row.metric, row.value),
                ]
            })
            .collect();
        if rows.is_empty() {
            return String::new();
        }
        format!(
            "<h3>Other components</h3>\n{}",
            table("components-table", &["component", "metric", "value"], rows)
        )
    }

    fn all_values(&self) -> String {
        let replicated = self.data.summary.iter().any(|row| row.ci95.is_some());
        let mut headers = vec!["scope", "metric", "value"];
        if replicated {
            headers.push("95 % confidence interval");
        }
        let rows = self
            .data
            .summary
            .iter()
            .map(|row| {
                let shown = |value: f64| html::metric_text(&row.metric, value);
                let mut cells = vec![
                    text(&row.scope),
                    text(&row.metric),
                    html::metric_num(&row.metric, row.value),
                ];
                if replicated {
                    cells.push(text(row.ci95.map_or(String::new(), |(low, high)| {
                        format!("{} – {}", shown(low), shown(high))
                    })));
                }
                cells
            })
            .collect();
        format!(
            "<details>\n<summary>Every summary value ({} rows, as in summary.csv)</summary>\n{}</details>\n",
            self.data.summary.len(),
            table("summary-table", &headers, rows)
        )
    }

    fn charts(&self) -> String {
        if self.figures.is_empty() {
            return "<p>The run has no time series to draw.</p>\n".to_owned();
        }
        self.figures
            .iter()
            .map(|(figure, svg)| {
                html::figure(
                    &format!("chart-{}", figure.name),
                    svg,
                    &figure.caption,
                    &format!("charts/{}.png", figure.name),
                )
            })
            .collect()
    }

    fn events(&self) -> String {
        let events = &self.data.events;
        if events.is_empty() {
            return "<p>No events were recorded.</p>\n".to_owned();
        }
        let rows = events
            .iter()
            .take(MAX_EVENT_ROWS)
            .map(|event| {
                vec![
                    num(event.time_s),
                    text(&event.kind),
                    text(&event.scope),
                    text(&event.detail),
                ]
            })
            .collect();
        let mut html = String::from(
            "<p>What happened during the run (rate changes, the end of warm-up, faults, detections, \
             failovers, scaling), also marked on the charts' time axes.</p>\n",
        );
        html.push_str(&table(
            "events-table",
            &["time (s)", "kind", "scope", "detail"],
            rows,
        ));
        if events.len() > MAX_EVENT_ROWS {
            let _ = writeln!(
                html,
                "<p>{} more events are in events.csv.</p>",
                events.len() - MAX_EVENT_ROWS
            );
        }
        html
    }

    fn topology(&self) -> String {
        let Some(scenario) = self.scenario else {
            return "<p>The resolved scenario could not be read, so the topology is not shown.</p>\n"
                .to_owned();
        };
        let topology = Topology::of(scenario);
        let name_of = |id: &str| {
            topology
                .nodes
                .iter()
                .find(|node| node.id == id)
                .map_or(id.to_owned(), |node| node.name.clone())
        };
        let nodes = topology
            .nodes
            .iter()
            .map(|node| vec![text(&node.name), text(node.kind), text(&node.detail)])
            .collect();
        let edges = topology
            .edges
            .iter()
            .map(|edge| {
                vec![
                    text(name_of(&edge.from)),
                    text(name_of(&edge.to)),
                    text(&edge.label),
                ]
            })
            .collect();
        format!(
            "<div class=\"diagram\">\n{}</div>\n<details>\n<summary>The same as tables</summary>\n{}{}</details>\n\
             <p>Also as text: <code>capsim graph scenario.resolved.toml --format mermaid</code> (or <code>dot</code>).</p>\n",
            diagram::svg(&topology),
            table("topology-nodes", &["component", "kind", "description"], nodes),
            table("topology-edges", &["from", "to", "requests"], edges)
        )
    }
}

/// Stations with a bar for their busiest resource, busiest first.
fn station_table(loads: &[StationLoad]) -> String {
    let rows = loads
        .iter()
        .map(|load| {
            let width = (load.utilization.clamp(0.0, 1.0) * 120.0).round();
            let class = if load.utilization >= 0.8 { "bar hot" } else { "bar" };
            vec![
                text(&load.station),
                text(load.resource),
                raw(
                    format!(
                        "<span class=\"{class}\" style=\"width:{width}px\"></span> {}",
                        escape(&percent(load.utilization))
                    ),
                    "",
                ),
                load.queue_len_mean.map_or(text(""), num),
                text(load.waits_for),
                load.wait_mean_ms.map_or(text(""), num),
                load.cpu_wait_mean_ms.map_or(text(""), num),
            ]
        })
        .collect();
    table(
        "bottleneck-table",
        &[
            "station",
            "busiest resource",
            "utilization",
            "mean queue",
            "queue and wait for a",
            "mean wait (ms)",
            "wait for a core (ms)",
        ],
        rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::run_data::{EventRow, SummaryValue};
    use crate::results::slo;

    fn data() -> RunData {
        let summary = [
            ("overall", "requests", 1000.0),
            ("overall", "latency_p99_ms", 120.0),
            ("web", "utilization", 0.5),
            ("web", "cpu_utilization", 0.9),
            ("web", "queue_len_mean", 3.25),
            ("www", "cache_hit_ratio", 0.75),
        ];
        RunData {
            summary: summary
                .iter()
                .map(|(scope, metric, value)| SummaryValue {
                    scope: scope.to_string(),
                    metric: metric.to_string(),
                    value: *value,
                    ci95: None,
                })
                .collect(),
            series: Vec::new(),
            events: vec![EventRow {
                time_s: 300.0,
                kind: "fault".into(),
                scope: "web-1".into(),
                detail: "<killed>".into(),
            }],
            latency: Vec::new(),
        }
    }

    fn page(verdicts: &[Verdict]) -> String {
        RunPage {
            data: &data(),
            scenario: None,
            verdicts,
            figures: &[],
        }
        .html()
    }

    #[test]
    fn the_page_has_each_section_and_escapes_text() {
        let html = page(&[]);
        for id in [
            "summary",
            "slo",
            "bottleneck",
            "metrics",
            "charts",
            "events",
            "topology",
        ] {
            assert!(html.contains(&format!("<section id=\"{id}\">")), "no {id}");
        }
        assert!(html.contains("No SLOs were given."));
        assert!(
            html.contains("closest to saturation is <strong>web</strong>: CPU 90.0 % busy, mean queue 3.250")
        );
        assert!(html.contains("<td>www</td><td>cache_hit_ratio</td><td class=\"num\">75.0 %</td>"));
        assert!(html.contains("<td>&lt;killed&gt;</td>"));
        assert!(html.contains("The run has no time series to draw."));
        assert!(html.contains("the topology is not shown"));
    }

    #[test]
    fn verdicts_show_met_missed_and_missing() {
        let verdicts: Vec<Verdict> = ["p99<200ms", "p99<100ms", "db/utilization<0.5"]
            .iter()
            .map(|text| {
                let slo = slo::parse(text).unwrap();
                slo.evaluate_value(data().value(&slo.scope, &slo.metric))
            })
            .collect();
        let html = page(&verdicts);
        assert!(html.contains("1 of 3 objectives met."));
        assert!(html.contains("<td class=\"pass\">met</td>"));
        assert!(html.contains("<td class=\"fail\">missed</td>"));
        assert!(html.contains("<td class=\"fail\">no such metric</td>"));
        // Threshold and measured value in the unit of `why`.
        assert!(
            html.contains("<td>&lt; 200 ms</td><td class=\"num\">120 ms</td>"),
            "{html}"
        );
    }
}
