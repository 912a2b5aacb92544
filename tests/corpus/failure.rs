//! Failure: a panic in user code propagates out of `run()` and poisons the reactor.

use twinreactor::{LifecycleError, Phase, Reactor, ReactorExt, TimerState, SHUTDOWN, STARTUP};

use crate::harness::{run_catching, Backend, Log, HOUR, MS};

/// What a poisoned reactor answers: `run()` is `Poisoned` (every time), it is not running,
/// and `stop()` / `crash()` are `NotRunning`.
fn assert_poisoned(r: &mut dyn Reactor) {
    assert!(!r.is_running());
    assert_eq!(r.run(), Err(LifecycleError::Poisoned));
    assert_eq!(r.run(), Err(LifecycleError::Poisoned));
    assert_eq!(r.stop(), Err(LifecycleError::NotRunning));
    assert_eq!(r.crash(), Err(LifecycleError::NotRunning));
}

/// A panic in a timer callback propagates out of `run()` with its message; nothing else
/// runs after it (no shutdown trigger, no later timer); a later `run()` is `Poisoned`.
pub fn failure_panic_in_a_timer_propagates_and_poisons(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::Before, SHUTDOWN, log.note("before-shutdown"));
    r.after(MS, |_| panic!("boom in a timer"));
    let far = r.call_later(HOUR, log.timer("far timer"));
    let message = run_catching(&mut *r).expect_err("the panic propagates out of run()");
    assert!(message.contains("boom in a timer"), "message: {message}");
    assert_poisoned(&mut *r);
    assert_eq!(r.timer_state(far), Ok(TimerState::Pending));
    log.assert(&[]);
}

/// A panic in a startup trigger propagates out of `run()` and poisons the reactor.
pub fn failure_panic_in_a_startup_trigger_propagates_and_poisons(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::Before, STARTUP, |_| panic!("boom in before-startup"));
    r.on_event(Phase::During, STARTUP, log.note("during-startup"));
    let message = run_catching(&mut *r).expect_err("the panic propagates out of run()");
    assert!(
        message.contains("boom in before-startup"),
        "message: {message}"
    );
    assert_poisoned(&mut *r);
    log.assert(&[]);
}

/// A panic in a remote call propagates out of `run()` and poisons the reactor.
pub fn failure_panic_in_a_remote_call_propagates_and_poisons(b: &mut dyn Backend) {
    let mut r = b.reactor();
    r.remote()
        .call(|_| panic!("boom in a remote call"))
        .expect("alive");
    let message = run_catching(&mut *r).expect_err("the panic propagates out of run()");
    assert!(
        message.contains("boom in a remote call"),
        "message: {message}"
    );
    assert_poisoned(&mut *r);
}

/// A panic in a shutdown trigger propagates out of `run()`; a later `run()` is `Poisoned`
/// (not `NotRestartable`).
pub fn failure_panic_in_a_shutdown_trigger_propagates_and_poisons(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    r.on_event(Phase::During, SHUTDOWN, |_| {
        panic!("boom in during-shutdown")
    });
    r.on_event(Phase::After, SHUTDOWN, log.note("after-shutdown"));
    r.after(MS, |r| r.stop().expect("running"));
    let message = run_catching(&mut *r).expect_err("the panic propagates out of run()");
    assert!(
        message.contains("boom in during-shutdown"),
        "message: {message}"
    );
    assert_poisoned(&mut *r);
    log.assert(&[]);
}

/// A panic in a trigger run by `fire_system_event` outside `run()` propagates to the caller
/// and poisons the reactor, just as one inside `run()` would.
pub fn failure_panic_in_a_trigger_fired_by_hand_poisons(b: &mut dyn Backend) {
    let mut r = b.reactor();
    r.on_event(Phase::Before, "reload", |_| {
        panic!("boom in a hand-fired trigger")
    });
    let message = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        r.fire_system_event("reload")
    }))
    .map_err(|p| crate::harness::payload_text(&*p))
    .expect_err("the panic propagates out of fire_system_event");
    assert!(
        message.contains("boom in a hand-fired trigger"),
        "message: {message}"
    );
    assert_poisoned(&mut *r);
}
