//! Every random choice, drawn through one place that can record it and play it back.
//!
//! The simulation draws each number at a named [`Site`] from its seeded streams, or, inside a
//! tape session on this thread, from a recorded [`Tape`]. A session records what every
//! simulation built on the thread drew; replaying that tape gives the same run without the
//! seed, and a minimiser edits it toward "nothing happens" to find a smaller failing run.

mod site;
mod tape;

use std::cell::RefCell;
use std::rc::Rc;

pub(crate) use site::unit;
pub use site::Site;
pub use tape::{Choice, Tape, TapeError};

use crate::rng::{SimRng, Stream};

/// Where a simulation's choices come from, and where they are recorded.
pub(crate) struct Choices {
    rngs: [SimRng; 6],
    record: Option<Rc<RefCell<Vec<Choice>>>>,
    replay: Option<Replay>,
}

/// A tape being played back.
struct Replay {
    choices: Vec<Choice>,
    pos: usize,
    /// Strict: a tape that ends early or differs is an error. Otherwise (minimising) a
    /// missing choice is its site's "nothing happens" value.
    strict: bool,
    sim: usize,
    error: Rc<RefCell<Option<TapeError>>>,
}

impl Replay {
    fn next(&mut self, site: Site) -> u64 {
        let at = self.pos;
        self.pos += 1;
        let found = self.choices.get(at).copied();
        let error = match found {
            Some(c) if c.site == site || !self.strict => return c.value,
            Some(c) => TapeError::Differs {
                sim: self.sim,
                at,
                tape: c.site.name(),
                run: site.name(),
            },
            None if !self.strict => return site.canonical(),
            None => TapeError::Ended { sim: self.sim, at },
        };
        self.error.borrow_mut().get_or_insert(error);
        site.canonical()
    }
}

impl Choices {
    /// The choices of a simulation with `seed`: from the seed, or from this thread's tape
    /// session if one is open.
    pub(crate) fn new(seed: u64) -> Self {
        let mut choices = Self {
            rngs: Stream::ALL.map(|stream| SimRng::new(seed, stream)),
            record: None,
            replay: None,
        };
        SESSION.with(|s| {
            if let Some(session) = s.borrow_mut().as_mut() {
                let sim = session.recorded.len();
                let record = Rc::new(RefCell::new(Vec::new()));
                session.recorded.push(record.clone());
                choices.record = Some(record);
                choices.replay = session.input.as_ref().map(|tape| Replay {
                    choices: tape.sims.get(sim).cloned().unwrap_or_default(),
                    pos: 0,
                    strict: session.strict,
                    sim,
                    error: session.error.clone(),
                });
            }
        });
        choices
    }

    /// A raw number drawn at `site` (`p`: the probability a fault is drawn against, or NaN).
    pub(crate) fn draw(&mut self, site: Site, p: f64) -> u64 {
        let value = match &mut self.replay {
            Some(replay) => replay.next(site),
            None => self.rngs[site.stream().slot()].next_u64(),
        };
        if let Some(record) = &self.record {
            record.borrow_mut().push(Choice { site, value, p });
        }
        value
    }
}

/// A tape session on one thread: what its simulations drew, and the tape they play.
struct Session {
    input: Option<Tape>,
    strict: bool,
    recorded: Vec<Rc<RefCell<Vec<Choice>>>>,
    error: Rc<RefCell<Option<TapeError>>>,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
}

/// Opens a session on this thread: simulations built from now on record their choices and,
/// with `input`, play that tape (strictly, or filling what it lacks with "nothing happens").
pub(crate) fn begin(input: Option<Tape>, strict: bool) {
    SESSION.with(|s| {
        *s.borrow_mut() = Some(Session {
            input,
            strict,
            recorded: Vec::new(),
            error: Rc::new(RefCell::new(None)),
        });
    });
}

/// Closes this thread's session: the tape its simulations drew (with `seed`), and the first
/// way the played tape did not fit the run.
pub(crate) fn end(seed: u64) -> (Tape, Option<TapeError>) {
    let session = SESSION.with(|s| s.borrow_mut().take());
    let Some(session) = session else {
        return (
            Tape {
                seed,
                sims: Vec::new(),
            },
            None,
        );
    };
    let sims = session
        .recorded
        .iter()
        .map(|r| r.borrow().clone())
        .collect();
    let error = session.error.borrow().clone();
    (Tape { seed, sims }, error)
}
