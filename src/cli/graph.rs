//! `capsim graph SCENARIO`: the topology as a Mermaid or Graphviz diagram,
//! on stdout or into a file.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use capsim::report::graph::{Format, Topology};
use capsim::report::write_atomic;

use super::args::ScenarioArgs;
use super::load;
use super::outcome::{Failure, Outcome};

pub const AFTER_HELP: &str = "Examples:\n  \
capsim graph scenarios/04-load-balancer.toml\n  \
capsim graph scenarios/04-load-balancer.toml --format dot --out topology.dot   (then: dot -Tsvg topology.dot)\n\n\
Draws users → DNS → balancers → pools → databases with the calls between them, grouped\n\
by data center when components have one. Mermaid renders in GitHub and GitLab markdown.";

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum GraphFormat {
    Mermaid,
    Dot,
}

#[derive(Args, Debug)]
pub struct GraphArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The diagram language.
    #[arg(long, value_enum, default_value = "mermaid")]
    pub format: GraphFormat,
    /// Write the diagram to this file instead of stdout (a new file, or
    /// one holding a diagram capsim drew).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Replace the --out file even if it is not a diagram capsim drew.
    #[arg(long)]
    pub force: bool,
}

pub fn graph(arguments: GraphArgs) -> Outcome {
    let loaded = load(&arguments.scenario)?;
    let format = match arguments.format {
        GraphFormat::Mermaid => Format::Mermaid,
        GraphFormat::Dot => Format::Dot,
    };
    let diagram = Topology::of(&loaded.scenario).render(format);
    match &arguments.out {
        None => say_raw!("{diagram}"),
        Some(path) => {
            super::output::check_diagram_file(path, arguments.force, &loaded.inputs)?;
            if let Err(error) = write_atomic(path, diagram.as_bytes()) {
                eprintln!("error: cannot write `{}`: {error}", path.display());
                return Err(Failure::Failed);
            }
        }
    }
    Ok(())
}
