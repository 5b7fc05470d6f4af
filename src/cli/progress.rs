//! A progress bar in simulated seconds, drawn only when stderr is a
//! terminal: pipes and CI logs stay clean.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use capsim::engine::SimTime;

pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(duration_s: f64, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(duration_s.ceil() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} simulating [{bar:30}] {pos}/{len} s  {elapsed} ({eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        Progress { bar: Some(bar) }
    }

    pub fn update(&self, time: SimTime) {
        if let Some(bar) = &self.bar {
            bar.set_position(time.as_secs_f64() as u64);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
