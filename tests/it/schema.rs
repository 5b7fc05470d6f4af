//! The JSON Schema of the scenario format (`capsim schema`,
//! `schema/capsim-scenario.schema.json`): the shipped file is what the
//! command prints; every shipped scenario, and the resolved form of each,
//! validates against it; bad input is rejected by the schema and the loader
//! alike; its unit patterns accept what the unit parsers accept; its enums
//! are the loader's words; writing any key's documented default changes
//! nothing; and its keys are the README's scenario reference, in both
//! directions, with the same defaults where the README states one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use capsim::scenario::schema::{self, SHIPPED_PATH, units};
use capsim::scenario::{
    CdnFallback, Concurrency, DeployMode, Engine, Eviction, Jitter, KillMode, NodeFailure, Policy, ReadFrom,
    ScaleMetric, WhenFull, WritePolicy,
};
use capsim::scenario::{dump, load_str, units as parse_units};
use serde_json::Value;

use crate::support::{root, scenario_file, shipped_scenarios};

const REGENERATE: &str = "cargo run -- schema > schema/capsim-scenario.schema.json";

/// The schema compiled for validation.
struct Validator {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Validator {
    fn new(schema: Value) -> Validator {
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        let location = "file:///capsim-scenario.schema.json";
        compiler
            .add_resource(location, schema)
            .expect("the schema is a resource");
        let index = compiler
            .compile(location, &mut schemas)
            .unwrap_or_else(|error| panic!("the schema does not compile: {error}"));
        Validator { schemas, index }
    }

    fn shipped() -> Validator {
        let text = std::fs::read_to_string(root().join(SHIPPED_PATH)).expect("the schema is shipped");
        Validator::new(serde_json::from_str(&text).expect("the shipped schema is JSON"))
    }

    /// Validates TOML text; the error is boon's report.
    fn check_toml(&self, text: &str) -> Result<(), String> {
        let value: Value = toml::from_str(text).map_err(|error| format!("not TOML: {error}"))?;
        self.schemas
            .validate(&value, self.index)
            .map_err(|error| format!("{error}"))
    }
}

#[test]
fn the_shipped_schema_is_what_capsim_schema_prints() {
    let output = crate::support::capsim().arg("schema").output().unwrap();
    assert!(output.status.success(), "capsim schema failed: {output:?}");
    let printed = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(
        printed,
        schema::schema_text(),
        "the command prints the library's schema"
    );
    let shipped = std::fs::read_to_string(root().join(SHIPPED_PATH)).unwrap_or_default();
    assert!(
        shipped == printed,
        "{SHIPPED_PATH} is stale: the scenario format changed. Regenerate it with\n    {REGENERATE}"
    );
}

#[test]
fn every_shipped_scenario_validates_against_the_schema() {
    let validator = Validator::shipped();
    let files = shipped_scenarios();
    assert!(files.len() >= 10, "scenarios/ holds the tutorial and the drills");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if let Err(error) = validator.check_toml(&text) {
            panic!(
                "{} does not validate against {SHIPPED_PATH}:\n{error}",
                file.display()
            );
        }
    }
}

#[test]
fn every_resolved_scenario_validates_against_the_schema() {
    // The resolved form spells out every default, so it exercises keys the
    // shipped files leave out.
    let validator = Validator::shipped();
    for file in shipped_scenarios() {
        let resolved = dump::to_toml(&scenario_file(&file, &[]));
        if let Err(error) = validator.check_toml(&resolved) {
            panic!(
                "the resolved form of {} does not validate:\n{error}\n{resolved}",
                file.display()
            );
        }
    }
}

/// Semi-synchronous replication with each form of its timeout (no shipped
/// scenario uses it): the file and its resolved form both validate.
#[test]
fn semi_sync_timeouts_validate_against_the_schema() {
    let validator = Validator::shipped();
    for timeout in ["\"2s\"", "\"never\""] {
        let text = format!(
            "{VALID}\n[database.db.replication]\nmode = \"semi_sync\"\nsemi_sync_timeout = {timeout}\n"
        )
        .replace(
            "engine = \"nosql\"",
            "engine = \"nosql\"\nkeyspace = \"k\"\nreplicas = 1",
        ) + "[keyspace.k]\nkeys = 100\n";
        let loaded = capsim::scenario::load_str(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
        validator
            .check_toml(&text)
            .unwrap_or_else(|error| panic!("{error}\n{text}"));
        let resolved = dump::to_toml(&loaded.scenario);
        validator
            .check_toml(&resolved)
            .unwrap_or_else(|error| panic!("{error}\n{resolved}"));
    }
}

const VALID: &str = r#"
[scenario]
duration = "1m"
[workload]
arrivals = { kind = "open", rate = "100/s" }
mix = [{ class = "home", call = "web/home" }]
[pool.web]
workers = 4
endpoint.home = { service = { dist = "exp", mean = "4ms" }, steps = [{ read = "db" }] }
[database.db]
engine = "nosql"
[balancer.lb]
pool = "web"
policy = "least_connections"
[[faults]]
at = "30s"
kill = "pool.web.instance[0]"
"#;

/// Replaces `from` (which must occur) in the valid scenario.
fn variant(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "`{from}` is in the base scenario");
    VALID.replacen(from, to, 1)
}

/// The valid scenario with one `[plan]` drill of these keys.
fn drill(keys: &str) -> String {
    format!("{VALID}[plan]\nsurvive = [{{ {keys} }}]\n")
}

#[test]
fn a_drill_and_a_periodic_fault_validate_as_they_load() {
    let validator = Validator::shipped();
    for text in [
        drill(
            "name = \"web down\", kill = \"pool.web.instance[0]\", mode = \"hang\", at = \"30s\", for = \"10s\"",
        ),
        drill("name = \"web slow\", slow = \"pool.web\", factor = 2, add = \"1ms\", at = \"30s\""),
        variant("at = \"30s\"", "every = \"20s\"\nmttr = \"5s\""),
        variant("at = \"30s\"", "mtbf = \"20s\"\nmttr = \"5s\""),
    ] {
        let loaded = load_str(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
        validator
            .check_toml(&text)
            .unwrap_or_else(|error| panic!("{error}\n{text}"));
        let resolved = dump::to_toml(&loaded.scenario);
        validator
            .check_toml(&resolved)
            .unwrap_or_else(|error| panic!("{error}\n{resolved}"));
    }
}

#[test]
fn bad_scenarios_are_rejected_by_the_schema_and_the_loader() {
    let validator = Validator::shipped();
    assert_eq!(validator.check_toml(VALID), Ok(()));
    assert!(load_str(VALID).is_ok(), "the base scenario loads");
    let cases = [
        (
            "an unknown key",
            variant("workers = 4", "workers = 4\nworkrs = 4"),
        ),
        ("an unknown section", variant("[pool.web]", "[pools.web]")),
        (
            "a duration without a unit",
            variant("duration = \"1m\"", "duration = 60"),
        ),
        (
            "a duration in an unknown unit",
            variant("\"1m\"", "\"1 fortnight\""),
        ),
        ("a rate without a time unit", variant("\"100/s\"", "\"100\"")),
        (
            "an unknown policy",
            variant("\"least_connections\"", "\"least_connection\""),
        ),
        ("an unknown engine", variant("\"nosql\"", "\"document\"")),
        ("an unknown distribution", variant("\"exp\"", "\"exponential\"")),
        (
            "a distribution missing a parameter",
            variant("mean = \"4ms\"", "sd = \"4ms\""),
        ),
        (
            "a step doing two things",
            variant("{ read = \"db\" }", "{ read = \"db\", delay = \"1ms\" }"),
        ),
        (
            "a fault with two actions",
            variant("kill = ", "restore = \"pool.web\"\nkill = "),
        ),
        ("a fault with no time", variant("at = \"30s\"\n", "")),
        (
            "a bad fault target",
            variant("pool.web.instance[0]", "pool.web.node[0]"),
        ),
        ("workers out of range", variant("workers = 4", "workers = 0")),
        (
            "a bad component name",
            variant("[pool.web]", "[pool.\"web tier\"]"),
        ),
        (
            "an empty mix",
            variant("mix = [{ class = \"home\", call = \"web/home\" }]", "mix = []"),
        ),
        (
            "a call with two slashes",
            variant("call = \"web/home\"", "call = \"web/home/x\""),
        ),
        (
            "a session_ttl without sticky",
            variant("policy = ", "session_ttl = \"1m\"\npolicy = "),
        ),
        (
            "a partition of one data center",
            variant("kill = \"pool.web.instance[0]\"", "partition = [\"dc-a\"]"),
        ),
        (
            "a DNS name without a target",
            variant("[balancer.lb]", "[dns.www]\nttl = \"1m\"\n[balancer.lb]"),
        ),
        (
            "a periodic fault with `at` too",
            variant("at = \"30s\"", "at = \"30s\"\nevery = \"20s\"\nmttr = \"5s\""),
        ),
        // A drill is a `[[faults]]` entry that strikes once, at its `at`,
        // and breaks something: the schema says what the reader takes.
        (
            "a drill at random",
            drill("name = \"d\", kill = \"pool.web.instance[0]\", mtbf = \"1m\", mttr = \"5s\""),
        ),
        (
            "a drill with `mtbf` beside its `at`",
            drill("name = \"d\", kill = \"pool.web.instance[0]\", at = \"30s\", mtbf = \"1m\""),
        ),
        (
            "a periodic drill",
            drill("name = \"d\", kill = \"pool.web.instance[0]\", every = \"20s\", mttr = \"5s\""),
        ),
        (
            "a drill that restores",
            drill("name = \"d\", restore = \"pool.web.instance[0]\", at = \"30s\""),
        ),
        (
            "a drill without `at`",
            drill("name = \"d\", kill = \"pool.web.instance[0]\""),
        ),
        (
            "a drill without a name",
            drill("kill = \"pool.web.instance[0]\", at = \"30s\""),
        ),
        (
            "a drill with a blank name",
            drill("name = \" \", kill = \"pool.web.instance[0]\", at = \"30s\""),
        ),
        (
            "a drill with two actions",
            drill(
                "name = \"d\", kill = \"pool.web.instance[0]\", slow = \"pool.web\", factor = 2, at = \"30s\"",
            ),
        ),
    ];
    for (what, text) in cases {
        assert!(
            validator.check_toml(&text).is_err(),
            "the schema accepts {what}:\n{text}"
        );
        assert!(load_str(&text).is_err(), "the loader accepts {what}:\n{text}");
    }
}

/// A schema holding only `pattern`.
fn pattern_validator(pattern: &str) -> Validator {
    Validator::new(serde_json::json!({ "type": "string", "pattern": pattern }))
}

fn matches(validator: &Validator, text: &str) -> bool {
    validator
        .schemas
        .validate(&Value::from(text), validator.index)
        .is_ok()
}

/// A unit's name, its pattern, and whether its parser accepts a text.
type UnitCheck = (&'static str, &'static str, fn(&str) -> bool);

#[test]
fn unit_patterns_accept_what_the_unit_parsers_accept() {
    let samples = [
        "250us",
        "4ms",
        "1.5s",
        "10m",
        "2h",
        "1d",
        "7ns",
        "3 ms",
        " 3 ms ",
        "1_000ms",
        "0",
        "0.0",
        "5",
        "-1s",
        "ms",
        "4 fortnights",
        "5 sec0",
        "1e3ms",
        "1e-3ms",
        ".5s",
        "5.s",
        "12µs",
        "2min",
        "1sec",
        "1200/s",
        "1.5k/s",
        "90/min",
        "2/ms",
        "86400/day",
        "100/h",
        "1M/hour",
        "1200",
        "1200/fortnight",
        "-5/s",
        "5k /s",
        "64KiB",
        "1.5GB",
        "512B",
        "12 parsecs",
        "1 TiB",
        "20%",
        "20",
        "x%",
        "0.5 %",
        "",
    ];
    let checks: [UnitCheck; 4] = [
        ("duration", units::DURATION_PATTERN, |t| {
            parse_units::parse_duration(t).is_ok()
        }),
        ("rate", units::RATE_PATTERN, |t| {
            parse_units::parse_rate(t).is_ok()
        }),
        ("size", units::SIZE_PATTERN, |t| {
            parse_units::parse_size(t).is_ok()
        }),
        ("percentage", units::PERCENT_PATTERN, |t| {
            parse_units::parse_percent(t).is_ok()
        }),
    ];
    for (what, pattern, parses) in checks {
        let validator = pattern_validator(pattern);
        for sample in samples {
            assert_eq!(
                matches(&validator, sample),
                parses(sample),
                "the {what} pattern and parser disagree on `{sample}`"
            );
        }
    }
}

/// The `const` words of a definition's `oneOf`.
fn words(schema: &Value, definition: &str) -> Vec<String> {
    schema["definitions"][definition]["oneOf"]
        .as_array()
        .unwrap_or_else(|| panic!("`{definition}` is a oneOf of words"))
        .iter()
        .map(|alternative| alternative["const"].as_str().expect("a word").to_owned())
        .collect()
}

#[test]
fn schema_enums_are_the_loaders_words() {
    let schema = schema::schema();
    let loader: [(&str, &[&str]); 13] = [
        ("CdnFallback", &CdnFallback::NAMES),
        ("DeployMode", &DeployMode::NAMES),
        ("WhenFull", &WhenFull::NAMES),
        ("ScaleMetric", &ScaleMetric::NAMES),
        ("Policy", &Policy::NAMES),
        ("Concurrency", &Concurrency::NAMES),
        ("Jitter", &Jitter::NAMES),
        ("Engine", &Engine::NAMES),
        ("ReadFrom", &ReadFrom::NAMES),
        ("Eviction", &Eviction::NAMES),
        ("WritePolicy", &WritePolicy::NAMES),
        ("NodeFailure", &NodeFailure::NAMES),
        ("KillMode", &KillMode::NAMES),
    ];
    for (definition, names) in loader {
        assert_eq!(
            words(&schema, definition),
            names,
            "`{definition}` differs from the loader"
        );
    }
}

/// Follows a `$ref` within the schema (also one wrapped in a one-item
/// `allOf`, as draft-07 needs for a reference with a description).
fn resolve<'s>(root: &'s Value, schema: &'s Value) -> &'s Value {
    if let Some([only]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice)
        && only.get("$ref").is_some()
    {
        return resolve(root, only);
    }
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.trim_start_matches('#');
            root.pointer(pointer)
                .unwrap_or_else(|| panic!("dangling {reference}"))
        }
        None => schema,
    }
}

/// Every key that may appear anywhere under `schema`.
fn keys_under(root: &Value, schema: &Value, seen: &mut BTreeSet<String>, keys: &mut BTreeSet<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if seen.insert(reference.to_owned()) {
            keys_under(root, resolve(root, schema), seen, keys);
        }
        return;
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (key, property) in properties {
            keys.insert(key.clone());
            keys_under(root, property, seen, keys);
        }
    }
    for nested in ["additionalProperties", "items"] {
        if let Some(child) = schema.get(nested).filter(|child| child.is_object()) {
            keys_under(root, child, seen, keys);
        }
    }
    for alternatives in ["anyOf", "oneOf", "allOf"] {
        for child in schema
            .get(alternatives)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            keys_under(root, child, seen, keys);
        }
    }
}

/// The schema's keys by top-level section.
fn schema_keys() -> BTreeMap<String, BTreeSet<String>> {
    let root = schema::schema();
    let sections = root["properties"].as_object().expect("sections").clone();
    sections
        .iter()
        .map(|(section, schema)| {
            let mut keys = BTreeSet::new();
            keys_under(&root, schema, &mut BTreeSet::new(), &mut keys);
            (section.clone(), keys)
        })
        .collect()
}

/// What the README's scenario reference documents, by top-level section
/// (`""` for the shared parts: distributions, data steps).
#[derive(Default)]
struct Documented {
    /// Keys in the first column of key tables, and heading paths.
    listed: BTreeMap<String, BTreeSet<String>>,
    /// Those plus every `key =` written in code anywhere in the section.
    mentioned: BTreeMap<String, BTreeSet<String>>,
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The code spans of a line of Markdown.
fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').skip(1).step_by(2).collect()
}

/// Keys assigned in TOML-like code: `{ dist = "exp", mean = "4ms" }`.
fn assigned_keys(code: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for (index, _) in code.match_indices('=') {
        let before = code[..index].trim_end();
        let start = before
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |at| at + 1);
        if is_identifier(&before[start..]) {
            keys.push(before[start..].to_owned());
        }
    }
    keys
}

/// The keys a table header names: `[[cdn.<name>.deploy]]` → cdn, deploy.
fn header_keys(code: &str) -> Vec<String> {
    let Some(path) = code.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) else {
        return Vec::new();
    };
    let path = path.trim_matches(|c| c == '[' || c == ']');
    let is_placeholder = |segment: &str| segment.starts_with('<') && segment.ends_with('>');
    if !path
        .split('.')
        .all(|segment| is_identifier(segment) || is_placeholder(segment))
    {
        return Vec::new();
    }
    path.split('.')
        .filter(|segment| is_identifier(segment))
        .map(str::to_owned)
        .collect()
}

fn readme_reference() -> Documented {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let reference = readme
        .split("\n## Scenario reference\n")
        .nth(1)
        .expect("README has a scenario reference")
        .split("\n## ")
        .next()
        .unwrap();
    let mut documented = Documented::default();
    let mut section = String::new();
    let mut key_table = false;
    for line in reference.lines() {
        if line.starts_with("### ") || line.starts_with("#### ") {
            section.clear();
            if let Some(path) = code_spans(line).first().filter(|code| code.starts_with('[')) {
                let path = path.trim_matches(|c| c == '[' || c == ']');
                section = path.split('.').next().unwrap().to_owned();
                for segment in path.split('.').filter(|segment| is_identifier(segment)) {
                    documented
                        .listed
                        .entry(section.clone())
                        .or_default()
                        .insert(segment.to_owned());
                }
            }
            continue;
        }
        let mentioned = documented.mentioned.entry(section.clone()).or_default();
        for code in code_spans(line) {
            mentioned.extend(assigned_keys(code));
            mentioned.extend(header_keys(code));
        }
        if !line.starts_with('|') {
            key_table = false;
            continue;
        }
        let first = line.split('|').nth(1).unwrap_or("").trim();
        if first.starts_with('-') {
            continue;
        }
        if !first.contains('`') {
            // A table's header names what its first column holds.
            key_table = matches!(first, "key" | "step" | "form");
            continue;
        }
        if !key_table {
            continue;
        }
        let listed = documented.listed.entry(section.clone()).or_default();
        for code in code_spans(first) {
            // `a.b` or `region.<name>.users`: a path of keys.
            let is_placeholder = |segment: &str| segment.starts_with('<') && segment.ends_with('>');
            if code
                .split('.')
                .all(|segment| is_identifier(segment) || is_placeholder(segment))
            {
                listed.extend(code.split('.').filter(|s| is_identifier(s)).map(str::to_owned));
            } else {
                listed.extend(assigned_keys(code));
            }
        }
    }
    for (section, keys) in &documented.listed {
        documented
            .mentioned
            .entry(section.clone())
            .or_default()
            .extend(keys.clone());
    }
    documented
}

#[test]
fn the_readme_reference_and_the_schema_have_the_same_keys() {
    let schema = schema_keys();
    let readme = readme_reference();
    let every_schema_key: BTreeSet<&String> = schema.values().flatten().chain(schema.keys()).collect();
    let shared = readme.mentioned.get("").cloned().unwrap_or_default();
    let mut problems = Vec::new();
    for (section, listed) in &readme.listed {
        let known: BTreeSet<&String> = match section.as_str() {
            "" => every_schema_key.clone(),
            _ => match schema.get(section) {
                Some(keys) => keys.iter().chain([section]).collect(),
                None => {
                    problems.push(format!("README documents `[{section}]`, which the schema lacks"));
                    continue;
                }
            },
        };
        for key in listed.iter().filter(|key| !known.contains(key)) {
            problems.push(format!(
                "README documents `{key}` under `[{section}]`, which the schema lacks"
            ));
        }
    }
    for (section, keys) in &schema {
        let mentioned = readme.mentioned.get(section);
        if mentioned.is_none() && !shared.contains(section) {
            problems.push(format!("the schema's `[{section}]` has no section in the README"));
        }
        for key in keys {
            if !mentioned.is_some_and(|m| m.contains(key)) && !shared.contains(key) {
                problems.push(format!(
                    "the schema's `{key}` under `[{section}]` is not in the README"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "README.md scenario reference drifts from the schema:\n{}",
        problems.join("\n")
    );
}

#[test]
fn a_toml_file_can_name_the_schema_with_a_directive() {
    // Taplo's `#:schema` directive is a comment to TOML and to the loader.
    let text = format!("#:schema ../{SHIPPED_PATH}\n{VALID}");
    assert!(load_str(&text).is_ok());
    assert_eq!(Validator::shipped().check_toml(&text), Ok(()));
    assert!(
        Path::new(&root().join(".taplo.toml")).exists(),
        "the editor association is shipped"
    );
}

/// Values a mutation puts in place of another: units, numbers at and past
/// the bounds, and the words the loader knows.
const CANDIDATE_VALUES: &[&str] = &[
    "\"0s\"",
    "\"0\"",
    "\"1ns\"",
    "\"250us\"",
    "\"4ms\"",
    "\"1.5s\"",
    "\"10m\"",
    "\"2h\"",
    "\"1d\"",
    "\"5\"",
    "\"4 ms\"",
    "\"1_000ms\"",
    "\"100/s\"",
    "\"1.5k/s\"",
    "\"90/min\"",
    "\"0/s\"",
    "\"64KiB\"",
    "\"1.5GB\"",
    "\"20%\"",
    "\"150%\"",
    "0",
    "1",
    "2",
    "3",
    "64",
    "0.5",
    "1.5",
    "0.001",
    "1e6",
    "1e18",
    "-1",
    "100000000",
    "true",
    "false",
    "\"\"",
    "\"unbounded\"",
    "\"per_user\"",
    "\"uniform\"",
    "\"web\"",
    "\"db\"",
    "\"web/home\"",
    "\"round_robin\"",
    "\"least_connections\"",
    "\"random\"",
    "\"power_of_two\"",
    "\"async\"",
    "\"thread_per_request\"",
    "\"relational\"",
    "\"nosql\"",
    "\"primary\"",
    "\"semi_sync\"",
    "\"hash\"",
    "\"range\"",
    "\"consistent\"",
    "\"lru\"",
    "\"lfu\"",
    "\"perfect_lfu\"",
    "\"fifo\"",
    "\"invalidate\"",
    "\"write_through\"",
    "\"rehash\"",
    "\"miss\"",
    "\"crash\"",
    "\"hang\"",
    "\"none\"",
    "\"full\"",
    "\"equal\"",
    "\"open\"",
    "\"closed\"",
    "\"const\"",
    "\"exp\"",
    "\"normal\"",
    "\"lognormal\"",
    "\"gamma\"",
    "\"pareto\"",
    "\"ms\"",
    "\"pool.web\"",
    "\"pool.web.instance[1]\"",
    "\"database.db.primary\"",
    "\"datacenter.dc-us\"",
    "\"nearest\"",
    "\"dc-eu\"",
];

/// The byte ranges of simple values (`key = VALUE`: a string, number or
/// word; not tables or arrays) in TOML text.
fn value_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    for (at, _) in text.match_indices("= ") {
        let start = at + 2;
        let rest = &text[start..];
        let length = if let Some(inner) = rest.strip_prefix('"') {
            match inner.find(['"', '\n']) {
                Some(end) if inner.as_bytes()[end] == b'"' => end + 2,
                _ => continue,
            }
        } else {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || "._+-".contains(c)))
                .unwrap_or(rest.len())
        };
        if length > 0 {
            ranges.push(start..start + length);
        }
    }
    ranges
}

/// 0 for a bare value, 1 for a string with a digit (a unit), 2 for a word.
fn value_kind(value: &str) -> u8 {
    match value.strip_prefix('"') {
        None => 0,
        Some(text) if text.contains(|c: char| c.is_ascii_digit()) => 1,
        Some(_) => 2,
    }
}

#[test]
fn whatever_the_loader_accepts_the_schema_accepts() {
    use rand::RngExt;
    // Mutated shipped scenarios: every one the loader accepts must validate,
    // or an editor would flag a scenario `capsim` runs.
    let validator = Validator::shipped();
    let mut rng = capsim::engine::random::stream(0x005c_4e3a, "tests.schema.soundness");
    let files: Vec<(std::path::PathBuf, String)> = shipped_scenarios()
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            (file, text)
        })
        .collect();
    let (mut loaded, mut cases) = (0, 0);
    for case in 0..6_000 {
        let (file, original) = &files[case % files.len()];
        let mut text = original.clone();
        let mutations = 1 + rng.random_range(0..3);
        for _ in 0..mutations {
            let ranges = value_ranges(&text);
            let range = ranges[rng.random_range(0..ranges.len())].clone();
            // Mostly a value of the same kind, so that many cases still load.
            let kind = value_kind(&text[range.clone()]);
            let same_kind = rng.random_range(0..4) != 0;
            let candidates: Vec<&str> = CANDIDATE_VALUES
                .iter()
                .copied()
                .filter(|candidate| !same_kind || value_kind(candidate) == kind)
                .collect();
            text.replace_range(range, candidates[rng.random_range(0..candidates.len())]);
        }
        cases += 1;
        let base_dir = file.parent().unwrap();
        if capsim::scenario::load_text("case.toml", &text, &[], base_dir, "case").is_err() {
            continue;
        }
        loaded += 1;
        if let Err(error) = validator.check_toml(&text) {
            panic!(
                "case {case} (from {}) loads but does not validate:\n{error}\n{text}",
                file.display()
            );
        }
    }
    // The generator is seeded, so every run counts the same: 735 of the 6000 cases load today.
    assert!(
        loaded >= 500,
        "too few mutated cases load ({loaded} of {cases}) to say much"
    );
}

/// A scenario holding every table that has keys with defaults, each with
/// those keys left out (a second balancer is sticky, for `session_ttl`; a
/// second database is semi-sync, for `acks`; a third is consistent-hashed,
/// for `virtual_nodes`).
const EVERY_TABLE: &str = r#"
[scenario]
duration = "1m"
[limits]
[workload]
arrivals = { kind = "open", daily_users = 1e6, requests_per_user = 10 }
diurnal = { trough = 0.5 }
profile = [{ at = "10s", rate = "100/s" }]
retry = { budget = { ratio = 0.1 } }
mix = [{ class = "home", call = "www/home" }]
[network]
[size.s]
cores = 2
[host.box]
cores = 2
[dns.www]
ttl = "1m"
target = "lb"
[balancer.lb]
pool = "web"
health_check = {}
outlier_ejection = {}
[balancer.lb2]
pool = "web"
sticky = true
[queue.q]
consumer = "web/home"
[pool.web]
workers = 4
size = "s"
autoscale = { max = 4, target = 0.6 }
endpoint.home = { service = "1ms", steps = [{ read = "db" }, { read = "db2" }, { read = "db3" }, { call = "api/get", hedge = { after = "p95" } }, { call = "web/other", breaker = {} }] }
endpoint.other = { service = "1ms" }
[pool.api]
workers = 4
endpoint.get = { service = "1ms" }
[database.db]
keyspace = "k"
replication = {}
failover = {}
[database.db2]
keyspace = "k"
replicas = 1
replication = { mode = "semi_sync" }
[database.db3]
keyspace = "k"
sharding = { by = "consistent" }
[keyspace.k]
keys = 100
[cache.c]
keyspace = "k"
capacity = 10
[cdn.static]
keyspace = "k"
capacity = "1MiB"
origin = "db"
deploy = [{ at = "10s", share = 0.1 }]
[[faults]]
at = "30s"
kill = "pool.web"
[recovery]
[slo]
[plan]
"#;

/// The `default` of every property of a definition (and of its variants).
fn defaults_of(schema: &Value, definition: &str) -> Vec<(String, Value)> {
    let definition = &schema["definitions"][definition];
    let variants = definition["oneOf"].as_array().cloned().unwrap_or_default();
    let mut defaults = Vec::new();
    for table in std::iter::once(definition).chain(&variants) {
        for (key, property) in table["properties"].as_object().into_iter().flatten() {
            if let Some(default) = property.get("default") {
                defaults.push((key.clone(), default.clone()));
            }
        }
    }
    defaults.sort_by(|a, b| a.0.cmp(&b.0));
    defaults.dedup();
    defaults
}

/// Whether TOML (as JSON) sets `key` in the table at a dotted path with
/// array indexes (`workload.mix[0]`).
fn set_in(toml: &Value, path: &str, key: &str) -> bool {
    let mut table = toml;
    for segment in path.split('.') {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        table = &table[name];
        if let Some(index) = index {
            table = &table[index];
        }
    }
    table.get(key).is_some()
}

#[test]
fn schema_defaults_are_the_loaders_defaults() {
    // Writing a key's documented default must change nothing.
    let schema = schema::schema();
    let load = |overrides: &[String]| match capsim::scenario::load_text(
        "every.toml",
        EVERY_TABLE,
        overrides,
        Path::new("."),
        "every",
    ) {
        Ok(loaded) => loaded.scenario,
        Err(error) => panic!("the scenario with {overrides:?} does not load:\n{error}"),
    };
    let base = load(&[]);
    let base_json: Value = toml::from_str(EVERY_TABLE).unwrap();
    let tables = [
        ("scenario", "Meta"),
        ("limits", "Limits"),
        ("workload", "Workload"),
        ("workload.arrivals", "Arrivals"),
        ("workload.diurnal", "Diurnal"),
        ("workload.retry", "Retry"),
        ("workload.retry.budget", "RetryBudget"),
        ("workload.profile[0]", "RateChange"),
        ("workload.mix[0]", "Class"),
        ("network", "Network"),
        ("size.s", "Size"),
        ("host.box", "Host"),
        ("dns.www", "Dns"),
        ("balancer.lb", "Balancer"),
        ("balancer.lb2", "Balancer"),
        ("balancer.lb.health_check", "HealthCheck"),
        ("balancer.lb.outlier_ejection", "OutlierEjection"),
        ("pool.web", "Pool"),
        ("pool.web.autoscale", "Autoscale"),
        ("queue.q", "Queue"),
        ("pool.web.endpoint.home", "Endpoint"),
        ("pool.web.endpoint.home.steps[3].hedge", "Hedge"),
        ("pool.web.endpoint.home.steps[4].breaker", "CircuitBreaker"),
        ("database.db", "Database"),
        ("database.db.replication", "Replication"),
        ("database.db2.replication", "Replication"),
        ("database.db3.sharding", "Sharding"),
        ("database.db.failover", "Failover"),
        ("keyspace.k", "Keyspace"),
        ("cache.c", "Cache"),
        ("cdn.static", "Cdn"),
        ("cdn.static.deploy[0]", "Deploy"),
        ("faults[0]", "Fault"),
        ("recovery", "Recovery"),
        ("slo", "Slos"),
        ("plan", "PlanTable"),
    ];
    for definition in schema["definitions"].as_object().unwrap().keys() {
        let covered = tables.iter().any(|(_, covered)| covered == definition);
        assert!(
            covered || defaults_of(&schema, definition).is_empty(),
            "`{definition}` has defaults: give it a table in EVERY_TABLE and here"
        );
    }
    let mut checked = 0;
    for (path, definition) in tables {
        for (key, default) in defaults_of(&schema, definition) {
            let written = format!("{path}.{key}");
            // Keys the base sets, and keys that only go with another value
            // (`session_ttl` with `sticky = true`, `acks` and
            // `semi_sync_timeout` with semi-sync), are checked where they apply.
            let not_applicable = (path == "balancer.lb" && key == "session_ttl")
                || (path == "database.db.replication"
                    && matches!(key.as_str(), "acks" | "semi_sync_timeout"));
            if not_applicable || set_in(&base_json, path, &key) {
                continue;
            }
            let value = serde_json::to_string(&default).unwrap();
            let with_default = load(&[format!("{written}={value}")]);
            assert!(
                with_default == base,
                "`{written} = {value}` (the schema's default) changes the resolved scenario"
            );
            checked += 1;
        }
    }
    // 76 today.
    assert!(checked >= 50, "only {checked} defaults checked");
}

#[test]
fn the_readme_reference_tables_are_generated_from_the_schema() {
    // Each key is described once, in the schema's types; the README's key
    // tables are written from them. `UPDATE_README=1` rewrites them.
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let fresh = schema::reference::refresh(&readme, &schema::schema()).unwrap();
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let sections = schema::reference::marked_paths(&readme);
    assert!(
        sections.len() >= 18,
        "only {} generated tables: {sections:?}",
        sections.len()
    );
    assert!(
        readme == fresh,
        "README.md's scenario reference is stale: run `UPDATE_README=1 cargo test --test it readme_reference`"
    );
}
