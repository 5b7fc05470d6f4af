//! Typed reading of a spanned TOML tree that collects every problem.
//!
//! serde stops at the first error; a scenario author wants all of them at
//! once. So the loader walks the tree `toml` parsed (which keeps the byte span
//! of every key and value) with these helpers: each conversion records a
//! diagnostic and returns `None` instead of failing, and each table remembers
//! the keys the loader asked for, so `finish` can report every key it did not
//! ask for as unknown, with a "did you mean" among the ones it did.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::diagnostic::Diagnostic;
use crate::engine::SimDuration;

/// A TOML value borrowed from the scenario text.
pub(crate) type Value<'t> = DeValue<'t>;
/// A TOML table borrowed from the scenario text.
pub(crate) type Table<'t> = DeTable<'t>;

/// Collects diagnostics while the tree is read.
#[derive(Default)]
pub(crate) struct Reader {
    pub diagnostics: Vec<Diagnostic>,
}

/// A value in the tree with its span and dotted field path.
#[derive(Clone)]
pub(crate) struct Node<'t> {
    pub value: &'t Value<'t>,
    pub span: Range<usize>,
    pub path: String,
}

/// A table being read: which keys were asked for, to report the others.
pub(crate) struct TableNode<'t> {
    table: &'t Table<'t>,
    pub span: Range<usize>,
    pub path: String,
    asked: Vec<&'static str>,
    /// Set when the table's keys are names chosen by the user.
    asked_all: bool,
}

/// Keys people write by habit that capsim spells differently.
const KNOWN_ALIASES: &[(&str, &str)] = &[
    (
        "attempts",
        "`retries` (the number of retries after the first attempt)",
    ),
    (
        "max_attempts",
        "`retries` (the number of retries after the first attempt)",
    ),
    ("threads", "`workers`"),
    ("servers", "`instances`"),
    ("replicas_count", "`replicas`"),
    ("std", "`sd`"),
    ("stddev", "`sd`"),
    ("std_dev", "`sd`"),
    ("sigma", "`sd` (normal) or `cv` / `p99` (lognormal)"),
    ("kind", "`dist` (in a distribution) — or check the section's keys"),
    ("type", "`dist` (in a distribution) — or check the section's keys"),
    ("latency_ms", "`latency` with a unit, like \"2ms\""),
];

/// The closest candidate to `word`, if it is close enough to be a typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), candidate))
        .filter(|&(score, _)| score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// An optional field's reading: absent is fine (`Some(None)`), present
/// but invalid fails (`None`), present and valid is `Some(Some(value))`.
pub(crate) fn optional<T>(field: Option<Option<T>>) -> Option<Option<T>> {
    match field {
        None => Some(None),
        Some(value) => value.map(Some),
    }
}

/// A readable list: "`a`, `b` or `c`".
pub(crate) fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    match quoted.len() {
        0 => "nothing".to_owned(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

pub(crate) fn type_name(value: &Value<'_>) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date-time",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'t> Node<'t> {
    pub fn new(spanned: &'t Spanned<Value<'t>>, path: String) -> Self {
        Node {
            value: spanned.get_ref(),
            span: spanned.span(),
            path,
        }
    }

    /// The last segment of the path: the key this value was found under.
    pub fn key(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }
}

impl<'t> TableNode<'t> {
    pub fn new(table: &'t Table<'t>, span: Range<usize>, path: String) -> Self {
        TableNode {
            table,
            span,
            path,
            asked: Vec::new(),
            asked_all: false,
        }
    }

    fn child_path(&self, key: &str) -> String {
        let key = if key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            key.to_owned()
        } else {
            format!("\"{key}\"")
        };
        if self.path.is_empty() {
            key
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// The value under `key`, if present; the key becomes known either way.
    pub fn get(&mut self, key: &'static str) -> Option<Node<'t>> {
        self.asked.push(key);
        let value = self.table.get(key)?;
        Some(Node::new(value, self.child_path(key)))
    }

    /// Like `get`, but a missing key is an error.
    pub fn require(&mut self, reader: &mut Reader, key: &'static str, example: &str) -> Option<Node<'t>> {
        let node = self.get(key);
        if node.is_none() {
            let place = if self.path.is_empty() {
                "the scenario".to_owned()
            } else {
                format!("`{}`", self.path)
            };
            reader.push(
                Diagnostic::error(format!("missing key `{key}` in {place}"))
                    .at(self.span.clone())
                    .path(self.child_path(key))
                    .label(format!("`{key}` is required here"))
                    .help(format!("add `{key} = {example}`")),
            );
        }
        node
    }

    /// A required sub-table, written as a `[section]` in practice.
    pub fn require_section(
        &mut self,
        reader: &mut Reader,
        key: &'static str,
        example: &str,
    ) -> Option<Node<'t>> {
        let node = self.get(key);
        if node.is_none() {
            let section = self.child_path(key);
            reader.push(
                Diagnostic::error(format!("missing section `[{section}]`"))
                    .at(self.span.clone())
                    .path(section.clone())
                    .help(format!(
                        "add a `[{section}]` table, for example:\n[{section}]\n{example}"
                    )),
            );
        }
        node
    }

    pub fn contains(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Every entry, for tables keyed by user-chosen names (`[pool.<name>]`).
    /// Marks the table as fully read.
    pub fn entries(&mut self) -> Vec<(String, Range<usize>, Node<'t>)> {
        let entries: Vec<_> = self
            .table
            .iter()
            .map(|(key, value)| {
                (
                    key.get_ref().to_string(),
                    key.span(),
                    Node::new(value, self.child_path(key.get_ref())),
                )
            })
            .collect();
        self.asked_all = true;
        entries
    }

    /// Reports every key that was never asked for.
    pub fn finish(self, reader: &mut Reader) {
        if self.asked_all {
            return;
        }
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref();
            if self.asked.contains(&name) {
                continue;
            }
            let place = if self.path.is_empty() {
                "the top level".to_owned()
            } else {
                format!("`{}`", self.path)
            };
            let mut diagnostic = Diagnostic::error(format!("unknown key `{name}` in {place}"))
                .at(key.span())
                .path(self.child_path(name))
                .label("unknown key");
            let mut known: Vec<&str> = self.asked.clone();
            known.sort_unstable();
            known.dedup();
            if let Some((_, alias)) = KNOWN_ALIASES.iter().find(|(alias, _)| *alias == name) {
                diagnostic = diagnostic.help(format!("capsim calls this {alias}"));
            } else if let Some(best) = did_you_mean(name, known.iter().copied()) {
                diagnostic = diagnostic.help(format!("did you mean `{best}`?"));
            } else {
                diagnostic = diagnostic.help(format!("expected one of {}", list(&known)));
            }
            reader.push(diagnostic);
        }
    }
}

impl Reader {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Records that `node` has the wrong TOML type.
    pub fn wrong_type(&mut self, node: &Node, expected: &str, example: &str) {
        self.push(
            Diagnostic::error(format!(
                "wrong type for `{}`: expected {expected}, found {}",
                node.key(),
                type_name(node.value)
            ))
            .at(node.span.clone())
            .path(node.path.clone())
            .label(format!("expected {expected}"))
            .help(format!("for example: {} = {example}", node.key())),
        );
    }

    /// Records that `node` has the right type but an unusable value.
    pub fn invalid(&mut self, node: &Node, message: impl Into<String>, help: Option<String>) {
        let mut diagnostic = Diagnostic::error(message)
            .at(node.span.clone())
            .path(node.path.clone())
            .label("invalid value");
        if let Some(help) = help {
            diagnostic = diagnostic.help(help);
        }
        self.push(diagnostic);
    }

    pub fn table<'t>(&mut self, node: &Node<'t>) -> Option<TableNode<'t>> {
        match node.value {
            DeValue::Table(table) => Some(TableNode::new(table, node.span.clone(), node.path.clone())),
            _ => {
                self.wrong_type(node, "a table", "{ ... }");
                None
            }
        }
    }

    pub fn array<'t>(&mut self, node: &Node<'t>) -> Option<Vec<Node<'t>>> {
        match node.value {
            DeValue::Array(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| Node::new(item, format!("{}[{index}]", node.path)))
                    .collect(),
            ),
            _ => {
                self.wrong_type(node, "an array", "[ ... ]");
                None
            }
        }
    }

    pub fn string<'t>(&mut self, node: &Node<'t>) -> Option<&'t str> {
        match node.value {
            DeValue::String(text) => Some(text.as_ref()),
            _ => {
                self.wrong_type(node, "a string", "\"...\"");
                None
            }
        }
    }

    /// A number, integer or float, that is finite.
    pub fn number(&mut self, node: &Node) -> Option<f64> {
        let value = match node.value {
            DeValue::Integer(integer) => i64::from_str_radix(integer.as_str(), integer.radix())
                .ok()
                .map(|v| v as f64)
                .or_else(|| {
                    u64::from_str_radix(integer.as_str(), integer.radix())
                        .ok()
                        .map(|v| v as f64)
                }),
            DeValue::Float(float) => float.as_str().parse::<f64>().ok(),
            _ => {
                self.wrong_type(node, "a number", "1.5");
                return None;
            }
        };
        match value {
            Some(value) if value.is_finite() => Some(value),
            _ => {
                self.invalid(node, format!("`{}` must be a finite number", node.key()), None);
                None
            }
        }
    }

    /// A number greater than zero.
    pub fn positive_number(&mut self, node: &Node) -> Option<f64> {
        let value = self.number(node)?;
        if value > 0.0 {
            Some(value)
        } else {
            self.invalid(
                node,
                format!("`{}` must be greater than zero, found {value}", node.key()),
                None,
            );
            None
        }
    }

    /// A whole number in `min..=max`. Integral floats (`1e6`) are accepted so
    /// large counts can be written in scientific notation.
    pub fn integer(&mut self, node: &Node, min: u64, max: u64) -> Option<u64> {
        let value = match node.value {
            DeValue::Integer(_) | DeValue::Float(_) => self.number(node)?,
            _ => {
                self.wrong_type(node, "a whole number", &min.max(1).to_string());
                return None;
            }
        };
        if value.fract() != 0.0 {
            self.invalid(
                node,
                format!("`{}` must be a whole number, found {value}", node.key()),
                None,
            );
            return None;
        }
        if value < min as f64 || value > max as f64 {
            self.invalid(
                node,
                format!("`{}` must be from {min} to {max}, found {value}", node.key()),
                (value > max as f64)
                    .then(|| format!("capsim caps `{}` at {max} so a run fits in memory", node.key())),
            );
            return None;
        }
        Some(value as u64)
    }

    /// A probability: a number from 0 to 1, or a percentage string.
    pub fn probability(&mut self, node: &Node) -> Option<f64> {
        let value = match node.value {
            DeValue::String(text) => match super::units::parse_percent(text) {
                Ok(value) => value,
                Err(message) => {
                    self.invalid(node, message, None);
                    return None;
                }
            },
            _ => self.number(node)?,
        };
        if (0.0..=1.0).contains(&value) {
            Some(value)
        } else {
            self.invalid(
                node,
                format!(
                    "`{}` must be a probability from 0 to 1, found {value}",
                    node.key()
                ),
                Some("write a fraction like 0.2, or a percentage like \"20%\"".to_owned()),
            );
            None
        }
    }

    pub fn boolean(&mut self, node: &Node) -> Option<bool> {
        match node.value {
            DeValue::Boolean(value) => Some(*value),
            _ => {
                self.wrong_type(node, "true or false", "true");
                None
            }
        }
    }

    /// A string parsed by a unit parser; numbers get a hint to add a unit.
    fn unit<T>(
        &mut self,
        node: &Node,
        what: &str,
        example: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match node.value {
            DeValue::String(text) => match parse(text) {
                Ok(value) => Some(value),
                Err(message) => {
                    self.invalid(
                        node,
                        format!("invalid {what} for `{}`: {message}", node.key()),
                        None,
                    );
                    None
                }
            },
            DeValue::Integer(_) | DeValue::Float(_) => {
                self.push(
                    Diagnostic::error(format!(
                        "`{}` needs a unit: {what}s are written as strings",
                        node.key()
                    ))
                    .at(node.span.clone())
                    .path(node.path.clone())
                    .label("a bare number is ambiguous")
                    .help(format!("for example: {} = {example}", node.key())),
                );
                None
            }
            _ => {
                self.wrong_type(node, &format!("a {what} string"), example);
                None
            }
        }
    }

    pub fn duration(&mut self, node: &Node) -> Option<SimDuration> {
        self.unit(node, "duration", "\"250ms\"", super::units::parse_duration)
    }

    /// A duration that must be longer than zero.
    pub fn positive_duration(&mut self, node: &Node) -> Option<SimDuration> {
        let duration = self.duration(node)?;
        if duration > SimDuration::ZERO {
            Some(duration)
        } else {
            self.invalid(node, format!("`{}` must be longer than zero", node.key()), None);
            None
        }
    }

    /// A rate in events per second, greater than zero.
    pub fn rate(&mut self, node: &Node) -> Option<f64> {
        let rate = self.unit(node, "rate", "\"1200/s\"", super::units::parse_rate)?;
        if rate > 0.0 {
            Some(rate)
        } else {
            self.invalid(
                node,
                format!("`{}` must be greater than zero, found {rate}/s", node.key()),
                Some("to stop traffic for a while, use a profile step to a small rate".to_owned()),
            );
            None
        }
    }

    pub fn size(&mut self, node: &Node) -> Option<u64> {
        self.unit(node, "size", "\"64KiB\"", super::units::parse_size)
    }

    /// One of a fixed set of words; returns its index in `options`.
    pub fn choice(&mut self, node: &Node, options: &[&str]) -> Option<usize> {
        let text = self.string(node)?;
        if let Some(index) = options.iter().position(|option| *option == text) {
            return Some(index);
        }
        let help = match did_you_mean(text, options.iter().copied()) {
            Some(best) => format!("did you mean `{best}`? (one of {})", list(options)),
            None => format!("expected one of {}", list(options)),
        };
        self.invalid(
            node,
            format!("unknown value `{text}` for `{}`", node.key()),
            Some(help),
        );
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Spanned<Table<'_>> {
        DeTable::parse(text).expect("valid TOML")
    }

    #[test]
    fn unknown_keys_get_a_suggestion() {
        let tree = parse("[pool]\nworkrs = 4\ninstances = 2\n");
        let mut reader = Reader::default();
        let pool = tree.get_ref().get("pool").unwrap();
        let node = Node::new(pool, "pool".into());
        let mut table = reader.table(&node).unwrap();
        table.get("workers");
        table.get("instances");
        table.finish(&mut reader);
        assert_eq!(reader.diagnostics.len(), 1);
        let diagnostic = &reader.diagnostics[0];
        assert_eq!(diagnostic.message, "unknown key `workrs` in `pool`");
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `workers`?"));
        assert_eq!(diagnostic.path.as_deref(), Some("pool.workrs"));
    }

    #[test]
    fn aliases_get_a_specific_hint() {
        let tree = parse("attempts = 3\n");
        let mut reader = Reader::default();
        let mut table = TableNode::new(tree.get_ref(), tree.span(), String::new());
        table.get("retries");
        table.finish(&mut reader);
        assert!(
            reader.diagnostics[0]
                .help
                .as_deref()
                .unwrap()
                .contains("`retries`")
        );
    }

    #[test]
    fn conversions_collect_errors_instead_of_stopping() {
        let tree = parse("a = \"eight\"\nb = 5\nc = \"5 parsecs\"\nd = 1.5\ne = 3e6\nf = \"150%\"\n");
        let mut reader = Reader::default();
        let mut table = TableNode::new(tree.get_ref(), tree.span(), String::new());
        assert_eq!(reader.integer(&table.get("a").unwrap(), 1, 10), None);
        assert_eq!(reader.duration(&table.get("b").unwrap()), None);
        assert_eq!(reader.duration(&table.get("c").unwrap()), None);
        assert_eq!(reader.integer(&table.get("d").unwrap(), 1, 10), None);
        assert_eq!(
            reader.integer(&table.get("e").unwrap(), 1, 10_000_000),
            Some(3_000_000)
        );
        assert_eq!(reader.probability(&table.get("f").unwrap()), None);
        assert_eq!(reader.diagnostics.len(), 5);
        assert!(reader.diagnostics[1].message.contains("needs a unit"));
    }

    #[test]
    fn choices_suggest_the_closest_option() {
        let tree = parse("policy = \"least_connection\"\n");
        let mut reader = Reader::default();
        let mut table = TableNode::new(tree.get_ref(), tree.span(), "balancer.lb".into());
        let options = ["round_robin", "least_connections", "random"];
        assert_eq!(reader.choice(&table.get("policy").unwrap(), &options), None);
        let help = reader.diagnostics[0].help.as_deref().unwrap();
        assert!(help.starts_with("did you mean `least_connections`?"), "{help}");
    }
}
