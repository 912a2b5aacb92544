//! The parts of `run()` that both reactors share: its start, the first three steps of each
//! iteration, its end, and what a panic leaves behind.
//!
//! The steps of one iteration are defined once, on [`iterate`]: comments elsewhere that
//! say "step 4" mean step 4 of that list.

use std::time::Duration;

use super::firing::resume_stalled;
use super::{fire_lifecycle, Driver, Role};
use twinreactor::{LifecycleError, RunEnd, TraceEvent, SHUTDOWN, STARTUP};

/// How long the reactor may wait for I/O before its next iteration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WakeHint {
    /// Work is waiting: poll without blocking.
    Now,
    /// Until this time since the epoch (the next timer's deadline).
    At(Duration),
    /// Nothing is scheduled: only I/O or a remote call can wake the reactor.
    Never,
}

/// Starts `run()`: checks the lifecycle, fires `startup` (unless this run resumes a reactor
/// that crashed while stopping: it goes on with its shutdown instead), then resumes every
/// firing that an earlier `crash()` stalled.
pub fn begin_run<D: Driver>(d: &mut D) -> Result<(), LifecycleError> {
    d.core().life.check_run()?;
    // From a trigger of a shutdown that a `complete()` outside `run()` goes on with: that
    // shutdown moves on only once the trigger returns, so a run begun here could never end.
    let stopping = d.core().life.stop_called;
    if stopping && d.core().events.firing_mut(SHUTDOWN).is_some_and(|f| f.busy) {
        return Err(LifecycleError::NotRestartable);
    }
    let life = &mut d.core().life;
    life.in_run = true;
    life.crash_requested = false;
    d.record(TraceEvent::RunBegan);
    if d.core().life.resuming_shutdown() {
        let life = &mut d.core().life;
        life.running = !life.shutdown_closed;
    } else {
        fire_lifecycle(d, STARTUP, Role::Startup);
    }
    resume_stalled(d);
    Ok(())
}

/// Steps 1 to 3 of an iteration. The steps of one iteration, in both reactors:
///
/// 1. calls from other threads that were queued when the drain began;
/// 2. timers due at the start of the pass, in deadline then FIFO order;
/// 3. the start of shutdown, if `stop()` was called;
/// 4. I/O readiness, each reactor's own, run after this unless [`run_ended`] says the run
///    is over: the simulator runs the deliveries due now (`sim/src/deliveries.rs`) in an
///    order drawn from its seed; the real reactor runs deferred deliveries, then mio's
///    readiness by token (`real/src/dispatch.rs`).
///
/// Each step stops early once `crash()` has been called. Between iterations a reactor may
/// wait for as long as [`wake_hint`] says.
pub fn iterate<D: Driver>(d: &mut D) {
    let queued = d.core().inbox_made().map_or(0, |inbox| inbox.len());
    for _ in 0..queued {
        if d.core().life.crash_requested {
            return;
        }
        let Some(call) = d.core().inbox_made().and_then(|inbox| inbox.pop()) else {
            break;
        };
        let n = d.core().remote_ran;
        d.core().remote_ran += 1;
        d.record(TraceEvent::RemoteRan(n));
        call(d);
    }
    // No timer pending: nothing can fall due, and the clock (a system call's worth on the
    // real reactor) need not be read.
    let pending = d.core().timers.pending_count() > 0;
    let mark = pending.then(|| {
        let now = d.now();
        d.core().timers.mark(now)
    });
    while let Some(mark) = mark.filter(|_| !d.core().life.crash_requested) {
        let Some((id, f)) = d.core().timers.pop_due(mark) else {
            break;
        };
        d.record(TraceEvent::TimerFired(id));
        f.call(d);
    }
    if d.core().life.shutdown_due() && !d.core().life.crash_requested {
        d.core().life.shutdown_begun = true;
        fire_lifecycle(d, SHUTDOWN, Role::Shutdown);
    }
}

/// Why `run()` should return now, if it should.
pub fn run_ended<D: Driver>(d: &mut D) -> Option<RunEnd> {
    let life = &d.core().life;
    if life.crash_requested {
        Some(RunEnd::Crashed)
    } else if life.stopped {
        Some(RunEnd::Stopped)
    } else {
        None
    }
}

/// How long the reactor may wait before the next iteration.
pub fn wake_hint<D: Driver>(d: &mut D) -> WakeHint {
    let core = d.core();
    let calls = core.inbox_made().is_some_and(|inbox| !inbox.is_empty());
    if calls || core.life.shutdown_due() || run_ended(d).is_some() {
        return WakeHint::Now;
    }
    let timers = &mut d.core().timers;
    if timers.pending_count() == 0 {
        // Skips looking through cancelled entries not yet dropped from the queue.
        return WakeHint::Never;
    }
    match timers.next_deadline() {
        Some(at) => WakeHint::At(at),
        None => WakeHint::Never,
    }
}

/// Ends `run()` for `why`.
pub fn end_run<D: Driver>(d: &mut D, why: RunEnd) {
    let life = &mut d.core().life;
    life.in_run = false;
    life.crash_requested = false;
    if why != RunEnd::Stopped {
        life.running = false;
    }
    d.record(TraceEvent::RunEnded(why));
}

/// Marks the reactor poisoned after a callback panicked. Returns false if it already was
/// (the panic is passing through an outer guard and needs nothing more).
pub fn poison<D: Driver>(d: &mut D) -> bool {
    let life = &mut d.core().life;
    if std::mem::replace(&mut life.poisoned, true) {
        return false;
    }
    life.in_run = false;
    life.running = false;
    d.record(TraceEvent::Panicked);
    true
}
