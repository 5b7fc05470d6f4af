//! The JSON Schema of the scenario *input* format, generated from the Rust
//! types in this module with `schemars`.
//!
//! The loader (`reader` and `parse`) is hand-written over a spanned TOML
//! tree, so these types are never deserialized: they exist only to describe
//! what the loader accepts — every section and key, its unit or format, its
//! default and what it means — for editors (completion and validation via
//! Taplo / Even Better TOML), for `capsim schema` and for the README's
//! scenario-reference tables (`reference`: a key's doc comment is its
//! meaning there, its `default` or `x-default-text` its default). Word
//! enums (`Policy`, `Eviction`, …) are the resolved scenario's own, declared
//! once with `words!`. Unknown keys are
//! rejected (`additionalProperties: false`) exactly where the loader rejects
//! them. What needs the whole scenario (names that must exist, `warmup` a
//! whole number of windows) is left to the loader.
//!
//! The shipped file `schema/capsim-scenario.schema.json` is this output;
//! `tests/it/schema.rs` keeps the two equal, validates every shipped
//! scenario against it, and checks that the README's generated tables are
//! current.

mod cdn;
mod components;
mod data;
pub(crate) mod dist;
mod faults;
mod geo;
mod queues;
pub mod reference;
pub mod units;
mod workload;

use std::collections::BTreeMap;

use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use schemars::{JsonSchema, Schema};
use serde_json::Value;

pub use crate::scenario::geo::Region;
pub use crate::scenario::types::Keyspace;
use crate::scenario::types::{Limits, PlanTable, Recovery, ScenarioKeys, Size, Slos};
pub use cdn::{Cdn, Deploy, SizeDist};
pub use components::{Balancer, Dns, Endpoint, Network, Pool, Step};
pub use data::{Cache, Database, Popularity, SemiSyncTimeout};
pub use dist::{DistTable, DurationDist};
pub use faults::Fault;
pub use geo::{Datacenter, Link};
pub use queues::{Autoscale, Queue};
pub use workload::Workload;

use units::Duration;

/// Where the generated schema is shipped, relative to the repository root.
pub const SHIPPED_PATH: &str = "schema/capsim-scenario.schema.json";

/// A capsim scenario file.
#[derive(JsonSchema)]
#[schemars(title = "capsim scenario", deny_unknown_fields)]
pub struct ScenarioFile {
    /// The run: its name, seed, simulated duration, warm-up and window.
    pub scenario: Meta,
    /// Safety limits of a run.
    pub limits: Option<Limits>,
    /// Who sends requests, how often, and what they ask for.
    pub workload: Workload,
    /// Latencies of the hops between components.
    pub network: Option<Network>,
    /// Instance sizes by name (built-in sizes such as `m5.large` need no entry).
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub size: Option<BTreeMap<String, Size>>,
    /// Hosts (machines whose cores several components share) by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub host: Option<BTreeMap<String, crate::scenario::host::Host>>,
    /// DNS names by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub dns: Option<BTreeMap<String, Dns>>,
    /// Load balancers by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub balancer: Option<BTreeMap<String, Balancer>>,
    /// Server pools by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub pool: Option<BTreeMap<String, Pool>>,
    /// Databases by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub database: Option<BTreeMap<String, Database>>,
    /// Keyspaces (the items requests are about) by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub keyspace: Option<BTreeMap<String, Keyspace>>,
    /// Caches by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub cache: Option<BTreeMap<String, Cache>>,
    /// Regions (where the users are) by name.
    #[schemars(extend(
        "propertyNames" = { "pattern": units::NAME_PATTERN },
        "maxProperties" = crate::scenario::parse::MAX_REGIONS
    ))]
    pub region: Option<BTreeMap<String, Region>>,
    /// Data centers (places in a region) by name.
    #[schemars(extend(
        "propertyNames" = { "pattern": units::NAME_PATTERN },
        "maxProperties" = crate::scenario::parse::MAX_REGIONS
    ))]
    pub datacenter: Option<BTreeMap<String, Datacenter>>,
    /// Message brokers by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub queue: Option<BTreeMap<String, Queue>>,
    /// CDNs by name.
    #[schemars(extend("propertyNames" = { "pattern": units::NAME_PATTERN }))]
    pub cdn: Option<BTreeMap<String, Cdn>>,
    /// Failures to inject, scheduled or random.
    pub faults: Option<Vec<Fault>>,
    /// When a drill counts the service as recovered.
    pub recovery: Option<Recovery>,
    /// The objectives a run is judged by.
    pub slo: Option<Slos>,
    /// What `capsim plan` designs and must survive.
    pub plan: Option<PlanTable>,
}

/// `[scenario]`: the run itself.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Meta {
    /// Shown in outputs.
    #[schemars(extend("x-default-text" = "file name"))]
    pub name: Option<String>,
    /// The keys declared with the scenario's type (`types::ScenarioKeys`).
    #[schemars(flatten)]
    pub keys: ScenarioKeys,
    /// Width of a time-series row.
    #[schemars(extend("x-default-text" = "`\"10s\"` (or `duration` if shorter)"))]
    pub window: Option<Duration>,
}

/// The schema as a JSON value (draft-07, which Taplo and most editors read).
pub fn schema() -> serde_json::Value {
    let mut settings = SchemaSettings::draft07();
    // TOML has no null: an absent key is how an option is left out.
    // Before the draft-07 transforms, which move `$ref` siblings into `allOf`.
    settings
        .transforms
        .insert(0, Box::new(RecursiveTransform(drop_null)));
    let generator = settings.into_generator();
    generator.into_root_schema_for::<ScenarioFile>().to_value()
}

/// Removes the `null` that `schemars` allows for every `Option` field (TOML
/// has no null, and editors would offer it as a value), and the integer and
/// float formats of Rust types.
fn drop_null(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    // Rust's integer and float widths are no format a TOML editor knows.
    if let Some(Value::String(format)) = object.get("format")
        && matches!(format.as_str(), "uint32" | "uint64" | "double")
    {
        object.remove("format");
    }
    let null = Value::from("null");
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|kind| *kind != null);
        if types.len() == 1 {
            let only = types.remove(0);
            object.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(values)) = object.get_mut("enum")
        && values.contains(&Value::Null)
    {
        values.retain(|value| !value.is_null());
        if values.len() == 1 {
            let only = values.remove(0);
            object.remove("enum");
            object.insert("const".into(), only);
        }
    }
    if let Some(Value::Array(alternatives)) = object.get_mut("anyOf") {
        alternatives.retain(|alternative| alternative.get("type") != Some(&null));
        if alternatives.len() == 1
            && let Some(Value::Object(only)) = alternatives.pop()
        {
            object.remove("anyOf");
            if only.keys().any(|key| object.contains_key(key)) {
                let all = object.entry("allOf").or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(all) = all {
                    all.push(Value::Object(only));
                }
            } else {
                object.extend(only);
            }
        }
    }
}

/// The schema as the pretty-printed text `capsim schema` prints and the
/// repository ships (ending in a newline).
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a JSON value always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls `visit` on every schema object in `value`.
    fn walk(value: &Value, visit: &mut impl FnMut(&serde_json::Map<String, Value>)) {
        match value {
            Value::Object(object) => {
                visit(object);
                object.values().for_each(|child| walk(child, visit));
            }
            Value::Array(items) => items.iter().for_each(|child| walk(child, visit)),
            _ => {}
        }
    }

    #[test]
    fn every_table_rejects_unknown_keys_like_the_loader() {
        let mut open = Vec::new();
        walk(&schema(), &mut |object| {
            // Conditions (`if`, `then`) name properties too, but are no tables.
            let table = object.get("type") == Some(&"object".into()) && object.contains_key("properties");
            if table && object.get("additionalProperties") != Some(&false.into()) {
                open.push(object.get("description").cloned());
            }
        });
        assert!(open.is_empty(), "tables that accept unknown keys: {open:?}");
    }

    #[test]
    fn no_value_may_be_null() {
        let text = schema_text();
        assert!(!text.contains("\"null\""), "TOML has no null");
        let mut nulls = 0;
        walk(&schema(), &mut |object| {
            nulls += object.values().filter(|value| value.is_null()).count();
        });
        assert_eq!(nulls, 0);
    }

    #[test]
    fn the_required_sections_are_scenario_and_workload() {
        let schema = schema();
        assert_eq!(schema["required"], serde_json::json!(["scenario", "workload"]));
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        // The order of `required` means nothing (a flattened section's keys come last).
        let mut pool_required: Vec<&str> = schema["definitions"]["Pool"]["required"]
            .as_array()
            .expect("Pool lists its required keys")
            .iter()
            .filter_map(|key| key.as_str())
            .collect();
        pool_required.sort_unstable();
        assert_eq!(pool_required, ["endpoint", "workers"]);
    }
}
