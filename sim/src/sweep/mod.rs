//! Seed sweeps: one scenario, many seeds, all cores, and the lowest failing seed reported.

mod minimise;
mod plan;
mod progress;

use std::fmt::Display;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};

pub(crate) use plan::Plan;
pub use plan::{SweepError, MINIMISE_ENV, SEEDS_ENV, SHARD_ENV, TAPE_ENV};
use progress::Progress;

use crate::choice::{self, Site, Tape, TapeError};
use crate::report::{self, hook, Failure, SimSnapshot};

/// What a scenario's run of one seed came to: `()` passes; a `Result` fails with its error.
pub trait Outcome {
    /// The failure's message, or `None` if the run passed.
    fn failure(self) -> Option<String>;
}

impl Outcome for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<T, E: Display> Outcome for Result<T, E> {
    fn failure(self) -> Option<String> {
        self.err().map(|e| e.to_string())
    }
}

/// A sweep that failed: its lowest failing seed and the report printed for it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SweepFailed {
    /// The environment asked for seeds that cannot be run.
    #[error(transparent)]
    Plan(#[from] SweepError),
    /// A seed failed; `report` is the full failure report (also printed).
    #[error("{report}")]
    Seed {
        /// The lowest failing seed among those run.
        seed: u64,
        /// The failure report.
        report: String,
        /// The smallest run that fails the same way, when the sweep minimised.
        minimal: Option<Box<MinimalRun>>,
    },
}

/// The smallest failing run a minimisation found ([`Sweep::minimise`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinimalRun {
    /// How many runs the search made.
    pub runs: usize,
    /// Its choices, and before the search.
    pub choices: (usize, usize),
    /// Its choices that are not "nothing happens", and before the search.
    pub non_canonical: (usize, usize),
    /// Its trace lines, and before the search.
    pub trace_lines: (usize, usize),
    /// The faults that struck in it, by site.
    pub faults: Vec<(Site, usize)>,
    /// Its whole trace.
    pub trace: String,
}

/// How a sweep that passed went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// How many seeds ran (all of them: none failed).
    pub ran: u64,
    /// The one-line summary, as printed.
    pub line: String,
}

/// Runs one scenario for many seeds, on all cores.
///
/// The scenario builds and runs one simulation for the seed it is given, and fails by
/// returning an error or by panicking (an assertion, a callback's panic, `run()`'s time
/// limit or quiescence unwrapped). Each thread runs one seed at a time. When seeds fail, the
/// sweep reports the lowest of them: every seed below it has run and passed, so the same
/// sweep always reports the same seed. It runs that seed once more on the calling thread, to
/// show what happened and to check that the failure replays, and prints the report.
///
/// The environment decides over the code, so that a failure replays and a large sweep
/// spreads over machines without editing the test:
///
/// * `TWINREACTOR_SEED=<seed>` runs that one seed (the replay line of a report);
/// * `TWINREACTOR_SEEDS=<count>` runs seeds `0..count`, `TWINREACTOR_SEEDS=<start>..<end>`
///   that half-open range ([`SEEDS_ENV`]);
/// * `TWINREACTOR_SHARD=<k>/<n>` runs the `k`-th of `n` interleaved shares (`0 <= k < n`),
///   so that `n` CI jobs together run every seed once ([`SHARD_ENV`]).
///
/// ```
/// use std::time::Duration;
/// use twinreactor::prelude::*;
/// use twinreactor_sim::{Sim, Sweep};
///
/// Sweep::new(100).run(|seed| {
///     let mut sim = Sim::new(seed);
///     sim.after(Duration::from_millis(250), |r| r.stop().unwrap());
///     sim.run()?;
///     assert_eq!(sim.now(), Duration::from_millis(250));
///     Ok::<_, twinreactor::LifecycleError>(())
/// });
/// ```
///
/// Numbers are decimal or `0x` hexadecimal. A malformed value, an empty range or an empty
/// shard fails the sweep with a [`SweepError`] naming the variable, never a silent default.
#[derive(Clone, Debug)]
pub struct Sweep {
    range: Range<u64>,
    threads: Option<usize>,
    minimise: Option<usize>,
}

impl Sweep {
    /// A sweep over seeds `0..count`.
    pub fn new(count: u64) -> Self {
        Self::range(0..count)
    }

    /// A sweep over a half-open range of seeds.
    pub fn range(seeds: Range<u64>) -> Self {
        Self {
            range: seeds,
            threads: None,
            minimise: None,
        }
    }

    /// On failure, searches (in at most `runs` runs) for the smallest run that fails the
    /// same way, as `TWINREACTOR_MINIMISE` does, and reports it too.
    pub fn minimise(mut self, runs: usize) -> Self {
        self.minimise = Some(runs);
        self
    }

    /// Runs on `threads` threads instead of one per core.
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// Runs the sweep; panics with the failure report if a seed fails (so the test fails
    /// and its output shows the report), or if the environment's seed variables are
    /// malformed.
    #[track_caller]
    pub fn run<R: Outcome>(self, scenario: impl Fn(u64) -> R + Sync) -> Summary {
        match self.try_run(scenario) {
            Ok(summary) => summary,
            Err(failed) => panic!("{failed}"),
        }
    }

    /// Runs the sweep; on failure returns the lowest failing seed and its report (written,
    /// with its trace file, but not printed).
    pub fn try_run<R: Outcome>(
        self,
        scenario: impl Fn(u64) -> R + Sync,
    ) -> Result<Summary, SweepFailed> {
        hook::install();
        let mut plan = Plan::from_env(self.range.clone())?;
        plan.minimise = plan.minimise.or(self.minimise);
        let threads = match self.threads {
            Some(0) => return Err(SweepError::NoThreads.into()),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        let threads = threads.min(usize::try_from(plan.len()).unwrap_or(usize::MAX));
        let progress = Progress::new(&plan);
        let lowest = if plan.replay {
            // The one seed (or tape) runs on this thread, reported as it runs.
            let failure = rerun(&plan, plan.seed(0), &scenario);
            progress.ran(failure.is_some());
            failure.map(|f| (0, f))
        } else {
            search(&plan, threads, &progress, &scenario).map(|i| {
                let failure = rerun(&plan, plan.seed(i), &scenario)
                    .unwrap_or_else(|| Failure::bare(plan.seed(i), NOT_DETERMINISTIC));
                (i, failure)
            })
        };
        let line = progress.finish(&plan, threads);
        eprintln!("{line}");
        let Some((index, mut failure)) = lowest else {
            return Ok(Summary {
                ran: plan.len(),
                line,
            });
        };
        let (ran, failed) = progress.counts();
        failure.sweep = Some(if plan.tape.is_some() {
            format!("replayed from its tape ({TAPE_ENV} is set)")
        } else if plan.replay {
            format!("replayed alone ({} is set)", crate::SEED_ENV)
        } else {
            format!(
                "the lowest failing seed of {}: every lower one passed ({ran} run, {failed} failed)",
                plan.describe()
            )
        });
        let report = failure.report();
        let minimal = failure.minimised.as_ref().map(|m| {
            Box::new(MinimalRun {
                runs: m.runs,
                choices: (m.tape.len(), m.before.0),
                non_canonical: (m.tape.non_canonical(), m.before.1),
                trace_lines: (m.sim.as_ref().map_or(0, |s| s.trace.len()), m.before.2),
                faults: m.tape.faults(),
                trace: m.sim.as_ref().map(|s| s.trace.render()).unwrap_or_default(),
            })
        });
        Err(SweepFailed::Seed {
            seed: plan.seed(index),
            report,
            minimal,
        })
    }
}

/// What a failure that does not replay says.
const NOT_DETERMINISTIC: &str = "this seed failed in the sweep but passed when run again: \
    the scenario is not deterministic (does it read the wall clock, OS randomness, thread \
    timing, or state shared between runs?)";

/// Runs the plan's seeds on `threads` threads; the index of the lowest failing seed.
fn search<R: Outcome>(
    plan: &Plan,
    threads: usize,
    progress: &Progress,
    scenario: &(impl Fn(u64) -> R + Sync),
) -> Option<u64> {
    let next = AtomicU64::new(0);
    let lowest = AtomicU64::new(u64::MAX);
    let work = || {
        report::set_collecting(true);
        hook::set_quiet(true);
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            // Seeds past a known failure cannot be the lowest; every seed below it still runs.
            if i >= plan.len() || i > lowest.load(Ordering::Relaxed) {
                break;
            }
            let failed = run_one(plan.seed(i), scenario).is_some();
            if failed {
                lowest.fetch_min(i, Ordering::Relaxed);
            }
            progress.ran(failed);
        }
        hook::set_quiet(false);
        report::set_collecting(false);
    };
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for n in 0..threads {
                std::thread::Builder::new()
                    .name(format!("twinreactor-sweep-{n}"))
                    .spawn_scoped(s, work)
                    .expect("the operating system starts a sweep thread");
            }
        });
    }
    Some(lowest.into_inner()).filter(|&i| i != u64::MAX)
}

/// Runs the scenario for `seed`; its failure's message, if it failed.
fn run_one<R: Outcome>(seed: u64, scenario: &impl Fn(u64) -> R) -> Option<String> {
    report::set_collecting(true);
    match catch_unwind(AssertUnwindSafe(|| scenario(seed))) {
        Ok(outcome) => outcome.failure(),
        Err(payload) => Some(
            hook::last().map_or_else(|| report::payload_text(&*payload).to_owned(), |n| n.message),
        ),
    }
}

/// One run of a scenario on this thread, its choices recorded.
#[derive(Clone)]
pub(crate) struct Attempt {
    /// The failure's message, if the run failed.
    message: Option<String>,
    /// Where the failure was raised, when known.
    location: Option<String>,
    /// The simulation it failed in.
    sim: Option<SimSnapshot>,
    /// Every choice the run made.
    tape: Tape,
    /// How the tape played did not fit the run (strict replays only).
    tape_error: Option<TapeError>,
}

/// Runs the scenario for `seed` on this thread, recording its choices and, with `input`,
/// playing that tape (`strict`: exactly, or filling what it lacks with "nothing happens").
fn attempt<R: Outcome>(
    seed: u64,
    scenario: &impl Fn(u64) -> R,
    input: Option<Tape>,
    strict: bool,
) -> Attempt {
    choice::begin(input, strict);
    let message = run_one(seed, scenario);
    let note = hook::last();
    let sim = report::last_sim();
    report::set_collecting(false);
    let (tape, tape_error) = choice::end(seed);
    let location = note
        .filter(|n| Some(&n.message) == message.as_ref())
        .and_then(|n| n.location);
    Attempt {
        message,
        location,
        sim,
        tape,
        tape_error,
    }
}

/// Runs `seed` (or the plan's tape) on this thread, printing its panic as usual; its
/// failure, if it failed, with its tape and, if the plan asks, a smaller failing run.
fn rerun<R: Outcome>(plan: &Plan, seed: u64, scenario: &impl Fn(u64) -> R) -> Option<Failure> {
    let run = attempt(seed, scenario, plan.tape.clone(), true);
    let error = run
        .tape_error
        .clone()
        .or_else(|| (plan.tape.is_some() && run.message.is_none()).then_some(TapeError::Passed));
    if let Some(error) = error {
        let mut failure = Failure::bare(seed, &format!("{TAPE_ENV}: {error}"));
        failure.sim = run.sim;
        return Some(failure);
    }
    let message = run.message.clone()?;
    let minimised = plan
        .minimise
        .map(|budget| minimise::minimise(seed, scenario, run.clone(), budget));
    Some(Failure {
        seed,
        location: run.location,
        message,
        sim: run.sim,
        sweep: None,
        tape: Some(run.tape),
        minimised,
    })
}
