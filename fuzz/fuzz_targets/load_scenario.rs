//! Arbitrary bytes, and mutations of the shipped scenarios (the seed corpus),
//! through the scenario loader. Text before the first pair of NUL bytes is the
//! scenario; lines after it are `--set` overrides.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (text, overrides) = capsim_fuzz::decode(data);
    capsim_fuzz::check_load(&text, &overrides);
});
