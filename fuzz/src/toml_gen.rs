//! Syntactically valid TOML scenarios built from fuzzer bytes.
//!
//! Raw byte mutation mostly produces text the TOML parser rejects on the
//! first line, so the loader's semantic checks (units, ranges, references,
//! call loops, step nesting) see little of it. This generator reads the
//! fuzzer's bytes as a sequence of choices: which sections, which keys
//! (nearly always real ones, sometimes junk), and which values (of the type
//! the key expects, or of any type, with extreme numbers and odd units). The
//! output always parses as TOML; whether it is a valid scenario is up to the
//! loader.

use std::fmt::Write;

/// Reads choices from the fuzzer's bytes; past the end every choice is 0.
pub struct Choices<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Out of 256, how often a value is a sane one (set per document).
    sanity: u8,
}

impl<'a> Choices<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Choices {
            bytes,
            at: 0,
            sanity: 200,
        }
    }

    fn byte(&mut self) -> u8 {
        let byte = self.bytes.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        byte
    }

    fn below(&mut self, n: usize) -> usize {
        self.byte() as usize % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn chance(&mut self, in_256: u8) -> bool {
        self.byte() < in_256
    }

    fn exhausted(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

const COMPONENTS: &[&str] = &[
    "web", "api", "db", "lb", "www", "m5.large", "x", "web.v2", "bad name",
];
const ENDPOINTS: &[&str] = &["view", "home", "work", "q", ""];
const DIST_KINDS: &[&str] = &[
    "const",
    "exp",
    "uniform",
    "normal",
    "lognormal",
    "gamma",
    "pareto",
    "empirical",
    "weibull",
];
const UNITS: &[&str] = &["ns", "us", "ms", "s", "m", "min", "h", "d", "", "x", " s", "µs"];
const RATE_UNITS: &[&str] = &["/s", "/min", "/h", "/day", "k/s", "M/s", "", "/ms", "/ns"];
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "2.5",
    "-1",
    "1e18",
    "1e300",
    "1e-9",
    "0.000000001",
    "18446744073709551615",
    "18446744073709551616",
    "NaN",
    "inf",
    "-0",
    "1_000",
    "0x10",
    "5",
    "100",
    "3",
];
const INTEGERS: &[&str] = &[
    "0",
    "1",
    "2",
    "8",
    "-1",
    "64",
    "1000000",
    "100000000",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "0x7fffffff",
];
const FLOATS: &[&str] = &[
    "0.0", "-0.0", "0.2", "0.5", "1.0", "1.5", "2.0", "100.0", "1e308", "nan", "inf", "-inf", "5e-324",
];

/// The kind of value a key expects.
#[derive(Clone, Copy)]
enum Kind {
    Duration,
    Dist,
    Rate,
    Integer,
    Float,
    Text(&'static [&'static str]),
    Target,
    Name,
    Mix,
    Profile,
    Steps,
    Samples,
    Table(&'static [&'static str]),
}

fn kind_of(key: &str) -> Kind {
    match key {
        "duration" | "warmup" | "window" | "ttl" | "timeout" | "at" | "over" | "for" | "backoff"
        | "max_backoff" | "period" | "peak_at" | "value" | "mean" | "min" | "max" | "sd" | "p99" => {
            Kind::Duration
        }
        "resolve" | "latency" | "service" | "default" | "client" | "think" | "compute" | "delay" | "read"
        | "write" => Kind::Dist,
        "rate" => Kind::Rate,
        "seed" | "users" | "instances" | "workers" | "queue_capacity" | "connections" | "cores"
        | "retries" | "max_in_flight" | "max_events" | "daily_users" | "requests_per_user" => Kind::Integer,
        "weight" | "multiplier" | "probability" | "cv" | "alpha" | "speed" | "price_per_hour" | "trough"
        | "peak_factor" => Kind::Float,
        "kind" => Kind::Text(&["open", "closed", "poisson"]),
        "policy" => Kind::Text(&[
            "round_robin",
            "least_connections",
            "random",
            "power_of_two",
            "sticky",
        ]),
        "concurrency" => Kind::Text(&["thread_per_request", "async", "threads"]),
        "jitter" => Kind::Text(&["none", "full", "equal", "half"]),
        "dist" => Kind::Text(DIST_KINDS),
        "unit" => Kind::Text(&["ns", "us", "ms", "s", "h"]),
        "column" => Kind::Text(&["ms", "latency", ""]),
        "file" => Kind::Text(&["lat.csv", "/dev/null", "../scenarios", "", "/proc/self/status"]),
        "size" => Kind::Text(&["m5.large", "c5.xlarge", "m5.16xlarge", "tiny"]),
        "call" => Kind::Target,
        "target" | "pool" | "class" | "name" | "description" => Kind::Name,
        "mix" => Kind::Mix,
        "profile" => Kind::Profile,
        "steps" | "parallel" => Kind::Steps,
        "samples" => Kind::Samples,
        "arrivals" => Kind::Table(&[
            "kind",
            "rate",
            "users",
            "think",
            "daily_users",
            "requests_per_user",
            "peak_factor",
        ]),
        "retry" => Kind::Table(&[
            "retries",
            "backoff",
            "multiplier",
            "max_backoff",
            "jitter",
            "attempts",
        ]),
        "diurnal" => Kind::Table(&["trough", "period", "peak_at"]),
        _ => Kind::Name,
    }
}

const SECTIONS: &[(&str, &[&str])] = &[
    (
        "scenario",
        &["name", "description", "seed", "duration", "warmup", "window"],
    ),
    ("limits", &["max_in_flight", "max_events"]),
    (
        "workload",
        &["arrivals", "profile", "diurnal", "timeout", "retry", "mix"],
    ),
    ("network", &["default", "client"]),
    ("size.", &["cores", "speed", "price_per_hour"]),
    ("dns.", &["target", "ttl", "resolve"]),
    ("balancer.", &["pool", "policy", "latency"]),
    (
        "pool.",
        &["instances", "size", "workers", "queue_capacity", "concurrency"],
    ),
    ("pool.*.endpoint.", &["service", "steps"]),
    ("database.", &["connections", "queue_capacity", "read", "write"]),
];

const ALL_KEYS: &[&str] = &[
    "name",
    "seed",
    "duration",
    "warmup",
    "window",
    "arrivals",
    "mix",
    "timeout",
    "retry",
    "target",
    "ttl",
    "pool",
    "policy",
    "instances",
    "workers",
    "service",
    "steps",
    "connections",
    "read",
    "write",
    "dist",
    "mean",
    "cv",
    "p99",
    "rate",
    "users",
    "think",
    "call",
    "probability",
    "parallel",
    "compute",
    "delay",
    "samples",
    "unit",
    "file",
    "class",
    "weight",
    "at",
    "over",
    "for",
    "size",
    "cores",
    "speed",
];

/// The sections every scenario needs, each with its required keys and a
/// sane value for each: most documents start from this skeleton, so a good
/// share of them load and the fuzzer reaches the model, not just the parser.
const SKELETON: &[(&str, &[(&str, &str)])] = &[
    ("scenario", &[("duration", "\"2s\"")]),
    (
        "workload",
        &[
            ("arrivals", "{ kind = \"open\", rate = \"50/s\" }"),
            ("mix", "[{ class = \"a\", call = \"web/view\" }]"),
        ],
    ),
    ("pool.web", &[("workers", "2")]),
    (
        "pool.web.endpoint.view",
        &[("service", "{ dist = \"exp\", mean = \"1ms\" }")],
    ),
];

/// A whole scenario document.
pub fn document(choices: &mut Choices) -> String {
    let mut out = String::new();
    let mut headers: Vec<String> = Vec::new();
    // Some documents are nearly all sane values (they load, and reach the
    // model), others are rough.
    choices.sanity = choices.pick(&[160, 224, 250, 255]);
    if choices.chance(192) {
        for (header, required) in SKELETON {
            writeln!(out, "[{header}]").unwrap();
            headers.push((*header).to_owned());
            let keys = keys_of(header);
            let mut names: Vec<&str> = Vec::new();
            for (name, sane) in *required {
                let value = if choices.chance(224) {
                    (*sane).to_owned()
                } else {
                    value_for(choices, name, 0)
                };
                writeln!(out, "{name} = {value}").unwrap();
                names.push(name);
            }
            let extra = choices.below(keys.len() + 1);
            section_keys(choices, &mut out, keys, &mut names, extra);
        }
    }
    let sections = choices.below(12);
    for _ in 0..sections {
        if choices.exhausted() && !out.is_empty() {
            break;
        }
        let (header, keys) = choices.pick(SECTIONS);
        let header = match header {
            "pool.*.endpoint." => format!(
                "pool.{}.endpoint.{}",
                key(choices.pick(COMPONENTS)),
                key(choices.pick(ENDPOINTS))
            ),
            prefix if prefix.ends_with('.') && choices.chance(choices.sanity) => {
                format!("{prefix}{}", choices.pick(&["web", "api", "db", "lb", "www"]))
            }
            prefix if prefix.ends_with('.') => format!("{prefix}{}", key(choices.pick(COMPONENTS))),
            plain => plain.to_owned(),
        };
        // TOML forbids defining a table or a key twice.
        if headers.contains(&header) {
            continue;
        }
        writeln!(out, "[{header}]").unwrap();
        headers.push(header);
        // Usually every key of the section, in order; sometimes a few.
        let count = if choices.chance(choices.sanity) {
            keys.len()
        } else {
            choices.below(keys.len() + 2)
        };
        section_keys(choices, &mut out, keys, &mut Vec::new(), count);
    }
    out
}

/// The keys of the section named by `header`.
fn keys_of(header: &str) -> &'static [&'static str] {
    let section = if header.contains(".endpoint.") {
        "pool.*.endpoint."
    } else {
        match header.split_once('.') {
            Some((kind, _)) => &header[..kind.len() + 1],
            None => header,
        }
    };
    SECTIONS
        .iter()
        .find(|(name, _)| *name == section)
        .map_or(&[][..], |(_, keys)| *keys)
}

/// Writes `count` more keys of a section (mostly its own, never one twice).
fn section_keys(
    choices: &mut Choices,
    out: &mut String,
    keys: &[&'static str],
    names: &mut Vec<&'static str>,
    count: usize,
) {
    for index in 0..count {
        let name = if (choices.chance(choices.sanity) || choices.chance(200)) && !keys.is_empty() {
            keys[(index + usize::from(choices.chance(16))) % keys.len()]
        } else {
            choices.pick(ALL_KEYS)
        };
        if names.contains(&name) {
            continue;
        }
        names.push(name);
        writeln!(out, "{} = {}", key(name), value_for(choices, name, 0)).unwrap();
    }
}

/// A key, quoted when it is not a bare key.
fn key(name: &str) -> String {
    if !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        name.to_owned()
    } else {
        quoted(name)
    }
}

fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => write!(out, "\\u{:04X}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value for `name`: usually of the kind it expects, sometimes anything.
fn value_for(choices: &mut Choices, name: &str, depth: usize) -> String {
    if choices.chance(16) && !choices.chance(choices.sanity) {
        return any_value(choices, depth);
    }
    // Mostly sane values, so that documents often load; the rest extreme.
    let sane = choices.chance(choices.sanity);
    match kind_of(name) {
        Kind::Table(_) if sane && name == "arrivals" => choices
            .pick(&[
                "{ kind = \"open\", rate = \"50/s\" }",
                "{ kind = \"open\", rate = \"200/s\", users = 100 }",
                "{ kind = \"closed\", users = 5, think = \"10ms\" }",
                "{ kind = \"open\", daily_users = 1e5, requests_per_user = 10 }",
            ])
            .to_owned(),
        Kind::Table(_) if sane && name == "retry" => choices
            .pick(&[
                "{ retries = 2, backoff = \"10ms\" }",
                "{ retries = 1, jitter = \"none\" }",
            ])
            .to_owned(),
        Kind::Table(_) if sane && name == "diurnal" => "{ trough = 0.5, period = \"2s\" }".to_owned(),
        Kind::Profile if sane => choices
            .pick(&[
                "[{ at = \"1s\", rate = \"100/s\" }]",
                "[{ at = \"500ms\", rate = \"1k/s\", over = \"1s\", for = \"1s\" }]",
            ])
            .to_owned(),
        Kind::Mix if sane => choices
            .pick(&[
                "[{ class = \"a\", call = \"web/view\" }]",
                "[{ class = \"a\", call = \"web/view\" }, { class = \"b\", weight = 3, call = \"lb/view\" }]",
                "[{ class = \"a\", call = \"www/view\" }]",
            ])
            .to_owned(),
        Kind::Duration if sane => quoted(choices.pick(&["1ms", "5ms", "250us", "1s", "2s", "100ms"])),
        Kind::Rate if sane => quoted(choices.pick(&["50/s", "10/s", "200/s", "1k/s"])),
        Kind::Integer if sane => choices.pick(&["1", "2", "4", "8"]).to_owned(),
        Kind::Float if sane => choices.pick(&["0.2", "0.5", "1.0", "2.0"]).to_owned(),
        Kind::Name if sane => quoted(choices.pick(&["web", "api", "db", "lb", "www"])),
        Kind::Target if sane => quoted(choices.pick(&["web/view", "api/view", "www/view", "lb/view"])),
        Kind::Duration => duration(choices),
        Kind::Dist => dist(choices, depth),
        Kind::Rate => format!(
            "\"{}{}\"",
            choices.pick(NUMBERS).trim_start_matches('-'),
            choices.pick(RATE_UNITS)
        ),
        Kind::Integer => choices.pick(INTEGERS).to_owned(),
        Kind::Float => choices.pick(FLOATS).to_owned(),
        // By convention the last option of each list is invalid.
        Kind::Text(options) if sane => quoted(choices.pick(&options[..options.len() - 1])),
        Kind::Text(options) => quoted(choices.pick(options)),
        Kind::Target => quoted(&format!(
            "{}/{}",
            choices.pick(COMPONENTS),
            choices.pick(ENDPOINTS)
        )),
        Kind::Name => quoted(choices.pick(COMPONENTS)),
        Kind::Mix => array(choices, depth, |choices, depth| {
            table(choices, depth, &["class", "weight", "call"])
        }),
        Kind::Profile => array(choices, depth, |choices, depth| {
            table(choices, depth, &["at", "rate", "over", "for"])
        }),
        Kind::Steps => array(choices, depth, step),
        Kind::Samples => array(choices, depth, |choices, _| match choices.below(3) {
            0 => duration(choices),
            1 => choices.pick(INTEGERS).to_owned(),
            _ => choices.pick(FLOATS).to_owned(),
        }),
        Kind::Table(keys) => table(choices, depth, keys),
    }
}

fn duration(choices: &mut Choices) -> String {
    format!("\"{}{}\"", choices.pick(NUMBERS), choices.pick(UNITS))
}

fn dist(choices: &mut Choices, depth: usize) -> String {
    if choices.chance(64) {
        return duration(choices);
    }
    let kind = choices.pick(DIST_KINDS);
    let keys: &[&str] = match kind {
        "const" => &["value"],
        "exp" => &["mean"],
        "uniform" => &["min", "max"],
        "normal" => &["mean", "sd"],
        "lognormal" => &["mean", "cv", "p99"],
        "gamma" => &["mean", "cv"],
        "pareto" => &["min", "alpha", "mean"],
        "empirical" => &["samples", "unit", "file", "column"],
        _ => &["mean"],
    };
    let mut fields = vec![format!("dist = {}", quoted(kind))];
    // Mostly the keys each kind needs (one spread for a lognormal, `min` or
    // `mean` for a pareto, inline samples); sometimes any subset.
    let sane = choices.chance(choices.sanity);
    let keys: &[&str] = match (kind, sane) {
        ("lognormal", true) => choices.pick(&[&["mean", "cv"][..], &["mean", "p99"]]),
        ("pareto", true) => choices.pick(&[&["min", "alpha"][..], &["mean", "alpha"]]),
        ("empirical", true) => &["samples"],
        (_, true) => keys,
        (_, false) => keys,
    };
    for name in keys {
        if sane || choices.chance(200) {
            fields.push(format!("{name} = {}", value_for(choices, name, depth + 1)));
        }
    }
    format!("{{ {} }}", fields.join(", "))
}

fn step(choices: &mut Choices, depth: usize) -> String {
    let (name, rest): (&str, &[&str]) = choices.pick(&[
        ("compute", &[][..]),
        ("delay", &[]),
        ("call", &[]),
        ("read", &["service"]),
        ("write", &["service"]),
        ("parallel", &[]),
        ("probability", &["steps"]),
    ]);
    let first = match name {
        "read" | "write" => quoted(choices.pick(COMPONENTS)),
        "probability" => choices
            .pick(&["0.2", "0.5", "1", "0", "\"20%\"", "1.5", "-0.1", "nan"])
            .to_owned(),
        "parallel" if depth < 20 => array(choices, depth, |choices, depth| {
            if choices.chance(128) {
                step(choices, depth + 1)
            } else {
                array(choices, depth + 1, step)
            }
        }),
        "parallel" => "[]".to_owned(),
        _ => value_for(choices, name, depth + 1),
    };
    let mut fields = vec![format!("{name} = {first}")];
    for key in rest {
        if choices.chance(160) && depth < 20 {
            fields.push(format!("{key} = {}", value_for(choices, key, depth + 1)));
        }
    }
    format!("{{ {} }}", fields.join(", "))
}

fn array(choices: &mut Choices, depth: usize, item: fn(&mut Choices, usize) -> String) -> String {
    if depth > 24 {
        return "[]".to_owned();
    }
    let count = choices.below(4);
    let items: Vec<String> = (0..count).map(|_| item(choices, depth + 1)).collect();
    format!("[{}]", items.join(", "))
}

fn table(choices: &mut Choices, depth: usize, keys: &[&str]) -> String {
    let mut fields = Vec::new();
    for name in keys {
        if choices.chance(200) {
            fields.push(format!("{} = {}", key(name), value_for(choices, name, depth + 1)));
        }
    }
    format!("{{ {} }}", fields.join(", "))
}

/// Any TOML value, typed at random.
fn any_value(choices: &mut Choices, depth: usize) -> String {
    match choices.below(if depth > 8 { 6 } else { 8 }) {
        0 => choices.pick(INTEGERS).to_owned(),
        1 => choices.pick(FLOATS).to_owned(),
        2 => choices.pick(&["true", "false"]).to_owned(),
        3 => duration(choices),
        4 => quoted(choices.pick(COMPONENTS)),
        5 => choices
            .pick(&[
                "1979-05-27T07:32:00Z",
                "07:32:00",
                "1979-05-27",
                "\"\"",
                "'''x\ny'''",
            ])
            .to_owned(),
        6 => array(choices, depth + 1, any_value),
        _ => {
            let name = choices.pick(ALL_KEYS);
            format!("{{ {} = {} }}", key(name), any_value(choices, depth + 1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_is_valid_toml() {
        let mut state: u64 = 1;
        let mut valid = 0;
        for _ in 0..2_000 {
            let bytes: Vec<u8> = (0..200)
                .map(|_| {
                    state = state
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (state >> 56) as u8
                })
                .collect();
            let text = document(&mut Choices::new(&bytes));
            assert!(text.parse::<toml::Table>().is_ok(), "{text}");
            if capsim::scenario::load_str(&text).is_ok() {
                valid += 1;
            }
        }
        // Enough documents load for the fuzzer to reach the model.
        assert!(valid > 40, "{valid} of 2000 documents load");
    }
}
