//! The leaves of the scenario format: human units, names, targets and the
//! few values that are "a number or a word". Each is a marker type whose
//! JSON Schema is written by hand (a `pattern` or a small `oneOf`), inlined
//! where it is used so an editor shows the field's own description beside
//! the format.
//!
//! The patterns follow `scenario::units` (the parsers are the truth; a test
//! in `tests/it/schema.rs` checks that both accept the same strings). What a
//! pattern cannot say — "longer than zero", "at most 290 years" — the
//! loader still checks.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// A decimal number as the unit parsers read it: digits with `_`
/// separators, an optional fraction and a non-negative exponent.
macro_rules! number {
    () => {
        r"(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][0-9_]+)?"
    };
}

/// A duration: `"250us"`, `"4ms"`, `"1.5s"`, `"10m"`; a bare zero is allowed.
pub const DURATION_PATTERN: &str = concat!(
    r"^\s*(?:",
    number!(),
    r"\s*(?:ns|us|µs|ms|s|sec|m|min|h|d)|0[0_]*(?:\.[0_]*)?)\s*$"
);
/// A rate: `"1200/s"`, `"1.5k/s"`, `"90/min"`.
pub const RATE_PATTERN: &str = concat!(
    r"^\s*",
    number!(),
    r"\s*[kKM]?\s*/\s*(?:s|sec|second|ms|m|min|minute|h|hour|d|day)\s*$"
);
/// A size: `"64KiB"`, `"1.5GB"`.
pub const SIZE_PATTERN: &str = concat!(r"^\s*", number!(), r"\s*(?:B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$");
/// A percentage: `"20%"`.
pub const PERCENT_PATTERN: &str = concat!(r"^\s*", number!(), r"\s*%\s*$");
/// A component or class name (not starting with `-`: `parse::names::FORMULA_STARTS`).
pub const NAME_PATTERN: &str = r"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$";
/// `component/endpoint`.
pub const ENDPOINT_PATTERN: &str = r"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}/[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$";
/// `component/endpoint`, or a component's name alone.
pub const ENTRY_PATTERN: &str = r"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}(?:/[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63})?$";
/// What a fault hits (see `parse::faults::parse_target`).
pub const FAULT_TARGET_PATTERN: &str = r"^(?:pool\.[A-Za-z0-9_-]{1,64}(?:\.instance\[[0-9]+\])?|database\.[A-Za-z0-9_-]{1,64}(?:\.shard\[[0-9]+\])?\.(?:primary|replica\[[0-9]+\])|cache\.[A-Za-z0-9_-]{1,64}\.node\[[0-9]+\]|datacenter\.[A-Za-z0-9_-]{1,64}|queue\.[A-Za-z0-9_-]{1,64}|cdn\.[A-Za-z0-9_-]{1,64}(?:\.edge\[[0-9]+\])?)$";

/// Declares a marker type whose schema is the given JSON, inlined at each use.
macro_rules! leaf {
    ($(#[$meta:meta])* $name:ident => $schema:tt) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

leaf! {
    /// A duration string with a unit (`ns us ms s m min h d`).
    Duration => {
        "type": "string",
        "pattern": DURATION_PATTERN,
        "examples": ["250us", "4ms", "1.5s", "10m"],
    }
}

leaf! {
    /// A rate string: a count (optionally `k` or `M`) per time unit.
    Rate => {
        "type": "string",
        "pattern": RATE_PATTERN,
        "examples": ["1200/s", "1.5k/s", "90/min"],
    }
}

leaf! {
    /// A size string in bytes (`B KB MB GB TB KiB MiB GiB TiB`).
    ByteSize => {
        "type": "string",
        "pattern": SIZE_PATTERN,
        "examples": ["64KiB", "1.5GB"],
    }
}

leaf! {
    /// A probability: a number from 0 to 1, or a percentage string.
    Probability => {
        "oneOf": [
            { "type": "number", "minimum": 0, "maximum": 1 },
            { "type": "string", "pattern": PERCENT_PATTERN },
        ],
        "examples": [0.2, "20%"],
    }
}

leaf! {
    /// A component name: letters, digits, `_`, `-` and `.`, at most 64 characters, not starting with `-`.
    Name => {
        "type": "string",
        "pattern": NAME_PATTERN,
    }
}

leaf! {
    /// An endpoint: `component/endpoint`.
    EndpointTarget => {
        "type": "string",
        "pattern": ENDPOINT_PATTERN,
        "examples": ["web/home", "lb/view_item"],
    }
}

leaf! {
    /// `component/endpoint`, or a component's name alone (a CDN, a database origin).
    EntryTarget => {
        "type": "string",
        "pattern": ENTRY_PATTERN,
        "examples": ["web/home", "static"],
    }
}

leaf! {
    /// What a fault hits.
    FaultTarget => {
        "type": "string",
        "pattern": FAULT_TARGET_PATTERN,
        "examples": [
            "pool.web", "pool.web.instance[0]", "database.db.primary",
            "database.db.replica[0]", "database.db.shard[1].primary", "cache.c.node[0]",
            "datacenter.dc-us",
        ],
    }
}

leaf! {
    /// A count of waiting places, or `"unbounded"`.
    QueueCapacity => {
        "oneOf": [
            { "type": "integer", "minimum": 0, "maximum": crate::scenario::bounds::MAX_QUEUE_CAPACITY },
            { "const": "unbounded" },
        ],
        "default": "unbounded",
    }
}

leaf! {
    /// A number of keys, or `"per_user"`.
    KeyCount => {
        "oneOf": [
            { "type": "integer", "minimum": 1, "maximum": crate::scenario::bounds::MAX_KEYS },
            { "const": "per_user" },
        ],
        "examples": [100000, "per_user"],
    }
}

leaf! {
    /// Per node: a number of entries, or a size in bytes.
    CacheCapacity => {
        "oneOf": [
            { "type": "integer", "minimum": 1, "maximum": crate::scenario::bounds::MAX_KEYS },
            { "type": "string", "pattern": SIZE_PATTERN },
        ],
        "examples": [50000, "2GiB"],
    }
}

leaf! {
    /// A coefficient of variation (standard deviation / mean).
    CoefficientOfVariation => {
        "type": "number",
        "minimum": crate::scenario::parse::CV_RANGE.0,
        "maximum": crate::scenario::parse::CV_RANGE.1,
        "examples": [0.5, 1.0],
    }
}
