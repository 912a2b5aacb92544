//! The tasks waiting on one thing that several tasks may await at once (an accept, a
//! receive, a child's exit): each is woken, none is lost.

use std::task::Waker;

/// Wakers of the tasks waiting, one per task.
#[derive(Default)]
pub(crate) struct Waiters(Vec<Waker>);

impl Waiters {
    /// Adds `waker`, unless it wakes a task already waiting.
    pub(crate) fn register(&mut self, waker: &Waker) {
        if !self.0.iter().any(|w| w.will_wake(waker)) {
            self.0.push(waker.clone());
        }
    }

    /// Wakes every waiting task (those with nothing to take then wait again).
    pub(crate) fn wake(&mut self) {
        for w in self.0.drain(..) {
            w.wake();
        }
    }
}
