//! Join handles, and the wrapper that connects a spawned future to its handle.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::context;
use crate::error::JoinError;

/// What a task and its handle share.
struct Shared<T> {
    output: Option<T>,
    /// The task finished, was cancelled, or was dropped: it will give nothing more.
    over: bool,
    cancel: bool,
    /// The task awaiting the handle.
    waiter: Option<Waker>,
    /// The task's own waker, to run its cancellation.
    task: Option<Waker>,
}

impl<T> Shared<T> {
    fn end(this: &RefCell<Self>, output: Option<T>) {
        let waiter = {
            let mut shared = this.borrow_mut();
            shared.over = true;
            shared.output = output;
            shared.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

/// The future a task runs: `F`, unless its handle asks to cancel it.
pub(crate) struct Task<F: Future> {
    future: Pin<Box<F>>,
    shared: Rc<RefCell<Shared<F::Output>>>,
}

impl<F: Future> Future for Task<F> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.shared.borrow().cancel {
            Shared::end(&self.shared, None);
            return Poll::Ready(());
        }
        match self.future.as_mut().poll(cx) {
            Poll::Ready(output) => {
                Shared::end(&self.shared, Some(output));
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F: Future> Drop for Task<F> {
    fn drop(&mut self) {
        if !self.shared.borrow().over {
            Shared::end(&self.shared, None);
        }
    }
}

/// Wraps `future` as a task, with the handle that awaits or cancels it.
pub(crate) fn task<F: Future>(future: F) -> (Task<F>, JoinHandle<F::Output>) {
    let shared = Rc::new(RefCell::new(Shared {
        output: None,
        over: false,
        cancel: false,
        waiter: None,
        task: None,
    }));
    let handle = JoinHandle {
        shared: Rc::clone(&shared),
        detached: false,
    };
    (
        Task {
            future: Box::pin(future),
            shared,
        },
        handle,
    )
}

/// Awaits a spawned task's output. **Dropping the handle cancels the task** (its future is
/// dropped at its next turn, from a reactor callback); [`JoinHandle::detach`] lets it run on.
///
/// ```
/// use twinreactor_async::{block_on, spawn};
/// # use twinreactor_sim::Sim;
/// # let mut sim = Sim::new(1);
/// let sum = block_on(&mut sim, async {
///     let a = spawn(async { 40 }).expect("inside a task");
///     let b = spawn(async { 2 }).expect("inside a task");
///     a.await.expect("not cancelled") + b.await.expect("not cancelled")
/// });
/// assert_eq!(sum, Ok(42));
/// ```
pub struct JoinHandle<T> {
    shared: Rc<RefCell<Shared<T>>>,
    detached: bool,
}

impl<T> JoinHandle<T> {
    /// Records the task's own waker, so cancelling can wake it.
    pub(crate) fn set_task_waker(&self, waker: Waker) {
        self.shared.borrow_mut().task = Some(waker);
    }

    /// Cancels the task: its future is dropped at its next turn, and awaiting this handle
    /// gives [`JoinError::Cancelled`] (unless it had finished already).
    pub fn cancel(&self) {
        let task = {
            let mut shared = self.shared.borrow_mut();
            if shared.over {
                return;
            }
            shared.cancel = true;
            shared.task.clone()
        };
        if let Some(w) = task {
            w.wake();
        }
    }

    /// Lets the task run to its end without this handle.
    pub fn detach(mut self) {
        self.detached = true;
    }

    /// Whether the task has finished (or was cancelled).
    pub fn is_finished(&self) -> bool {
        self.shared.borrow().over
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        context::current()?;
        let mut shared = self.shared.borrow_mut();
        if let Some(output) = shared.output.take() {
            Poll::Ready(Ok(output))
        } else if shared.over {
            Poll::Ready(Err(JoinError::Cancelled))
        } else {
            shared.waiter = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        if !self.detached {
            self.cancel();
        }
    }
}
