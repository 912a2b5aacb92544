//! Snapshots of the simulator's trace: the canonical order of events for fixed-seed
//! scenarios, held in the workspace's `snapshots/` directory.
//!
//! To accept a deliberate change: `INSTA_UPDATE=always cargo test --test snapshots`, then
//! review the diff of `snapshots/*.snap`.

use std::time::Duration;

use twinreactor::{Phase, Reactor, ReactorExt, SHUTDOWN, STARTUP};
use twinreactor_sim::{Sim, SimConfig};

/// Startup waiting on a completion that a timer completes, equal-deadline timers (FIFO), a
/// remote call, a stop, and shutdown waiting on a before-shutdown completion.
#[test]
fn snapshot_startup_timers_remote_and_shutdown_trace() {
    let mut sim = Sim::with_config(SimConfig::exact(2024));
    sim.on_event_wait(Phase::Before, STARTUP, |r| {
        let c = r.new_completion();
        r.after(Duration::from_secs(1), move |r| {
            r.complete(c).expect("open");
        });
        Some(c)
    });
    sim.on_event(Phase::During, STARTUP, |r| {
        r.after(Duration::from_secs(1), |_| {});
        r.after(Duration::from_secs(1), |_| {});
        r.after(Duration::from_secs(2), |r| r.stop().expect("running"));
    });
    sim.on_event(Phase::After, STARTUP, |_| {});
    sim.on_event_wait(Phase::Before, SHUTDOWN, |r| {
        let c = r.new_completion();
        r.after(Duration::from_millis(500), move |r| {
            r.complete(c).expect("open");
        });
        Some(c)
    });
    sim.on_event(Phase::During, SHUTDOWN, |_| {});
    sim.on_event(Phase::After, SHUTDOWN, |_| {});
    sim.remote().call(|_| {}).expect("alive");
    let far = sim.after(Duration::from_secs(3600), |_| {});
    sim.run().expect("the scenario stops");
    assert_eq!(sim.pending_timers(), vec![far]);
    twinreactor_sim::assert_trace_snapshot!("startup_timers_remote_and_shutdown", sim.trace());
}

/// The steps of one iteration: two timers due together (FIFO), the first queues a remote
/// call, schedules a zero-delay timer and calls `stop()`; the second still fires in the same
/// pass, then shutdown begins in that iteration; the remote call and the zero-delay timer,
/// due only in the next iteration, never run.
#[test]
fn snapshot_one_iteration_steps_trace() {
    let mut sim = Sim::with_config(SimConfig::exact(2024));
    let remote = sim.remote();
    sim.after(Duration::from_secs(1), move |r| {
        remote.call(|_| {}).expect("alive");
        r.after(Duration::ZERO, |_| {});
        r.stop().expect("running");
    });
    sim.after(Duration::from_secs(1), |_| {});
    sim.on_event(Phase::Before, SHUTDOWN, |_| {});
    sim.run().expect("the scenario stops");
    assert_eq!(sim.pending_timers().len(), 1);
    twinreactor_sim::assert_trace_snapshot!("one_iteration_steps", sim.trace());
}

/// A protocol's own lines (`Reactor::note`) are a snapshot in one call: the rounds of a toy
/// election, viewed by kind.
#[test]
fn snapshot_a_protocols_own_lines() {
    use twinreactor::trace::TraceFilter;
    let mut sim = Sim::with_config(SimConfig::exact(7));
    for (round, delay) in [(1u32, 150u64), (2, 300), (3, 450)] {
        sim.after(Duration::from_millis(delay), move |r| {
            r.note(&format!("round {round}: candidate h0 asks for votes"));
            if round == 3 {
                r.note("leader elected: h0");
                r.stop().expect("running");
            }
        });
    }
    sim.run().expect("the election ends");
    let notes = sim.trace().view(&TraceFilter::new().kind("note"));
    twinreactor_sim::assert_trace_snapshot!("a_protocols_own_lines", notes);
}
