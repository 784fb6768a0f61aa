//! The progress bar: indicatif on stderr, shown only when stderr is a terminal, `--quiet` is
//! off, and the run has lasted about a second (short runs stay silent).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    enabled: bool,
}

impl Progress {
    /// A bar towards `total` trials; with `open_ended` (a precision target may stop the run
    /// long before `total`), a counter without a bar or ETA.
    pub fn new(total: u64, quiet: bool, open_ended: bool) -> Self {
        let template = if open_ended {
            "{spinner} {human_pos} trials  {per_sec}  (until the precision target is met, at most {human_len})"
        } else {
            "{spinner} {bar:40} {human_pos}/{human_len} trials  {per_sec}  eta {eta}"
        };
        Progress::with_template(total, quiet, template)
    }

    /// A bar towards `total` steps of any kind, drawn with an indicatif `template`.
    pub fn with_template(total: u64, quiet: bool, template: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        Progress {
            bar,
            started: Instant::now(),
            enabled: !quiet && std::io::stderr().is_terminal(),
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress {
    pub fn set_message(&self, message: String) {
        // Labels come from scenario names: shown escaped, whatever validation let through.
        self.bar
            .set_message(crate::terminal::escape_line(&message).into_owned());
    }

    pub fn advance(&self, trials: u64) {
        self.bar.inc(trials);
        if self.enabled && self.bar.is_hidden() && self.started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}
