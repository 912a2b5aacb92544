//! Lifecycle: `run`, `stop`, `crash` and `is_running`.

use twinreactor::{LifecycleError, Phase, ReactorExt, TimerState, SHUTDOWN, STARTUP};

use crate::harness::{align, stop, Backend, Log, HOUR, MS};

/// `stop()` before the first `run()` is refused, and leaves the reactor able to run and stop.
pub fn lifecycle_stop_before_run_is_not_running(b: &mut dyn Backend) {
    let mut r = b.reactor();
    assert_eq!(r.stop(), Err(LifecycleError::NotRunning));
    assert!(!r.is_running());
    let log = Log::new();
    r.on_event(Phase::Before, SHUTDOWN, log.note("before-shutdown"));
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["before-shutdown"]);
}

/// A second `stop()` (in the same callback, in a before-shutdown trigger, after `run()`
/// returned) is `NotRunning`.
pub fn lifecycle_stop_twice_is_not_running(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("first stop: {:?}", r.stop()));
        l.push(format!("second stop: {:?}", r.stop()));
    });
    let l = log.clone();
    r.on_event(Phase::Before, SHUTDOWN, move |r| {
        l.push(format!("stop in before-shutdown: {:?}", r.stop()));
    });
    assert_eq!(r.run(), Ok(()));
    log.push(format!("stop after run: {:?}", r.stop()));
    log.assert(&[
        "first stop: Ok(())",
        "second stop: Err(NotRunning)",
        "stop in before-shutdown: Err(NotRunning)",
        "stop after run: Err(NotRunning)",
    ]);
}

/// `stop()` in a before-startup trigger is refused (the reactor is not running yet); in a
/// during-startup trigger it is accepted and the run shuts down.
pub fn lifecycle_stop_from_startup_triggers(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event(Phase::Before, STARTUP, move |r| {
        l.push(format!("before-startup stop: {:?}", r.stop()));
    });
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        l.push(format!("during-startup stop: {:?}", r.stop()));
    });
    r.on_event(Phase::After, STARTUP, log.note("after-startup"));
    r.on_event(Phase::After, SHUTDOWN, log.note("after-shutdown"));
    assert_eq!(r.run(), Ok(()));
    log.push("run returned");
    log.assert(&[
        "before-startup stop: Err(NotRunning)",
        "during-startup stop: Ok(())",
        "after-startup",
        "after-shutdown",
        "run returned",
    ]);
}

/// `run()` inside any callback of a running reactor is `AlreadyRunning`.
pub fn lifecycle_run_inside_a_callback_is_already_running(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    for (phase, name) in [
        (Phase::Before, "before-startup"),
        (Phase::During, "during-startup"),
        (Phase::After, "after-startup"),
    ] {
        let l = log.clone();
        r.on_event(phase, STARTUP, move |r| {
            l.push(format!("{name}: {:?}", r.run()));
        });
    }
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("timer: {:?}", r.run()));
        r.stop().expect("running");
    });
    let l = log.clone();
    r.on_event(Phase::Before, SHUTDOWN, move |r| {
        l.push(format!("before-shutdown: {:?}", r.run()));
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "before-startup: Err(AlreadyRunning)",
        "during-startup: Err(AlreadyRunning)",
        "after-startup: Err(AlreadyRunning)",
        "timer: Err(AlreadyRunning)",
        "before-shutdown: Err(AlreadyRunning)",
    ]);
}

/// Once stopped, a reactor never runs again: `run()` is `NotRestartable` after `run()`
/// returned, and already from during- and after-shutdown triggers.
pub fn lifecycle_run_after_stop_is_not_restartable(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    for (phase, name) in [
        (Phase::During, "during-shutdown"),
        (Phase::After, "after-shutdown"),
    ] {
        let l = log.clone();
        r.on_event(phase, SHUTDOWN, move |r| {
            l.push(format!("{name}: {:?}", r.run()));
        });
    }
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert!(!r.is_running());
    log.push(format!("after run: {:?}", r.run()));
    log.push(format!("again: {:?}", r.run()));
    log.assert(&[
        "during-shutdown: Err(NotRestartable)",
        "after-shutdown: Err(NotRestartable)",
        "after run: Err(NotRestartable)",
        "again: Err(NotRestartable)",
    ]);
}

/// After `crash()`, `run()` returns `Ok`, state (pending timers) is kept, and `run()` works
/// again: it fires `startup` again (running the startup triggers added since) and can stop.
pub fn lifecycle_run_after_crash_runs_again(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::During, STARTUP, log.note("startup 1"));
    let far = r.after(HOUR, |_| panic!("an hour never passes in this case"));
    let l = log.clone();
    r.after(MS, move |r| {
        l.push("crash");
        r.crash().expect("inside run()");
    });
    assert_eq!(r.run(), Ok(()));
    log.push(format!("run 1 returned, is_running {}", r.is_running()));
    assert_eq!(r.timer_state(far), Ok(TimerState::Pending));
    assert_eq!(r.pending_timers(), vec![far]);

    r.on_event(Phase::During, STARTUP, log.note("startup 2"));
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("timer in run 2, is_running {}", r.is_running()));
        r.stop().expect("running");
    });
    r.on_event(Phase::After, SHUTDOWN, log.note("after-shutdown"));
    assert_eq!(r.run(), Ok(()));
    log.push("run 2 returned");
    assert_eq!(r.timer_state(far), Ok(TimerState::Pending));
    log.assert(&[
        "startup 1",
        "crash",
        "run 1 returned, is_running false",
        "startup 2",
        "timer in run 2, is_running true",
        "after-shutdown",
        "run 2 returned",
    ]);
}

/// `crash()` fires no shutdown trigger; they fire later, when a new run is stopped.
pub fn lifecycle_crash_fires_no_shutdown_trigger(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::Before, SHUTDOWN, log.note("before-shutdown"));
    r.on_event(Phase::During, SHUTDOWN, log.note("during-shutdown"));
    r.on_event(Phase::After, SHUTDOWN, log.note("after-shutdown"));
    r.after(MS, |r| r.crash().expect("inside run()"));
    assert_eq!(r.run(), Ok(()));
    log.push("crashed run returned");
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "crashed run returned",
        "before-shutdown",
        "during-shutdown",
        "after-shutdown",
    ]);
}

/// `crash()` outside `run()` is `NotRunning`: before the first run, after a crashed run and
/// after a stopped run.
pub fn lifecycle_crash_outside_run_is_not_running(b: &mut dyn Backend) {
    let mut r = b.reactor();
    assert_eq!(r.crash(), Err(LifecycleError::NotRunning));
    r.after(MS, |r| r.crash().expect("inside run()"));
    assert_eq!(r.run(), Ok(()));
    assert_eq!(r.crash(), Err(LifecycleError::NotRunning));
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert_eq!(r.crash(), Err(LifecycleError::NotRunning));
}

/// `crash()` ends the run once the current callback returns: a timer due in the same pass
/// does not fire in this run, stays pending, and fires first in the next run.
pub fn lifecycle_crash_ends_the_pass_after_the_current_callback(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    let first = r.after(MS, move |r| {
        l.push("first: crash");
        r.crash().expect("inside run()");
        l.push("first: returns");
    });
    let l = log.clone();
    let second = r.after(MS, move |r| {
        l.push("second");
        r.stop().expect("running");
    });
    align(&mut *r, &[first, second]);
    assert_eq!(r.run(), Ok(()));
    log.push("run 1 returned");
    assert_eq!(r.timer_state(second), Ok(TimerState::Pending));
    assert_eq!(r.pending_timers(), vec![second]);
    assert_eq!(r.run(), Ok(()));
    log.push("run 2 returned");
    log.assert(&[
        "first: crash",
        "first: returns",
        "run 1 returned",
        "second",
        "run 2 returned",
    ]);
}

/// `is_running()` is false in before-startup triggers, true in during- and after-startup
/// triggers and in timers.
pub fn lifecycle_is_running_in_startup_phases(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    log.push(format!("before run: {}", r.is_running()));
    for (phase, name) in [
        (Phase::After, "after-startup"),
        (Phase::During, "during-startup"),
        (Phase::Before, "before-startup"),
    ] {
        let l = log.clone();
        r.on_event(phase, STARTUP, move |r| {
            l.push(format!("{name}: {}", r.is_running()));
        });
    }
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("timer: {}", r.is_running()));
        r.stop().expect("running");
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "before run: false",
        "before-startup: false",
        "during-startup: true",
        "after-startup: true",
        "timer: true",
    ]);
}

/// `is_running()` is true in before-shutdown triggers, false in during- and after-shutdown
/// triggers and after `run()` returns.
pub fn lifecycle_is_running_in_shutdown_phases(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    for (phase, name) in [
        (Phase::After, "after-shutdown"),
        (Phase::During, "during-shutdown"),
        (Phase::Before, "before-shutdown"),
    ] {
        let l = log.clone();
        r.on_event(phase, SHUTDOWN, move |r| {
            l.push(format!("{name}: {}", r.is_running()));
        });
    }
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    log.push(format!("after run: {}", r.is_running()));
    log.assert(&[
        "before-shutdown: true",
        "during-shutdown: false",
        "after-shutdown: false",
        "after run: false",
    ]);
}

/// `stop()` runs no trigger within the call: shutdown triggers run after the callback that
/// called `stop()` has returned, and `is_running()` is still true right after `stop()`.
pub fn lifecycle_stop_runs_no_trigger_synchronously(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::Before, SHUTDOWN, log.note("before-shutdown"));
    r.on_event(Phase::During, SHUTDOWN, log.note("during-shutdown"));
    let l = log.clone();
    r.after(MS, move |r| {
        l.push("calling stop");
        r.stop().expect("running");
        l.push(format!("stop returned, is_running {}", r.is_running()));
    });
    assert_eq!(r.run(), Ok(()));
    log.assert(&[
        "calling stop",
        "stop returned, is_running true",
        "before-shutdown",
        "during-shutdown",
    ]);
}

/// Every shutdown phase runs before `run()` returns, in order before / during / after and
/// first-in first-out within a phase.
pub fn lifecycle_shutdown_phases_run_in_order_before_run_returns(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    for (phase, name) in [
        (Phase::After, "after 1"),
        (Phase::During, "during 1"),
        (Phase::Before, "before 1"),
        (Phase::After, "after 2"),
        (Phase::Before, "before 2"),
        (Phase::During, "during 2"),
    ] {
        r.on_event(phase, SHUTDOWN, log.note(name));
    }
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    log.push("run returned");
    log.assert(&[
        "before 1",
        "before 2",
        "during 1",
        "during 2",
        "after 1",
        "after 2",
        "run returned",
    ]);
}

/// Shutdown starts after the timers of the pass in which `stop()` was called: a timer due in
/// that pass still fires (with `is_running()` true), while a zero-delay timer scheduled in
/// that pass does not, and stays pending after `run()` returns.
pub fn lifecycle_timers_due_in_the_stopping_pass_fire_before_shutdown(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let late = std::rc::Rc::new(std::cell::Cell::new(None));
    let (l, late_in) = (log.clone(), late.clone());
    let first = r.after(MS, move |r| {
        l.push("first: stop");
        r.stop().expect("running");
        late_in.set(Some(r.after(std::time::Duration::ZERO, |_| {
            panic!("a timer scheduled in the stopping pass fired")
        })));
    });
    let l = log.clone();
    let second = r.after(MS, move |r| {
        l.push(format!("second: is_running {}", r.is_running()));
    });
    align(&mut *r, &[first, second]);
    r.on_event(Phase::Before, SHUTDOWN, log.note("before-shutdown"));
    assert_eq!(r.run(), Ok(()));
    log.assert(&["first: stop", "second: is_running true", "before-shutdown"]);
    let late = late.get().expect("the first timer scheduled it");
    assert_eq!(r.timer_state(late), Ok(TimerState::Pending));
    assert_eq!(r.pending_timers(), vec![late]);
}

/// Pending timers survive shutdown: still pending and listed after `run()` returns; fired
/// and cancelled ones are not listed.
pub fn lifecycle_pending_timers_survive_shutdown(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let far = r.after(HOUR, |_| panic!("an hour never passes in this case"));
    let cancelled = r.after(HOUR, |_| panic!("cancelled"));
    r.cancel(cancelled).expect("pending");
    let stopper = r.after(MS, stop);
    let before = r.timer_deadline(far).expect("pending");
    assert_eq!(r.run(), Ok(()));
    assert_eq!(r.pending_timers(), vec![far]);
    assert_eq!(r.timer_state(far), Ok(TimerState::Pending));
    assert_eq!(r.timer_deadline(far), Ok(before));
    assert_eq!(r.timer_state(stopper), Ok(TimerState::Fired));
    assert_eq!(r.timer_state(cancelled), Ok(TimerState::Cancelled));
}

/// `crash()` in a trigger stops the firing between two triggers: the next trigger of the
/// same phase does not run before `run()` returns; the next `run()` resumes the firing where
/// it stopped (the remaining before-startup trigger, then during-startup).
pub fn lifecycle_crash_in_a_trigger_stalls_the_firing_until_the_next_run(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event(Phase::Before, STARTUP, move |r| {
        l.push("before-startup 1 crashes");
        r.crash().expect("inside run()");
    });
    r.on_event(Phase::Before, STARTUP, log.note("before-startup 2"));
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        l.push(format!("during-startup, running: {}", r.is_running()));
        r.after(MS, stop);
    });
    assert_eq!(r.run(), Ok(()));
    log.push(format!("first run returned, running: {}", r.is_running()));
    assert_eq!(r.run(), Ok(()));
    log.push("second run returned");
    log.assert(&[
        "before-startup 1 crashes",
        "first run returned, running: false",
        "before-startup 2",
        "during-startup, running: true",
        "second run returned",
    ]);
}

/// A reactor that crashed after `stop()` was accepted, but before its shutdown ended, may
/// run again: that run goes on with the shutdown (no startup again), and then `run()` is
/// `NotRestartable`.
pub fn lifecycle_run_after_crash_while_stopping_finishes_the_shutdown(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::During, STARTUP, log.note("during-startup"));
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("stop: {:?}", r.stop()));
        l.push(format!("crash: {:?}", r.crash()));
    });
    let l = log.clone();
    r.on_event(Phase::Before, SHUTDOWN, move |r| {
        l.push(format!("before-shutdown, running: {}", r.is_running()));
    });
    r.on_event(Phase::After, SHUTDOWN, log.note("after-shutdown"));
    assert_eq!(r.run(), Ok(()));
    log.push("crashed run returned");
    r.on_event(
        Phase::During,
        STARTUP,
        log.note("startup added after the crash"),
    );
    assert_eq!(r.run(), Ok(()));
    log.push(format!("second run returned; again: {:?}", r.run()));
    log.assert(&[
        "during-startup",
        "stop: Ok(())",
        "crash: Ok(())",
        "crashed run returned",
        "before-shutdown, running: true",
        "after-shutdown",
        "second run returned; again: Err(NotRestartable)",
    ]);
}
