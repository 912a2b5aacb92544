//! System events: names, phases, and what a trigger may return.

use std::fmt;

/// The event the reactor fires itself when `run()` starts.
pub const STARTUP: &str = "startup";
/// The event the reactor fires itself when shutdown begins after `stop()`.
pub const SHUTDOWN: &str = "shutdown";

/// The phase of a system event a trigger runs in. Phases run in this order; triggers run
/// first in, first out within a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Runs first. For `shutdown`, the network still works in this phase.
    Before,
    /// Runs once every completion returned by `Before` triggers has completed.
    During,
    /// Runs last.
    After,
}

impl Phase {
    /// The three phases in firing order.
    pub const ALL: [Phase; 3] = [Phase::Before, Phase::During, Phase::After];

    /// The lowercase name used in traces: `before`, `during` or `after`.
    pub const fn name(self) -> &'static str {
        match self {
            Phase::Before => "before",
            Phase::During => "during",
            Phase::After => "after",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
