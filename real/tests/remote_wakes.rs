//! Calls from other threads wake a reactor that is blocked in `poll`, run on the reactor's
//! own thread, and fail once the reactor is gone. The simulator never blocks and has one
//! thread, so the shared corpus cannot express these.

mod common;

use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{run_guarded, HANG_GUARD};
use twinreactor::{Reactor, ReactorExt, RemoteError};
use twinreactor_real::RealReactor;

#[test]
fn a_remote_call_wakes_a_reactor_blocked_on_a_far_timer_and_stops_it() {
    let (remote_tx, remote_rx) = mpsc::channel();
    let (ran_on_tx, ran_on_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    // The reactor is not `Send`: build it on its own thread, so that a reactor that never
    // wakes fails this test through `recv_timeout` instead of hanging it.
    let reactor_thread = thread::spawn(move || {
        let mut r = RealReactor::new().expect("a reactor");
        let far = r.after(Duration::from_secs(3600), |_| {
            panic!("the one-hour timer fired");
        });
        remote_tx.send(r.remote()).expect("the test is waiting");
        let out = r.run();
        done_tx
            .send((out, r.pending_timers() == [far], r.is_running()))
            .expect("the test is waiting");
    });
    let reactor_id = reactor_thread.thread().id();

    let remote = remote_rx
        .recv_timeout(HANG_GUARD)
        .expect("the reactor was built");
    let caller = thread::spawn(move || {
        // Long enough for the reactor to be asleep in poll on its one-hour timer.
        thread::sleep(Duration::from_millis(50));
        remote.call(move |r| {
            ran_on_tx
                .send(thread::current().id())
                .expect("the test is waiting");
            r.stop().expect("the reactor is running");
        })
    });
    caller
        .join()
        .expect("the caller does not panic")
        .expect("the reactor is alive");

    let (out, far_still_pending, running) = done_rx
        .recv_timeout(HANG_GUARD)
        .expect("run() returned: the remote call woke the poll");
    assert_eq!(out, Ok(()));
    assert!(far_still_pending, "the one-hour timer stays pending");
    assert!(!running);
    let ran_on = ran_on_rx.try_recv().expect("the call ran");
    assert_eq!(ran_on, reactor_id, "the call ran on the reactor's thread");
    reactor_thread
        .join()
        .expect("the reactor thread does not panic");
}

#[test]
fn calls_from_many_threads_all_run_in_each_threads_order() {
    const THREADS: usize = 4;
    const CALLS: usize = 200;
    let mut r = RealReactor::new().expect("a reactor");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let callers: Vec<_> = (0..THREADS)
        .map(|t| {
            let remote = r.remote();
            let seen = Arc::clone(&seen);
            thread::spawn(move || {
                for i in 0..CALLS {
                    let seen = Arc::clone(&seen);
                    remote
                        .call(move |r| {
                            let mut seen = seen.lock().expect("no call panics");
                            seen.push((t, i));
                            if seen.len() == THREADS * CALLS {
                                r.stop().expect("the reactor is running");
                            }
                        })
                        .expect("the reactor is alive");
                }
            })
        })
        .collect();
    run_guarded(&mut r).expect("run() ends cleanly");
    for c in callers {
        c.join().expect("a caller does not panic");
    }
    let seen = seen.lock().expect("no call panicked");
    for t in 0..THREADS {
        let order: Vec<usize> = seen
            .iter()
            .filter(|(u, _)| *u == t)
            .map(|(_, i)| *i)
            .collect();
        assert_eq!(
            order,
            (0..CALLS).collect::<Vec<_>>(),
            "thread {t}'s calls, in order"
        );
    }
}

#[test]
fn a_call_after_the_reactor_is_dropped_returns_reactor_gone() {
    let r = RealReactor::new().expect("a reactor");
    let remote = r.remote();
    drop(r);
    assert_eq!(remote.call(|_| {}), Err(RemoteError::ReactorGone));
    let from_other_thread = thread::spawn(move || remote.call(|_| {}))
        .join()
        .expect("the caller does not panic");
    assert_eq!(from_other_thread, Err(RemoteError::ReactorGone));
}

#[test]
fn dropping_the_reactor_drops_queued_calls() {
    let r = RealReactor::new().expect("a reactor");
    let (tx, rx) = mpsc::channel::<()>();
    r.remote()
        .call(move |_| drop(tx))
        .expect("the reactor is alive");
    drop(r);
    // The call never ran, and its sender was dropped with it.
    assert_eq!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
}
