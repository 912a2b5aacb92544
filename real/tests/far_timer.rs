//! A deadline near `Duration::MAX` must not overflow the timeout handed to the operating
//! system's poll. The simulator never converts deadlines into poll timeouts, so the shared
//! corpus cannot catch this.

mod common;

use std::thread;
use std::time::Duration;

use common::run_guarded;
use twinreactor::{Reactor, ReactorExt, TimerState};
use twinreactor_real::RealReactor;

/// More than five centuries: the deadline saturated rather than wrapped.
const CENTURIES: Duration = Duration::from_secs(500 * 365 * 24 * 60 * 60);

/// From another thread, once the reactor has had time to fall asleep in poll with only the
/// far timer(s) pending (so the far deadline is what the poll timeout is computed from):
/// schedules a 10 ms timer that stops the reactor.
fn stop_soon_from_another_thread(r: &RealReactor) -> thread::JoinHandle<()> {
    let remote = r.remote();
    thread::spawn(move || {
        thread::sleep(Duration::from_millis(20));
        remote
            .call(|r| {
                r.after(Duration::from_millis(10), |r| {
                    r.stop().expect("the reactor is running");
                });
            })
            .expect("the reactor is alive");
    })
}

#[test]
fn a_near_max_timer_does_not_overflow_the_poll_timeout() {
    let mut r = RealReactor::new().expect("a reactor");
    let far = r.after(Duration::MAX - Duration::from_secs(1), |_| {
        panic!("the far timer fired");
    });
    let helper = stop_soon_from_another_thread(&r);
    run_guarded(&mut r).expect("run() ends cleanly");
    helper.join().expect("the helper does not panic");
    assert_eq!(r.pending_timers(), [far]);
    assert_eq!(r.timer_state(far), Ok(TimerState::Pending));
    assert!(r.timer_deadline(far).expect("pending") > CENTURIES);
}

#[test]
fn a_near_max_timer_behind_a_10ms_timer_stays_pending() {
    let mut r = RealReactor::new().expect("a reactor");
    let far = r.after(Duration::MAX - Duration::from_secs(1), |_| {
        panic!("the far timer fired");
    });
    let stopper = r.after(Duration::from_millis(10), |r| {
        r.stop().expect("the reactor is running");
    });
    run_guarded(&mut r).expect("run() ends cleanly");
    assert_eq!(r.timer_state(stopper), Ok(TimerState::Fired));
    assert_eq!(r.pending_timers(), [far]);
}

#[test]
fn postponing_and_rescheduling_to_near_max_does_not_overflow_either() {
    let mut r = RealReactor::new().expect("a reactor");
    let postponed = r.after(Duration::from_millis(1), |_| panic!("postponed fired"));
    let rescheduled = r.after(Duration::from_millis(1), |_| panic!("rescheduled fired"));
    r.postpone(postponed, Duration::MAX).expect("pending");
    r.reschedule(rescheduled, Duration::MAX).expect("pending");
    let helper = stop_soon_from_another_thread(&r);
    run_guarded(&mut r).expect("run() ends cleanly");
    helper.join().expect("the helper does not panic");
    assert_eq!(r.pending_timers(), [postponed, rescheduled]);
    assert!(r.timer_deadline(postponed).expect("pending") > CENTURIES);
    assert!(r.timer_deadline(rescheduled).expect("pending") > CENTURIES);
}
