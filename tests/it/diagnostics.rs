//! Diagnostics for bad scenarios, checked on the `Diagnostic` values the
//! library returns rather than on rendered text: each mistake a scenario
//! author makes gets a message, the dotted field path, a span that maps back
//! to the right line and column (of the file or of a `--set` override), and
//! a hint where one helps. Every independent mistake the loader can see is
//! reported in one error, not one at a time.

use std::path::Path;

use capsim::scenario::{Diagnostic, ScenarioError, load_str, load_text};

/// A small valid scenario. The tests below break one line of it at a time,
/// and their expected positions refer to these line numbers:
///
/// ```text
///  1 [scenario]            15 [pool.web]
///  6 arrivals = ...        17 workers = 8
///  8 home class            21 steps = [{ read = "db" }]
///  9 search class          28 read = { dist = "exp", mean = "4ms" }
/// ```
const VALID: &str = r#"[scenario]
duration = "1m"
warmup = "10s"

[workload]
arrivals = { kind = "open", rate = "100/s", users = 1000 }
mix = [
  { class = "home", weight = 3, call = "lb/home" },
  { class = "search", weight = 1, call = "lb/search" },
]

[balancer.lb]
pool = "web"

[pool.web]
instances = 2
workers = 8

[pool.web.endpoint.home]
service = { dist = "exp", mean = "2ms" }
steps = [{ read = "db" }]

[pool.web.endpoint.search]
service = "5ms"

[database.db]
connections = 10
read = { dist = "exp", mean = "4ms" }
"#;

/// `VALID` with `from` replaced by `to`; `from` must occur exactly once.
fn broken(from: &str, to: &str) -> String {
    assert_eq!(
        VALID.matches(from).count(),
        1,
        "`{from}` must occur once in VALID"
    );
    VALID.replacen(from, to, 1)
}

/// Loads text that must fail, as a file named `bad.toml`, with overrides.
fn load_error(text: &str, overrides: &[&str]) -> ScenarioError {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    match load_text("bad.toml", text, &overrides, Path::new("."), "bad") {
        Ok(_) => panic!("the scenario should be rejected:\n{text}"),
        Err(error) => error,
    }
}

/// The single error of a scenario that has exactly one mistake.
fn only_error(error: &ScenarioError) -> &Diagnostic {
    let errors: Vec<&Diagnostic> = error.errors().collect();
    assert_eq!(errors.len(), 1, "expected exactly one error:\n{error}");
    errors[0]
}

/// The error about field `path`.
fn error_at<'e>(error: &'e ScenarioError, path: &str) -> &'e Diagnostic {
    error
        .errors()
        .find(|d| d.path.as_deref() == Some(path))
        .unwrap_or_else(|| panic!("no error for field `{path}`:\n{error}"))
}

/// (source name, line, column) of a diagnostic's span.
fn position(error: &ScenarioError, diagnostic: &Diagnostic) -> (String, usize, usize) {
    let span = diagnostic
        .span
        .as_ref()
        .unwrap_or_else(|| panic!("`{}` has no span", diagnostic.message));
    let location = error.sources.locate(span).expect("the span is in a source");
    (location.source.name.clone(), location.line, location.column)
}

fn at(line: usize, column: usize) -> (String, usize, usize) {
    ("bad.toml".to_owned(), line, column)
}

#[test]
fn the_base_scenario_is_valid_and_has_no_warnings() {
    let loaded = load_str(VALID).unwrap_or_else(|error| panic!("VALID must load:\n{error}"));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn a_string_where_a_number_belongs_is_a_wrong_type() {
    let error = load_error(&broken("workers = 8", "workers = \"eight\""), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(
        diagnostic.message,
        "wrong type for `workers`: expected a whole number, found a string"
    );
    assert_eq!(diagnostic.path.as_deref(), Some("pool.web.workers"));
    assert_eq!(position(&error, diagnostic), at(17, 11));
    assert!(
        diagnostic.help.as_deref().unwrap().contains("workers = "),
        "{diagnostic:?}"
    );
}

#[test]
fn a_misspelt_key_gets_a_did_you_mean() {
    let error = load_error(&broken("workers = 8", "workrs = 8"), &[]);
    let unknown = error_at(&error, "pool.web.workrs");
    assert_eq!(unknown.message, "unknown key `workrs` in `pool.web`");
    assert_eq!(unknown.help.as_deref(), Some("did you mean `workers`?"));
    assert_eq!(position(&error, unknown), at(17, 1));
}

#[test]
fn a_misspelt_required_key_is_also_reported_missing() {
    let error = load_error(&broken("workers = 8", "workrs = 8"), &[]);
    assert_eq!(error.errors().count(), 2, "{error}");
    let missing = error_at(&error, "pool.web.workers");
    assert_eq!(missing.message, "missing key `workers` in `pool.web`");
    // Points at the table that lacks it.
    assert_eq!(position(&error, missing), at(15, 1));
}

#[test]
fn an_unknown_database_names_the_closest_one() {
    let error = load_error(&broken(r#"read = "db""#, r#"read = "dbb""#), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(diagnostic.message, "no database named `dbb`");
    assert_eq!(
        diagnostic.path.as_deref(),
        Some("pool.web.endpoint.home.steps[0].read")
    );
    assert_eq!(position(&error, diagnostic), at(21, 19));
    let help = diagnostic.help.as_deref().unwrap();
    assert!(help.contains("`db`"), "{help}");
}

#[test]
fn an_unknown_endpoint_is_reported_with_the_endpoints_there_are() {
    let error = load_error(&broken(r#"call = "lb/search""#, r#"call = "lb/nope""#), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(diagnostic.message, "pool `web` has no endpoint `nope`");
    assert_eq!(diagnostic.path.as_deref(), Some("workload.mix[1].call"));
    assert_eq!(position(&error, diagnostic), at(9, 42));
    let help = diagnostic.help.as_deref().unwrap();
    assert!(help.contains("`home`") && help.contains("`search`"), "{help}");
}

#[test]
fn an_unknown_component_in_a_call_names_the_closest_one() {
    let error = load_error(&broken(r#"call = "lb/home""#, r#"call = "lbb/home""#), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(diagnostic.message, "no DNS name, balancer or pool named `lbb`");
    assert_eq!(diagnostic.path.as_deref(), Some("workload.mix[0].call"));
    assert_eq!(position(&error, diagnostic), at(8, 40));
    assert_eq!(diagnostic.help.as_deref(), Some("did you mean `lb`?"));
}

#[test]
fn a_negative_rate_is_rejected() {
    let error = load_error(&broken(r#""100/s""#, r#""-100/s""#), &[]);
    let diagnostic = only_error(&error);
    assert!(
        diagnostic.message.contains("`-100/s` is negative"),
        "{}",
        diagnostic.message
    );
    assert_eq!(diagnostic.path.as_deref(), Some("workload.arrivals.rate"));
    assert_eq!(position(&error, diagnostic), at(6, 36));
}

#[test]
fn a_zero_rate_is_rejected() {
    let error = load_error(&broken(r#""100/s""#, r#""0/s""#), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(diagnostic.message, "`rate` must be greater than zero, found 0/s");
    assert_eq!(diagnostic.path.as_deref(), Some("workload.arrivals.rate"));
    assert_eq!(position(&error, diagnostic), at(6, 36));
}

#[test]
fn a_mix_of_zero_weights_is_rejected() {
    // One class of weight 0 is never drawn (a `relogin` class); a mix
    // with nothing to draw is an error.
    let text = broken("weight = 3", "weight = 0");
    assert!(capsim::scenario::load_str(&text).is_ok());
    let error = load_error(&text.replacen("weight = 1", "weight = 0", 1), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(
        diagnostic.message,
        "every class of the mix has weight 0: no request would be sent"
    );
    assert_eq!(diagnostic.path.as_deref(), Some("workload.mix"));
    assert_eq!(position(&error, diagnostic), at(7, 7));
}

#[test]
fn a_negative_mix_weight_is_rejected() {
    let error = load_error(&broken("weight = 1", "weight = -1"), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(diagnostic.message, "`weight` must be zero or more, found -1");
    assert_eq!(diagnostic.path.as_deref(), Some("workload.mix[1].weight"));
    assert_eq!(position(&error, diagnostic), at(9, 32));
}

#[test]
fn an_empty_file_says_so() {
    for text in ["", "  \n\n"] {
        let error = load_error(text, &[]);
        let diagnostic = only_error(&error);
        assert_eq!(diagnostic.message, "the scenario file is empty");
        assert!(diagnostic.help.is_some(), "{diagnostic:?}");
        // There is no line to point at; the rendering still names the file.
        assert_eq!(diagnostic.span, None);
        assert!(error.to_string().contains("bad.toml"), "{error}");
    }
}

#[test]
fn a_file_with_only_comments_lacks_the_required_sections() {
    let error = load_error("# nothing here yet\n", &[]);
    assert_eq!(error.errors().count(), 2, "{error}");
    assert_eq!(
        error_at(&error, "scenario").message,
        "missing section `[scenario]`"
    );
    assert_eq!(
        error_at(&error, "workload").message,
        "missing section `[workload]`"
    );
}

#[test]
fn text_that_is_not_toml_is_a_syntax_error_with_a_position() {
    let error = load_error("[scenario]\nduration = \"1m\"\nthis is [not toml\n", &[]);
    let diagnostic = error.errors().next().expect("an error");
    assert!(
        diagnostic.message.starts_with("not valid TOML: "),
        "{}",
        diagnostic.message
    );
    assert_eq!(diagnostic.path, None);
    assert_eq!(position(&error, diagnostic), at(3, 6));
}

#[test]
fn a_missing_required_key_points_at_its_table() {
    let error = load_error(&broken("duration = \"1m\"\n", ""), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(diagnostic.message, "missing key `duration` in `scenario`");
    assert_eq!(diagnostic.path.as_deref(), Some("scenario.duration"));
    assert_eq!(position(&error, diagnostic), at(1, 1));
    assert_eq!(diagnostic.help.as_deref(), Some("add `duration = \"10m\"`"));
}

#[test]
fn a_duration_without_a_unit_needs_one() {
    let error = load_error(&broken(r#"mean = "4ms""#, "mean = 4"), &[]);
    let diagnostic = only_error(&error);
    assert_eq!(
        diagnostic.message,
        "`mean` needs a unit: durations are written as strings"
    );
    assert_eq!(diagnostic.path.as_deref(), Some("database.db.read.mean"));
    assert_eq!(position(&error, diagnostic), at(28, 31));
    assert_eq!(diagnostic.help.as_deref(), Some("for example: mean = \"250ms\""));
}

#[test]
fn a_scenario_duration_without_a_unit_needs_one() {
    let error = load_error(&broken(r#"duration = "1m""#, "duration = 60"), &[]);
    let diagnostic = only_error(&error);
    assert!(
        diagnostic.message.contains("needs a unit"),
        "{}",
        diagnostic.message
    );
    assert_eq!(diagnostic.path.as_deref(), Some("scenario.duration"));
    assert_eq!(position(&error, diagnostic), at(2, 12));
}

#[test]
fn independent_mistakes_are_all_reported_at_once_in_source_order() {
    let text = VALID
        .replacen(r#""100/s""#, r#""0/s""#, 1)
        .replacen("weight = 1", "weight = -1", 1)
        .replacen("workers = 8", "workers = \"eight\"", 1)
        .replacen("connections = 10", "connectons = 10", 1)
        .replacen(r#"mean = "4ms""#, "mean = 4", 1);
    let error = load_error(&text, &[]);
    let paths: Vec<&str> = error.errors().map(|d| d.path.as_deref().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "workload.arrivals.rate",
            "workload.mix[1].weight",
            "pool.web.workers",
            "database.db.connectons",
            "database.db.read.mean",
        ],
        "{error}"
    );
    let lines: Vec<usize> = error.errors().map(|d| position(&error, d).1).collect();
    assert_eq!(lines, [6, 9, 17, 27, 28]);
    assert!(
        error
            .to_string()
            .ends_with("error: 5 problems in `bad.toml`; nothing was simulated\n"),
        "{error}"
    );
}

/// Names are checked even when other sections fail to read, so a typo in a
/// reference shows up in the same error as a wrong type elsewhere.
#[test]
fn unknown_names_are_reported_alongside_other_mistakes() {
    let text = VALID
        .replacen("workers = 8", "workers = \"eight\"", 1)
        .replacen(r#"read = "db""#, r#"read = "dbb""#, 1)
        .replacen(r#"call = "lb/home""#, r#"call = "lbb/home""#, 1);
    let error = load_error(&text, &[]);
    assert_eq!(error.errors().count(), 3, "{error}");
    let wrong_type = error_at(&error, "pool.web.workers");
    assert_eq!(position(&error, wrong_type), at(17, 11));
    let database = error_at(&error, "pool.web.endpoint.home.steps[0].read");
    assert_eq!(database.message, "no database named `dbb`");
    assert_eq!(position(&error, database), at(21, 19));
    let component = error_at(&error, "workload.mix[0].call");
    assert!(component.message.contains("`lbb`"), "{}", component.message);
    assert_eq!(position(&error, component), at(8, 40));
}

#[test]
fn a_bad_override_value_points_into_its_set_argument() {
    let error = load_error(VALID, &["pool.web.instances=3", "pool.web.workers=eight"]);
    let diagnostic = only_error(&error);
    assert_eq!(
        diagnostic.message,
        "wrong type for `workers`: expected a whole number, found a string"
    );
    assert_eq!(diagnostic.path.as_deref(), Some("pool.web.workers"));
    assert_eq!(position(&error, diagnostic), ("--set #2".to_owned(), 1, 18));
}

#[test]
fn an_out_of_range_override_points_into_its_set_argument() {
    let error = load_error(VALID, &["pool.web.instances=0"]);
    let diagnostic = only_error(&error);
    assert_eq!(
        diagnostic.message,
        "`instances` must be from 1 to 100000, found 0"
    );
    assert_eq!(diagnostic.path.as_deref(), Some("pool.web.instances"));
    assert_eq!(position(&error, diagnostic), ("--set #1".to_owned(), 1, 20));
}

#[test]
fn a_misspelt_override_key_gets_a_did_you_mean() {
    let error = load_error(VALID, &["pool.web.workrs=4"]);
    let diagnostic = only_error(&error);
    assert_eq!(diagnostic.message, "unknown key `workrs` in `pool.web`");
    assert_eq!(diagnostic.help.as_deref(), Some("did you mean `workers`?"));
    assert_eq!(position(&error, diagnostic), ("--set #1".to_owned(), 1, 10));
}

#[test]
fn an_override_without_equals_is_rejected() {
    let error = load_error(VALID, &["pool.web.workers"]);
    let diagnostic = only_error(&error);
    assert!(
        diagnostic.message.contains("has no `=`"),
        "{}",
        diagnostic.message
    );
    assert_eq!(position(&error, diagnostic), ("--set #1".to_owned(), 1, 1));
}

#[test]
fn a_good_override_still_loads() {
    let overrides = vec![
        "pool.web.workers=16".to_owned(),
        "workload.arrivals.rate=250/s".to_owned(),
    ];
    let loaded = load_text("ok.toml", VALID, &overrides, Path::new("."), "ok")
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(loaded.scenario.pool("web").unwrap().workers, 16);
}

#[test]
fn the_rendering_names_file_line_column_field_and_help() {
    let error = load_error(&broken("workers = 8", "workers = \"eight\""), &[]);
    let text = error.to_string();
    assert!(
        text.contains(
            "error: wrong type for `workers`: expected a whole number, found a string (field `pool.web.workers`)"
        ),
        "{text}"
    );
    assert!(text.contains("--> bad.toml:17:11"), "{text}");
    assert!(text.contains("workers = \"eight\""), "{text}");
    assert!(text.contains("^^^^^^^"), "{text}");
    assert!(text.contains("= help: "), "{text}");
    assert!(
        text.ends_with("error: 1 problem in `bad.toml`; nothing was simulated\n"),
        "{text}"
    );
}

#[test]
fn a_duration_beyond_the_limit_is_rejected_with_the_way_to_raise_it() {
    let error = load_error(&broken("duration = \"1m\"", "duration = \"400d\""), &[]);
    let diagnostic = error_at(&error, "scenario.duration");
    assert!(
        diagnostic.message.contains("limits.max_duration"),
        "{}",
        diagnostic.message
    );
    assert_eq!(position(&error, diagnostic), at(2, 12));
    assert!(diagnostic.help.as_deref().unwrap_or("").contains("max_duration"));
    // Raising the limit accepts it (checked without simulating 400 days).
    let long = broken(
        "duration = \"1m\"\nwarmup = \"10s\"",
        "duration = \"400d\"\nwindow = \"1h\"",
    );
    let raised = format!("{long}\n[limits]\nmax_duration = \"500d\"\n");
    let loaded = load_str(&raised).unwrap_or_else(|error| panic!("a raised limit must load:\n{error}"));
    assert_eq!(loaded.scenario.duration.as_secs_f64(), 400.0 * 86400.0);
}

#[test]
fn more_databases_than_an_event_can_name_are_rejected() {
    let mut text = VALID.to_owned();
    for index in 0..=u16::MAX as usize {
        text.push_str(&format!("\n[database.d{index}]\nconnections = 1\n"));
    }
    let error = load_error(&text, &[]);
    let diagnostic = error_at(&error, "database");
    assert!(
        diagnostic.message.contains("65537 databases"),
        "{}",
        diagnostic.message
    );
    assert!(
        diagnostic
            .help
            .as_deref()
            .is_some_and(|help| help.contains("shards"))
    );
}

#[test]
fn a_balancer_without_cores_or_connections_is_named_with_both_fields() {
    let error = load_error(
        &broken(
            "pool = \"web\"\n",
            "pool = \"web\"\ncores = 0\nmax_connections = -5\n",
        ),
        &[],
    );
    let cores = error_at(&error, "balancer.lb.cores");
    assert_eq!(position(&error, cores), at(14, 9));
    assert!(cores.message.contains("cores"), "{cores:?}");
    let connections = error_at(&error, "balancer.lb.max_connections");
    assert_eq!(position(&error, connections), at(15, 19));
    assert_eq!(error.errors().count(), 2, "both at once:\n{error}");
}

/// `text` fails with exactly these errors, each a field and words of its
/// message: problems reported together, not one at a time.
fn assert_reported_together(text: &str, expected: &[(&str, &str)]) {
    let error = load_error(text, &[]);
    for (path, words) in expected {
        let diagnostic = error_at(&error, path);
        assert!(diagnostic.message.contains(words), "{path}: {diagnostic:?}");
    }
    assert_eq!(error.errors().count(), expected.len(), "all at once:\n{error}");
}

#[test]
fn an_invalid_autoscale_key_and_min_above_max_are_reported_together() {
    assert_reported_together(
        &broken(
            "instances = 2\n",
            "instances = 2\nautoscale = { min = 5, max = 3, target = 0.6, metric = \"cpu\" }\n",
        ),
        &[
            ("pool.web.autoscale.metric", "unknown value `cpu`"),
            ("pool.web.autoscale.max", "`max` (3) is below `min` (5)"),
        ],
    );
}

#[test]
fn an_invalid_popularity_and_too_many_hot_keys_are_reported_together() {
    assert_reported_together(
        &format!(
            "{VALID}\n[keyspace.items]\nkeys = 10\npopularity = \"zipfian\"\nhot = {{ share = 0.2, keys = 20 }}\n"
        ),
        &[
            ("keyspace.items.popularity", "wrong type for `popularity`"),
            ("keyspace.items", "`hot.keys` (20) exceeds `keys` (10)"),
        ],
    );
}

#[test]
fn an_invalid_seed_and_a_warmup_past_the_duration_are_reported_together() {
    assert_reported_together(
        &broken("warmup = \"10s\"\n", "warmup = \"2m\"\nseed = -1\n"),
        &[
            ("scenario.seed", "`seed` must be a whole number"),
            ("scenario.warmup", "must be shorter than `duration`"),
        ],
    );
}

/// An open workload that leaves `users` out gets a warning stating the
/// default and what it changes; stating it (any number) silences it.
#[test]
fn an_open_workload_without_users_is_warned_of_the_default() {
    let arrivals = VALID
        .lines()
        .find(|line| line.starts_with("arrivals = "))
        .expect("VALID has arrivals");
    let without = arrivals.replace(", users = 1000", "");
    assert_ne!(without, arrivals, "VALID's arrivals state `users`: {arrivals}");
    let loaded = load_str(&VALID.replace(arrivals, &without)).expect("loads without users");
    let warnings = loaded.render_warnings(capsim::scenario::Style::Plain);
    assert!(
        warnings.contains("they are spread over 10000 users")
            && warnings.contains("`users_affected` counts at most 10000"),
        "{warnings}"
    );
    assert!(warnings.contains("workload.arrivals"), "{warnings}");
    assert_eq!(loaded.scenario.workload.arrivals.users(), 10_000);
}
