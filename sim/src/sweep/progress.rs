//! What a running sweep shows: a progress bar on a terminal, one summary line at the end.
//!
//! The bar (indicatif) draws on the terminal itself, outside the test harness's capture, and
//! only when standard error is a terminal and the sweep is long enough to be worth watching;
//! it is cleared when the sweep ends. The summary line goes to the test's own output, so CI
//! logs (and `--nocapture`) show one line per sweep.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::plan::Plan;

/// Sweeps shorter than this many seeds draw no bar.
const BAR_FROM: u64 = 200;

/// A sweep's counters and its bar.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    failed: AtomicU64,
    ran: AtomicU64,
    started: Instant,
}

impl Progress {
    /// Progress for `plan`, with a bar if a person is watching.
    pub(crate) fn new(plan: &Plan) -> Self {
        let watched = std::io::stderr().is_terminal() && plan.len() >= BAR_FROM;
        let bar = watched.then(|| {
            let bar = ProgressBar::with_draw_target(Some(plan.len()), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "twinreactor sweep {bar:20} {pos}/{len} seeds, {msg}, eta {eta}",
            )
            .expect("the template is valid");
            bar.set_style(style);
            bar.set_message("0 failed");
            bar
        });
        Self {
            bar,
            failed: AtomicU64::new(0),
            ran: AtomicU64::new(0),
            // Wall time for the summary's rate only: no simulation reads it, so it changes
            // no choice, trace or seed (the sweep's report is the same on every run).
            started: Instant::now(),
        }
    }

    /// One seed ran; `failed` says whether it failed.
    pub(crate) fn ran(&self, failed: bool) {
        self.ran.fetch_add(1, Ordering::Relaxed);
        let failures = if failed {
            self.failed.fetch_add(1, Ordering::Relaxed) + 1
        } else {
            self.failed.load(Ordering::Relaxed)
        };
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if failed {
                bar.set_message(format!("{failures} failed"));
            }
        }
    }

    /// How many seeds ran, and how many of them failed.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.ran.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }

    /// Clears the bar; the one-line summary of the sweep.
    pub(crate) fn finish(&self, plan: &Plan, threads: usize) -> String {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        let (ran, failed) = self.counts();
        let elapsed = self.started.elapsed();
        format!(
            "twinreactor-sim sweep: {ran} of {} ({}) on {threads} thread{} in {}, {}/s: {}",
            plan.len(),
            plan.describe(),
            if threads == 1 { "" } else { "s" },
            format_elapsed(elapsed),
            rate(ran, elapsed),
            match failed {
                0 => "all passed".to_owned(),
                n => format!("{n} failed"),
            }
        )
    }
}

/// `1.23 s`.
fn format_elapsed(elapsed: Duration) -> String {
    format!("{:.2} s", elapsed.as_secs_f64())
}

/// Seeds per second, rounded.
fn rate(ran: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (ran as f64 / secs).round() as u64
    } else {
        ran
    }
}
