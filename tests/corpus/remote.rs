//! Calls from other threads through a `Remote` handle.
//!
//! On the simulator every thread is joined before `run()` or inside a callback before it
//! returns, so the calls are queued at the same point of the run each time and the trace is
//! the same in both runs of a case.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use twinreactor::{Phase, ReactorExt, Remote, RemoteError, TimerState, STARTUP};

use crate::harness::{stop, Backend, Log, HOUR, MS};

/// Calls run on the reactor's thread, in the order they were queued, whichever thread
/// queued them.
pub fn remote_calls_run_on_the_reactor_thread_in_queue_order(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let reactor_thread = thread::current().id();
    let remote = r.remote();
    let note = |remote: &Remote, name: &'static str| {
        let log = log.clone();
        remote
            .call(move |_| {
                let here = thread::current().id() == reactor_thread;
                log.push(format!("{name} on the reactor thread: {here}"));
            })
            .expect("alive");
    };
    note(&remote, "call 0 (this thread)");
    let other = remote.clone();
    thread::scope(|s| {
        s.spawn(|| {
            note(&other, "call 1 (other thread)");
            note(&other, "call 2 (other thread)");
        });
    });
    note(&remote, "call 3 (this thread)");
    remote.call(stop).expect("alive");
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "call 0 (this thread) on the reactor thread: true",
        "call 1 (other thread) on the reactor thread: true",
        "call 2 (other thread) on the reactor thread: true",
        "call 3 (this thread) on the reactor thread: true",
    ]);
}

/// 1,000 calls queued from 4 threads (joined before `run()`) each run exactly once, and the
/// calls of each thread run in the order that thread queued them.
pub fn remote_thousand_calls_from_four_threads_run_once_each_in_order(b: &mut dyn Backend) {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 250;
    let mut r = b.reactor();
    let ran: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let remote = r.remote();
            let ran = ran.clone();
            thread::spawn(move || {
                for n in 0..PER_THREAD {
                    let ran = ran.clone();
                    remote
                        .call(move |_| ran.lock().expect("not poisoned").push((t, n)))
                        .expect("alive");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("the worker queued its calls");
    }
    let ran_before_stop = ran.clone();
    r.remote()
        .call(move |r| {
            let count = ran_before_stop.lock().expect("not poisoned").len();
            assert_eq!(count, THREADS * PER_THREAD, "the stop call runs last");
            r.stop().expect("running");
        })
        .expect("alive");
    assert!(ran.lock().expect("not poisoned").is_empty());
    assert_eq!(r.run(), Ok(()));
    let ran = ran.lock().expect("not poisoned");
    assert_eq!(ran.len(), THREADS * PER_THREAD);
    let distinct: BTreeSet<_> = ran.iter().copied().collect();
    assert_eq!(distinct.len(), THREADS * PER_THREAD, "a call ran twice");
    for t in 0..THREADS {
        let order: Vec<usize> = ran
            .iter()
            .filter(|(u, _)| *u == t)
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(order, (0..PER_THREAD).collect::<Vec<_>>(), "thread {t}");
    }
}

/// No call runs before `run()`: not when queued, not inside `fire_system_event`, not in
/// startup triggers (startup fires before the first iteration drains the calls).
pub fn remote_calls_do_not_run_before_run(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let count = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let count = count.clone();
        r.remote()
            .call(move |_| {
                count.fetch_add(1, Ordering::SeqCst);
            })
            .expect("alive");
    }
    assert_eq!(count.load(Ordering::SeqCst), 0);
    let c = count.clone();
    let l = log.clone();
    r.on_event(Phase::During, "e", move |_| {
        l.push(format!(
            "hand-fired trigger: {} ran",
            c.load(Ordering::SeqCst)
        ));
    });
    r.fire_system_event("e").expect("not firing");
    for (phase, name) in [(Phase::Before, "before"), (Phase::After, "after")] {
        let (c, l) = (count.clone(), log.clone());
        r.on_event(phase, STARTUP, move |_| {
            l.push(format!("{name}-startup: {} ran", c.load(Ordering::SeqCst)));
        });
    }
    let (c, l) = (count.clone(), log.clone());
    r.remote()
        .call(move |r| {
            l.push(format!("last call: {} ran", c.load(Ordering::SeqCst)));
            r.stop().expect("running");
        })
        .expect("alive");
    assert_eq!(count.load(Ordering::SeqCst), 0);
    assert_eq!(r.run(), Ok(()));
    assert_eq!(count.load(Ordering::SeqCst), 3);
    log.assert(&[
        "hand-fired trigger: 0 ran",
        "before-startup: 0 ran",
        "after-startup: 0 ran",
        "last call: 3 ran",
    ]);
}

/// Calls queued before `run()` run in the first iteration, before timers due then.
pub fn remote_calls_run_before_timers_due_in_the_same_iteration(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.after(Duration::ZERO, move |r| {
        l.push("timer");
        r.stop().expect("running");
    });
    r.remote().call(log.note("remote")).expect("alive");
    r.on_event(Phase::After, STARTUP, log.note("after-startup"));
    assert_eq!(r.run(), Ok(()));
    log.assert(&["after-startup", "remote", "timer"]);
}

/// A call queued while the queue is being drained runs in the next iteration, after the
/// timers due in this one (here a zero-delay timer the first call scheduled).
pub fn remote_call_queued_during_the_drain_runs_next_iteration(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let remote = r.remote();
    let l = log.clone();
    r.remote()
        .call(move |r| {
            l.push("first call");
            let l2 = l.clone();
            remote
                .call(move |r| {
                    l2.push("second call");
                    r.stop().expect("running");
                })
                .expect("alive");
            r.after(Duration::ZERO, l.note("zero-delay timer"));
        })
        .expect("alive");
    assert_eq!(r.run(), Ok(()));
    log.assert(&["first call", "zero-delay timer", "second call"]);
}

/// A call queued by a thread spawned and joined inside a during-startup trigger runs before a
/// far (1 hour) timer and stops the reactor; the far timer stays pending.
pub fn remote_call_from_a_startup_thread_stops_before_a_far_timer(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let far = r.call_later(HOUR, log.timer("far timer fired"));
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        let remote = r.remote();
        let l = l.clone();
        thread::spawn(move || {
            remote
                .call(move |r| {
                    l.push(format!("remote call: stop {:?}", r.stop()));
                })
                .expect("alive");
        })
        .join()
        .expect("the thread queued its call");
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&["remote call: stop Ok(())"]);
    assert_eq!(r.timer_state(far), Ok(TimerState::Pending));
    assert_eq!(r.pending_timers(), vec![far]);
}

/// Once the reactor is dropped, calls (from any thread, through any clone) return
/// `ReactorGone`; calls still queued are dropped without running.
pub fn remote_call_after_the_reactor_is_dropped_is_reactor_gone(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let remote = r.remote();
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    let witness = Arc::new(());
    let held = witness.clone();
    remote
        .call(move |_| {
            let _keep = &held;
            panic!("a call queued after the last run ran");
        })
        .expect("the reactor is still alive");
    assert_eq!(Arc::strong_count(&witness), 2);
    let clone = remote.clone();
    drop(r);
    assert_eq!(
        Arc::strong_count(&witness),
        1,
        "the queued call was dropped with the reactor"
    );
    assert_eq!(remote.call(|_| ()), Err(RemoteError::ReactorGone));
    assert_eq!(clone.call(|_| ()), Err(RemoteError::ReactorGone));
    let from_thread = thread::spawn(move || clone.call(|_| ()))
        .join()
        .expect("the thread returns");
    assert_eq!(from_thread, Err(RemoteError::ReactorGone));
}

/// `Remote` is `Send + Sync + Clone` (checked at compile time) and a clone used from another
/// thread reaches the same reactor.
pub fn remote_handle_is_send_sync_clone(b: &mut dyn Backend) {
    fn send_sync_clone<T: Send + Sync + Clone + 'static>(t: &T) -> T {
        t.clone()
    }
    let mut r = b.reactor();
    let remote = r.remote();
    let shared = Arc::new(send_sync_clone(&remote));
    let log = Log::new();
    let l = log.clone();
    thread::spawn(move || {
        shared.call(move |r| {
            l.push("clone from another thread");
            r.stop().expect("running");
        })
    })
    .join()
    .expect("the thread returns")
    .expect("alive");
    assert_eq!(r.run(), Ok(()));
    log.assert(&["clone from another thread"]);
}
