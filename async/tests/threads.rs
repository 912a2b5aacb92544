//! A task woken from another thread: the wake reaches the reactor as a remote call (real
//! reactor; on the simulator another thread's timing would not be deterministic).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use twinreactor_async::block_on;
use twinreactor_real::RealReactor;

/// A flag set by another thread, which then wakes the task waiting for it.
#[derive(Default)]
struct Flag {
    set: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

struct WaitFor(Arc<Flag>);

impl Future for WaitFor {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        *self.0.waker.lock().expect("not poisoned") = Some(cx.waker().clone());
        if self.0.set.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

#[test]
fn a_wake_from_another_thread_reaches_the_real_reactor() {
    let mut real = RealReactor::new().expect("a poll instance");
    let result = block_on(&mut real, async {
        let flag = Arc::new(Flag::default());
        let theirs = Arc::clone(&flag);
        let thread = std::thread::spawn(move || {
            for _ in 0..3 {
                theirs.set.store(true, Ordering::Release);
                if let Some(w) = theirs.waker.lock().expect("not poisoned").take() {
                    w.wake();
                }
            }
        });
        WaitFor(flag).await;
        thread.join().is_ok()
    });
    assert_eq!(result, Ok(true));
}
