//! Typed errors of the async layer, one enum per failure family.

use std::io;

use twinreactor::LifecycleError;

/// A future of this crate was polled where it cannot make progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// Polled outside any task of a twinreactor-async executor (for example by another
    /// executor, or by hand): nothing would ever wake it.
    #[error(
        "polled outside a twinreactor-async task: this future runs only inside `block_on` or a \
         spawned task of its own executor"
    )]
    NotInExecutor,
    /// Polled by a task of another executor (another reactor's) than the one it belongs to.
    #[error("belongs to executor {owner} but was polled by a task of executor {polled_by}")]
    ForeignExecutor {
        /// The executor the object or future was made on.
        owner: u64,
        /// The executor whose task polled it.
        polled_by: u64,
    },
}

impl From<ContextError> for io::Error {
    fn from(e: ContextError) -> Self {
        io::Error::other(e)
    }
}

/// Why [`block_on`](crate::block_on) returned without the future's output.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// `run()` failed: for example the simulator went quiescent (nothing can happen any more
    /// while tasks still wait) or reached its time limit, or the reactor cannot run.
    #[error("the reactor's run failed with tasks still pending {pending:?}: {cause}")]
    Reactor {
        /// What `run()` returned.
        cause: LifecycleError,
        /// The tasks that had not finished, by name.
        pending: Vec<String>,
    },
    /// `run()` returned (something else stopped the reactor) before the future finished.
    #[error("the reactor stopped before the future finished; tasks still pending: {pending:?}")]
    Stopped {
        /// The tasks that had not finished, by name.
        pending: Vec<String>,
    },
}

/// Why a [`JoinHandle`](crate::JoinHandle) gave no output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    /// The task was cancelled (by [`JoinHandle::cancel`](crate::JoinHandle::cancel)) or
    /// dropped unfinished with its executor.
    #[error("the task was cancelled before it finished")]
    Cancelled,
    /// The handle was polled where it cannot be woken.
    #[error(transparent)]
    Context(#[from] ContextError),
}

/// Why a [`timeout`](crate::timeout) gave no output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeoutError {
    /// The deadline passed first; the inner future was dropped.
    #[error("deadline elapsed")]
    Elapsed,
    /// The timeout was polled where it cannot be woken.
    #[error(transparent)]
    Context(#[from] ContextError),
}

impl From<TimeoutError> for io::Error {
    fn from(e: TimeoutError) -> Self {
        match e {
            TimeoutError::Elapsed => io::Error::new(io::ErrorKind::TimedOut, e),
            TimeoutError::Context(c) => c.into(),
        }
    }
}
