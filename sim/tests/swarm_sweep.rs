//! A sweep over swarm seeds: every fault mix the seed draws, on one echo exchange. A client
//! that keeps reading until the whole answer is back gets it intact or sees the connection
//! fail, under every mix; one that takes its first read for the answer is caught.

mod support;

use support::greeting::exchange;
use twinreactor_sim::Sweep;

#[test]
fn a_careful_client_passes_under_every_swarm_mix() {
    Sweep::new(300).run(|seed| exchange(seed, false));
}

#[test]
fn a_swarm_sweep_catches_the_client_that_trusts_its_first_read() {
    let failed = Sweep::new(1000)
        .try_run(|seed| exchange(seed, true))
        .expect_err("the planted bug is found");
    let twinreactor_sim::SweepFailed::Seed { seed, report, .. } = failed else {
        panic!("the sweep itself failed: {failed}");
    };
    assert!(
        report.contains("the exchange ended cleanly with"),
        "{report}"
    );
    assert!(
        report.contains(&format!("TWINREACTOR_SEED={seed} ")),
        "{report}"
    );
}
