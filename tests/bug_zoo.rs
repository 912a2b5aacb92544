//! The bug zoo (`tests/zoo/`): every correct twin passes under plain and swarm settings,
//! and a plain sweep of 1,000 swarm seeds finds every planted bug.
//! `cargo run --release --example bug_zoo` prints how fast and how small.

mod zoo;

use twinreactor_sim::{SimConfig, Sweep, SweepFailed};
use zoo::BUGS;

#[test]
fn every_correct_twin_passes_under_plain_and_swarm_settings() {
    for bug in &BUGS {
        let run = bug.run;
        Sweep::new(100).run(|seed| run(SimConfig::exact(seed), false));
        Sweep::new(100).run(|seed| run(SimConfig::swarm_exact(seed), false));
    }
}

#[test]
fn a_sweep_of_a_thousand_swarm_seeds_finds_every_planted_bug() {
    for bug in &BUGS {
        let run = bug.run;
        match Sweep::new(1000).try_run(|seed| run(SimConfig::swarm_exact(seed), true)) {
            Err(SweepFailed::Seed { .. }) => {}
            Err(other) => panic!("{}: the sweep itself failed: {other}", bug.name),
            Ok(_) => panic!(
                "{} (leans on: {}): no seed of 1,000 found it",
                bug.name, bug.leans_on
            ),
        }
    }
}

/// A lease that trusts another host's clock breaks under drift alone (no offset, latency as
/// by default): some seed of a hundred draws clocks that run apart enough, and its correct
/// twin, which measures on its own clock with a margin, holds under every one.
#[test]
fn a_lease_on_a_remote_clock_breaks_under_drift() {
    use std::time::Duration;
    use twinreactor_sim::ClockSkew;
    let bug = BUGS
        .iter()
        .find(|b| b.name == "lease-on-remote-clock")
        .expect("in the zoo");
    let run = bug.run;
    let drift = |seed| SimConfig {
        clocks: ClockSkew {
            max_offset: Duration::ZERO,
            max_drift_ppm: 100_000,
        },
        ..SimConfig::exact(seed)
    };
    Sweep::new(100).run(|seed| run(drift(seed), false));
    let found = Sweep::new(100).try_run(|seed| run(drift(seed), true));
    assert!(
        matches!(found, Err(SweepFailed::Seed { .. })),
        "no seed broke the lease: {found:?}"
    );
    // With clocks that all read the same, the buggy lease holds.
    Sweep::new(100).run(|seed| run(SimConfig::exact(seed), true));
}
