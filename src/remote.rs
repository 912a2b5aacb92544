//! Calls from other threads: the [`Remote`] handle.

use std::fmt;
use std::sync::Arc;

use crate::{Reactor, RemoteError};

/// A call queued from another thread, run later on the reactor's own thread.
pub type RemoteFn = Box<dyn FnOnce(&mut dyn Reactor) + Send>;

/// Where a [`Remote`] puts its calls. Each reactor implements it; users only need [`Remote`].
pub trait RemoteQueue: Send + Sync {
    /// Queues `call` and wakes the reactor, or returns [`RemoteError::ReactorGone`] if the
    /// reactor has been dropped.
    fn push(&self, call: RemoteFn) -> Result<(), RemoteError>;
}

/// A `Send + Sync + Clone` handle that queues calls onto a reactor from any thread.
///
/// Calls run on the reactor's thread in the order they were queued, never before `run()`,
/// at the start of an iteration; queueing one wakes a reactor that is waiting for I/O or
/// timers. Once the reactor is dropped, [`Remote::call`] returns
/// [`RemoteError::ReactorGone`].
#[derive(Clone)]
pub struct Remote {
    queue: Arc<dyn RemoteQueue>,
}

impl Remote {
    /// Wraps a reactor's queue. Reactor implementations call this; users get a `Remote` from
    /// [`Reactor::remote`].
    pub fn new(queue: Arc<dyn RemoteQueue>) -> Self {
        Self { queue }
    }

    /// Queues `f` to run on the reactor's thread.
    pub fn call(
        &self,
        f: impl FnOnce(&mut dyn Reactor) + Send + 'static,
    ) -> Result<(), RemoteError> {
        self.queue.push(Box::new(f))
    }
}

impl fmt::Debug for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Remote { .. }")
    }
}
