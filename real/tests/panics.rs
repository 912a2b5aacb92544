//! A panic in user code propagates out of `run()` and poisons the reactor. These tests
//! pin the real reactor's own unwinding path (its `catch_unwind` around each step).

mod common;

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use common::run_guarded;
use twinreactor::{LifecycleError, Phase, Reactor, ReactorExt, STARTUP};
use twinreactor_real::RealReactor;

/// Runs `r` and returns the panic payload that came out of `run()`.
fn run_expecting_panic(r: &mut RealReactor) -> Box<dyn Any + Send> {
    match panic::catch_unwind(AssertUnwindSafe(|| run_guarded(r))) {
        Ok(out) => panic!("run() returned {out:?} instead of panicking"),
        Err(payload) => payload,
    }
}

fn message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .expect("a panic message")
}

fn assert_poisoned(r: &mut RealReactor) {
    assert!(!r.is_running());
    assert_eq!(r.run(), Err(LifecycleError::Poisoned));
    assert_eq!(r.run(), Err(LifecycleError::Poisoned));
}

#[test]
fn a_panic_in_a_timer_propagates_out_of_run_and_poisons() {
    let mut r = RealReactor::new().expect("a reactor");
    let later = r.after(Duration::from_secs(3600), |_| {});
    r.after(Duration::from_millis(5), |_| panic!("boom in a timer"));
    let payload = run_expecting_panic(&mut r);
    assert_eq!(message(&*payload), "boom in a timer");
    assert_poisoned(&mut r);
    assert_eq!(r.pending_timers(), [later], "state is kept");
}

#[test]
fn a_panic_in_a_startup_trigger_propagates_out_of_run_and_poisons() {
    let mut r = RealReactor::new().expect("a reactor");
    r.on_event(Phase::During, STARTUP, |_| panic!("boom in startup"));
    let payload = run_expecting_panic(&mut r);
    assert_eq!(message(&*payload), "boom in startup");
    assert_poisoned(&mut r);
}

#[test]
fn a_panic_in_a_remote_call_propagates_out_of_run_and_poisons() {
    let mut r = RealReactor::new().expect("a reactor");
    r.remote()
        .call(|_| panic!("boom in a remote call"))
        .expect("the reactor is alive");
    let payload = run_expecting_panic(&mut r);
    assert_eq!(message(&*payload), "boom in a remote call");
    assert_poisoned(&mut r);
}
