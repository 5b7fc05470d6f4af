//! `capsim schema`: prints the JSON Schema of the scenario format.

use clap::Args;

use super::outcome::Outcome;

pub const AFTER_HELP: &str = "Examples:\n  \
capsim schema > schema/capsim-scenario.schema.json\n\n\
The schema (JSON Schema draft-07) describes every section and key a scenario may have,\n\
with units, defaults and allowed values. Editors use it for completion and validation:\n\
see \"Editor support\" in README.md (Taplo / Even Better TOML, `#:schema` directive).";

#[derive(Args, Debug)]
pub struct SchemaArgs {}

/// Prints the schema through `say_raw!`, so a reader that goes away
/// (`capsim schema | head`) ends the command quietly with exit 0.
pub fn schema(_arguments: SchemaArgs) -> Outcome {
    say_raw!("{}", capsim::scenario::schema::schema_text());
    Ok(())
}
