//! The contract as a model, checked by random call sequences (issue 11).
//!
//! Random sequences of contract operations (timers, triggers and completions, lifecycle,
//! remote calls, UDP and TCP on loopback, child processes of the corpus helper), made from
//! outside `run()` and from inside every kind of callback, run on the simulator (twice per
//! seed, traces compared) and on the real reactor; a model of `docs/contract.md` and
//! `docs/contract/*.md` checks every answer and every callback as it happens.
//!
//! `TWINREACTOR_MODEL_CASES=<n>` runs `n` sequences per reactor instead of the default.
//! The sequences come from a fixed proptest seed, so that CI runs the same ones every time;
//! `TWINREACTOR_MODEL_SEED=<u64>` picks other sequences, `TWINREACTOR_MODEL_SEED=random`
//! fresh ones on every run (to explore).

mod exec;
#[path = "../corpus/process/helper_stubs.rs"]
mod helper_stubs;
mod machine;
mod ops;
mod protocols;
mod shadow;

use proptest::test_runner::{Config, RngSeed};
use proptest_state_machine::prop_state_machine;

use machine::{OnReal, OnSim};

/// Sequences per reactor by default: about ten seconds in a debug build.
const DEFAULT_CASES: u32 = 200;

/// The proptest seed of the sequences CI runs.
const DEFAULT_SEED: u64 = 1;

/// The proptest configuration: `TWINREACTOR_MODEL_CASES` cases from the seed
/// `TWINREACTOR_MODEL_SEED`, no regression files. A malformed value is an error.
fn config() -> Config {
    let cases = match std::env::var("TWINREACTOR_MODEL_CASES") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("TWINREACTOR_MODEL_CASES={v:?} is not a number")),
        Err(_) => DEFAULT_CASES,
    };
    let rng_seed =
        match std::env::var("TWINREACTOR_MODEL_SEED").as_deref() {
            Ok("random") => RngSeed::Random,
            Ok(v) => RngSeed::Fixed(v.parse().unwrap_or_else(|_| {
                panic!("TWINREACTOR_MODEL_SEED={v:?} is not a u64 or \"random\"")
            })),
            Err(_) => RngSeed::Fixed(DEFAULT_SEED),
        };
    Config {
        cases,
        rng_seed,
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
