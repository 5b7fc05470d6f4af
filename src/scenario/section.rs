//! One description per scenario key.
//!
//! A section declared with [`section!`] states, for each of its keys, once:
//! the key (the field's name), its Rust type in the resolved scenario, its
//! default — or that it is required, with an example, or optional — how it
//! is written and checked (a [`Kind`]: a count in a range, a positive
//! duration, a probability, a word, a distribution), and what it means (the
//! doc comment). From that one declaration come:
//!
//! - the resolved struct (`types.rs` re-exports it),
//! - its reader, which collects every problem with its place like the rest
//!   of the loader (`Reader`), applies the defaults and reports unknown keys,
//! - its JSON Schema (description, default, constraints) and so README.md's
//!   key table (`schema::reference`),
//! - its lines in the resolved dump.
//!
//! So a new key of such a section is one line here, plus any special
//! validation and its consumer. What a kind cannot say (relations between
//! keys, names of other components) is checked by the section's caller.

use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value};

use super::dist::Dist;
use super::dump;
use super::parse::Cx;
use super::parse::dist::read_duration_dist;
use super::parse::{read_cache_capacity, read_queue_capacity};
use super::reader::Node;
use super::schema::units;
use super::units::format_duration;
use super::words::Words;
use crate::engine::SimDuration;

/// How a key's value is written in a scenario and checked.
pub(crate) trait Kind {
    /// The value in the resolved scenario.
    type Value;
    /// Reads the value at `node`, recording any problem in `cx.reader`.
    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Self::Value>;
    /// The schema of a value (without description or default).
    fn schema(&self, generator: &mut SchemaGenerator) -> Value;
    /// A value as TOML text, for the dump.
    fn toml(&self, value: &Self::Value) -> String;
    /// A value as TOML text in a resolved dump, distributions written by
    /// `dists` (a long empirical one may go to a side file).
    fn toml_with<'a>(&self, value: &'a Self::Value, dists: &impl DistOut<'a>) -> String {
        let _ = dists;
        self.toml(value)
    }
    /// A value as JSON, for the schema's `default`.
    fn json(&self, value: &Self::Value) -> Value {
        toml_to_json(&self.toml(value))
    }
}

/// How a dump writes a distribution: inline (`InlineDists`), or with the
/// samples of a long empirical one in a side file (`dump::resolved`).
pub(crate) trait DistOut<'a> {
    /// The distribution as TOML text.
    fn dist(&self, dist: &'a Dist) -> String;
}

/// Every distribution written inline.
pub(crate) struct InlineDists;

impl DistOut<'_> for InlineDists {
    fn dist(&self, dist: &Dist) -> String {
        dump::dist(dist)
    }
}

/// JSON of a TOML value written by a kind (numbers, strings, booleans).
fn toml_to_json(text: &str) -> Value {
    let table: toml::Table = toml::from_str(&format!("v = {text}")).expect("a kind writes valid TOML");
    serde_json::to_value(&table["v"]).expect("a TOML value converts to JSON")
}

/// A schema given by a type, inlined.
fn schema_of<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// A whole number from `min` to `max` (integral floats such as `1e6` too).
pub(crate) struct Count {
    pub min: u64,
    pub max: u64,
}

impl Kind for Count {
    type Value = u64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<u64> {
        cx.reader.integer(node, self.min, self.max)
    }

    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        serde_json::json!({ "type": "integer", "minimum": self.min, "maximum": self.max })
    }

    fn toml(&self, value: &u64) -> String {
        value.to_string()
    }
}

/// `Count` for a `u32` field (its `max` fits in `u32`).
pub(crate) struct Count32 {
    pub min: u64,
    pub max: u64,
}

impl Kind for Count32 {
    type Value = u32;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<u32> {
        debug_assert!(self.max <= u64::from(u32::MAX));
        cx.reader
            .integer(node, self.min, self.max)
            .map(|value| value as u32)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        Count {
            min: self.min,
            max: self.max,
        }
        .schema(generator)
    }

    fn toml(&self, value: &u32) -> String {
        value.to_string()
    }
}

/// A closed workload's users: from 1 to `MAX_CLOSED_USERS`; above it (up
/// to an open workload's `MAX_USERS`), the message says why and what to use.
pub(crate) struct ClosedUsers;

impl Kind for ClosedUsers {
    type Value = u64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<u64> {
        use super::parse::{MAX_CLOSED_USERS, MAX_USERS};
        let users = cx.reader.integer(node, 1, MAX_USERS)?;
        if users > MAX_CLOSED_USERS {
            cx.reader.invalid(
                node,
                format!("a closed workload may have at most {MAX_CLOSED_USERS} users, found {users}"),
                Some(
                    "each closed user always holds a pending think or request (about 64 bytes); \
                     for a larger population use `kind = \"open\"` with its `rate` and `users`"
                        .to_owned(),
                ),
            );
            return None;
        }
        Some(users)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        Count {
            min: 1,
            max: super::parse::MAX_CLOSED_USERS,
        }
        .schema(generator)
    }

    fn toml(&self, value: &u64) -> String {
        value.to_string()
    }
}

/// A number greater than zero.
pub(crate) struct PositiveNumber;

impl Kind for PositiveNumber {
    type Value = f64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<f64> {
        cx.reader.positive_number(node)
    }

    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        serde_json::json!({ "type": "number", "exclusiveMinimum": 0 })
    }

    fn toml(&self, value: &f64) -> String {
        dump::float(*value)
    }
}

/// A number of zero or more.
pub(crate) struct NonNegativeNumber;

impl Kind for NonNegativeNumber {
    type Value = f64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<f64> {
        let value = cx.reader.number(node)?;
        if value < 0.0 {
            cx.reader.invalid(
                node,
                format!("`{}` must be zero or more, found {value}", node.key()),
                None,
            );
            return None;
        }
        Some(value)
    }

    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        serde_json::json!({ "type": "number", "minimum": 0 })
    }

    fn toml(&self, value: &f64) -> String {
        dump::float(*value)
    }
}

/// A number of at least `min`; below it, the message says `why` not.
pub(crate) struct AtLeast {
    pub min: f64,
    pub why: &'static str,
}

impl Kind for AtLeast {
    type Value = f64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<f64> {
        let value = cx.reader.number(node)?;
        if value < self.min {
            let message = format!("`{}` must be at least {} ({})", node.key(), self.min, self.why);
            cx.reader.invalid(node, message, None);
            return None;
        }
        Some(value)
    }

    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        serde_json::json!({ "type": "number", "minimum": self.min })
    }

    fn toml(&self, value: &f64) -> String {
        dump::float(*value)
    }
}

/// One of the words of a `words!` enum.
pub(crate) struct Word<E>(PhantomData<E>);

/// The kind of a key whose value is one of `E`'s words.
pub(crate) const fn word<E>() -> Word<E> {
    Word(PhantomData)
}

impl<E: Words> Kind for Word<E> {
    type Value = E;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<E> {
        cx.reader.choice(node, E::NAMES).map(|index| E::ALL[index])
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<E>(generator)
    }

    fn toml(&self, value: &E) -> String {
        toml::Value::String(value.name().to_owned()).to_string()
    }
}

/// A probability: a number from 0 to 1, or a percentage string.
pub(crate) struct Probability;

impl Kind for Probability {
    type Value = f64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<f64> {
        cx.reader.probability(node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<units::Probability>(generator)
    }

    fn toml(&self, value: &f64) -> String {
        dump::float(*value)
    }
}

/// A duration string (zero allowed).
pub(crate) struct Duration;

impl Kind for Duration {
    type Value = SimDuration;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<SimDuration> {
        cx.reader.duration(node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<units::Duration>(generator)
    }

    fn toml(&self, value: &SimDuration) -> String {
        toml::Value::String(format_duration(*value)).to_string()
    }
}

/// A duration string longer than zero.
pub(crate) struct PositiveDuration;

impl Kind for PositiveDuration {
    type Value = SimDuration;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<SimDuration> {
        cx.reader.positive_duration(node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<units::Duration>(generator)
    }

    fn toml(&self, value: &SimDuration) -> String {
        toml::Value::String(format_duration(*value)).to_string()
    }
}

/// A mean time between events (`mtbf`): a plain duration is the mean of an
/// exponential, as the name says (`"5m"` is `{ dist = "exp", mean = "5m" }`),
/// not a fixed period (that is `every`); a table is any distribution.
pub(crate) struct MeanDurationDist;

impl Kind for MeanDurationDist {
    type Value = Dist;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Dist> {
        match read_duration_dist(&mut cx.reader, node, cx.base_dir)? {
            Dist::Const { value } if matches!(node.value, toml::de::DeValue::String(_)) => {
                Some(Dist::Exp { mean: value })
            }
            dist => Some(dist),
        }
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<super::schema::dist::DurationDist>(generator)
    }

    fn toml(&self, value: &Dist) -> String {
        dump::dist(value)
    }

    fn toml_with<'a>(&self, value: &'a Dist, dists: &impl DistOut<'a>) -> String {
        dists.dist(value)
    }
}

/// A duration, or a distribution of durations
/// (`{ dist = "exp", mean = "4ms" }`; an empirical one may name a file).
pub(crate) struct DurationDist;

impl Kind for DurationDist {
    type Value = Dist;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Dist> {
        read_duration_dist(&mut cx.reader, node, cx.base_dir)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<super::schema::dist::DurationDist>(generator)
    }

    fn toml(&self, value: &Dist) -> String {
        dump::dist(value)
    }

    fn toml_with<'a>(&self, value: &'a Dist, dists: &impl DistOut<'a>) -> String {
        dists.dist(value)
    }

    /// A constant as the duration users write (`"0s"`), not as a table.
    fn json(&self, value: &Dist) -> Value {
        match value {
            Dist::Const { value } => format_duration(SimDuration::from_nanos_f64(*value)).into(),
            _ => toml_to_json(&self.toml(value)),
        }
    }
}

/// Waiting places: a count, or `"unbounded"` (`None`).
pub(crate) struct QueueCapacity;

impl Kind for QueueCapacity {
    type Value = Option<u32>;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Option<u32>> {
        read_queue_capacity(&mut cx.reader, node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<units::QueueCapacity>(generator)
    }

    fn toml(&self, value: &Option<u32>) -> String {
        match value {
            Some(capacity) => capacity.to_string(),
            None => "\"unbounded\"".to_owned(),
        }
    }
}

/// `true` or `false`.
pub(crate) struct Boolean;

impl Kind for Boolean {
    type Value = bool;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<bool> {
        cx.reader.boolean(node)
    }

    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        serde_json::json!({ "type": "boolean" })
    }

    fn toml(&self, value: &bool) -> String {
        value.to_string()
    }
}

/// Free text.
pub(crate) struct Text;

impl Kind for Text {
    type Value = String;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<String> {
        cx.reader.string(node).map(str::to_owned)
    }

    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        serde_json::json!({ "type": "string" })
    }

    fn toml(&self, value: &String) -> String {
        toml::Value::String(value.clone()).to_string()
    }
}

/// A seed: any whole number from 0 to 2^64-1 (TOML integers stop at
/// 2^63-1, but the text of a larger one is read as written).
pub(crate) struct Seed;

impl Kind for Seed {
    type Value = u64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<u64> {
        match node.value {
            toml::de::DeValue::Integer(integer) => {
                let parsed = u64::from_str_radix(integer.as_str(), integer.radix()).ok();
                if parsed.is_none() {
                    let message = format!("`{}` must be a whole number from 0 to 2^64-1", node.key());
                    cx.reader.invalid(node, message, None);
                }
                parsed
            }
            _ => {
                cx.reader.wrong_type(node, "a whole number", "42");
                None
            }
        }
    }

    fn schema(&self, _: &mut SchemaGenerator) -> Value {
        serde_json::json!({ "type": "integer", "minimum": 0, "maximum": u64::MAX })
    }

    fn toml(&self, value: &u64) -> String {
        value.to_string()
    }
}

/// A rate greater than zero (`"1200/s"`), in requests per second.
pub(crate) struct Rate;

impl Kind for Rate {
    type Value = f64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<f64> {
        cx.reader.rate(node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<units::Rate>(generator)
    }

    fn toml(&self, value: &f64) -> String {
        toml::Value::String(super::units::format_rate(*value)).to_string()
    }
}

/// A duration longer than zero, or `"never"` (`None`): how long a
/// semi-synchronous write waits for its acks.
pub(crate) struct SemiSyncTimeout;

impl Kind for SemiSyncTimeout {
    type Value = Option<SimDuration>;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Option<SimDuration>> {
        if let toml::de::DeValue::String(text) = node.value {
            if text.as_ref() == "never" {
                return Some(None);
            }
            if let Err(message) = super::units::parse_duration(text) {
                let help = "a duration such as \"10s\", or \"never\" to wait for the acks however long";
                cx.reader.invalid(
                    node,
                    format!("invalid duration for `{}`: {message}", node.key()),
                    Some(help.to_owned()),
                );
                return None;
            }
        }
        cx.reader.positive_duration(node).map(Some)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<super::schema::SemiSyncTimeout>(generator)
    }

    fn toml(&self, value: &Option<SimDuration>) -> String {
        let text = value.map_or_else(|| "never".to_owned(), format_duration);
        toml::Value::String(text).to_string()
    }
}

/// A cache's capacity per node: entries (`50000`) or bytes (`"2GiB"`).
pub(crate) struct CacheCapacity;

impl Kind for CacheCapacity {
    type Value = super::types::CacheCapacity;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Self::Value> {
        read_cache_capacity(&mut cx.reader, node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<units::CacheCapacity>(generator)
    }

    fn toml(&self, value: &Self::Value) -> String {
        match *value {
            super::types::CacheCapacity::Entries(entries) => entries.to_string(),
            super::types::CacheCapacity::Bytes(bytes) => {
                toml::Value::String(super::units::format_size(bytes)).to_string()
            }
        }
    }
}

/// A size in bytes (`"10GiB"`).
pub(crate) struct ByteSize;

impl Kind for ByteSize {
    type Value = u64;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<u64> {
        cx.reader.size(node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<units::ByteSize>(generator)
    }

    fn toml(&self, value: &u64) -> String {
        toml::Value::String(super::units::format_size(*value)).to_string()
    }
}

/// A number of keys, or `"per_user"` (`None`: one key per user).
pub(crate) struct KeyCount;

impl Kind for KeyCount {
    type Value = Option<u64>;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Option<u64>> {
        match node.value {
            toml::de::DeValue::String(text) if text.as_ref() == "per_user" => Some(None),
            _ => cx.reader.integer(node, 1, super::parse::MAX_KEYS).map(Some),
        }
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<units::KeyCount>(generator)
    }

    fn toml(&self, value: &Option<u64>) -> String {
        match value {
            Some(keys) => keys.to_string(),
            None => "\"per_user\"".to_owned(),
        }
    }
}

/// `"uniform"`, or `{ zipf = ALPHA }`.
pub(crate) struct Popularity;

impl Kind for Popularity {
    type Value = super::types::Popularity;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Self::Value> {
        super::parse::read_popularity(&mut cx.reader, node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<super::schema::Popularity>(generator)
    }

    fn toml(&self, value: &Self::Value) -> String {
        match value {
            super::types::Popularity::Uniform => "\"uniform\"".to_owned(),
            super::types::Popularity::Zipf { alpha } => format!("{{ zipf = {} }}", dump::float(*alpha)),
        }
    }
}

/// An object size: a size (`"1KiB"`), or a distribution of sizes in bytes.
pub(crate) struct SizeDist;

impl Kind for SizeDist {
    type Value = Dist;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<Dist> {
        super::parse::read_size_distribution(&mut cx.reader, node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<super::schema::SizeDist>(generator)
    }

    fn toml(&self, value: &Dist) -> String {
        dump::size_dist(value)
    }
}

/// A section written inline as a key's value (`health_check = { … }`).
pub(crate) trait Inline: Sized + JsonSchema {
    /// Reads the section at `node`.
    fn read_inline(cx: &mut Cx, node: &Node) -> Option<Self>;
    /// The section as an inline table.
    fn dump_inline(&self) -> String;
}

/// The kind of a key whose value is the inline section `S`.
pub(crate) struct Nested<S>(PhantomData<S>);

/// The kind of a key whose value is the inline section `S`.
pub(crate) const fn nested<S>() -> Nested<S> {
    Nested(PhantomData)
}

impl<S: Inline> Kind for Nested<S> {
    type Value = S;

    fn read(&self, cx: &mut Cx, node: &Node) -> Option<S> {
        S::read_inline(cx, node)
    }

    fn schema(&self, generator: &mut SchemaGenerator) -> Value {
        schema_of::<S>(generator)
    }

    fn toml(&self, value: &S) -> String {
        value.dump_inline()
    }
}

/// `key = value` lines as one inline table: `{ key = value, … }`.
pub(crate) fn inline_table(lines: &str) -> String {
    format!("{{ {} }}", lines.trim_end().replace('\n', ", "))
}

/// The doc comment of a key or section as the schema's description (the
/// lines joined by newlines, as `schemars` does for derived types).
pub(crate) fn description(lines: &[&str]) -> String {
    let text: Vec<&str> = lines
        .iter()
        .map(|line| line.strip_prefix(' ').unwrap_or(line))
        .collect();
    text.join("\n").trim().to_owned()
}

/// The schema of a section: an object of its keys.
pub(crate) fn object_schema(
    description: &str,
    properties: Map<String, Value>,
    required: Vec<String>,
) -> Schema {
    let mut object = Map::new();
    object.insert("additionalProperties".into(), Value::Bool(false));
    object.insert("description".into(), Value::String(description.to_owned()));
    object.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        object.insert("required".into(), required.into());
    }
    object.insert("type".into(), "object".into());
    Schema::from(object)
}

/// Adds a flattened section's keys (its schema's properties, and which
/// are required) to the enclosing section's.
pub(crate) fn flatten_schema(
    section: Schema,
    properties: &mut Map<String, Value>,
    required: &mut Vec<String>,
) {
    let mut section = section.to_value();
    if let Some(Value::Object(inner)) = section.get_mut("properties").map(Value::take) {
        properties.extend(inner);
    }
    if let Some(Value::Array(inner)) = section.get("required") {
        required.extend(inner.iter().filter_map(Value::as_str).map(str::to_owned));
    }
}

/// A key's schema: its kind's, with its description and default (a value,
/// or words for a default that is no value, such as "unlimited").
pub(crate) fn key_schema(
    mut kind: Value,
    description: String,
    default: Option<Value>,
    default_text: Option<&str>,
) -> Value {
    if let Value::Object(object) = &mut kind {
        if let Some(default) = default {
            object.insert("default".into(), default);
        }
        object.insert("description".into(), Value::String(description));
        if let Some(text) = default_text {
            object.insert(super::schema::reference::DEFAULT_TEXT.into(), text.into());
        }
    }
    kind
}

/// Declares a section: see the module doc. Each key is `/// meaning` then
/// `key: Type = default(EXPR) | default(EXPR, "words") | required("example") | optional() |
/// optional("words"), Kind;` (`optional("unlimited")`: absent is `None`, and the reference
/// says "unlimited"; `default(Retry::default(), "no retries")`: the reference says the words
/// instead of the value).
/// `/// meaning` then `field: Section = flatten();` is no key but another section whose keys
/// are written among this one's (a step's `Guards`): read from the same table, dumped at
/// that place, their schemas this object's properties.
/// `pub struct Size(name) { … }` declares a named section
/// (`[size.<name>]`): a `name` field that is no key, and a reader that takes it.
/// `#[partial(AutoscaleRead)]` before `pub struct` also declares
/// `AutoscaleRead`, the keys read one by one (`read_partial`, then
/// `complete`), for a caller that checks a rule between two keys even when
/// a third is invalid. `#[derive(Copy)]` adds derives to the resolved
/// struct. `hold as "for": …` names a key that is no Rust identifier.
macro_rules! section {
    (
        $(#[doc = $doc:literal])*
        $(#[partial($partial:ident)])?
        $(#[derive($($derive:ident),+)])?
        pub struct $name:ident $(( $named:ident ))? {
            $(
                $(#[doc = $key_doc:literal])*
                $key:ident $(as $rename:literal)? : $type:ty = $presence:ident ( $($value:tt)* ) $(, $kind:expr)?;
            )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug, PartialEq $($(, $derive)+)?)]
        pub struct $name {
            $(
                /// The section's name (its key in `[kind.<name>]`).
                pub $named: String,
            )?
            $($(#[doc = $key_doc])* pub $key: $type,)+
        }

        impl $name {
            /// Reads the section at `node`: every key with its kind, the
            /// defaults, and every unknown key reported.
            #[allow(dead_code)]
            pub(crate) fn read(
                cx: &mut $crate::scenario::parse::Cx,
                $($named: String,)?
                node: &$crate::scenario::reader::Node,
            ) -> Option<Self> {
                let mut table = cx.reader.table(node)?;
                let section = Self::read_keys(cx, $($named,)? &mut table);
                table.finish(&mut cx.reader);
                section
            }

            /// Reads the section's keys from `table`, a table that also holds
            /// keys its caller reads (the caller then reports unknown keys).
            #[allow(dead_code)]
            pub(crate) fn read_keys(
                cx: &mut $crate::scenario::parse::Cx,
                $($named: String,)?
                table: &mut $crate::scenario::reader::TableNode,
            ) -> Option<Self> {
                #[allow(unused_imports)]
                use $crate::scenario::section::Kind as _;
                $(
                    let $key = $crate::scenario::section::section!(
                        @read cx, table, $crate::scenario::section::section!(@name $key $($rename)?), [$($kind)?], $type, $presence ($($value)*)
                    );
                )+
                Some($name { $($named,)? $($key: $key?,)+ })
            }

            /// The section as written when it is left out: `None` if a key is required.
            #[allow(dead_code)]
            pub(crate) fn defaults($($named: String)?) -> Option<Self> {
                $(
                    let $key = $crate::scenario::section::section!(@only_default $type, $presence ($($value)*));
                )+
                Some($name { $($named,)? $($key: $key?,)+ })
            }

            /// Every key as an inline table: `{ key = value, … }`.
            #[allow(dead_code)]
            pub(crate) fn dump_inline(&self) -> String {
                let mut lines = String::new();
                self.dump_keys(&mut lines);
                $crate::scenario::section::inline_table(&lines)
            }

            /// Writes every key as a `key = value` line (absent optional keys left out).
            pub(crate) fn dump_keys(&self, out: &mut String) {
                self.dump_keys_with(out, &$crate::scenario::section::InlineDists);
            }

            /// `dump_keys`, distributions written by `dists`.
            pub(crate) fn dump_keys_with<'a>(
                &'a self,
                out: &mut String,
                dists: &impl $crate::scenario::section::DistOut<'a>,
            ) {
                #[allow(unused_imports)]
                use $crate::scenario::section::Kind as _;
                $(
                    $crate::scenario::section::section!(
                        @dump out, dists, self.$key, $crate::scenario::section::section!(@name $key $($rename)?), [$($kind)?], $presence
                    );
                )+
            }
        }

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                #[allow(unused_imports)]
                use $crate::scenario::section::Kind as _;
                let mut properties = serde_json::Map::new();
                #[allow(unused_mut)]
                let mut required: Vec<String> = Vec::new();
                $(
                    $crate::scenario::section::section!(
                        @schema generator, properties, required,
                        $crate::scenario::section::section!(@name $key $($rename)?),
                        [$($kind)?], $type, $presence ($($value)*), [$($key_doc),*]
                    );
                )+
                $crate::scenario::section::object_schema(
                    &$crate::scenario::section::description(&[$($doc),*]),
                    properties,
                    required,
                )
            }
        }

        $crate::scenario::section::section!(
            @partial [$($partial)?] [$($named)?] $name {
                $($key, $crate::scenario::section::section!(@name $key $($rename)?), [$($kind)?], $presence ($($value)*): $type;)+
            }
        );
    };

    (@partial [] [$($named:ident)?] $name:ident { $($rest:tt)* }) => {};
    (@partial [$partial:ident] [$($named:ident)?] $name:ident {
        $($key:ident, $keyname:expr, [$($kind:expr)?], $presence:ident ($($value:tt)*): $type:ty;)+
    }) => {
        /// The keys of a section read one by one, so a rule between two
        /// keys can be checked even when a third is invalid: `None` where a
        /// key is invalid (or required and missing).
        pub(crate) struct $partial {
            $(pub $key: Option<$type>,)+
        }

        impl $partial {
            /// The section, when every key read.
            #[allow(dead_code)]
            pub(crate) fn complete(self $(, $named: String)?) -> Option<$name> {
                Some($name { $($named,)? $($key: self.$key?,)+ })
            }
        }

        impl $name {
            /// Reads the section's keys from `table` (see `read_keys`), each on its own.
            pub(crate) fn read_partial(
                cx: &mut $crate::scenario::parse::Cx,
                table: &mut $crate::scenario::reader::TableNode,
            ) -> $partial {
                #[allow(unused_imports)]
                use $crate::scenario::section::Kind as _;
                $partial {
                    $($key: $crate::scenario::section::section!(
                        @read cx, table, $keyname, [$($kind)?], $type, $presence ($($value)*)
                    ),)+
                }
            }
        }
    };

    (@name $key:ident) => {
        stringify!($key)
    };
    (@name $key:ident $rename:literal) => {
        $rename
    };

    (@read $cx:ident, $table:ident, $key:expr, [], $type:ty, flatten ()) => {
        <$type>::read_keys($cx, $table)
    };
    (@read $cx:ident, $table:ident, $key:expr, [$kind:expr], $type:ty, default ($default:expr $(, $text:literal)?)) => {
        $table
            .get($key)
            .map(|node| $kind.read($cx, &node))
            .unwrap_or(Some($default))
    };
    (@read $cx:ident, $table:ident, $key:expr, [$kind:expr], $type:ty, required ($example:expr)) => {
        $table
            .require(&mut $cx.reader, $key, $example)
            .and_then(|node| $kind.read($cx, &node))
    };
    (@read $cx:ident, $table:ident, $key:expr, [$kind:expr], $type:ty, optional ($($text:literal)?)) => {
        match $table.get($key) {
            None => Some(None),
            Some(node) => $kind.read($cx, &node).map(Some),
        }
    };

    (@dump $out:ident, $dists:ident, $value:expr, $key:expr, [], flatten) => {
        $value.dump_keys_with($out, $dists);
    };
    (@dump $out:ident, $dists:ident, $value:expr, $key:expr, [$kind:expr], optional) => {
        if let Some(value) = &$value {
            $out.push_str(&format!("{} = {}\n", $key, $kind.toml_with(value, $dists)));
        }
    };
    (@dump $out:ident, $dists:ident, $value:expr, $key:expr, [$kind:expr], $presence:ident) => {
        $out.push_str(&format!("{} = {}\n", $key, $kind.toml_with(&$value, $dists)));
    };

    (@default $kind:ident, default ($default:expr $(, $text:literal)?)) => {
        Some($kind.json(&$default))
    };
    (@default $kind:ident, $presence:ident ($($value:tt)*)) => {
        None
    };

    (@only_default $type:ty, flatten ()) => {
        <$type>::defaults()
    };
    (@only_default $type:ty, default ($default:expr $(, $text:literal)?)) => {
        Some($default)
    };
    (@only_default $type:ty, optional ($($text:literal)?)) => {
        Some(None)
    };
    (@only_default $type:ty, required ($example:expr)) => {
        None
    };

    (@schema $generator:ident, $properties:ident, $required:ident, $key:expr, [], $type:ty, flatten (),
        [$($doc:literal),*]) => {
        $crate::scenario::section::flatten_schema(
            <$type as schemars::JsonSchema>::json_schema($generator),
            &mut $properties,
            &mut $required,
        );
    };
    (@schema $generator:ident, $properties:ident, $required:ident, $key:expr, [$kind:expr], $type:ty,
        $presence:ident ($($value:tt)*), [$($doc:literal),*]) => {
        let kind = $kind;
        let default = $crate::scenario::section::section!(@default kind, $presence ($($value)*));
        let default_text: Option<&str> = $crate::scenario::section::section!(@default_text $presence ($($value)*));
        let key = $key;
        $crate::scenario::section::section!(@required $required, key, $presence);
        $properties.insert(
            key.to_owned(),
            $crate::scenario::section::key_schema(
                kind.schema($generator),
                $crate::scenario::section::description(&[$($doc),*]),
                default,
                default_text,
            ),
        );
    };

    (@default_text optional ($text:literal)) => {
        Some($text)
    };
    (@default_text default ($default:expr, $text:literal)) => {
        Some($text)
    };
    (@default_text $presence:ident ($($value:tt)*)) => {
        None
    };

    (@required $required:ident, $key:ident, required) => {
        $required.push($key.to_owned());
    };
    (@required $required:ident, $key:ident, $presence:ident) => {};
}

pub(crate) use section;
