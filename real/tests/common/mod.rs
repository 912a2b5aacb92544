//! A hang guard for tests that run a real reactor on the test's own thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use twinreactor::{LifecycleError, Reactor};
use twinreactor_real::RealReactor;

/// How long a test may take before it is declared hung. Generous: no test here needs more
/// than a fraction of a second.
pub const HANG_GUARD: Duration = Duration::from_secs(20);

/// Runs `r`. If `run()` has not returned after [`HANG_GUARD`], a watchdog thread crashes the
/// reactor through its remote handle, and this function then fails the test.
pub fn run_guarded(r: &mut RealReactor) -> Result<(), LifecycleError> {
    let remote = r.remote();
    let hung = Arc::new(AtomicBool::new(false));
    let (done, until_done) = mpsc::channel::<()>();
    let watchdog = {
        let hung = Arc::clone(&hung);
        thread::spawn(move || {
            if until_done.recv_timeout(HANG_GUARD) == Err(mpsc::RecvTimeoutError::Timeout) {
                hung.store(true, Ordering::SeqCst);
                let _ = remote.call(|r| {
                    let _ = r.crash();
                });
            }
        })
    };
    // If `run()` panics, `done` is dropped while unwinding and the watchdog ends too.
    let out = r.run();
    drop(done);
    watchdog.join().expect("the watchdog does not panic");
    assert!(
        !hung.load(Ordering::SeqCst),
        "run() hung: the watchdog crashed the reactor after {HANG_GUARD:?}"
    );
    out
}
