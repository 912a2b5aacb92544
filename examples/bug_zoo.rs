//! The bug zoo's table: for each planted bug (`tests/zoo/`), how many seeds a plain sweep
//! runs before it fails with `SimConfig::new` and with `SimConfig::swarm`, and how small
//! the minimiser makes the failing run, over twenty searches from different seeds.
//!
//! ```text
//! cargo run --release --example bug_zoo
//! ```

#[path = "../tests/zoo/mod.rs"]
mod zoo;

use std::collections::BTreeSet;

use twinreactor_sim::{MinimalRun, SimConfig, Sweep, SweepFailed};
use zoo::{Bug, BUGS};

/// Seeds one search looks at.
const SEEDS: u64 = 1_000;
/// Searches per bug.
const SEARCHES: u64 = 20;
/// Runs one minimisation may make.
const BUDGET: usize = 300;

/// The first failing seed in `from..from + SEEDS`, and its minimal run when asked.
fn first_failure(
    bug: &Bug,
    swarm: bool,
    from: u64,
    minimise: bool,
) -> Option<(u64, Option<Box<MinimalRun>>)> {
    let run = bug.run;
    let mut sweep = Sweep::range(from..from + SEEDS);
    if minimise {
        sweep = sweep.minimise(BUDGET);
    }
    let config = move |seed| {
        if swarm {
            SimConfig::swarm_exact(seed)
        } else {
            SimConfig::exact(seed)
        }
    };
    match sweep.try_run(|seed| run(config(seed), true)) {
        Err(SweepFailed::Seed { seed, minimal, .. }) => Some((seed, minimal)),
        _ => None,
    }
}

fn main() {
    println!(
        "{:<24} {:>10} {:>10} {:>17} {:>15} {:>9}  {:<26} leans on",
        "bug",
        "seeds:new",
        "seeds:swarm",
        "non-canonical",
        "trace lines",
        "distinct",
        "faults left (search 1)"
    );
    for bug in &BUGS {
        let seeds = |swarm| {
            first_failure(bug, swarm, 0, false)
                .map_or_else(|| format!(">{SEEDS}"), |(seed, _)| (seed + 1).to_string())
        };
        let (plain, swarm) = (seeds(false), seeds(true));
        let mut minimal = Vec::new();
        for k in 0..SEARCHES {
            if let Some((_, Some(m))) = first_failure(bug, true, k * SEEDS, true) {
                minimal.push(m);
            }
        }
        let distinct: BTreeSet<&str> = minimal.iter().map(|m| m.trace.as_str()).collect();
        let Some(first) = minimal.first() else {
            println!("{:<24} {plain:>10} {swarm:>10}  (no minimal run)", bug.name);
            continue;
        };
        let faults: Vec<String> = first
            .faults
            .iter()
            .map(|(site, n)| format!("{} x{n}", site.name()))
            .collect();
        let mean = |f: fn(&MinimalRun) -> (usize, usize)| {
            let (a, b): (usize, usize) = minimal
                .iter()
                .map(|m| f(m))
                .fold((0, 0), |(x, y), (a, b)| (x + a, y + b));
            let n = minimal.len();
            format!("{:.1} <- {:.1}", a as f64 / n as f64, b as f64 / n as f64)
        };
        println!(
            "{:<24} {plain:>10} {swarm:>10} {:>17} {:>15} {:>6}/{:<2}  {:<26} {}",
            bug.name,
            mean(|m| m.non_canonical),
            mean(|m| m.trace_lines),
            distinct.len(),
            minimal.len(),
            if faults.is_empty() {
                "none".to_owned()
            } else {
                faults.join(", ")
            },
            bug.leans_on
        );
    }
    println!(
        "seeds: the first failing seed of a sweep from 0 (+1); non-canonical and trace lines: \
         the minimal run <- the failing run, means over {SEARCHES} searches of {SEEDS} swarm \
         seeds each; distinct: different minimal traces among the searches"
    );
}
