//! Time and timers: deadlines, FIFO order, passes, cancel / reschedule / postpone, states.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{Reactor, ReactorExt, TimerError, TimerId, TimerState};

use crate::harness::{align, stop, Backend, Log, HOUR, MS};

/// Timers with equal deadlines fire in the order they were scheduled.
pub fn timers_equal_deadlines_fifo(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let mut ids: Vec<TimerId> = ["a", "b", "c", "d"]
        .into_iter()
        .map(|name| r.call_later(MS, log.timer(name)))
        .collect();
    let l = log.clone();
    ids.push(r.after(MS, move |r| {
        l.push("e");
        r.stop().expect("running");
    }));
    align(&mut *r, &ids);
    assert_eq!(r.pending_timers(), ids);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["a", "b", "c", "d", "e"]);
}

/// Deadlines that saturate (delays near `Duration::MAX`) are equal, and such timers are
/// listed in the order they were scheduled.
pub fn timers_saturated_deadlines_list_in_fifo_order(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let ids: Vec<TimerId> = (0..4)
        .map(|_| r.after(Duration::MAX, |_| panic!("a saturated timer fired")))
        .collect();
    assert_eq!(r.pending_timers(), ids);
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert_eq!(r.pending_timers(), ids);
}

/// A zero-delay timer scheduled inside a timer does not fire in the same pass: timers A and B
/// are due together, A schedules C with delay 0 and queues a remote call R; the order is
/// A, B (same pass), then R (next iteration's first step), then C.
pub fn timers_zero_delay_timer_scheduled_in_a_pass_fires_in_the_next_pass(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let remote = r.remote();
    let l = log.clone();
    let a = r.after(MS, move |r| {
        l.push("A");
        let l2 = l.clone();
        r.after(Duration::ZERO, move |r| {
            l2.push("C");
            r.stop().expect("running");
        });
        remote.call(l.note("R")).expect("the reactor is alive");
    });
    let bt = r.call_later(MS, log.timer("B"));
    align(&mut *r, &[a, bt]);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["A", "B", "R", "C"]);
}

/// A chain of zero-delay timers cannot starve other work: a remote call queued by the first
/// link runs before the second link.
pub fn timers_zero_delay_chain_does_not_starve_remote_calls(b: &mut dyn Backend) {
    fn link(r: &mut dyn Reactor, log: Log, n: u32) {
        log.push(format!("link {n}"));
        if n == 3 {
            r.stop().expect("running");
            return;
        }
        if n == 0 {
            r.remote().call(log.note("remote")).expect("alive");
        }
        r.after(Duration::ZERO, move |r| link(r, log, n + 1));
    }
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.after(Duration::ZERO, move |r| link(r, l, 0));
    assert_eq!(r.run(), Ok(()));
    log.assert(&["link 0", "remote", "link 1", "link 2", "link 3"]);
}

/// A cancelled timer never fires, is `Cancelled`, and is no longer listed.
pub fn timers_cancelled_timer_never_fires(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let t = r.call_later(MS, log.timer("cancelled timer fired"));
    let keep = r.call_later(MS, log.timer("kept timer fired"));
    assert_eq!(r.cancel(t), Ok(()));
    assert_eq!(r.timer_state(t), Ok(TimerState::Cancelled));
    assert_eq!(r.pending_timers(), vec![keep]);
    r.after(MS * 2, stop);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["kept timer fired"]);
}

/// A timer cancelled by another timer of the same pass does not fire.
pub fn timers_cancelled_in_the_same_pass_does_not_fire(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let victim: Rc<Cell<Option<TimerId>>> = Rc::default();
    let (l, v) = (log.clone(), victim.clone());
    let a = r.after(MS, move |r| {
        l.push(format!(
            "A cancels B: {:?}",
            r.cancel(v.get().expect("set"))
        ));
        r.stop().expect("running");
    });
    let bt = r.call_later(MS, log.timer("B fired"));
    victim.set(Some(bt));
    align(&mut *r, &[a, bt]);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["A cancels B: Ok(())"]);
    assert_eq!(r.timer_state(bt), Ok(TimerState::Cancelled));
}

/// Operations on a fired timer: `AlreadyFired`.
pub fn timers_operations_on_a_fired_timer_are_already_fired(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let t = r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    let fired = Err(TimerError::AlreadyFired(t));
    assert_eq!(r.timer_state(t), Ok(TimerState::Fired));
    assert_eq!(r.cancel(t), fired);
    assert_eq!(r.reschedule(t, MS), fired);
    assert_eq!(r.postpone(t, MS), fired);
    assert_eq!(r.timer_deadline(t), Err(TimerError::AlreadyFired(t)));
    assert_eq!(r.pending_timers(), Vec::<TimerId>::new());
}

/// Operations on a cancelled timer (cancel twice too): `AlreadyCancelled`.
pub fn timers_operations_on_a_cancelled_timer_are_already_cancelled(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let t = r.after(HOUR, |_| panic!("cancelled"));
    assert_eq!(r.cancel(t), Ok(()));
    let cancelled = Err(TimerError::AlreadyCancelled(t));
    assert_eq!(r.cancel(t), cancelled);
    assert_eq!(r.reschedule(t, MS), cancelled);
    assert_eq!(r.postpone(t, MS), cancelled);
    assert_eq!(r.timer_deadline(t), Err(TimerError::AlreadyCancelled(t)));
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert_eq!(r.timer_state(t), Ok(TimerState::Cancelled));
    assert_eq!(r.cancel(t), cancelled);
}

/// Inside its own callback a timer is `Fired`: cancelling, rescheduling or postponing it is
/// `AlreadyFired`.
pub fn timers_cancel_inside_own_callback_is_already_fired(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let me: Rc<Cell<Option<TimerId>>> = Rc::default();
    let (l, m) = (log.clone(), me.clone());
    let t = r.after(MS, move |r| {
        let t = m.get().expect("set");
        l.push(format!("state: {:?}", r.timer_state(t)));
        l.push(format!("cancel: {:?}", r.cancel(t)));
        l.push(format!("reschedule: {:?}", r.reschedule(t, MS)));
        l.push(format!("postpone: {:?}", r.postpone(t, MS)));
        l.push(format!("listed: {}", r.pending_timers().contains(&t)));
        r.stop().expect("running");
    });
    me.set(Some(t));
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "state: Ok(Fired)",
        "cancel: Err(AlreadyFired(TimerId(0)))",
        "reschedule: Err(AlreadyFired(TimerId(0)))",
        "postpone: Err(AlreadyFired(TimerId(0)))",
        "listed: false",
    ]);
}

/// Every operation on a timer id the reactor never issued is `Unknown`.
pub fn timers_unknown_id_is_unknown(b: &mut dyn Backend) {
    let mut r = b.reactor();
    for raw in [0, 999] {
        let t = TimerId::from_raw(raw);
        let unknown = Err(TimerError::Unknown(t));
        assert_eq!(r.cancel(t), unknown);
        assert_eq!(r.reschedule(t, MS), unknown);
        assert_eq!(r.postpone(t, MS), unknown);
        assert_eq!(r.timer_state(t), Err(TimerError::Unknown(t)));
        assert_eq!(r.timer_deadline(t), Err(TimerError::Unknown(t)));
    }
    let t = r.after(MS, stop);
    assert_eq!(t, TimerId::from_raw(0), "timer ids are issued from 0 up");
    assert_eq!(r.run(), Ok(()));
    let t = TimerId::from_raw(999);
    assert_eq!(r.cancel(t), Err(TimerError::Unknown(t)));
}

/// `pending_timers()` lists pending timers in firing order (by deadline, not by id) and
/// leaves out cancelled and fired ones.
pub fn timers_pending_timers_in_firing_order(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let never = |_: &mut dyn Reactor| panic!("hours never pass in this case");
    let three = r.after(HOUR * 3, never);
    let one = r.after(HOUR, never);
    let two = r.after(HOUR * 2, never);
    let cancelled = r.after(HOUR / 2, never);
    let stopper = r.after(MS, stop);
    r.cancel(cancelled).expect("pending");
    assert_eq!(r.pending_timers(), vec![stopper, one, two, three]);
    assert_eq!(r.run(), Ok(()));
    assert_eq!(r.pending_timers(), vec![one, two, three]);
}

/// `timer_state` is `Pending`, then `Fired` or `Cancelled`.
pub fn timers_timer_state_is_pending_fired_or_cancelled(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let fires = r.call_later(MS, log.timer("fired"));
    let cancelled = r.after(HOUR, |_| panic!("cancelled"));
    let pending = r.after(HOUR, |_| panic!("an hour never passes in this case"));
    for t in [fires, cancelled, pending] {
        assert_eq!(r.timer_state(t), Ok(TimerState::Pending));
    }
    r.cancel(cancelled).expect("pending");
    r.after(MS * 2, stop);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["fired"]);
    assert_eq!(r.timer_state(fires), Ok(TimerState::Fired));
    assert_eq!(r.timer_state(cancelled), Ok(TimerState::Cancelled));
    assert_eq!(r.timer_state(pending), Ok(TimerState::Pending));
}

/// `reschedule` moves a timer behind every pending timer at its new deadline (shown with
/// saturated deadlines, which are exactly equal on both reactors).
pub fn timers_reschedule_moves_behind_timers_at_the_same_deadline(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let ids: Vec<TimerId> = (0..3)
        .map(|_| r.after(Duration::MAX, |_| panic!("a saturated timer fired")))
        .collect();
    assert_eq!(r.reschedule(ids[0], Duration::MAX), Ok(()));
    assert_eq!(r.pending_timers(), vec![ids[1], ids[2], ids[0]]);
    assert_eq!(r.reschedule(ids[2], Duration::MAX), Ok(()));
    assert_eq!(r.pending_timers(), vec![ids[1], ids[0], ids[2]]);
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert_eq!(r.pending_timers(), vec![ids[1], ids[0], ids[2]]);
}

/// `postpone` (even by zero) moves a timer behind every pending timer at its new deadline,
/// and they then fire in that order.
pub fn timers_postpone_moves_behind_timers_at_the_same_deadline(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let a = r.call_later(MS, log.timer("a"));
    let bt = r.call_later(MS, log.timer("b"));
    let l = log.clone();
    let c = r.after(MS, move |r| {
        l.push("c");
        r.stop().expect("running");
    });
    align(&mut *r, &[c, a, bt]);
    assert_eq!(r.pending_timers(), vec![c, a, bt]);
    assert_eq!(r.postpone(c, Duration::ZERO), Ok(()));
    assert_eq!(r.pending_timers(), vec![a, bt, c]);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["a", "b", "c"]);
}

/// A timer moved (postponed by zero) by another timer of the same pass does not fire in that
/// pass: a remote call queued meanwhile runs first.
pub fn timers_moved_timer_does_not_fire_in_the_pass_it_was_moved(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let remote = r.remote();
    let moved: Rc<Cell<Option<TimerId>>> = Rc::default();
    let (l, m) = (log.clone(), moved.clone());
    let a = r.after(MS, move |r| {
        l.push(format!(
            "A postpones B: {:?}",
            r.postpone(m.get().expect("set"), Duration::ZERO)
        ));
        remote.call(l.note("R")).expect("alive");
    });
    let l = log.clone();
    let bt = r.after(MS, move |r| {
        l.push("B");
        r.stop().expect("running");
    });
    moved.set(Some(bt));
    align(&mut *r, &[a, bt]);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["A postpones B: Ok(())", "R", "B"]);
}

/// `reschedule` sets the deadline to `now() + delay` (read during the call) and `postpone`
/// adds exactly `by`; a far timer rescheduled near fires.
pub fn timers_reschedule_and_postpone_set_the_deadline(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    let t = r.after(HOUR, move |r| {
        l.push("rescheduled timer fired");
        r.stop().expect("running");
    });
    let d0 = r.timer_deadline(t).expect("pending");
    assert_eq!(r.postpone(t, HOUR), Ok(()));
    assert_eq!(r.timer_deadline(t), Ok(d0 + HOUR));
    let before = r.now();
    assert_eq!(r.reschedule(t, MS), Ok(()));
    let after = r.now();
    let d = r.timer_deadline(t).expect("pending");
    assert!(
        before + MS <= d && d <= after + MS,
        "deadline {d:?} not in [{before:?}, {after:?}] + 1ms"
    );
    assert_eq!(r.run(), Ok(()));
    log.assert(&["rescheduled timer fired"]);
}

/// `call_later` sets the deadline to `now() + delay`, read during the call.
pub fn timers_deadline_is_now_plus_delay(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let delay = Duration::from_millis(3);
    let before = r.now();
    let t = r.after(delay, stop);
    let after = r.now();
    let d = r.timer_deadline(t).expect("pending");
    assert!(before + delay <= d && d <= after + delay);
    assert_eq!(r.run(), Ok(()));
    assert!(r.now() >= d);
}

/// A delay of exactly `Duration::MAX`, or just under it, saturates: the timer stays pending
/// (with the saturated deadline, `u64::MAX` nanoseconds) while another timer stops the
/// reactor, and after `run()` returns. Postponing or rescheduling it stays saturated.
pub fn timers_near_max_delay_stays_pending_and_lets_the_reactor_stop(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let saturated = Duration::from_nanos(u64::MAX);
    let near = r.after(Duration::MAX - Duration::from_nanos(1), |_| {
        panic!("a saturated timer fired")
    });
    let max = r.after(Duration::MAX, |_| panic!("a saturated timer fired"));
    let eons = r.after(Duration::from_secs(1000 * 365 * 24 * 3600), |_| {
        panic!("a saturated timer fired")
    });
    for t in [near, max, eons] {
        assert_eq!(r.timer_deadline(t), Ok(saturated));
    }
    let stopper = r.after(MS, stop);
    assert_eq!(r.pending_timers(), vec![stopper, near, max, eons]);
    assert_eq!(r.run(), Ok(()));
    assert!(!r.is_running());
    assert_eq!(r.pending_timers(), vec![near, max, eons]);
    assert_eq!(r.postpone(near, Duration::MAX), Ok(()));
    assert_eq!(r.reschedule(max, Duration::MAX), Ok(()));
    for t in [near, max, eons] {
        assert_eq!(r.timer_state(t), Ok(TimerState::Pending));
        assert_eq!(r.timer_deadline(t), Ok(saturated));
    }
    assert_eq!(r.pending_timers(), vec![eons, near, max]);
}

/// A timer's callback can stop the reactor.
pub fn timers_timer_callback_can_stop_the_reactor(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let t = r.after(MS, |r| r.stop().expect("running"));
    assert_eq!(r.run(), Ok(()));
    assert!(!r.is_running());
    assert_eq!(r.timer_state(t), Ok(TimerState::Fired));
}

/// `now()` never goes back, and a timer scheduled at time `s` with delay `d` fires at a time
/// `>= s + d`.
pub fn timers_now_is_monotonic_and_reaches_the_deadline(b: &mut dyn Backend) {
    let mut r = b.reactor();
    type Seen = Rc<RefCell<Vec<(&'static str, Duration)>>>;
    fn record(seen: &Seen, what: &'static str, r: &dyn Reactor) {
        seen.borrow_mut().push((what, r.now()));
    }
    let seen: Seen = Rc::default();
    record(&seen, "fresh", &*r);
    let d1 = Duration::from_millis(2);
    let d2 = Duration::from_millis(1);
    let s = seen.clone();
    let s1 = r.now();
    r.after(d1, move |r| {
        record(&s, "first timer", r);
        let s = s.clone();
        r.after(d2, move |r| {
            record(&s, "second timer", r);
            r.stop().expect("running");
        });
    });
    assert_eq!(r.run(), Ok(()));
    record(&seen, "after run", &*r);
    let seen = seen.borrow();
    let names: Vec<&str> = seen.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["fresh", "first timer", "second timer", "after run"]);
    for pair in seen.windows(2) {
        assert!(pair[0].1 <= pair[1].1, "now() went back: {pair:?}");
    }
    assert!(seen[1].1 >= s1 + d1, "first timer fired early: {seen:?}");
    assert!(
        seen[2].1 >= seen[1].1 + d2,
        "second timer fired early: {seen:?}"
    );
}
