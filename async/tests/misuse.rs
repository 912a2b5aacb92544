//! Bad input gives clear errors, never a hang: futures polled outside an executor, a task
//! that waits forever on a quiet simulator (named in the error), a panic in a task (the
//! simulator's message names the seed).

use std::future::pending;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use futures_util::FutureExt;
use twinreactor::LifecycleError;
use twinreactor_async::{
    block_on, now, sleep, spawn, spawn_named, ContextError, RunError, TcpListener,
};
use twinreactor_sim::Sim;

/// The context error inside an I/O error, if that is what it is.
fn context_error(e: &io::Error) -> Option<ContextError> {
    e.get_ref()?.downcast_ref::<ContextError>().copied()
}

#[test]
fn futures_polled_outside_an_executor_are_errors() {
    assert_eq!(
        sleep(Duration::from_secs(1)).now_or_never(),
        Some(Err(ContextError::NotInExecutor))
    );
    assert_eq!(now(), Err(ContextError::NotInExecutor));
    assert!(matches!(spawn(async {}), Err(ContextError::NotInExecutor)));

    // An I/O object carried out of its executor and polled by hand.
    let mut sim = Sim::new(1);
    let listener = block_on(&mut sim, async {
        TcpListener::bind("127.0.0.1:0".parse().expect("an address")).await
    })
    .expect("the future finished")
    .expect("bound");
    let polled = listener.accept().now_or_never().expect("ready at once");
    let e = polled.map(|_| ()).expect_err("outside its executor");
    assert_eq!(context_error(&e), Some(ContextError::NotInExecutor));
}

#[test]
fn a_task_blocked_forever_on_a_quiet_simulator_is_named_in_the_error() {
    let mut sim = Sim::new(2);
    let result = block_on(&mut sim, async {
        let stuck = spawn_named("waits for nothing", pending::<()>()).expect("in a task");
        stuck.await
    });
    match result {
        Err(RunError::Reactor {
            cause: LifecycleError::Quiescent { .. },
            pending,
        }) => {
            assert_eq!(
                pending,
                ["task 1 (block_on)", "task 2 (waits for nothing)"],
                "every pending task is named"
            );
        }
        other => panic!("expected a quiescence error, got {other:?}"),
    }
    let message = block_on(&mut Sim::new(3), pending::<()>())
        .expect_err("quiescent")
        .to_string();
    assert!(message.contains("quiescent"), "{message}");
    assert!(message.contains("task 1 (block_on)"), "{message}");
}

#[test]
fn a_panic_in_a_task_leaves_run_with_the_seed_named() {
    let seed = 0xfeed;
    let mut sim = Sim::new(seed);
    let caught = catch_unwind(AssertUnwindSafe(|| {
        block_on(&mut sim, async {
            sleep(Duration::from_millis(5)).await.expect("in a task");
            panic!("a bug in async protocol code");
        })
    }));
    let payload = caught.expect_err("the panic propagates");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("a bug in async protocol code"),
        "{message}"
    );
    assert!(message.contains(&seed.to_string()), "{message}");
}

#[test]
fn block_on_inside_a_running_reactor_is_already_running_and_runs_nothing_later() {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use twinreactor::{Reactor, ReactorExt};

    let mut sim = Sim::new(4);
    let seen = Rc::new(RefCell::new(None));
    let ran = Rc::new(Cell::new(false));
    let (result, flag) = (Rc::clone(&seen), Rc::clone(&ran));
    sim.after(Duration::ZERO, move |r: &mut dyn Reactor| {
        *result.borrow_mut() = Some(block_on(r, async move { flag.set(true) }));
        r.after(Duration::from_secs(1), |r| r.stop().expect("running"));
    });
    sim.run().expect("stopped by the timer");
    match seen.borrow_mut().take() {
        Some(Err(RunError::Reactor {
            cause: LifecycleError::AlreadyRunning,
            ..
        })) => {}
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    assert!(!ran.get(), "the future never ran");
}
