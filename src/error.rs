//! Typed errors, one enum per failure family.

use std::time::Duration;

use crate::{CompletionId, TimerId, TriggerId};

/// Errors of `run`, `stop` and `crash`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// `run()` was called while the reactor is already inside `run()`.
    #[error("the reactor is already running")]
    AlreadyRunning,
    /// `stop()` or `crash()` was called when the reactor is not running, or is already stopping.
    #[error("the reactor is not running (or is already stopping)")]
    NotRunning,
    /// `run()` was called on a reactor that was once stopped with `stop()`.
    #[error("the reactor was stopped and cannot run again")]
    NotRestartable,
    /// `run()` was called on a reactor whose earlier run ended in a panic in user code.
    #[error("a callback panicked during an earlier run; the reactor refuses to run again")]
    Poisoned,
    /// Simulator only: nothing can ever happen again, and `run()` has not ended.
    #[error(
        "quiescent at {at:?}: nothing can happen any more and run() has not ended\n{trace_tail}"
    )]
    Quiescent {
        /// The virtual time at which the simulation went quiet.
        at: Duration,
        /// The last lines of the trace, to show where it stopped.
        trace_tail: String,
    },
    /// Simulator only: the next event lies beyond the configured virtual time limit.
    #[error("virtual time limit {limit:?} reached and run() has not ended\n{trace_tail}")]
    TimeLimit {
        /// The limit that was reached.
        limit: Duration,
        /// The last lines of the trace.
        trace_tail: String,
    },
    /// Simulator only: virtual time did not advance for `iterations` iterations in a row (a
    /// loop of zero-delay timers or immediate reconnects that never lets time pass).
    #[error(
        "livelock: virtual time stood at {at:?} for {iterations} iterations (seed {seed})\n{trace_tail}"
    )]
    Livelock {
        /// The virtual time that stood still.
        at: Duration,
        /// How many iterations ran at it.
        iterations: u64,
        /// The simulation's seed.
        seed: u64,
        /// The last lines of the trace.
        trace_tail: String,
    },
    /// Real reactor only: the operating system's poll failed for a reason other than an
    /// interruption.
    #[error("poll failed: {0}")]
    Poll(String),
}

/// Errors of timer operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimerError {
    /// The timer has fired already (this includes a timer whose callback is running now).
    #[error("timer {0} has fired already")]
    AlreadyFired(TimerId),
    /// The timer was cancelled.
    #[error("timer {0} was cancelled")]
    AlreadyCancelled(TimerId),
    /// This reactor never issued that timer id.
    #[error("timer {0} is unknown to this reactor")]
    Unknown(TimerId),
}

/// Errors of system events, triggers and completions.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// This reactor never issued that trigger id.
    #[error("trigger {0} is unknown to this reactor")]
    UnknownTrigger(TriggerId),
    /// The trigger has run already (triggers are one-shot).
    #[error("trigger {0} has run already")]
    AlreadyRun(TriggerId),
    /// The trigger was removed already.
    #[error("trigger {0} was removed already")]
    AlreadyRemoved(TriggerId),
    /// The event is firing now (it may be waiting on completions); it cannot be fired again
    /// until that firing ends.
    #[error("event {0:?} is firing already")]
    AlreadyFiring(String),
    /// This reactor never issued that completion id.
    #[error("completion {0} is unknown to this reactor")]
    UnknownCompletion(CompletionId),
    /// The completion was completed already.
    #[error("completion {0} was completed already")]
    AlreadyCompleted(CompletionId),
}

/// Errors of calls made through a [`Remote`](crate::Remote) handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    /// The reactor behind the handle has been dropped; the call was not queued.
    #[error("the reactor is gone; the call was not queued")]
    ReactorGone,
}
