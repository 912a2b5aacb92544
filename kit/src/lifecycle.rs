//! The lifecycle state machine behind `run`, `stop`, `crash` and `is_running`.

use twinreactor::LifecycleError;

/// Lifecycle flags of one reactor. See `docs/contract.md`, "Lifecycle".
#[derive(Clone, Debug, Default)]
pub struct Lifecycle {
    /// Inside `run()`.
    pub in_run: bool,
    /// What `is_running()` answers: from `During` of startup through `Before` of shutdown.
    pub running: bool,
    /// `stop()` was accepted once; the reactor can never run again.
    pub stop_called: bool,
    /// The reactor's own `shutdown` firing has begun.
    pub shutdown_begun: bool,
    /// Shutdown has closed everything (its `During` phase began).
    pub shutdown_closed: bool,
    /// The reactor's own `shutdown` firing has ended: `run()` returns.
    pub stopped: bool,
    /// `crash()` was called during this run.
    pub crash_requested: bool,
    /// A callback panicked; the reactor refuses to run.
    pub poisoned: bool,
}

impl Lifecycle {
    /// Whether `run()` may start now. A reactor that crashed while stopping may run again,
    /// to finish its shutdown; one whose shutdown ended, or is ending in this run, may not.
    pub fn check_run(&self) -> Result<(), LifecycleError> {
        if self.poisoned {
            Err(LifecycleError::Poisoned)
        } else if self.running {
            Err(LifecycleError::AlreadyRunning)
        } else if self.stop_called && (self.in_run || self.stopped) {
            Err(LifecycleError::NotRestartable)
        } else if self.in_run {
            Err(LifecycleError::AlreadyRunning)
        } else {
            Ok(())
        }
    }

    /// Whether this run resumes a reactor that crashed after `stop()` was accepted.
    pub fn resuming_shutdown(&self) -> bool {
        self.stop_called
    }

    /// Accepts `stop()` if the reactor is running and not already stopping.
    pub fn request_stop(&mut self) -> Result<(), LifecycleError> {
        if !self.running || self.stop_called {
            return Err(LifecycleError::NotRunning);
        }
        self.stop_called = true;
        Ok(())
    }

    /// Accepts `crash()` if the reactor is inside `run()`.
    pub fn request_crash(&mut self) -> Result<(), LifecycleError> {
        if !self.in_run {
            return Err(LifecycleError::NotRunning);
        }
        self.crash_requested = true;
        Ok(())
    }

    /// Whether shutdown should begin at this iteration boundary.
    pub fn shutdown_due(&self) -> bool {
        self.stop_called && !self.shutdown_begun
    }
}
