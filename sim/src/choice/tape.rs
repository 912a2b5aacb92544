//! A decision tape: every random choice of a run, in order, saved as text.
//!
//! ```text
//! twinreactor-tape 1
//! seed 42
//! sim 0
//! ready-order 0x0000000000000000
//! udp-loss 0x1f00000000000000 p=0.3
//! ```
//!
//! One `sim` section per simulation the scenario built, in the order it built them; one line
//! per draw: the site, the raw 64-bit value, and for a fault the probability it was drawn
//! against (so that a reader, and the minimiser, can tell whether it struck).

use std::fmt::Write as _;
use std::path::Path;

use super::site::{unit, Site};

/// The tape format this simulator writes and reads.
const VERSION: u32 = 1;

/// One random choice: where it was drawn, the raw value, and for a fault its probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Choice {
    /// Where the choice was made.
    pub site: Site,
    /// The raw 64-bit value drawn.
    pub value: u64,
    /// The probability a fault was drawn against (`NaN` for other sites).
    pub p: f64,
}

impl Choice {
    /// Whether this choice is a fault that struck.
    pub fn struck(&self) -> bool {
        self.site.is_fault() && unit(self.value) < self.p
    }

    /// Whether this choice is its site's "nothing happens" value.
    pub fn is_canonical(&self) -> bool {
        self.value == self.site.canonical()
    }
}

/// What went wrong with a tape.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TapeError {
    /// The tape file could not be read or written.
    #[error("tape {path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's answer.
        error: String,
    },
    /// The file is not a tape this simulator reads.
    #[error("tape line {line}: {why}")]
    Format {
        /// The line (from 1).
        line: usize,
        /// What is wrong with it.
        why: String,
    },
    /// The run drew more choices than the tape holds.
    #[error("the tape of simulation {sim} ends after {at} choices, but the run drew more")]
    Ended {
        /// The simulation (in the order the scenario built them).
        sim: usize,
        /// How many choices the tape holds.
        at: usize,
    },
    /// The run drew at another site than the tape recorded: the scenario or the simulator
    /// changed since the tape was made.
    #[error(
        "choice {at} of simulation {sim} differs: the tape has {tape}, the run drew {run} \
         (the scenario or the simulator changed since the tape was recorded)"
    )]
    Differs {
        /// The simulation.
        sim: usize,
        /// The choice's position.
        at: usize,
        /// The site the tape recorded.
        tape: &'static str,
        /// The site the run drew at.
        run: &'static str,
    },
    /// A replay of the tape did not fail the way the recording did.
    #[error("replayed from its tape, the scenario passed: it is not deterministic")]
    Passed,
}

/// Every choice of one scenario run: its seed, and one list per simulation it built.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tape {
    /// The seed the run was made with.
    pub seed: u64,
    /// The choices of each simulation, in the order they were built.
    pub sims: Vec<Vec<Choice>>,
}

impl Tape {
    /// How many choices in all.
    pub fn len(&self) -> usize {
        self.sims.iter().map(Vec::len).sum()
    }

    /// Whether the tape holds no choice.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many choices are not their site's "nothing happens" value.
    pub fn non_canonical(&self) -> usize {
        self.choices().filter(|c| !c.is_canonical()).count()
    }

    /// The faults that struck, by site, in site order: `(site, times)`.
    pub fn faults(&self) -> Vec<(Site, usize)> {
        Site::ALL
            .into_iter()
            .map(|s| {
                (
                    s,
                    self.choices().filter(|c| c.site == s && c.struck()).count(),
                )
            })
            .filter(|&(_, n)| n > 0)
            .collect()
    }

    /// Every choice, simulation after simulation.
    pub fn choices(&self) -> impl Iterator<Item = &Choice> {
        self.sims.iter().flatten()
    }

    /// The tape as text.
    pub fn to_text(&self) -> String {
        let mut out = format!("twinreactor-tape {VERSION}\nseed {}\n", self.seed);
        for (i, sim) in self.sims.iter().enumerate() {
            out.push_str(&format!("sim {i}\n"));
            for c in sim {
                // Writing to a String cannot fail.
                let _ = if c.site.is_fault() {
                    writeln!(out, "{} {:#018x} p={}", c.site.name(), c.value, c.p)
                } else {
                    writeln!(out, "{} {:#018x}", c.site.name(), c.value)
                };
            }
        }
        out
    }

    /// Reads a tape from its text.
    pub fn from_text(text: &str) -> Result<Self, TapeError> {
        let bad = |line: usize, why: String| TapeError::Format { line, why };
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim()));
        match lines.next() {
            Some((_, head)) if head == format!("twinreactor-tape {VERSION}") => {}
            Some((n, head)) if head.starts_with("twinreactor-tape ") => {
                return Err(bad(
                    n,
                    format!("{head:?}: this simulator reads version {VERSION}"),
                ))
            }
            _ => return Err(bad(1, "not a twinreactor tape".to_owned())),
        }
        let seed = match lines.next() {
            Some((n, l)) => l
                .strip_prefix("seed ")
                .and_then(crate::parse_seed)
                .ok_or_else(|| bad(n, format!("expected `seed <u64>`, found {l:?}")))?,
            None => return Err(bad(2, "the seed line is missing".to_owned())),
        };
        let mut tape = Tape {
            seed,
            sims: Vec::new(),
        };
        for (n, line) in lines.filter(|(_, l)| !l.is_empty()) {
            if let Some(index) = line.strip_prefix("sim ") {
                if index.parse() != Ok(tape.sims.len()) {
                    return Err(bad(n, format!("expected `sim {}`", tape.sims.len())));
                }
                tape.sims.push(Vec::new());
                continue;
            }
            let sim = tape
                .sims
                .last_mut()
                .ok_or_else(|| bad(n, "a choice before the first `sim` line".to_owned()))?;
            let mut parts = line.split(' ');
            let name = parts.next().unwrap_or_default();
            let site =
                Site::from_name(name).ok_or_else(|| bad(n, format!("unknown site {name:?}")))?;
            let value = parts
                .next()
                .and_then(crate::parse_seed)
                .ok_or_else(|| bad(n, format!("{line:?}: the value is not a u64")))?;
            let p = match parts.next() {
                Some(p) => p
                    .strip_prefix("p=")
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| bad(n, format!("{line:?}: expected `p=<probability>`")))?,
                None => f64::NAN,
            };
            sim.push(Choice { site, value, p });
        }
        Ok(tape)
    }

    /// Writes the tape to `path`, creating its directory.
    pub fn save(&self, path: &Path) -> Result<(), TapeError> {
        let io = |e: std::io::Error| TapeError::Io {
            path: path.display().to_string(),
            error: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        std::fs::write(path, self.to_text()).map_err(io)
    }

    /// Reads the tape at `path`.
    pub fn load(path: &Path) -> Result<Self, TapeError> {
        let text = std::fs::read_to_string(path).map_err(|e| TapeError::Io {
            path: path.display().to_string(),
            error: e.to_string(),
        })?;
        Self::from_text(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::{Choice, Site, Tape, TapeError};

    fn tape() -> Tape {
        Tape {
            seed: 42,
            sims: vec![vec![
                Choice {
                    site: Site::ReadyOrder,
                    value: 5,
                    p: f64::NAN,
                },
                Choice {
                    site: Site::UdpLoss,
                    value: 0,
                    p: 0.25,
                },
                Choice {
                    site: Site::UdpLoss,
                    value: u64::MAX,
                    p: 0.25,
                },
            ]],
        }
    }

    #[test]
    fn text_round_trips() {
        let t = tape();
        let back = Tape::from_text(&t.to_text()).unwrap();
        assert_eq!(back.to_text(), t.to_text());
        assert_eq!(back.seed, 42);
        assert_eq!(back.faults(), [(Site::UdpLoss, 1)]);
        assert_eq!(back.non_canonical(), 2);
    }

    #[test]
    fn a_foreign_or_broken_tape_is_a_typed_error_naming_the_line() {
        let cases = [
            ("hello\n", 1, "not a twinreactor tape"),
            ("twinreactor-tape 9\nseed 1\n", 1, "reads version 1"),
            ("twinreactor-tape 1\nseed x\n", 2, "expected `seed <u64>`"),
            (
                "twinreactor-tape 1\nseed 1\nsim 0\ncoin 0x1\n",
                4,
                "unknown site \"coin\"",
            ),
            (
                "twinreactor-tape 1\nseed 1\nudp-loss 0x1 p=0.1\n",
                3,
                "before the first `sim`",
            ),
        ];
        for (text, line, why) in cases {
            match Tape::from_text(text) {
                Err(TapeError::Format { line: l, why: w }) => {
                    assert_eq!(l, line, "{text}");
                    assert!(w.contains(why), "{w}");
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }
}
