//! What user code (a sans-I/O protocol library, say) needs from the reactor: its own
//! randomness, an `Instant` view of the clock, timers at a deadline, and objects the reactor
//! keeps so that timers reach protocol state by id.

use std::time::Duration;

use twinreactor::{ObjectError, Owned, Reactor, ReactorExt, TimerId, TimerState};

use crate::harness::{align, stop, Backend, Log, MS};

/// `random_u64` gives numbers that vary, and `fill_random` fills a buffer of any length. On
/// the simulator they are part of the trace checked for determinism (the case notes them).
pub fn user_random_u64_varies_and_fills_bytes(b: &mut dyn Backend) {
    let mut r = b.reactor();
    r.after(MS, |r| {
        let draws: Vec<u64> = (0..8).map(|_| r.random_u64()).collect();
        r.note(&format!("draws {draws:x?}"));
        assert!(draws.windows(2).any(|w| w[0] != w[1]), "{draws:x?}");
        let mut bytes = [0u8; 13];
        r.fill_random(&mut bytes);
        r.note(&format!("bytes {bytes:x?}"));
        assert!(bytes.iter().any(|&b| b != 0));
        r.stop().expect("running");
    });
    assert_eq!(r.run(), Ok(()));
}

/// `call_at` with a deadline already past never runs within the call: it fires at the next
/// pass, after the timers of the current one, and after an earlier zero-delay timer.
pub fn user_call_at_a_past_deadline_fires_at_the_next_pass(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    let a = r.after(MS, move |r| {
        l.push("A");
        r.call_later(Duration::ZERO, l.timer("zero"));
        let past = r.at(Duration::ZERO, move |r| {
            r.stop().expect("running");
        });
        r.call_at(Duration::ZERO, l.timer("past"));
        assert!(r.timer_deadline(past).expect("pending") <= r.now());
        l.push("after call_at");
    });
    let bt = r.call_later(MS, log.timer("B"));
    align(&mut *r, &[a, bt]);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["A", "after call_at", "B", "zero", "past"]);
}

/// Timers at one absolute deadline fire in the order they were scheduled; `timer_deadline`
/// reports that deadline exactly. (The later timer is far later: on a loaded machine the
/// real reactor may start its run past both deadlines, and both would fire in one pass.)
pub fn user_call_at_equal_deadlines_fire_in_scheduling_order(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let deadline = r.now() + 5 * MS;
    let late = r.call_at(deadline + 10_000 * MS, log.timer("late"));
    let ids: Vec<TimerId> = ["a", "b", "c"]
        .into_iter()
        .map(|name| r.call_at(deadline, log.timer(name)))
        .collect();
    let l = log.clone();
    let last = r.at(deadline, move |r| {
        l.push("d");
        r.stop().expect("running");
    });
    for t in ids.iter().chain([&last]) {
        assert_eq!(r.timer_deadline(*t), Ok(deadline));
    }
    assert_eq!(r.run(), Ok(()));
    log.assert(&["a", "b", "c", "d"]);
    assert_eq!(r.timer_state(late), Ok(TimerState::Pending));
}

/// `instant()` is the fixed `epoch_instant()` plus `now()`; `since_epoch` inverts it; a
/// timer at an `Instant` fires no earlier than that instant.
pub fn user_instant_is_the_epoch_plus_now(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let epoch = r.epoch_instant();
    let before = r.now();
    let start = r.instant();
    let since = r.since_epoch(start);
    assert!(before <= since && since <= r.now());
    if let Some(earlier) = epoch.checked_sub(Duration::from_secs(1)) {
        assert_eq!(r.since_epoch(earlier), Duration::ZERO);
    }
    let due = start + 5 * MS;
    r.at_instant(due, move |r| {
        assert_eq!(r.epoch_instant(), epoch);
        assert!(r.instant() >= due);
        assert!(r.now() >= since + 5 * MS);
        r.stop().expect("running");
    });
    assert_eq!(r.run(), Ok(()));
}

/// A retrying protocol kept by the reactor: its timers capture only its `Owned` handle and
/// reach it through `with_owned`, with no `Rc<RefCell<..>>` and no `Weak`.
struct Retry {
    tries: u32,
    log: Log,
}

impl Retry {
    /// Arms the next try one millisecond from now.
    fn arm(r: &mut dyn Reactor, me: Owned<Retry>) {
        let deadline = r.now() + MS;
        r.at_owned(deadline, me, move |p: &mut Retry, r| {
            p.tries += 1;
            p.log.push(format!("try {}", p.tries));
            // In use further up the stack: neither lent again nor removed.
            assert_eq!(r.with_owned(me, |_, _| ()), Err(ObjectError::Busy(me.id())));
            assert_eq!(r.disown(me).err(), Some(ObjectError::Busy(me.id())));
            if p.tries < 3 {
                Retry::arm(r, me);
            } else {
                r.stop().expect("running");
            }
        });
    }
}

/// Kept objects: timers routed to them, `Busy` while in use, a removed object's timers do
/// nothing, a handle of the wrong type and unknown ids are errors.
pub fn user_owned_object_routes_timers_without_shared_pointers(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let me = r.own(Retry {
        tries: 0,
        log: log.clone(),
    });
    assert_eq!(r.with_owned(me, |_, r| Retry::arm(r, me)), Ok(()));
    let gone = r.own(0u32);
    let disarmed = r.at_owned(MS, gone, |_, _| panic!("the object was removed"));
    assert_eq!(r.disown(gone), Ok(0));
    let number = r.own(7u32);
    let wrong: Owned<String> = Owned::new(number.id());
    assert_eq!(
        r.with_owned(wrong, |_, _| ()),
        Err(ObjectError::WrongType(number.id()))
    );
    assert_eq!(r.disown(wrong), Err(ObjectError::WrongType(number.id())));
    assert_eq!(
        r.return_object(number.id(), Box::new(8u32)),
        Err(ObjectError::NotLent(number.id()))
    );
    assert_eq!(r.with_owned(number, |n, _| *n), Ok(7));
    assert_eq!(r.run(), Ok(()));
    log.assert(&["try 1", "try 2", "try 3"]);
    assert_eq!(r.timer_state(disarmed), Ok(TimerState::Fired));
    assert_eq!(r.disown(me).map(|p| p.tries), Ok(3));
    assert_eq!(
        r.with_owned(me, |_, _| ()),
        Err(ObjectError::Unknown(me.id()))
    );
    assert_eq!(r.disown(number), Ok(7));
    r.after(MS, stop);
}
