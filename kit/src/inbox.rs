//! The queue behind [`Remote`](twinreactor::Remote): calls from other threads.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use twinreactor::{RemoteError, RemoteFn, RemoteQueue};

struct Queue {
    calls: VecDeque<RemoteFn>,
    open: bool,
}

/// A mutex-protected FIFO of remote calls plus a wake-up function.
///
/// The real reactor wakes its poll with a mio `Waker`; the simulator passes a no-op, since
/// it checks the inbox at every iteration boundary and never waits for other threads.
pub struct Inbox {
    queue: Mutex<Queue>,
    /// The queue's length, readable without the lock (checked at every iteration).
    queued: AtomicUsize,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl Inbox {
    /// An open, empty inbox that calls `wake` after each queued call.
    pub fn new(wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        Self {
            queue: Mutex::new(Queue {
                calls: VecDeque::new(),
                open: true,
            }),
            queued: AtomicUsize::new(0),
            wake,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        // The lock is never held while user code runs, so a poisoned lock still holds a
        // consistent queue.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many calls are queued.
    pub fn len(&self) -> usize {
        self.queued.load(Ordering::Acquire)
    }

    /// Whether no call is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the oldest queued call.
    pub fn pop(&self) -> Option<RemoteFn> {
        if self.is_empty() {
            return None;
        }
        let mut q = self.lock();
        let call = q.calls.pop_front();
        self.queued.store(q.calls.len(), Ordering::Release);
        call
    }

    /// Refuses further calls and drops the queued ones (the reactor is going away).
    pub fn close(&self) {
        let dropped = {
            let mut q = self.lock();
            q.open = false;
            self.queued.store(0, Ordering::Release);
            std::mem::take(&mut q.calls)
        };
        drop(dropped);
    }
}

impl RemoteQueue for Inbox {
    fn push(&self, call: RemoteFn) -> Result<(), RemoteError> {
        {
            let mut q = self.lock();
            if !q.open {
                return Err(RemoteError::ReactorGone);
            }
            q.calls.push_back(call);
            self.queued.store(q.calls.len(), Ordering::Release);
        }
        (self.wake)();
        Ok(())
    }
}
