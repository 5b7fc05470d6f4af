//! Load, and when the scenario is valid and small, simulate it with the
//! event budget capped, so every iteration ends quickly whatever the
//! scenario's `duration`. A run may end with a limit error; it may not panic.
//! The first input byte chooses raw text (even) or a generated TOML
//! document (odd), so both kinds of input reach the engine.

#![no_main]

use capsim_fuzz::toml_gen::{Choices, document};
use libfuzzer_sys::fuzz_target;

/// Events one fuzz iteration may simulate.
const EVENT_BUDGET: u64 = 20_000;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (text, overrides) = if mode % 2 == 0 {
        capsim_fuzz::decode(rest)
    } else {
        (document(&mut Choices::new(rest)), Vec::new())
    };
    let Some(loaded) = capsim_fuzz::check_load(&text, &overrides) else {
        return;
    };
    let mut scenario = loaded.scenario;
    if !capsim_fuzz::small_enough_to_run(&scenario) {
        return;
    }
    scenario.limits.max_events = scenario.limits.max_events.min(EVENT_BUDGET);
    scenario.limits.max_in_flight = scenario.limits.max_in_flight.min(EVENT_BUDGET);
    if let Ok(result) = capsim::study::run(&scenario) {
        let get = |name: &str| result.summary.get("overall", name).expect("overall metric");
        let arrived = get("requests") + get("in_flight_at_warmup");
        let accounted = get("completed") + get("errors") + get("in_flight_at_end");
        assert_eq!(arrived, accounted, "arrived = completed + failed + in flight");
    }
});
