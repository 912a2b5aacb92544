//! Time on the reactor's clock: `now`, `sleep`, `sleep_until`, `timeout`, `yield_now`.
//!
//! Every sleep is one reactor timer, so on the simulator it ends at exactly its deadline in
//! virtual time, and on the real reactor never before it.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use twinreactor::TimerId;

use crate::context;
use crate::core::Core;
use crate::error::{ContextError, TimeoutError};

/// The reactor's clock (time since its epoch), as read when the current callback began.
pub fn now() -> Result<Duration, ContextError> {
    Ok(context::current()?.now())
}

/// Ends `delay` after its first poll.
pub fn sleep(delay: Duration) -> Sleep {
    Sleep::new(When::After(delay))
}

/// Ends once the reactor's clock reaches `deadline` (a time since the reactor's epoch).
pub fn sleep_until(deadline: Duration) -> Sleep {
    Sleep::new(When::At(deadline))
}

#[derive(Clone, Copy, Debug)]
enum When {
    After(Duration),
    At(Duration),
}

/// What a sleep shares with its reactor timer.
#[derive(Default)]
struct Armed {
    fired: Cell<bool>,
    dropped: Cell<bool>,
    timer: Cell<Option<TimerId>>,
    waker: RefCell<Option<Waker>>,
}

/// The future of [`sleep`] and [`sleep_until`]. Dropping it cancels its timer.
#[derive(Debug)]
#[must_use = "a sleep does nothing unless awaited"]
pub struct Sleep {
    when: When,
    armed: Option<(Rc<Armed>, Weak<Core>)>,
}

impl std::fmt::Debug for Armed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Armed")
            .field("fired", &self.fired.get())
            .finish()
    }
}

impl Sleep {
    fn new(when: When) -> Self {
        Self { when, armed: None }
    }

    fn arm(&mut self, core: &Rc<Core>, waker: &Waker) -> bool {
        let deadline = match self.when {
            When::After(delay) => core.now().saturating_add(delay),
            When::At(at) => at,
        };
        if deadline <= core.now() {
            return true;
        }
        let armed = Rc::new(Armed::default());
        *armed.waker.borrow_mut() = Some(waker.clone());
        let weak = Rc::downgrade(core);
        let shared = Rc::clone(&armed);
        core.defer(move |r| {
            if shared.dropped.get() {
                return;
            }
            let fire = Rc::clone(&shared);
            let timer = r.call_later(
                deadline.saturating_sub(r.now()),
                twinreactor::TimerFn::new(move |r| {
                    Core::deliver(&weak, r, || {
                        fire.fired.set(true);
                        if let Some(w) = fire.waker.borrow_mut().take() {
                            w.wake();
                        }
                    });
                }),
            );
            shared.timer.set(Some(timer));
        });
        self.armed = Some((armed, Rc::downgrade(core)));
        false
    }
}

impl Future for Sleep {
    type Output = Result<(), ContextError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = context::current()?;
        match &self.armed {
            None => {
                if self.arm(&core, cx.waker()) {
                    return Poll::Ready(Ok(()));
                }
                Poll::Pending
            }
            Some((armed, owner)) => {
                if owner.upgrade().is_none_or(|o| o.id() != core.id()) {
                    return Poll::Ready(Err(ContextError::ForeignExecutor {
                        owner: owner.upgrade().map_or(0, |o| o.id()),
                        polled_by: core.id(),
                    }));
                }
                if armed.fired.get() {
                    Poll::Ready(Ok(()))
                } else {
                    *armed.waker.borrow_mut() = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        let Some((armed, core)) = self.armed.take() else {
            return;
        };
        armed.dropped.set(true);
        if armed.fired.get() {
            return;
        }
        if let (Some(core), Some(timer)) = (core.upgrade(), armed.timer.get()) {
            core.defer(move |r| {
                // Fired meanwhile, or the reactor forgot it: nothing to cancel.
                let _ = r.cancel(timer);
            });
        }
    }
}

/// Runs `future` for at most `limit`; past it the future is dropped and the result is
/// [`TimeoutError::Elapsed`].
pub fn timeout<F: Future>(limit: Duration, future: F) -> Timeout<F> {
    Timeout {
        future: Box::pin(future),
        sleep: sleep(limit),
    }
}

/// The future of [`timeout`].
#[must_use = "a timeout does nothing unless awaited"]
pub struct Timeout<F: Future> {
    future: Pin<Box<F>>,
    sleep: Sleep,
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimeoutError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        context::current()?;
        if let Poll::Ready(output) = self.future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match Pin::new(&mut self.sleep).poll(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(Err(TimeoutError::Elapsed)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e.into())),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Lets every other ready task, and the reactor's I/O, run before this task goes on.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
#[derive(Debug)]
#[must_use = "yield_now does nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = Result<(), ContextError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        context::current()?;
        if self.yielded {
            return Poll::Ready(Ok(()));
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
