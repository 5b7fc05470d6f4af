//! `capsim validate`: every problem at once, or the estimated load.

use capsim::study::feasibility;

use super::args::ValidateArgs;
use super::load;
use super::outcome::Outcome;

pub fn validate(arguments: ValidateArgs) -> Outcome {
    let loaded = load(&arguments.scenario)?;
    let scenario = &loaded.scenario;
    say!(
        "`{}` is valid: {} of simulated time, seed {}",
        arguments.scenario.scenario.display(),
        scenario.duration,
        scenario.seed
    );
    say!(
        "offered load {:.1} requests/s; estimated load per station (utilization law, no queueing):",
        feasibility::offered_rate(scenario)
    );
    say!(
        "  {:<24} {:>12} {:>12} {:>12}",
        "station",
        "calls/s",
        "workers ρ",
        "cpu ρ"
    );
    let loads = feasibility::estimate(scenario);
    for load in &loads {
        let figure = |value: Option<f64>| value.map_or("-".to_owned(), |value| format!("{value:.3}"));
        // A balancer's servers are its cores: its ρ is a CPU figure.
        let (workers, cpu) = match load.servers {
            feasibility::Servers::Cores => (None, Some(load.utilization)),
            _ => (Some(load.utilization), load.cpu_utilization),
        };
        say!(
            "  {:<24} {:>12.1} {:>12} {:>12}",
            load.station,
            load.arrival_rate,
            figure(workers),
            figure(cpu)
        );
    }
    print_database_capacity(scenario);
    print_cache_capacity(scenario);
    super::analytic_table::print_estimate(scenario);
    for note in scenario.pricing_notes() {
        say!("note: {note}");
    }
    for warning in feasibility::warnings(&loads) {
        eprintln!("warning: {warning}");
    }
    Ok(())
}

/// Each database node's capacity in operations per second, by its size.
fn print_database_capacity(scenario: &capsim::scenario::Scenario) {
    let capacities = feasibility::database_capacities(scenario);
    if capacities.is_empty() {
        return;
    }
    say!("capacity of one database node (each kind of operation alone, replicas' applies aside):");
    for capacity in &capacities {
        let size = &capacity.size;
        let shape = if size.name.is_empty() {
            format!(
                "no size: a core per connection, {} connections",
                capacity.connections
            )
        } else {
            let memory = size.memory.map_or(String::new(), |bytes| {
                format!(", {}", capsim::scenario::units::format_size(bytes))
            });
            format!(
                "{}: {} cores at speed {}{memory}, ${}/h; {} connections",
                size.name, size.cores, size.speed, size.price_per_hour, capacity.connections
            )
        };
        say!("  {:<24} {shape}", capacity.database);
        for (what, limit) in [("reads", capacity.reads), ("writes", capacity.writes)] {
            say!(
                "  {:<24}   {what:<6} {:>12}/s ({})",
                "",
                whole(limit.per_second()),
                binding_limit(&limit)
            );
        }
    }
}

/// Each cache node's capacity in operations per second, and which limit
/// binds: its `threads` cores or its connections.
fn print_cache_capacity(scenario: &capsim::scenario::Scenario) {
    let capacities = feasibility::cache_capacities(scenario);
    if capacities.is_empty() {
        return;
    }
    say!("capacity of one cache node (gets, sets and deletes):");
    for capacity in &capacities {
        let cores = capacity.cores;
        let core_word = if cores.cores == 1 { "core" } else { "cores" };
        let shape = if capacity.size.is_empty() {
            format!("no size: {} {core_word} at speed 1", cores.cores)
        } else {
            format!(
                "{}: {} {core_word} at speed {}",
                capacity.size, cores.cores, cores.speed
            )
        };
        let limit = capacity.operations;
        say!(
            "  {:<24} {shape}; {} connections: {}/s ({})",
            capacity.cache,
            capacity.connections,
            whole(limit.per_second()),
            binding_limit(&limit)
        );
    }
}

/// Which of a node's two limits binds, and what the other allows:
/// "cores bind; connections allow 4,761,905/s".
fn binding_limit(limit: &feasibility::NodeCapacity) -> String {
    let (binding, other, other_name) = if limit.cores_bind() {
        ("cores", limit.by_connections, "connections")
    } else {
        ("connections", limit.by_cores, "cores")
    };
    let other = if other.is_finite() {
        format!("{other_name} allow {}/s", whole(other))
    } else {
        format!("no CPU part: {other_name} no limit")
    };
    format!("{binding} bind; {other}")
}

/// A rate as a whole number with thousands grouped: 12,345.
fn whole(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}
