//! `capsim schema`: prints the JSON Schema of the scenario format.

use std::io::Write;

use clap::Args;

use super::outcome::{Failure, Outcome};

pub const AFTER_HELP: &str = "Examples:\n  \
capsim schema > schema/capsim-scenario.schema.json\n\n\
The schema (JSON Schema draft-07) describes every section and key a scenario may have,\n\
with units, defaults and allowed values. Editors use it for completion and validation:\n\
see \"Editor support\" in README.md (Taplo / Even Better TOML, `#:schema` directive).";

#[derive(Args, Debug)]
pub struct SchemaArgs {}

pub fn schema(_arguments: SchemaArgs) -> Outcome {
    let text = capsim::scenario::schema::schema_text();
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(error) => {
            eprintln!("error: cannot write the schema: {error}");
            Err(Failure::Failed)
        }
    }
}
