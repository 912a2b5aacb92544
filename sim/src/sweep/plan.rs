//! Which seeds a sweep runs: its own range, unless the environment says otherwise.
//!
//! * `TWINREACTOR_SEED=<seed>` replays that one seed.
//! * `TWINREACTOR_SEEDS=<count>` runs seeds `0..count`; `TWINREACTOR_SEEDS=<start>..<end>`
//!   runs that half-open range.
//! * `TWINREACTOR_SHARD=<k>/<n>` runs only the `k`-th of `n` interleaved shares of the
//!   seeds (`0 <= k < n`), so that `n` machines together run each seed exactly once.
//!
//! * `TWINREACTOR_TAPE=<file>` replays the tape a failure saved (its seed, then every choice
//!   exactly as recorded), without the seed's random streams.
//! * `TWINREACTOR_MINIMISE=1` (or a number of runs, default 500) searches a failure's tape
//!   for a smaller failing run and reports it too.
//!
//! Every number is decimal, or hexadecimal after `0x`. A value that does not parse is an
//! error naming the variable and the forms it accepts, never a silent default.

use std::ops::Range;

use crate::{parse_seed, Tape, TapeError, SEED_ENV};

/// The variable that sets how many seeds, or which range of seeds, a sweep runs.
pub const SEEDS_ENV: &str = "TWINREACTOR_SEEDS";
/// The variable that makes a sweep run one shard `k/n` of its seeds.
pub const SHARD_ENV: &str = "TWINREACTOR_SHARD";
/// The variable that replays a saved tape instead of a seed.
pub const TAPE_ENV: &str = "TWINREACTOR_TAPE";
/// The variable that asks a failing sweep to search for a smaller failing run.
pub const MINIMISE_ENV: &str = "TWINREACTOR_MINIMISE";

/// How many runs a minimisation makes at most, unless [`MINIMISE_ENV`] says.
const MINIMISE_RUNS: usize = 500;

/// Why a sweep could not decide which seeds to run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    /// `TWINREACTOR_SEED` is not a seed.
    #[error("{SEED_ENV}={0:?} is not a seed: write a u64, in decimal or as 0x hexadecimal")]
    BadSeed(String),
    /// `TWINREACTOR_SEEDS` is neither a count nor a range.
    #[error(
        "{SEEDS_ENV}={0:?} is not a count or a range of seeds: write a count (1000) or a \
         half-open range (5000..6000), in decimal or 0x hexadecimal"
    )]
    BadSeeds(String),
    /// `TWINREACTOR_SHARD` is not `k/n` with `0 <= k < n`.
    #[error("{SHARD_ENV}={value:?} is not a shard: {why} (write k/n with 0 <= k < n, e.g. 0/4)")]
    BadShard {
        /// The variable's value.
        value: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The seeds to run are none at all.
    #[error("the sweep has no seed to run: {0}")]
    Empty(String),
    /// `TWINREACTOR_TAPE` names a tape that cannot be used.
    #[error("{TAPE_ENV}: {0}")]
    Tape(#[from] TapeError),
    /// `TWINREACTOR_MINIMISE` is not a yes/no or a number of runs.
    #[error("{MINIMISE_ENV}={0:?} is not 0, 1 or a number of runs (e.g. 2000)")]
    BadMinimise(String),
    /// A sweep on zero threads.
    #[error("a sweep needs at least one thread")]
    NoThreads,
}

/// The seeds one sweep runs: `start + shard + i * shards` for `i` in `0..len`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    /// The whole range the seeds come from.
    pub(crate) range: Range<u64>,
    /// This run's share, `(k, n)`; `(0, 1)` when not sharded.
    pub(crate) shard: (u64, u64),
    /// Whether `TWINREACTOR_SEED` (or a tape) chose one seed to replay.
    pub(crate) replay: bool,
    /// The tape to replay, from `TWINREACTOR_TAPE`.
    pub(crate) tape: Option<Tape>,
    /// How many runs a minimisation of a failure may make; `None`: no minimisation.
    pub(crate) minimise: Option<usize>,
}

impl Plan {
    /// The plan for a sweep over `range`, with the environment's overrides applied.
    pub(crate) fn from_env(range: Range<u64>) -> Result<Self, SweepError> {
        let var = |name| std::env::var(name).ok();
        let mut plan = match var(TAPE_ENV) {
            Some(path) => {
                let tape = Tape::load(path.as_ref())?;
                let mut plan = Self::resolve(range, Some(&tape.seed.to_string()), None, None)?;
                plan.tape = Some(tape);
                plan
            }
            None => Self::resolve(
                range,
                var(SEED_ENV).as_deref(),
                var(SEEDS_ENV).as_deref(),
                var(SHARD_ENV).as_deref(),
            )?,
        };
        plan.minimise = parse_minimise(var(MINIMISE_ENV).as_deref())?;
        Ok(plan)
    }

    /// The plan for `range` given the three variables' values.
    fn resolve(
        range: Range<u64>,
        seed: Option<&str>,
        seeds: Option<&str>,
        shard: Option<&str>,
    ) -> Result<Self, SweepError> {
        if let Some(raw) = seed {
            let seed = parse_seed(raw).ok_or_else(|| SweepError::BadSeed(raw.to_owned()))?;
            return Ok(Self {
                range: seed..seed.saturating_add(1),
                // (`len` is 1 even for u64::MAX, whose range saturates to empty.)
                shard: (0, 1),
                replay: true,
                tape: None,
                minimise: None,
            });
        }
        let range = match seeds {
            Some(raw) => parse_range(raw)?,
            None => range,
        };
        if range.is_empty() {
            return Err(SweepError::Empty(format!(
                "seeds {range:?} is an empty range"
            )));
        }
        let shard = match shard {
            Some(raw) => parse_shard(raw)?,
            None => (0, 1),
        };
        let plan = Self {
            range,
            shard,
            replay: false,
            tape: None,
            minimise: None,
        };
        if plan.len() == 0 {
            return Err(SweepError::Empty(format!(
                "shard {}/{} of seeds {:?} holds no seed",
                shard.0, shard.1, plan.range
            )));
        }
        Ok(plan)
    }

    /// How many seeds this run holds.
    pub(crate) fn len(&self) -> u64 {
        if self.replay {
            return 1;
        }
        let (k, n) = self.shard;
        let width = self.range.end - self.range.start;
        width / n + u64::from(k < width % n)
    }

    /// The `i`-th seed of this run.
    pub(crate) fn seed(&self, i: u64) -> u64 {
        self.range.start + self.shard.0 + i * self.shard.1
    }

    /// The seeds in words, for the summary and the report.
    pub(crate) fn describe(&self) -> String {
        let Range { start, end } = self.range;
        if self.tape.is_some() {
            return format!("seed {start}, from {TAPE_ENV}");
        }
        if self.replay {
            return format!("seed {start}, from {SEED_ENV}");
        }
        match self.shard {
            (_, 1) => format!("seeds {start}..{end}"),
            (k, n) => format!("shard {k}/{n} of seeds {start}..{end}"),
        }
    }
}

/// `0`/`no` (off), `1`/`yes` (on, with the default budget) or a number of runs.
fn parse_minimise(raw: Option<&str>) -> Result<Option<usize>, SweepError> {
    match raw.map(str::trim) {
        None | Some("" | "0" | "no") => Ok(None),
        Some("1" | "yes") => Ok(Some(MINIMISE_RUNS)),
        Some(n) => n
            .parse()
            .map(Some)
            .map_err(|_| SweepError::BadMinimise(n.to_owned())),
    }
}

/// `1000` (seeds `0..1000`) or `5000..6000`.
fn parse_range(raw: &str) -> Result<Range<u64>, SweepError> {
    let bad = || SweepError::BadSeeds(raw.to_owned());
    match raw.split_once("..") {
        Some((start, end)) => {
            Ok(parse_seed(start).ok_or_else(bad)?..parse_seed(end).ok_or_else(bad)?)
        }
        None => Ok(0..parse_seed(raw).ok_or_else(bad)?),
    }
}

/// `k/n` with `0 <= k < n`.
fn parse_shard(raw: &str) -> Result<(u64, u64), SweepError> {
    let bad = |why| SweepError::BadShard {
        value: raw.to_owned(),
        why,
    };
    let (k, n) = raw.split_once('/').ok_or_else(|| bad("no '/'"))?;
    let k = parse_seed(k).ok_or_else(|| bad("k is not a number"))?;
    let n = parse_seed(n).ok_or_else(|| bad("n is not a number"))?;
    if n == 0 {
        return Err(bad("n is 0"));
    }
    if k >= n {
        return Err(bad("k is not below n"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::{Plan, SweepError};

    fn plan(
        seed: Option<&str>,
        seeds: Option<&str>,
        shard: Option<&str>,
    ) -> Result<Plan, SweepError> {
        Plan::resolve(0..10, seed, seeds, shard)
    }

    fn seeds(p: &Plan) -> Vec<u64> {
        (0..p.len()).map(|i| p.seed(i)).collect()
    }

    #[test]
    fn the_sweep_own_range_runs_without_variables() {
        let p = plan(None, None, None).unwrap();
        assert_eq!(seeds(&p), (0..10).collect::<Vec<_>>());
        assert_eq!(p.describe(), "seeds 0..10");
    }

    #[test]
    fn a_seed_replays_alone_and_wins_over_range_and_shard() {
        let p = plan(Some("0x2a"), Some("5"), Some("1/2")).unwrap();
        assert_eq!(seeds(&p), [42]);
        assert!(p.replay);
    }

    #[test]
    fn a_count_or_a_range_replaces_the_sweep_range() {
        assert_eq!(seeds(&plan(None, Some("3"), None).unwrap()), [0, 1, 2]);
        assert_eq!(
            seeds(&plan(None, Some("100..103"), None).unwrap()),
            [100, 101, 102]
        );
    }

    #[test]
    fn shards_interleave_and_cover_every_seed_once() {
        let mut all: Vec<u64> = (0..3)
            .flat_map(|k| seeds(&plan(None, None, Some(&format!("{k}/3"))).unwrap()))
            .collect();
        assert_eq!(seeds(&plan(None, None, Some("1/3")).unwrap()), [1, 4, 7]);
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn bad_values_are_errors_naming_the_variable() {
        let bad = [
            plan(Some("seven"), None, None),
            plan(None, Some("ten"), None),
            plan(None, Some("5..x"), None),
            plan(None, None, Some("1")),
            plan(None, None, Some("2/2")),
            plan(None, None, Some("0/0")),
            plan(None, None, Some("a/2")),
        ];
        let names = [
            "TWINREACTOR_SEED=",
            "TWINREACTOR_SEEDS=",
            "TWINREACTOR_SEEDS=",
            "TWINREACTOR_SHARD=",
        ];
        for (i, result) in bad.iter().enumerate() {
            let text = result.as_ref().unwrap_err().to_string();
            assert!(text.contains(names[i.min(3)]), "{text}");
        }
    }

    #[test]
    fn minimising_is_off_on_or_a_budget() {
        use super::parse_minimise;
        assert_eq!(parse_minimise(None), Ok(None));
        assert_eq!(parse_minimise(Some("0")), Ok(None));
        assert_eq!(parse_minimise(Some("1")), Ok(Some(500)));
        assert_eq!(parse_minimise(Some("2000")), Ok(Some(2000)));
        assert!(matches!(
            parse_minimise(Some("lots")),
            Err(SweepError::BadMinimise(_))
        ));
    }

    #[test]
    fn empty_ranges_and_empty_shards_are_errors() {
        assert!(matches!(
            plan(None, Some("0"), None),
            Err(SweepError::Empty(_))
        ));
        assert!(matches!(
            plan(None, Some("7..7"), None),
            Err(SweepError::Empty(_))
        ));
        assert!(matches!(
            plan(None, Some("2"), Some("2/3")),
            Err(SweepError::Empty(_))
        ));
    }
}
