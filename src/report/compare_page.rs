//! The comparison's charts and `compare.html`.
//!
//! Overlay charts draw one line per variant on shared axes: p99 latency,
//! throughput, failed requests, and the utilization of each variant's
//! busiest station (which may be a different station per variant). The page
//! holds the key-metric table with differences, SLO verdicts per variant,
//! the charts inline, and links to each variant's own report.

use std::fmt::Write;

use super::bottleneck::bottleneck;
use super::chart::{Figure, LineChart, Series};
use super::compare::{Comparison, cell};
use super::html::{self, escape, raw, section, table, text};
use super::run_charts::{NamedFigure, TimeAxis};
use super::run_data::RunData;
use crate::metrics::catalog as metric;
use crate::results::slo::Slo;

/// Overlay charts, one line per variant, for metrics the runs have.
pub fn compare_charts(variants: &[String], runs: &[RunData]) -> Vec<NamedFigure> {
    let last_s = runs
        .iter()
        .flat_map(|run| run.series.iter().flat_map(|s| s.points.last()))
        .map(|point| point.0)
        .fold(0.0, f64::max);
    let axis = TimeAxis::for_span(last_s);
    let overall = |metric: &str| -> Vec<Series> {
        variants
            .iter()
            .zip(runs)
            .filter_map(|(name, run)| {
                run.series("overall", metric).map(|series| Series {
                    name: name.clone(),
                    points: axis.scale(&series.points),
                })
            })
            .collect()
    };
    let busiest: Vec<Series> = variants
        .iter()
        .zip(runs)
        .filter_map(|(name, run)| {
            let load = bottleneck(run)?;
            run.series(&load.station, &load.metric).map(|series| Series {
                name: format!("{name}: {} {}", load.station, load.resource),
                points: axis.scale(&series.points),
            })
        })
        .collect();
    let specs = [
        (
            "compare_latency_p99",
            "p99 latency by variant",
            "latency p99 (ms)",
            None,
            overall(metric::LATENCY_P99_MS.name),
            "The 99th percentile of latency per window, one line per variant.",
        ),
        (
            "compare_throughput",
            "Throughput by variant",
            "throughput (requests/s)",
            None,
            overall(metric::THROUGHPUT_RPS.name),
            "Requests completed successfully per second, one line per variant.",
        ),
        (
            "compare_errors",
            "Failed requests by variant",
            "failed requests per window (count)",
            None,
            overall(metric::ERRORS.name),
            "Requests that failed for good per window, one line per variant.",
        ),
        (
            "compare_utilization",
            "Busiest station by variant",
            "utilization (fraction busy)",
            Some(1.0),
            busiest,
            "The utilization of each variant's busiest station (its busier resource: workers or CPU).",
        ),
    ];
    specs
        .into_iter()
        .filter(|spec| !spec.4.is_empty())
        .map(
            |(name, title, y_label, y_at_least, series, caption)| NamedFigure {
                name: name.to_owned(),
                caption: caption.to_owned(),
                figure: Figure::Line(LineChart {
                    title: title.to_owned(),
                    x_label: axis.label.to_owned(),
                    y_label: y_label.to_owned(),
                    series,
                    markers: Vec::new(),
                    y_from_zero: true,
                    y_at_least,
                    x_from_zero: true,
                }),
                shows: Vec::new(),
            },
        )
        .collect()
}

/// What compare.html shows.
pub struct ComparePage<'a> {
    pub comparison: &'a Comparison,
    pub runs: &'a [RunData],
    pub slos: &'a [Slo],
    pub figures: &'a [(NamedFigure, String)],
    /// The seed every variant ran with.
    pub seed: u64,
}

impl ComparePage<'_> {
    pub fn html(&self) -> String {
        let variants = &self.comparison.variants;
        let title = format!("Comparison: {}", variants.join(" vs "));
        let mut header = format!("<h1>{}</h1>\n", escape(&title));
        let _ = writeln!(
            header,
            "<p class=\"sub\">{} variants, all with seed {} (common random numbers: the parts they share draw the \
             same numbers, so differences come from the design). Differences are against <strong>{}</strong>.</p>",
            variants.len(),
            self.seed,
            escape(&variants[0])
        );
        header.push_str(
            "<nav><a href=\"#differences\">Differences</a><a href=\"#slo\">SLOs</a>\
             <a href=\"#charts\">Charts</a><a href=\"#variants\">Variants</a></nav>\n",
        );
        let body = [
            section("differences", "Key metrics and differences", &self.differences()),
            section("slo", "SLO verdicts", &self.slo_verdicts()),
            section("charts", "Charts", &self.charts()),
            section("variants", "Variants", &self.variant_links()),
        ]
        .concat();
        let footer = format!(
            "<p>capsim {} · every metric of every variant is in compare.csv.</p>\n",
            env!("CARGO_PKG_VERSION")
        );
        html::page(&title, &header, &body, &footer)
    }

    fn differences(&self) -> String {
        let variants = &self.comparison.variants;
        let mut headers: Vec<String> = vec!["scope".into(), "metric".into(), variants[0].clone()];
        for name in &variants[1..] {
            headers.extend([name.clone(), format!("diff vs {}", variants[0]), "diff %".into()]);
        }
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        let rows = self
            .comparison
            .key_rows()
            .into_iter()
            .map(|row| {
                let mut cells = vec![
                    text(&row.scope),
                    text(&row.metric),
                    raw(escape(&cell(row, 0)), "num"),
                ];
                for index in 1..variants.len() {
                    cells.push(raw(escape(&cell(row, index)), "num"));
                    cells.push(raw(
                        escape(&html::metric_diff_text(&row.metric, row.diff(index))),
                        "num",
                    ));
                    cells.push(raw(
                        escape(
                            &row.diff_pct(index)
                                .map_or(String::new(), |pct| format!("{pct:+.1} %")),
                        ),
                        "num",
                    ));
                }
                cells
            })
            .collect();
        table("compare-table", &headers, rows)
    }

    fn slo_verdicts(&self) -> String {
        if self.slos.is_empty() {
            return "<p id=\"no-slo\">No SLOs were given. Add them with <code>--slo</code>, for example \
                    <code>--slo 'p99&lt;200ms'</code>.</p>\n"
                .to_owned();
        }
        let mut headers = vec!["objective"];
        headers.extend(self.comparison.variants.iter().map(String::as_str));
        let rows = self
            .slos
            .iter()
            .map(|slo| {
                let mut cells = vec![text(&slo.text)];
                for run in self.runs {
                    let verdict = slo.evaluate_value(run.value(&slo.scope, &slo.metric));
                    let measured = match (verdict.measured, &verdict.reason) {
                        (Some(value), None) => html::metric_text(&slo.metric, value),
                        (None, _) => "no such metric".to_owned(),
                        (Some(_), Some(reason)) => reason.clone(),
                    };
                    let (label, class) = if verdict.met {
                        ("met", "pass")
                    } else {
                        ("missed", "fail")
                    };
                    cells.push(raw(escape(&format!("{label} ({measured})")), class));
                }
                cells
            })
            .collect();
        table("slo-table", &headers, rows)
    }

    fn charts(&self) -> String {
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

    fn variant_links(&self) -> String {
        let rows = self
            .comparison
            .variants
            .iter()
            .map(|name| {
                let href = escape(&format!("{name}/report.html"));
                vec![
                    text(name),
                    raw(format!("<a href=\"{href}\">{href}</a>"), ""),
                    text(format!("{name}/scenario.resolved.toml")),
                ]
            })
            .collect();
        table(
            "variants-table",
            &["variant", "report", "scenario as simulated"],
            rows,
        )
    }
}

/// The files a comparison writes into its folder.
pub const COMPARE_CSV: &str = "compare.csv";
pub const COMPARE_HTML: &str = "compare.html";

/// Writes `compare.csv`, the overlay charts (`charts/compare_*.svg|png`) and
/// `compare.html` into `out`, the page last; returns the comparison.
pub fn write_comparison(
    out: &super::out_dir::OutDir,
    variants: Vec<String>,
    runs: &[RunData],
    slos: &[Slo],
    seed: u64,
) -> Result<Comparison, super::render::RenderError> {
    use super::render::{RenderError, write_figures};
    let failed = |path: std::path::PathBuf| move |source| RenderError::Write { path, source };
    out.clear(&[COMPARE_HTML], |_| false)
        .map_err(failed(out.join(COMPARE_HTML)))?;
    let comparison = Comparison::of(variants, runs);
    out.write_atomic(COMPARE_CSV, &comparison.csv())
        .map_err(failed(out.join(COMPARE_CSV)))?;
    let figures = write_figures(out, compare_charts(&comparison.variants, runs))?;
    let page = ComparePage {
        comparison: &comparison,
        runs,
        slos,
        figures: &figures,
        seed,
    };
    out.write_atomic(COMPARE_HTML, page.html().as_bytes())
        .map_err(failed(out.join(COMPARE_HTML)))?;
    Ok(comparison)
}
