//! Arbitrary TOML documents built from the scenario vocabulary (see
//! `capsim_fuzz::toml_gen`) through the scenario loader.

#![no_main]

use capsim_fuzz::toml_gen::{Choices, document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = document(&mut Choices::new(data));
    capsim_fuzz::check_load(&text, &[]);
});
