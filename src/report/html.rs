//! Building blocks of the HTML reports: escaping, number formatting, tables
//! and the page shell with its inline style sheet.
//!
//! Pages are one self-contained file: CSS and SVG inline, no script, no
//! font, image or style fetched from anywhere, so a report opens the same
//! offline, from an archive, or attached to a ticket. Everything is built as
//! plain strings in a fixed order, so the same inputs give the same bytes.

use std::fmt::Write;

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// A number with four significant digits, integers in full: `123456`,
/// `599.1`, `0.2241`, `0.0001234`; blank for NaN.
pub fn number(value: f64) -> String {
    if value.is_nan() {
        return String::new();
    }
    if value.is_infinite() {
        return if value > 0.0 { "∞" } else { "−∞" }.to_owned();
    }
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{value:.0}");
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (3 - magnitude).clamp(0, 12) as usize;
    format!("{value:.decimals$}")
}

/// A signed difference, `+1.5` or `-0.2`, blank when unknown.
pub fn signed(value: Option<f64>) -> String {
    match value {
        Some(v) if !v.is_nan() => {
            let text = number(v);
            if v > 0.0 { format!("+{text}") } else { text }
        }
        _ => String::new(),
    }
}

/// A fraction as a percentage with one decimal: `22.4 %`.
pub fn percent(fraction: f64) -> String {
    if fraction.is_nan() {
        String::new()
    } else {
        format!("{:.1} %", 100.0 * fraction)
    }
}

/// Whether `metric` is an error rate: a fraction in CSV files, a
/// percentage wherever people read it (terminal, report cards and tables).
pub fn is_error_rate(metric: &str) -> bool {
    metric == crate::metrics::catalog::ERROR_RATE.name
        || metric == crate::metrics::catalog::BASELINE_ERROR_RATE.name
}

/// A fraction as a percentage with three decimals: `22.228 %`; blank for NaN.
pub fn error_percent(fraction: f64) -> String {
    if fraction.is_nan() {
        String::new()
    } else {
        format!("{:.3} %", 100.0 * fraction)
    }
}

/// Whether `metric` is a fraction in the catalogue other than an error
/// rate (a utilization, a hit ratio): a fraction in CSV files, a
/// percentage with one decimal wherever people read it.
pub fn is_share(metric: &str) -> bool {
    !is_error_rate(metric)
        && crate::metrics::catalog::lookup(metric)
            .is_some_and(|known| known.unit == crate::metrics::catalog::Unit::Fraction)
}

/// A metric's value as people read it: an error rate as a percentage
/// with three decimals, another fraction (utilization, hit ratio) with
/// one, anything else with four significant digits.
pub fn metric_text(metric: &str, value: f64) -> String {
    if is_error_rate(metric) {
        error_percent(value)
    } else if is_share(metric) {
        percent(value)
    } else {
        number(value)
    }
}

/// A mean shown as `shown` (`467.0`, `22.223 %`) with the half-width of
/// its 95 % interval, `(high − low) / 2` times `scale`, given to as many
/// decimals as the mean and before its unit: `467.0 ± 3.8`,
/// `22.223 ± 0.327 %`. Without a finite interval, `shown` alone.
pub fn plus_minus(shown: &str, interval: Option<(f64, f64)>, scale: f64) -> String {
    let Some((low, high)) = interval.filter(|(low, high)| low.is_finite() && high.is_finite()) else {
        return shown.to_owned();
    };
    let (value, unit) = match shown.split_once(' ') {
        Some((value, unit)) => (value, format!(" {unit}")),
        None => (shown, String::new()),
    };
    let decimals = value.split_once('.').map_or(0, |(_, fraction)| fraction.len());
    format!("{value} ± {:.decimals$}{unit}", scale * (high - low) / 2.0)
}

/// A metric's mean as people read it (`metric_text`) with its 95 %
/// interval's half-width (`plus_minus`), in the same unit.
pub fn metric_interval_text(metric: &str, mean: f64, interval: Option<(f64, f64)>) -> String {
    let scale = if is_error_rate(metric) || is_share(metric) {
        100.0
    } else {
        1.0
    };
    plus_minus(&metric_text(metric, mean), interval, scale)
}

/// A difference of a metric's values, signed: an error rate's in
/// percentage points (`+1.250 pp`), anything else by `signed`.
pub fn metric_diff_text(metric: &str, diff: Option<f64>) -> String {
    match diff {
        Some(d) if is_error_rate(metric) && !d.is_nan() => format!("{:+.3} pp", 100.0 * d),
        Some(d) if is_share(metric) && !d.is_nan() => format!("{:+.1} pp", 100.0 * d),
        other => signed(other),
    }
}

/// A metric's value as a right-aligned table cell (`metric_text`).
pub fn metric_num(metric: &str, value: f64) -> Cell {
    Cell {
        text: escape(&metric_text(metric, value)),
        class: "num",
    }
}

/// A table cell: escaped text and an optional class (`num`, `pass`, `fail`).
pub struct Cell {
    pub text: String,
    pub class: &'static str,
}

pub fn text(text: impl Into<String>) -> Cell {
    Cell {
        text: escape(&text.into()),
        class: "",
    }
}

pub fn num(value: f64) -> Cell {
    Cell {
        text: escape(&number(value)),
        class: "num",
    }
}

/// A cell of ready-made HTML (already escaped).
pub fn raw(html: String, class: &'static str) -> Cell {
    Cell { text: html, class }
}

/// A table with a header row; `id` lets tests and links find it.
pub fn table(id: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> String {
    let mut html = format!("<table id=\"{}\">\n<thead><tr>", escape(id));
    for header in headers {
        let _ = write!(html, "<th>{}</th>", escape(header));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        html.push_str("<tr>");
        for cell in row {
            if cell.class.is_empty() {
                let _ = write!(html, "<td>{}</td>", cell.text);
            } else {
                let _ = write!(html, "<td class=\"{}\">{}</td>", cell.class, cell.text);
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// A section with an anchor and a heading.
pub fn section(id: &str, heading: &str, body: &str) -> String {
    format!(
        "<section id=\"{}\">\n<h2>{}</h2>\n{body}</section>\n",
        escape(id),
        escape(heading)
    )
}

/// A chart: the inline SVG, its caption and a link to the PNG beside it.
pub fn figure(id: &str, svg: &str, caption: &str, png_href: &str) -> String {
    // The XML prolog, if a backend writes one, is not allowed inside HTML.
    let svg = svg.trim_start_matches(|c| c != '<');
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest
            .split_once("?>")
            .map_or(rest, |(_, after)| after)
            .trim_start(),
        None => svg,
    };
    format!(
        "<figure id=\"{}\">\n{svg}\n<figcaption>{} <a href=\"{}\">PNG</a></figcaption>\n</figure>\n",
        escape(id),
        escape(caption),
        escape(png_href)
    )
}

/// The page's content security policy: nothing may be fetched or run;
/// only the inline style sheet and `data:` images are allowed. A browser
/// blocks (and reports on its console) anything else, so a report that
/// would reach the network fails loudly instead of quietly.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

const STYLE: &str = "
:root { color-scheme: light; --ink: #1d1d1f; --muted: #5f6368; --line: #d9dce1; --pass: #00735a; --fail: #b34700; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', 'Noto Sans', sans-serif; color: var(--ink); background: #f6f7f9; }
header, main, footer { max-width: 1080px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 16px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 0 0 8px; }
.sub { color: var(--muted); margin: 0; }
nav { margin: 12px 0 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
nav a { color: #0060a0; text-decoration: none; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 20px; margin: 12px 0; overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 12px 4px 0; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; color: var(--muted); }
td.num { text-align: right; }
td.pass { color: var(--pass); font-weight: 600; }
td.fail, p.fail { color: var(--fail); font-weight: 600; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 4px 8px; }
.card .value { font-size: 20px; font-weight: 600; }
.card .label { color: var(--muted); font-size: 12px; line-height: 1.3; }
#summary p, #slo p { margin: 6px 0; }
#slo-table, #drills-table { font-size: 14px; line-height: 1.35; }
.bar { display: inline-block; height: 10px; background: #0072b2; vertical-align: middle; }
.bar.hot { background: #d55e00; }
figure { margin: 0 0 24px; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 13px; }
details summary { cursor: pointer; color: #0060a0; }
.diagram svg { display: block; margin: 4px 0 8px; max-width: 100%; height: auto; }
footer { color: var(--muted); font-size: 13px; padding-bottom: 24px; }
";

/// A whole page: doctype, inline style, header, body sections and footer.
pub fn page(title: &str, header: &str, body: &str, footer: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n{header}</header>\n\
         <main>\n{body}</main>\n<footer>\n{footer}</footer>\n</body>\n</html>\n",
        escape(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn numbers_keep_four_significant_digits() {
        assert_eq!(number(323511.0), "323511");
        assert_eq!(number(599.0722), "599.1");
        assert_eq!(number(0.224118), "0.2241");
        assert_eq!(number(0.000123456), "0.0001235");
        assert_eq!(number(-12.345), "-12.35");
        assert_eq!(number(f64::NAN), "");
        assert_eq!(signed(Some(1.5)), "+1.500");
        assert_eq!(signed(Some(-2.0)), "-2");
        assert_eq!(signed(None), "");
        assert_eq!(percent(0.2241), "22.4 %");
        assert_eq!(plus_minus("467.0", Some((463.2, 470.8)), 1.0), "467.0 ± 3.8");
        assert_eq!(
            metric_interval_text("error_rate", 0.22223, Some((0.21895, 0.22551))),
            "22.223 ± 0.328 %"
        );
        assert_eq!(plus_minus("61", Some((61.0, 61.0)), 1.0), "61 ± 0");
        assert_eq!(plus_minus("61", Some((f64::NAN, f64::NAN)), 1.0), "61");
        assert_eq!(plus_minus("61", None, 1.0), "61");
    }

    #[test]
    fn tables_and_figures() {
        let html = table("t", &["a", "b"], vec![vec![text("<x>"), num(2.0)]]);
        assert!(html.contains("<table id=\"t\">"));
        assert!(html.contains("<td>&lt;x&gt;</td><td class=\"num\">2</td>"));
        let figure = figure("f", "<?xml version=\"1.0\"?>\n<svg></svg>", "cap", "charts/f.png");
        assert!(figure.contains("<figure id=\"f\">\n<svg></svg>"));
        assert!(!figure.contains("<?xml"));
    }
}
