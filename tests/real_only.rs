//! Real-reactor-only guarantees: what depends on live threads and the operating system's
//! clock, which the simulator deliberately does not model (it never waits for threads).

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use twinreactor::{Phase, Reactor, ReactorExt, TimerState, STARTUP};
use twinreactor_real::RealReactor;

/// Wall-clock time after which the test is declared hung.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A remote call from a thread that is still running wakes a reactor sleeping until a far
/// (1 hour) timer; the call stops the reactor and the far timer stays pending.
#[test]
fn real_remote_call_from_a_live_thread_wakes_a_sleeping_reactor() {
    let (done_tx, done_rx) = mpsc::channel();
    let case = thread::spawn(move || {
        let mut r = RealReactor::new().expect("a poll instance");
        let far = r.after(Duration::from_secs(3600), |_| panic!("an hour passed"));
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let remote = r.remote();
        let caller = thread::spawn(move || {
            // Wait until the reactor is running, then give it time to go to sleep in poll.
            started_rx.recv().expect("the reactor started");
            thread::sleep(Duration::from_millis(20));
            remote
                .call(|r| r.stop().expect("running"))
                .expect("the reactor is alive");
        });
        r.on_event(Phase::During, STARTUP, move |_| {
            started_tx.send(()).expect("the caller waits");
        });
        assert_eq!(r.run(), Ok(()));
        assert_eq!(r.timer_state(far), Ok(TimerState::Pending));
        caller.join().expect("the caller queued its call");
        done_tx.send(()).expect("the guard waits");
    });
    match done_rx.recv_timeout(HANG_GUARD) {
        Ok(()) => case.join().expect("the case finished"),
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("case hung: the reactor never woke"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            let _ = case.join();
            panic!("the case panicked (see its message above)");
        }
    }
}
