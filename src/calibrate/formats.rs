//! Log line formats: parsing one line of nginx, Apache, AWS ALB or CSV into
//! an `Entry`, and telling which format a file is in.
//!
//! - nginx: `log_format timed '$remote_addr - $remote_user [$time_local]
//!   "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
//!   $request_time $upstream_response_time';`. `$time_local` is when the
//!   response was sent, so the arrival is it minus `$request_time`; with
//!   several upstreams (`0.010, 0.004`, or `:` after an internal redirect)
//!   the last one answered and its time is taken; `-` means none.
//! - Apache: `LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\"
//!   \"%{User-Agent}i\" %D"` (combined plus `%D`, the time taken in
//!   microseconds) or the same without referer and user agent (common plus
//!   `%D`). `%t` is when the request arrived; Apache logs no upstream time.
//! - AWS ALB access logs: the documented space-separated fields; `time` is
//!   when the response was generated, `request_processing_time +
//!   target_processing_time + response_processing_time` the latency and
//!   `target_processing_time` the server's (a `-1`, when the target did not
//!   answer, leaves them unknown).
//! - CSV: `timestamp,endpoint,status,latency_ms[,upstream_ms]`, an optional
//!   header line; `timestamp` in Unix seconds or RFC 3339, the request's
//!   arrival; `endpoint` either `METHOD /path` or a name; no quoting.

use regex::Regex;
use std::sync::LazyLock;

use super::time::{parse_common_log, parse_rfc3339};

/// One request read from a log.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// When the request arrived, in Unix seconds.
    pub arrival_s: f64,
    /// The HTTP method, when the log has one.
    pub method: Option<String>,
    /// The path as logged (query and all), or the endpoint's name.
    pub target: String,
    pub status: u16,
    /// As the client (or the proxy that logged it) saw it, when known.
    pub latency_ms: Option<f64>,
    /// The server's own time, when logged.
    pub upstream_ms: Option<f64>,
}

/// A log format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Nginx,
    Apache,
    Alb,
    Csv,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Csv, Format::Nginx, Format::Apache, Format::Alb];

    pub fn name(self) -> &'static str {
        match self {
            Format::Nginx => "nginx",
            Format::Apache => "apache",
            Format::Alb => "alb",
            Format::Csv => "csv",
        }
    }
}

/// What a line is, once read.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    Entry(Entry),
    /// A CSV header, or an empty line: nothing to count.
    Skip,
}

/// Reads one line in `format`; `Err` says why it is not one.
pub fn parse(format: Format, line: &str) -> Result<Line, String> {
    if line.trim().is_empty() {
        return Ok(Line::Skip);
    }
    match format {
        Format::Nginx => nginx(line).map(Line::Entry),
        Format::Apache => apache(line).map(Line::Entry),
        Format::Alb => alb(line).map(Line::Entry),
        Format::Csv => csv(line),
    }
}

/// The format most of `sample` (a file's first lines) parses in; the
/// first of `Format::ALL` on a tie, `None` when no line parses in any.
pub fn detect<'a>(sample: impl Iterator<Item = &'a str> + Clone) -> Option<Format> {
    let mut best = None;
    let mut best_count = 0;
    for format in Format::ALL {
        let count = sample
            .clone()
            .filter(|line| !line.trim().is_empty())
            .filter(|line| matches!(parse(format, line), Ok(Line::Entry(_))))
            .count();
        if count > best_count {
            best = Some(format);
            best_count = count;
        }
    }
    best
}

const QUOTED: &str = r#""((?:[^"\\]|\\.)*)""#;

static NGINX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"^(\S+) - (\S+) \[([^\]]+)\] {QUOTED} (\d{{3}}) (\d+|-) {QUOTED} {QUOTED} (\d+(?:\.\d+)?) (.+)$"#
    ))
    .expect("valid regex")
});

static APACHE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"^(\S+) (\S+) (\S+) \[([^\]]+)\] {QUOTED} (\d{{3}}) (\d+|-)(?: {QUOTED} {QUOTED})? (\d+)$"#
    ))
    .expect("valid regex")
});

/// `GET /path HTTP/1.1` as (method, target).
fn request_line(request: &str) -> Result<(String, String), String> {
    let mut parts = request.split(' ');
    match (parts.next(), parts.next()) {
        (Some(method), Some(target))
            if !method.is_empty() && method.bytes().all(|b| b.is_ascii_uppercase()) && !target.is_empty() =>
        {
            Ok((method.to_owned(), target.to_owned()))
        }
        _ => Err(format!(
            "request `{}` is not `METHOD TARGET PROTOCOL`",
            snippet(request)
        )),
    }
}

fn seconds(text: &str, what: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        _ => Err(format!("{what} `{}` is not a number of seconds", snippet(text))),
    }
}

fn status(text: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(code) if (100..=599).contains(&code) => Ok(code),
        _ => Err(format!("status `{}` is not an HTTP status", snippet(text))),
    }
}

fn nginx(line: &str) -> Result<Entry, String> {
    let captures = NGINX
        .captures(line)
        .ok_or("not the nginx `timed` format (see `capsim calibrate --help`)")?;
    let end = parse_common_log(&captures[3]).ok_or_else(|| {
        format!(
            "time `{}` is not `dd/Mon/yyyy:hh:mm:ss +zzzz`",
            snippet(&captures[3])
        )
    })?;
    let (method, target) = request_line(&captures[4])?;
    let request_time = seconds(&captures[9], "$request_time")?;
    // The last upstream answered: `a, b` is a retry, `a : b` a redirect.
    let upstream_text = captures[10].rsplit([',', ':']).next().unwrap_or("").trim();
    let upstream_ms = match upstream_text {
        "-" => None,
        text => Some(seconds(text, "$upstream_response_time")? * 1e3),
    };
    Ok(Entry {
        arrival_s: end - request_time,
        method: Some(method),
        target,
        status: status(&captures[5])?,
        latency_ms: Some(request_time * 1e3),
        upstream_ms,
    })
}

fn apache(line: &str) -> Result<Entry, String> {
    let captures = APACHE
        .captures(line)
        .ok_or("not Apache's common or combined format followed by `%D`")?;
    let arrival_s = parse_common_log(&captures[4]).ok_or_else(|| {
        format!(
            "time `{}` is not `dd/Mon/yyyy:hh:mm:ss +zzzz`",
            snippet(&captures[4])
        )
    })?;
    let (method, target) = request_line(&captures[5])?;
    let micros: f64 = captures[10]
        .parse()
        .map_err(|_| "`%D` is not a number".to_owned())?;
    Ok(Entry {
        arrival_s,
        method: Some(method),
        target,
        status: status(&captures[6])?,
        latency_ms: Some(micros / 1e3),
        upstream_ms: None,
    })
}

/// Space-separated fields, a double-quoted one taken whole.
fn fields(line: &str) -> Result<Vec<&str>, String> {
    let mut fields = Vec::new();
    let mut rest = line.trim_end();
    while !rest.is_empty() {
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').ok_or("an unclosed quote")?;
            fields.push(&quoted[..end]);
            rest = quoted[end + 1..].trim_start_matches(' ');
        } else {
            let end = rest.find(' ').unwrap_or(rest.len());
            fields.push(&rest[..end]);
            rest = rest[end..].trim_start_matches(' ');
        }
    }
    Ok(fields)
}

fn alb(line: &str) -> Result<Entry, String> {
    let fields = fields(line)?;
    if fields.len() < 13 || !["http", "https", "h2", "grpcs", "ws", "wss"].contains(&fields[0]) {
        return Err("not an ALB access log entry (`type time elb client:port …`)".to_owned());
    }
    let time =
        parse_rfc3339(fields[1]).ok_or_else(|| format!("time `{}` is not RFC 3339", snippet(fields[1])))?;
    let timing = |index: usize, what: &str| -> Result<Option<f64>, String> {
        match fields[index] {
            "-1" => Ok(None),
            text => seconds(text, what).map(Some),
        }
    };
    let request = timing(5, "request_processing_time")?;
    let target = timing(6, "target_processing_time")?;
    let response = timing(7, "response_processing_time")?;
    let latency_s = match (request, target, response) {
        (Some(a), Some(b), Some(c)) => Some(a + b + c),
        _ => None,
    };
    let (method, url) = request_line(fields[12])?;
    // ALB logs the whole URL: keep the path.
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |at| &rest[at..]).to_owned(),
        None => url,
    };
    Ok(Entry {
        arrival_s: time - latency_s.unwrap_or(0.0),
        method: Some(method),
        target: path,
        status: status(fields[8])?,
        latency_ms: latency_s.map(|s| s * 1e3),
        upstream_ms: target.map(|s| s * 1e3),
    })
}

fn csv(line: &str) -> Result<Line, String> {
    let cells: Vec<&str> = line.trim_end_matches('\r').split(',').map(str::trim).collect();
    if !(4..=5).contains(&cells.len()) {
        return Err(format!(
            "{} fields where `timestamp,endpoint,status,latency_ms[,upstream_ms]` has 4 or 5",
            cells.len()
        ));
    }
    if cells[0].eq_ignore_ascii_case("timestamp") {
        return Ok(Line::Skip);
    }
    let arrival_s = match cells[0].parse::<f64>() {
        Ok(value) if value.is_finite() => value,
        _ => parse_rfc3339(cells[0]).ok_or_else(|| {
            format!(
                "timestamp `{}` is neither Unix seconds nor RFC 3339",
                snippet(cells[0])
            )
        })?,
    };
    if cells[1].is_empty() {
        return Err("empty endpoint".to_owned());
    }
    let (method, target) = match cells[1].split_once(' ') {
        Some((method, path)) if path.starts_with('/') => (Some(method.to_owned()), path.to_owned()),
        _ => (None, cells[1].to_owned()),
    };
    let milliseconds = |text: &str, what: &str| match text.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 => Ok(value),
        _ => Err(format!(
            "{what} `{}` is not a number of milliseconds",
            snippet(text)
        )),
    };
    let upstream_ms = match cells.get(4) {
        None | Some(&"") | Some(&"-") => None,
        Some(text) => Some(milliseconds(text, "upstream_ms")?),
    };
    Ok(Line::Entry(Entry {
        arrival_s,
        method,
        target,
        status: status(cells[2])?,
        latency_ms: Some(milliseconds(cells[3], "latency_ms")?),
        upstream_ms,
    }))
}

/// At most 40 characters of a logged value, printable.
fn snippet(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(40)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(format: Format, line: &str) -> Entry {
        match parse(format, line) {
            Ok(Line::Entry(entry)) => entry,
            other => panic!("{line}: {other:?}"),
        }
    }

    const NGINX_LINE: &str = r#"10.0.0.7 - alice [01/Jan/2026:00:00:10 +0000] "GET /users/42?x=1 HTTP/1.1" 200 512 "-" "curl/8.5 \"q\"" 0.250 0.010, 0.200"#;
    const APACHE_LINE: &str = r#"10.0.0.7 - - [01/Jan/2026:00:00:10 +0000] "POST /orders HTTP/1.1" 503 - "https://x/" "Mozilla/5.0" 12500"#;
    const ALB_LINE: &str = r#"https 2026-01-01T00:00:10.500000Z app/my-lb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.001 0.048 0.001 200 200 34 366 "GET https://www.example.com:443/items/7f3a9c2e11?page=2 HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2026-01-01T00:00:10.450000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-""#;

    #[test]
    fn nginx_timed() {
        let entry = entry(Format::Nginx, NGINX_LINE);
        assert_eq!(entry.method.as_deref(), Some("GET"));
        assert_eq!(entry.target, "/users/42?x=1");
        assert_eq!(entry.status, 200);
        assert!((entry.latency_ms.unwrap() - 250.0).abs() < 1e-9);
        assert!((entry.upstream_ms.unwrap() - 200.0).abs() < 1e-9);
        assert!((entry.arrival_s - (1_767_225_610.0 - 0.25)).abs() < 1e-6);
    }

    #[test]
    fn apache_with_microseconds() {
        let entry = entry(Format::Apache, APACHE_LINE);
        assert_eq!(
            (entry.method.as_deref(), entry.target.as_str(), entry.status),
            (Some("POST"), "/orders", 503)
        );
        assert_eq!(entry.latency_ms, Some(12.5));
        assert_eq!(entry.upstream_ms, None);
        let common = entry_common();
        assert_eq!(common.latency_ms, Some(0.8));
    }

    fn entry_common() -> Entry {
        entry(
            Format::Apache,
            r#"::1 - bob [01/Jan/2026:00:00:10 +0000] "GET / HTTP/1.0" 200 10 800"#,
        )
    }

    #[test]
    fn alb_access_log() {
        let entry = entry(Format::Alb, ALB_LINE);
        assert_eq!(entry.target, "/items/7f3a9c2e11?page=2");
        assert!((entry.latency_ms.unwrap() - 50.0).abs() < 1e-9);
        assert!((entry.upstream_ms.unwrap() - 48.0).abs() < 1e-9);
        assert!((entry.arrival_s - (1_767_225_610.5 - 0.05)).abs() < 1e-6);
    }

    #[test]
    fn csv_rows() {
        assert_eq!(
            parse(Format::Csv, "timestamp,endpoint,status,latency_ms,upstream_ms"),
            Ok(Line::Skip)
        );
        let entry = entry(Format::Csv, "2026-01-01T00:00:00Z,GET /a/1,500,3.5,");
        assert_eq!(
            (entry.method.as_deref(), entry.status, entry.upstream_ms),
            (Some("GET"), 500, None)
        );
        let entry = super::tests::entry(Format::Csv, "1767225600.25,view,200,3.5,1.25");
        assert_eq!(
            (entry.method, entry.target.as_str(), entry.upstream_ms),
            (None, "view", Some(1.25))
        );
        assert!(parse(Format::Csv, "1,view,200").is_err());
        assert!(parse(Format::Csv, "1,view,200,-3").is_err());
    }

    #[test]
    fn detects_each_format() {
        for (line, format) in [
            (NGINX_LINE, Format::Nginx),
            (APACHE_LINE, Format::Apache),
            (ALB_LINE, Format::Alb),
            ("1,view,200,3.5", Format::Csv),
        ] {
            assert_eq!(detect([line].into_iter()), Some(format), "{line}");
            for other in Format::ALL.into_iter().filter(|&f| f != format) {
                assert!(
                    !matches!(parse(other, line), Ok(Line::Entry(_))),
                    "{line} as {other:?}"
                );
            }
        }
        assert_eq!(detect(["garbage"].into_iter()), None);
    }
}
