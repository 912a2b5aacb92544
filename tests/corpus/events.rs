//! System events: phases, one-shot triggers, firing by hand, completions, removal.

use std::cell::Cell;
use std::rc::Rc;

use twinreactor::{CompletionId, Phase, ReactorExt, TriggerError, TriggerId, SHUTDOWN, STARTUP};

use crate::harness::{stop, Backend, Log, MS};

/// Phases run Before, During, After; within a phase, triggers run in the order they were
/// added, whatever order the phases were registered in.
pub fn events_phases_run_in_order_fifo_within_a_phase(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    for (phase, name) in [
        (Phase::After, "after 1"),
        (Phase::During, "during 1"),
        (Phase::Before, "before 1"),
        (Phase::After, "after 2"),
        (Phase::Before, "before 2"),
        (Phase::During, "during 2"),
        (Phase::Before, "before 3"),
    ] {
        r.on_event(phase, "custom", log.note(name));
    }
    assert_eq!(r.fire_system_event("custom"), Ok(()));
    log.push("fire returned");
    log.assert(&[
        "before 1",
        "before 2",
        "before 3",
        "during 1",
        "during 2",
        "after 1",
        "after 2",
        "fire returned",
    ]);
}

/// The startup phases run in order, FIFO within a phase, before the first timer.
pub fn events_startup_phases_run_in_order_before_the_first_timer(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.after(std::time::Duration::ZERO, move |r| {
        l.push("timer");
        r.stop().expect("running");
    });
    for (phase, name) in [
        (Phase::After, "after 1"),
        (Phase::During, "during 1"),
        (Phase::Before, "before 1"),
        (Phase::During, "during 2"),
        (Phase::Before, "before 2"),
    ] {
        r.on_event(phase, STARTUP, log.note(name));
    }
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "before 1", "before 2", "during 1", "during 2", "after 1", "timer",
    ]);
}

/// Triggers are one-shot: firing an event twice runs its triggers once; a trigger added
/// after the first firing runs in the second.
pub fn events_triggers_are_one_shot(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::Before, "e", log.note("before"));
    r.on_event(Phase::During, "e", log.note("during"));
    r.on_event(Phase::After, "e", log.note("after"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.push("fired once");
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.push("fired twice");
    r.on_event(Phase::During, "e", log.note("added later"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.assert(&[
        "before",
        "during",
        "after",
        "fired once",
        "fired twice",
        "added later",
    ]);
}

/// Any string names an event (names are case-sensitive and exact); each fires only its own
/// triggers.
pub fn events_any_string_is_an_event_name(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let names = [
        "",
        "reload config",
        "événement",
        "SHUTDOWN",
        "startup ",
        "a\nb",
    ];
    for name in names {
        r.on_event(Phase::During, name, log.note(&format!("{name:?}")));
    }
    for name in names.iter().rev() {
        assert_eq!(r.fire_system_event(name), Ok(()));
    }
    log.assert(&[
        "\"a\\nb\"",
        "\"startup \"",
        "\"SHUTDOWN\"",
        "\"événement\"",
        "\"reload config\"",
        "\"\"",
    ]);
    // None of those names is the reactor's own `startup` or `shutdown`.
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
}

/// Firing an event that has no triggers (never had any, all removed, or all run) is `Ok` and
/// does nothing, outside and inside `run()`.
pub fn events_firing_an_event_without_triggers_does_nothing(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    assert_eq!(r.fire_system_event("never registered"), Ok(()));
    let g = r.on_event(Phase::During, "removed", log.note("removed trigger ran"));
    r.remove_trigger(g).expect("pending");
    assert_eq!(r.fire_system_event("removed"), Ok(()));
    r.on_event(Phase::During, "ran", log.note("ran"));
    assert_eq!(r.fire_system_event("ran"), Ok(()));
    assert_eq!(r.fire_system_event("ran"), Ok(()));
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("in a timer: {:?}", r.fire_system_event("nothing")));
        r.stop().expect("running");
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&["ran", "in a timer: Ok(())"]);
}

/// Firing `shutdown` by hand before `run()` runs its triggers (and only those registered
/// then) and stops nothing: a later run starts, stops, and its shutdown runs the shutdown
/// triggers added since.
pub fn events_firing_shutdown_by_hand_runs_its_triggers_and_stops_nothing(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    for (phase, name) in [
        (Phase::Before, "hand before"),
        (Phase::During, "hand during"),
        (Phase::After, "hand after"),
    ] {
        let l = log.clone();
        r.on_event(phase, SHUTDOWN, move |r| {
            l.push(format!("{name}, is_running {}", r.is_running()));
        });
    }
    assert_eq!(r.fire_system_event(SHUTDOWN), Ok(()));
    log.push("fired by hand");
    r.on_event(Phase::Before, SHUTDOWN, log.note("real before"));
    r.on_event(Phase::After, SHUTDOWN, log.note("real after"));
    r.on_event(Phase::During, STARTUP, log.note("startup"));
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("stop: {:?}", r.stop()));
    });
    assert_eq!(r.run(), Ok(()));
    log.push("run returned");
    log.assert(&[
        "hand before, is_running false",
        "hand during, is_running false",
        "hand after, is_running false",
        "fired by hand",
        "startup",
        "stop: Ok(())",
        "real before",
        "real after",
        "run returned",
    ]);
}

/// Firing `startup` by hand before `run()` runs its triggers but does not start the reactor:
/// `is_running()` stays false in them, and `run()` later still works.
pub fn events_firing_startup_by_hand_does_not_start_the_reactor(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        l.push(format!(
            "hand during-startup, is_running {}",
            r.is_running()
        ));
    });
    assert_eq!(r.fire_system_event(STARTUP), Ok(()));
    assert!(!r.is_running());
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("timer, is_running {}", r.is_running()));
        r.stop().expect("running");
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "hand during-startup, is_running false",
        "timer, is_running true",
    ]);
}

/// Firing an event from inside one of its own triggers (any phase) is `AlreadyFiring`; so is
/// firing `startup` or `shutdown` inside the reactor's own firing of it.
pub fn events_firing_an_event_inside_its_own_trigger_is_already_firing(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    for (phase, name) in [
        (Phase::Before, "before"),
        (Phase::During, "during"),
        (Phase::After, "after"),
    ] {
        let l = log.clone();
        r.on_event(phase, "e", move |r| {
            l.push(format!("{name}: {:?}", r.fire_system_event("e")));
        });
    }
    assert_eq!(r.fire_system_event("e"), Ok(()));
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        l.push(format!("startup: {:?}", r.fire_system_event(STARTUP)));
    });
    let l = log.clone();
    r.on_event(Phase::Before, SHUTDOWN, move |r| {
        l.push(format!("shutdown: {:?}", r.fire_system_event(SHUTDOWN)));
    });
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "before: Err(AlreadyFiring(\"e\"))",
        "during: Err(AlreadyFiring(\"e\"))",
        "after: Err(AlreadyFiring(\"e\"))",
        "startup: Err(AlreadyFiring(\"startup\"))",
        "shutdown: Err(AlreadyFiring(\"shutdown\"))",
    ]);
}

/// Firing another event inside a trigger runs that event's phases within the call.
pub fn events_firing_another_event_inside_a_trigger_nests(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::Before, "outer", log.note("outer before"));
    let l = log.clone();
    r.on_event(Phase::During, "outer", move |r| {
        l.push("outer during: firing inner");
        l.push(format!("inner fired: {:?}", r.fire_system_event("inner")));
    });
    r.on_event(Phase::After, "outer", log.note("outer after"));
    r.on_event(Phase::Before, "inner", log.note("inner before"));
    r.on_event(Phase::After, "inner", log.note("inner after"));
    assert_eq!(r.fire_system_event("outer"), Ok(()));
    log.assert(&[
        "outer before",
        "outer during: firing inner",
        "inner before",
        "inner after",
        "inner fired: Ok(())",
        "outer after",
    ]);
}

/// A trigger added while its event fires runs in that firing if its phase has not finished
/// (behind the triggers already there); otherwise it waits for the next firing.
pub fn events_trigger_added_while_firing_runs_if_its_phase_is_ahead(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event(Phase::Before, "e", move |r| {
        l.push("before 1: adds before X and during Y");
        r.on_event(Phase::Before, "e", l.note("before X"));
        r.on_event(Phase::During, "e", l.note("during Y"));
    });
    r.on_event(Phase::Before, "e", log.note("before 2"));
    let l = log.clone();
    r.on_event(Phase::During, "e", move |r| {
        l.push("during 1: adds before Z");
        r.on_event(Phase::Before, "e", l.note("before Z"));
    });
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.push("second firing");
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.assert(&[
        "before 1: adds before X and during Y",
        "before 2",
        "before X",
        "during 1: adds before Z",
        "during Y",
        "second firing",
        "before Z",
    ]);
}

/// `During` waits until every completion returned by `Before` triggers has completed; the
/// last `complete()` runs `During` and `After` within the call.
pub fn events_during_waits_for_every_before_completion(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c1 = r.new_completion();
    let c2 = r.new_completion();
    r.on_event_wait(Phase::Before, "e", move |_| Some(c1));
    r.on_event(Phase::Before, "e", log.note("before (no completion)"));
    r.on_event_wait(Phase::Before, "e", move |_| Some(c2));
    r.on_event(Phase::During, "e", log.note("during"));
    r.on_event(Phase::After, "e", log.note("after"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.push("fire returned");
    assert_eq!(r.complete(c2), Ok(()));
    log.push("c2 completed");
    assert_eq!(r.complete(c1), Ok(()));
    log.push("c1 completed");
    log.assert(&[
        "before (no completion)",
        "fire returned",
        "c2 completed",
        "during",
        "after",
        "c1 completed",
    ]);
}

/// A later before-trigger that completes an earlier one's completion does not start `During`
/// before the remaining before-triggers have run.
pub fn events_completing_in_a_later_before_trigger_does_not_start_during_early(
    b: &mut dyn Backend,
) {
    let mut r = b.reactor();
    let log = Log::new();
    let slot: Rc<Cell<Option<CompletionId>>> = Rc::default();
    let (l, s) = (log.clone(), slot.clone());
    r.on_event_wait(Phase::Before, "e", move |r| {
        let c = r.new_completion();
        s.set(Some(c));
        l.push("before 1: returns a completion");
        Some(c)
    });
    let (l, s) = (log.clone(), slot.clone());
    r.on_event(Phase::Before, "e", move |r| {
        let c = s.get().expect("set by before 1");
        l.push(format!("before 2: complete: {:?}", r.complete(c)));
    });
    r.on_event(Phase::Before, "e", log.note("before 3"));
    r.on_event(Phase::During, "e", log.note("during"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.push("fire returned");
    log.assert(&[
        "before 1: returns a completion",
        "before 2: complete: Ok(())",
        "before 3",
        "during",
        "fire returned",
    ]);
}

/// Two events wait on their own completions independently.
pub fn events_two_events_wait_independently(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let ca = r.new_completion();
    let cb = r.new_completion();
    r.on_event_wait(Phase::Before, "a", move |_| Some(ca));
    r.on_event(Phase::During, "a", log.note("a during"));
    r.on_event_wait(Phase::Before, "b", move |_| Some(cb));
    r.on_event(Phase::During, "b", log.note("b during"));
    assert_eq!(r.fire_system_event("a"), Ok(()));
    assert_eq!(r.fire_system_event("b"), Ok(()));
    log.push("both fired");
    assert_eq!(r.complete(cb), Ok(()));
    log.push("cb completed");
    assert_eq!(r.complete(ca), Ok(()));
    log.push("ca completed");
    log.assert(&[
        "both fired",
        "b during",
        "cb completed",
        "a during",
        "ca completed",
    ]);
}

/// One completion returned by triggers of two events holds both; completing it releases
/// both within the call.
pub fn events_one_completion_can_hold_two_events(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    r.on_event_wait(Phase::Before, "a", move |_| Some(c));
    r.on_event(Phase::During, "a", log.note("a during"));
    r.on_event_wait(Phase::Before, "b", move |_| Some(c));
    r.on_event(Phase::During, "b", log.note("b during"));
    assert_eq!(r.fire_system_event("a"), Ok(()));
    assert_eq!(r.fire_system_event("b"), Ok(()));
    assert_eq!(log.entries(), Vec::<String>::new());
    assert_eq!(r.complete(c), Ok(()));
    let mut released = log.entries();
    released.sort();
    assert_eq!(released, ["a during", "b during"]);
}

/// A completion finished from a timer: the event's `During` and `After` run inside that
/// timer's `complete()` call.
pub fn events_completion_from_a_timer_runs_during_inside_complete(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    r.on_event_wait(Phase::Before, "e", move |_| Some(c));
    r.on_event(Phase::During, "e", log.note("during"));
    r.on_event(Phase::After, "e", log.note("after"));
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        l.push(format!("startup fires e: {:?}", r.fire_system_event("e")));
    });
    let l = log.clone();
    r.after(MS, move |r| {
        l.push("timer: completing");
        l.push(format!("timer: complete returned {:?}", r.complete(c)));
        r.stop().expect("running");
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "startup fires e: Ok(())",
        "timer: completing",
        "during",
        "after",
        "timer: complete returned Ok(())",
    ]);
}

/// Completing a completion twice is `AlreadyCompleted`, also one that held nothing.
pub fn events_completing_twice_is_already_completed(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let held = r.new_completion();
    let unused = r.new_completion();
    r.on_event_wait(Phase::Before, "e", move |_| Some(held));
    r.on_event(Phase::During, "e", log.note("during"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    assert_eq!(r.complete(held), Ok(()));
    assert_eq!(r.complete(held), Err(TriggerError::AlreadyCompleted(held)));
    assert_eq!(r.complete(unused), Ok(()));
    assert_eq!(
        r.complete(unused),
        Err(TriggerError::AlreadyCompleted(unused))
    );
    log.assert(&["during"]);
}

/// Completing a completion this reactor never made is `UnknownCompletion`.
pub fn events_unknown_completion_is_an_error(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let unknown = CompletionId::from_raw(999);
    assert_eq!(
        r.complete(unknown),
        Err(TriggerError::UnknownCompletion(unknown))
    );
    let first = CompletionId::from_raw(0);
    assert_eq!(
        r.complete(first),
        Err(TriggerError::UnknownCompletion(first))
    );
    let made = r.new_completion();
    assert_eq!(made, first, "completion ids are issued from 0 up");
    assert_eq!(r.complete(made), Ok(()));
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
}

/// A trigger that returns a completion already completed, or one this reactor never made,
/// holds nothing.
pub fn events_returning_a_completed_or_unknown_completion_holds_nothing(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event_wait(Phase::Before, "e", |r| {
        let c = r.new_completion();
        r.complete(c).expect("open");
        Some(c)
    });
    r.on_event_wait(Phase::Before, "e", |_| Some(CompletionId::from_raw(999)));
    r.on_event(Phase::During, "e", log.note("during"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.push("fire returned");
    log.assert(&["during", "fire returned"]);
}

/// While an event waits on a completion it is still firing: firing it again is
/// `AlreadyFiring`; once it ends it can be fired again.
pub fn events_firing_again_while_waiting_is_already_firing(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    r.on_event_wait(Phase::Before, "e", move |_| Some(c));
    r.on_event(Phase::During, "e", log.note("during"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    assert_eq!(
        r.fire_system_event("e"),
        Err(TriggerError::AlreadyFiring("e".to_owned()))
    );
    assert_eq!(r.complete(c), Ok(()));
    r.on_event(Phase::During, "e", log.note("second firing"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.assert(&["during", "second firing"]);
}

/// A completion returned by a `During` trigger holds `After`.
pub fn events_during_completion_holds_after(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    r.on_event_wait(Phase::During, "e", move |_| Some(c));
    r.on_event(Phase::During, "e", log.note("during 2"));
    r.on_event(Phase::After, "e", log.note("after"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.push("fire returned");
    assert_eq!(r.complete(c), Ok(()));
    log.assert(&["during 2", "fire returned", "after"]);
}

/// A completion returned by an `After` trigger holds the end of the firing: the event is
/// still firing (`AlreadyFiring`) until it completes.
pub fn events_after_completion_holds_the_end_of_the_firing(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    r.on_event_wait(Phase::After, "e", move |_| Some(c));
    r.on_event(Phase::After, "e", log.note("after 2"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    assert_eq!(
        r.fire_system_event("e"),
        Err(TriggerError::AlreadyFiring("e".to_owned()))
    );
    assert_eq!(r.complete(c), Ok(()));
    r.on_event(Phase::Before, "e", log.note("second firing"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.assert(&["after 2", "second firing"]);
}

/// Startup waiting on a before-startup completion: `is_running()` stays false (and `stop()`
/// is refused) until a timer completes it; `During` then runs inside `complete()`.
pub fn events_startup_completion_delays_is_running(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    let l = log.clone();
    r.on_event_wait(Phase::Before, STARTUP, move |r| {
        l.push(format!("before-startup, is_running {}", r.is_running()));
        Some(c)
    });
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        l.push(format!("during-startup, is_running {}", r.is_running()));
    });
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("timer, is_running {}", r.is_running()));
        l.push(format!("timer, stop: {:?}", r.stop()));
        r.complete(c).expect("open");
        l.push(format!("timer, completed, is_running {}", r.is_running()));
        r.stop().expect("running now");
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "before-startup, is_running false",
        "timer, is_running false",
        "timer, stop: Err(NotRunning)",
        "during-startup, is_running true",
        "timer, completed, is_running true",
    ]);
}

/// Shutdown waiting on a before-shutdown completion keeps `run()` going (timers still fire,
/// `is_running()` is still true) until it completes; the rest of shutdown runs inside
/// `complete()`, then `run()` returns.
pub fn events_shutdown_completion_keeps_run_going(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event_wait(Phase::Before, SHUTDOWN, move |r| {
        l.push("before-shutdown: waits");
        let c = r.new_completion();
        let l2 = l.clone();
        r.after(MS, move |r| {
            l2.push(format!(
                "timer while waiting, is_running {}",
                r.is_running()
            ));
            r.complete(c).expect("open");
            l2.push("timer: complete returned");
        });
        Some(c)
    });
    r.on_event(Phase::During, SHUTDOWN, log.note("during-shutdown"));
    r.on_event(Phase::After, SHUTDOWN, log.note("after-shutdown"));
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    log.push("run returned");
    log.assert(&[
        "before-shutdown: waits",
        "timer while waiting, is_running true",
        "during-shutdown",
        "after-shutdown",
        "timer: complete returned",
        "run returned",
    ]);
}

/// A completion returned by an after-shutdown trigger holds the end of shutdown: `run()`
/// returns only after it completes (timers still fire meanwhile, with `is_running()` false).
pub fn events_after_shutdown_completion_holds_run(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event_wait(Phase::After, SHUTDOWN, move |r| {
        l.push("after-shutdown: waits");
        let c = r.new_completion();
        let l2 = l.clone();
        r.after(MS, move |r| {
            l2.push(format!(
                "timer while waiting, is_running {}",
                r.is_running()
            ));
            r.complete(c).expect("open");
        });
        Some(c)
    });
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    log.push("run returned");
    log.assert(&[
        "after-shutdown: waits",
        "timer while waiting, is_running false",
        "run returned",
    ]);
}

/// `startup` fired by hand, still waiting on a before-startup completion when `run()`
/// begins, is adopted by `run()`: `is_running()` stays false until that completion completes
/// and `During` begins.
pub fn events_startup_fired_by_hand_and_waiting_is_adopted_by_run(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    r.on_event_wait(Phase::Before, STARTUP, move |_| Some(c));
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        l.push(format!("during-startup, is_running {}", r.is_running()));
    });
    assert_eq!(r.fire_system_event(STARTUP), Ok(()));
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("timer, is_running {}", r.is_running()));
        r.complete(c).expect("open");
        r.stop().expect("running now");
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&["timer, is_running false", "during-startup, is_running true"]);
}

/// `shutdown` fired by hand while running and still waiting on a before-shutdown completion
/// when `stop()` takes effect is adopted by the reactor's shutdown: `is_running()` stays true
/// (it is still the `Before` phase) until the completion completes.
pub fn events_shutdown_fired_by_hand_and_waiting_is_adopted_by_stop(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    r.on_event_wait(Phase::Before, SHUTDOWN, move |_| Some(c));
    let l = log.clone();
    r.on_event(Phase::During, SHUTDOWN, move |r| {
        l.push(format!("during-shutdown, is_running {}", r.is_running()));
    });
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!(
            "fire shutdown: {:?}",
            r.fire_system_event(SHUTDOWN)
        ));
        l.push(format!("stop: {:?}", r.stop()));
        let l2 = l.clone();
        r.after(MS, move |r| {
            l2.push(format!(
                "timer while waiting, is_running {}",
                r.is_running()
            ));
            r.complete(c).expect("open");
        });
    });
    assert_eq!(r.run(), Ok(()));
    log.push("run returned");
    log.assert(&[
        "fire shutdown: Ok(())",
        "stop: Ok(())",
        "timer while waiting, is_running true",
        "during-shutdown, is_running false",
        "run returned",
    ]);
}

/// Removing a pending trigger stops it from running.
pub fn events_removed_trigger_does_not_run(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::During, "e", log.note("kept 1"));
    let removed = r.on_event(Phase::During, "e", log.note("removed"));
    r.on_event(Phase::During, "e", log.note("kept 2"));
    let removed_startup = r.on_event(Phase::During, STARTUP, log.note("removed startup"));
    assert_eq!(r.remove_trigger(removed), Ok(()));
    assert_eq!(r.remove_trigger(removed_startup), Ok(()));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["kept 1", "kept 2"]);
}

/// A trigger removed by an earlier trigger of the same firing (same phase or a later phase)
/// does not run.
pub fn events_trigger_removed_during_its_firing_does_not_run(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let ids: Rc<Cell<[Option<TriggerId>; 2]>> = Rc::default();
    let (l, i) = (log.clone(), ids.clone());
    r.on_event(Phase::Before, "e", move |r| {
        let [same_phase, later_phase] = i.get();
        l.push(format!(
            "before 1 removes two: {:?} {:?}",
            r.remove_trigger(same_phase.expect("set")),
            r.remove_trigger(later_phase.expect("set")),
        ));
    });
    let same_phase = r.on_event(Phase::Before, "e", log.note("before 2 (removed)"));
    r.on_event(Phase::Before, "e", log.note("before 3"));
    let later_phase = r.on_event(Phase::After, "e", log.note("after 1 (removed)"));
    r.on_event(Phase::After, "e", log.note("after 2"));
    ids.set([Some(same_phase), Some(later_phase)]);
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.assert(&["before 1 removes two: Ok(()) Ok(())", "before 3", "after 2"]);
}

/// Removing a trigger id this reactor never issued is `UnknownTrigger`.
pub fn events_remove_unknown_trigger_is_an_error(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let unknown = TriggerId::from_raw(999);
    assert_eq!(
        r.remove_trigger(unknown),
        Err(TriggerError::UnknownTrigger(unknown))
    );
    let first = TriggerId::from_raw(0);
    assert_eq!(
        r.remove_trigger(first),
        Err(TriggerError::UnknownTrigger(first))
    );
    let log = Log::new();
    r.on_event(Phase::During, "e", log.note("ran"));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    log.assert(&["ran"]);
}

/// Removing a trigger that has run (also from inside itself, while it runs) is `AlreadyRun`.
pub fn events_remove_already_run_trigger_is_an_error(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let me: Rc<Cell<Option<TriggerId>>> = Rc::default();
    let (l, m) = (log.clone(), me.clone());
    let g = r.on_event(Phase::During, "e", move |r| {
        l.push(format!(
            "removing itself: {:?}",
            r.remove_trigger(m.get().expect("set"))
        ));
    });
    me.set(Some(g));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    assert_eq!(r.remove_trigger(g), Err(TriggerError::AlreadyRun(g)));
    log.assert(&["removing itself: Err(AlreadyRun(TriggerId(0)))"]);
}

/// Removing a trigger twice is `AlreadyRemoved`.
pub fn events_remove_trigger_twice_is_already_removed(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let g = r.on_event(Phase::During, "e", log.note("removed trigger ran"));
    r.on_event(Phase::During, "e", log.note("other"));
    assert_eq!(r.remove_trigger(g), Ok(()));
    assert_eq!(r.remove_trigger(g), Err(TriggerError::AlreadyRemoved(g)));
    assert_eq!(r.fire_system_event("e"), Ok(()));
    assert_eq!(r.remove_trigger(g), Err(TriggerError::AlreadyRemoved(g)));
    log.assert(&["other"]);
}

/// A run crashed while `startup` waits on a before-startup completion leaves the firing
/// waiting; the next `run()` resumes it: `is_running()` stays false until the completion
/// completes and `During` begins.
pub fn events_startup_still_waiting_after_a_crash_is_resumed_by_the_next_run(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let c = r.new_completion();
    r.on_event_wait(Phase::Before, STARTUP, move |_| Some(c));
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        l.push(format!("during-startup, is_running {}", r.is_running()));
    });
    r.after(MS, |r| r.crash().expect("inside run()"));
    assert_eq!(r.run(), Ok(()));
    log.push("crashed");
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("run 2 timer, is_running {}", r.is_running()));
        r.complete(c).expect("open");
        r.stop().expect("running now");
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "crashed",
        "run 2 timer, is_running false",
        "during-startup, is_running true",
    ]);
}
