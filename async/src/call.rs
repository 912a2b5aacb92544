//! A reactor operation awaited by a task: queued on its first poll, run right after that
//! poll with the reactor, its result handed back at the next poll.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use twinreactor::Reactor;

use crate::context;
use crate::error::ContextError;

type CallFn<T> = Box<dyn FnOnce(&mut dyn Reactor) -> T>;

struct Slot<T> {
    result: Option<T>,
    waker: Option<Waker>,
}

/// The future of one reactor operation.
pub(crate) struct Call<T> {
    owner: u64,
    op: Option<CallFn<T>>,
    slot: Option<Rc<RefCell<Slot<T>>>>,
}

impl<T: 'static> Call<T> {
    /// An operation of executor `owner`'s reactor.
    pub(crate) fn new(owner: u64, op: impl FnOnce(&mut dyn Reactor) -> T + 'static) -> Self {
        Self {
            owner,
            op: Some(Box::new(op)),
            slot: None,
        }
    }
}

impl<T: 'static> Future for Call<T> {
    type Output = Result<T, ContextError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = context::check(self.owner)?;
        if let Some(op) = self.op.take() {
            let slot = Rc::new(RefCell::new(Slot {
                result: None,
                waker: Some(cx.waker().clone()),
            }));
            let filled = Rc::clone(&slot);
            core.defer(move |r| {
                let result = op(r);
                let waker = {
                    let mut slot = filled.borrow_mut();
                    slot.result = Some(result);
                    slot.waker.take()
                };
                if let Some(w) = waker {
                    w.wake();
                }
            });
            self.slot = Some(slot);
            return Poll::Pending;
        }
        let Some(slot) = &self.slot else {
            return Poll::Pending;
        };
        let mut slot = slot.borrow_mut();
        match slot.result.take() {
            Some(result) => Poll::Ready(Ok(result)),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
