//! A progress bar counting finished runs of a study, drawn only when stderr
//! is a terminal. Runs finish on rayon's threads; the bar is shared by
//! reference and only counts, so nothing about it reaches a result.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct CountProgress {
    bar: Option<ProgressBar>,
}

impl CountProgress {
    /// A bar over `total` runs of `what` ("replications", "runs").
    pub fn new(total: u64, what: &str, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return CountProgress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let template = format!("{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}}  {{elapsed}} ({{eta}} left)");
        bar.set_style(
            ProgressStyle::with_template(&template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        CountProgress { bar: Some(bar) }
    }

    /// One more run finished.
    pub fn tick(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
