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
