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
    super::analytic_table::print_estimate(scenario);
    for warning in feasibility::warnings(&loads) {
        eprintln!("warning: {warning}");
    }
    Ok(())
}
