//! The minimiser: a smaller failing run, found by editing the failing run's tape.
//!
//! As Hypothesis shrinks the sequence of choices rather than the seed, the search edits the
//! recorded tape toward "nothing happens" (each site's canonical value: no fault, no split,
//! no extra delay, the first in order) and runs the scenario on the edited tape, filling
//! whatever the tape lacks with canonical values. An edit is kept when the run still fails
//! the same way (same panic location, or same first line of its message) and is simpler:
//! fewer choices that are not canonical, then fewer choices, then a shorter trace. It tries
//! runs cut short first, then canonical values in halving chunks down to one choice, and
//! repeats until nothing more helps or the budget of runs is spent.

use std::cell::Cell;

use super::{attempt, Attempt, Outcome};
use crate::report::{hook, Minimised};
use crate::{Site, Tape};

/// How simple a run is: smaller is simpler.
type Size = (usize, usize, usize);

fn size(a: &Attempt) -> Size {
    let trace = a.sim.as_ref().map_or(0, |s| s.trace.len());
    (a.tape.non_canonical(), a.tape.len(), trace)
}

/// What a failure is, for "fails the same way".
fn signature(a: &Attempt) -> Option<String> {
    let message = a.message.as_ref()?;
    Some(
        a.location
            .clone()
            .unwrap_or_else(|| message.lines().next().unwrap_or_default().to_owned()),
    )
}

/// The positions (simulation, index) of the choices that are not canonical.
fn non_canonical(tape: &Tape) -> Vec<(usize, usize)> {
    tape.sims
        .iter()
        .enumerate()
        .flat_map(|(s, sim)| {
            sim.iter()
                .enumerate()
                .filter(|(_, c)| !c.is_canonical())
                .map(move |(i, _)| (s, i))
        })
        .collect()
}

/// Searches for a smaller run of `seed` that fails as `original` did, in at most `budget`
/// runs of the scenario.
pub(crate) fn minimise<R: Outcome>(
    seed: u64,
    scenario: &impl Fn(u64) -> R,
    original: Attempt,
    budget: usize,
) -> Minimised {
    let before = (
        original.tape.len(),
        original.tape.non_canonical(),
        size(&original).2,
    );
    let faults_before = original.tape.faults();
    let want = signature(&original);
    let mut best = original;
    let runs = Cell::new(0);
    hook::set_quiet(true);
    let try_tape = |candidate: Tape, best: &mut Attempt| -> bool {
        if runs.get() >= budget {
            return false;
        }
        runs.set(runs.get() + 1);
        let run = attempt(seed, scenario, Some(candidate), false);
        let better = run.tape_error.is_none() && signature(&run) == want && size(&run) < size(best);
        if better {
            *best = run;
        }
        better
    };
    loop {
        let start = size(&best);
        // Runs cut short: every simulation keeps a prefix of its choices.
        for (num, den) in [(0, 1), (1, 8), (1, 4), (1, 2), (3, 4)] {
            let cut = Tape {
                seed,
                sims: best
                    .tape
                    .sims
                    .iter()
                    .map(|s| s[..s.len() * num / den].to_vec())
                    .collect(),
            };
            if try_tape(cut, &mut best) {
                break;
            }
        }
        // Canonical values, in chunks that halve down to single choices.
        let mut chunk = non_canonical(&best.tape).len();
        while chunk > 0 {
            let mut from = 0;
            loop {
                let positions = non_canonical(&best.tape);
                if from >= positions.len() || runs.get() >= budget {
                    break;
                }
                let mut edited = best.tape.clone();
                for &(s, i) in &positions[from..(from + chunk).min(positions.len())] {
                    let c = &mut edited.sims[s][i];
                    c.value = Site::canonical(c.site);
                }
                if !try_tape(edited, &mut best) {
                    from += chunk;
                }
            }
            chunk /= 2;
        }
        if size(&best) == start || runs.get() >= budget {
            break;
        }
    }
    hook::set_quiet(false);
    Minimised {
        tape: best.tape,
        sim: best.sim,
        runs: runs.get(),
        before,
        faults_before,
    }
}
