//! The contract as a model, checked by random call sequences (issue 11).
//!
//! Random sequences of contract operations (timers, triggers and completions, lifecycle,
//! remote calls, UDP and TCP on loopback, child processes of the corpus helper), made from
//! outside `run()` and from inside every kind of callback, run on the simulator (twice per
//! seed, traces compared) and on the real reactor; a model of `docs/contract.md` and
//! `docs/contract/*.md` checks every answer and every callback as it happens.
//!
//! `TWINREACTOR_MODEL_CASES=<n>` runs `n` sequences per reactor instead of the default.

mod exec;
#[path = "../corpus/process/helper_stubs.rs"]
mod helper_stubs;
mod machine;
mod ops;
mod protocols;
mod shadow;

use proptest::test_runner::Config;
use proptest_state_machine::prop_state_machine;

use machine::{OnReal, OnSim};

/// Sequences per reactor by default: about ten seconds in a debug build.
const DEFAULT_CASES: u32 = 200;

/// The proptest configuration: `TWINREACTOR_MODEL_CASES` cases, no regression files.
fn config() -> Config {
    let cases = std::env::var("TWINREACTOR_MODEL_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

prop_state_machine! {
    #![proptest_config(config())]

    /// The simulator follows the model.
    #[test]
    fn sim_follows_the_model(sequential 1..24 => OnSim);

    /// The real reactor follows the model.
    #[test]
    fn real_follows_the_model(sequential 1..24 => OnReal);
}
