//! Failing tests, run by `report_output.rs` as a subprocess to read what a user sees.
//!
//! Each one fails on purpose, so each is `#[ignore]`d: `cargo test` skips them, and the tests
//! of `report_output.rs` run their own binary with `--ignored --exact failing::<name>`.

use std::time::Duration;

use twinreactor::prelude::*;
use twinreactor_sim::{Sim, Sweep};

/// A callback panics at 250 ms of virtual time.
#[test]
#[ignore = "fails on purpose: run by report_output.rs"]
fn a_callback_panics() {
    let mut sim = Sim::new(42);
    sim.after(Duration::from_millis(250), |_| panic!("boom"));
    sim.run().unwrap();
}

/// The run ends normally; an assertion in the test body after it fails.
#[test]
#[ignore = "fails on purpose: run by report_output.rs"]
fn an_assertion_after_run_fails() {
    let mut sim = Sim::new(7);
    sim.after(Duration::from_secs(3), |r| r.stop().unwrap());
    sim.run().unwrap();
    assert_eq!(
        sim.now(),
        Duration::from_secs(4),
        "the run took four seconds"
    );
}

/// A timer whose delay depends on the seed; the scenario fails for every seed whose delay is
/// a multiple of 7 (seeds 7, 14, ...), and for no lower one.
fn scenario(seed: u64) {
    let mut sim = Sim::new(seed);
    let delay = Duration::from_millis(seed % 50);
    sim.after(delay, move |r| {
        assert!(
            seed == 0 || !seed.is_multiple_of(7),
            "planted bug at seed {seed}"
        );
        r.stop().unwrap();
    });
    sim.run().unwrap();
}

/// A sweep over 100 seeds.
#[test]
#[ignore = "fails on purpose: run by report_output.rs"]
fn a_sweep_finds_a_planted_bug() {
    Sweep::new(100).run(scenario);
}

/// A sweep whose scenario panics with a payload that is not text.
#[test]
#[ignore = "fails on purpose: run by report_output.rs"]
fn a_sweep_with_a_non_text_panic() {
    Sweep::new(10).run(|seed| {
        if seed == 3 {
            std::panic::panic_any(seed);
        }
    });
}

/// A sweep whose scenario never ends: its simulation is quiescent and `run()` says so.
#[test]
#[ignore = "fails on purpose: run by report_output.rs"]
fn a_sweep_that_never_ends() {
    Sweep::new(5).run(|seed| {
        let mut sim = Sim::new(seed);
        sim.after(Duration::from_secs(1), |_| {});
        sim.run()
    });
}

/// A sweep over swarm seeds of a client that takes its first read for the whole answer
/// (run with `TWINREACTOR_MINIMISE` to see the minimiser, `TWINREACTOR_TAPE` to replay).
#[test]
#[ignore = "fails on purpose: run by report_output.rs"]
fn a_swarm_sweep_of_the_greeting() {
    Sweep::new(1000).run(|seed| crate::support::greeting::exchange(seed, true));
}
