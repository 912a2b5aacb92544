//! The corpus harness: one [`Backend`] per reactor, and the runners that instantiate every case
//! for the simulator and for the real reactor.
//!
//! * `sim`: each case runs twice with one seed; the traces of every simulator it built must be
//!   identical (determinism is checked, not assumed), and at least one must be non-empty.
//! * `real`: each case runs on its own thread under a wall-clock hang guard; a panic in the case
//!   is re-raised with its message.
//!
//! Cases never assert a wall-clock duration: on the real reactor only "not before the deadline"
//! holds, so shared assertions compare times with `>=`.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use twinreactor::{Reactor, TimerFn, TimerId};
use twinreactor_real::RealReactor;
use twinreactor_sim::{Sim, SimConfig, TraceHandle};

/// Builds the reactors a case uses. A case may build more than one.
pub trait Backend {
    /// A fresh reactor, not yet running.
    fn reactor(&mut self) -> Box<dyn Reactor>;
}

/// The simulator's seed for the corpus (`TWINREACTOR_SEED` overrides it, to replay).
pub const SIM_SEED: u64 = 0x7a1d_2ea0_c0de_0001;
/// Virtual time after which a simulated case fails with `TimeLimit` instead of running on.
const SIM_TIME_LIMIT: Duration = Duration::from_secs(24 * 3600);
/// Wall-clock time after which a real case is declared hung.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A short delay, for timers that must fire.
pub const MS: Duration = Duration::from_millis(1);
/// A long delay, for timers that must not fire during the case.
pub const HOUR: Duration = Duration::from_secs(3600);

/// Builds simulators and keeps a handle on each one's trace.
struct SimBackend {
    seed: u64,
    traces: Vec<TraceHandle>,
}

impl Backend for SimBackend {
    fn reactor(&mut self) -> Box<dyn Reactor> {
        let seed = self.seed.wrapping_add(self.traces.len() as u64);
        let sim = Sim::with_config(SimConfig {
            time_limit: SIM_TIME_LIMIT,
            process: crate::process::corpus_stubs(),
            ..SimConfig::new(seed)
        });
        self.traces.push(sim.trace());
        Box::new(sim)
    }
}

/// Builds real reactors.
struct RealBackend;

impl Backend for RealBackend {
    fn reactor(&mut self) -> Box<dyn Reactor> {
        Box::new(RealReactor::new().expect("the OS gives a poll instance and a waker"))
    }
}

/// Runs `case` once on fresh simulators and returns every simulator's rendered trace.
fn sim_traces(case: fn(&mut dyn Backend)) -> Vec<String> {
    let mut backend = SimBackend {
        seed: SIM_SEED,
        traces: Vec::new(),
    };
    case(&mut backend);
    backend.traces.iter().map(TraceHandle::render).collect()
}

/// The number (from 1) of the first line where `a` and `b` differ.
fn first_difference(a: &str, b: &str) -> usize {
    let mut n = 1;
    let (mut la, mut lb) = (a.lines(), b.lines());
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            _ => return n,
        }
    }
}

/// Runs `case` on the simulator twice with one seed and checks the traces are identical.
pub fn run_sim(case: fn(&mut dyn Backend)) {
    let first = sim_traces(case);
    let second = sim_traces(case);
    assert!(
        first.iter().any(|t| !t.is_empty()),
        "the case built {} simulator(s) and none recorded a trace line",
        first.len()
    );
    assert_eq!(
        first.len(),
        second.len(),
        "the two runs built a different number of simulators"
    );
    for (i, (a, b)) in first.iter().zip(&second).enumerate() {
        assert_eq!(
            a,
            b,
            "simulator #{i}: the same seed gave a different trace (first difference at line {})",
            first_difference(a, b)
        );
    }
}

/// Runs `case` on real reactors, on its own thread, under the hang guard.
pub fn run_real(name: &str, case: fn(&mut dyn Backend)) {
    let (done_tx, done_rx) = mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(format!("real::{name}"))
        .spawn(move || {
            case(&mut RealBackend);
            // The receiver is gone only if the guard already gave up on this case.
            let _ = done_tx.send(());
        })
        .expect("spawn the case thread");
    match done_rx.recv_timeout(HANG_GUARD) {
        Ok(()) => thread.join().expect("the case finished"),
        Err(RecvTimeoutError::Timeout) => {
            panic!("case hung: real::{name} did not finish within {HANG_GUARD:?}")
        }
        Err(RecvTimeoutError::Disconnected) => match thread.join() {
            Err(payload) => panic!("real::{name} panicked: {}", payload_text(&*payload)),
            Ok(()) => unreachable!("the case thread ended without reporting"),
        },
    }
}

/// The text of a panic payload (`&str` or `String`).
pub fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic with a non-text payload)".to_owned()
    }
}

/// Calls `r.run()` and returns the panic's text if it panicked, or its result.
pub fn run_catching(
    r: &mut dyn Reactor,
) -> Result<Result<(), twinreactor::LifecycleError>, String> {
    catch_unwind(AssertUnwindSafe(|| r.run())).map_err(|p| payload_text(&*p))
}

/// An ordered record of what happened, shared by callbacks (and by remote calls: it is
/// `Send + Sync`). Cases compare the whole log with [`Log::assert`].
#[derive(Clone, Default)]
pub struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one entry.
    pub fn push(&self, entry: impl Into<String>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(entry.into());
    }

    /// Every entry so far.
    pub fn entries(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Asserts the log holds exactly `expected`, in order.
    #[track_caller]
    pub fn assert(&self, expected: &[&str]) {
        assert_eq!(self.entries(), expected);
    }

    /// A callback that appends `entry`.
    pub fn note(&self, entry: &str) -> impl FnOnce(&mut dyn Reactor) + Send + 'static {
        let log = self.clone();
        let entry = entry.to_owned();
        move |_| log.push(entry)
    }

    /// A timer callback that appends `entry`.
    pub fn timer(&self, entry: &str) -> TimerFn {
        TimerFn::new(self.note(entry))
    }
}

/// A callback that stops the reactor (it must be running).
pub fn stop(r: &mut dyn Reactor) {
    r.stop().expect("the reactor is running");
}

/// Gives `timers` one deadline (the latest of theirs) by postponing each, in the order given.
///
/// On the real reactor two `call_later`s read the clock twice, so their deadlines differ by
/// the time between the calls; this makes them exactly equal on both reactors. Postponing
/// gives each timer a new sequence number, so afterwards they fire in the order given.
pub fn align(r: &mut dyn Reactor, timers: &[TimerId]) {
    let target = timers
        .iter()
        .map(|&t| r.timer_deadline(t).expect("a pending timer"))
        .max()
        .expect("at least one timer");
    for &t in timers {
        let d = r.timer_deadline(t).expect("a pending timer");
        r.postpone(t, target - d).expect("a pending timer");
    }
    for &t in timers {
        assert_eq!(r.timer_deadline(t), Ok(target));
    }
}
