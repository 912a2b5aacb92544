//! The simulator's recorded trace, readable while the simulation is boxed away.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use twinreactor::trace::render;
use twinreactor::{TraceEvent, TraceLine};

/// Lines are stored in chunks of this many, so that a long trace grows without copying
/// more than its first chunk. The first chunk starts at [`FIRST`] lines and doubles, so
/// that a short simulation does not pay for thousands of lines up front.
const CHUNK: usize = 4096;

/// The first chunk's first capacity (`CHUNK` is this times a power of two).
const FIRST: usize = 64;

/// A line as stored: the time in nanoseconds (a trace never reaches 584 years), which
/// keeps a stored line 8 bytes smaller than a [`TraceLine`].
struct Stored {
    nanos: u64,
    host: u32,
    event: TraceEvent,
}

impl Stored {
    fn line(&self) -> TraceLine {
        TraceLine {
            at: Duration::from_nanos(self.nanos),
            host: self.host,
            event: self.event.clone(),
        }
    }
}

#[derive(Default)]
struct Chunks {
    full: Vec<Vec<Stored>>,
    last: Vec<Stored>,
}

impl Chunks {
    fn len(&self) -> usize {
        self.full.len() * CHUNK + self.last.len()
    }

    fn iter(&self) -> impl Iterator<Item = &Stored> {
        self.full.iter().flatten().chain(&self.last)
    }
}

/// A shared, read-only view of a simulation's trace.
///
/// A test harness that hands the [`Sim`](crate::Sim) to code as `Box<dyn Reactor>` keeps
/// one of these to read the trace afterwards.
#[derive(Clone, Default)]
pub struct TraceHandle(Rc<RefCell<Chunks>>);

impl TraceHandle {
    pub(crate) fn push(&self, at: Duration, host: u32, event: TraceEvent) {
        let line = Stored {
            nanos: u64::try_from(at.as_nanos()).unwrap_or(u64::MAX),
            host,
            event,
        };
        let mut chunks = self.0.borrow_mut();
        if chunks.last.len() == CHUNK {
            let full = std::mem::replace(&mut chunks.last, Vec::with_capacity(CHUNK));
            chunks.full.push(full);
        } else if chunks.last.capacity() == 0 {
            chunks.last.reserve_exact(FIRST);
        }
        chunks.last.push(line);
    }

    /// Whether `other` is a handle to this same trace.
    pub(crate) fn same_as(&self, other: &TraceHandle) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Every line recorded so far.
    pub fn lines(&self) -> Vec<TraceLine> {
        self.0.borrow().iter().map(Stored::line).collect()
    }

    /// How many lines have been recorded.
    pub fn len(&self) -> usize {
        self.0.borrow().len()
    }

    /// Whether nothing has been recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole trace in its canonical text form.
    pub fn render(&self) -> String {
        render(&self.lines())
    }

    /// The lines `filter` keeps, in canonical text form: a view of one host, one kind of
    /// event or one object.
    ///
    /// ```
    /// use twinreactor::prelude::*;
    /// use twinreactor::trace::TraceFilter;
    ///
    /// let mut sim = twinreactor_sim::Sim::new(1);
    /// sim.note("hello");
    /// assert_eq!(sim.trace().view(&TraceFilter::new().kind("note")), "0.000000000 h0 note \"hello\"\n");
    /// ```
    pub fn view(&self, filter: &twinreactor::trace::TraceFilter) -> String {
        let chunks = self.0.borrow();
        let kept: Vec<TraceLine> = chunks
            .iter()
            .map(Stored::line)
            .filter(|l| filter.keeps(l))
            .collect();
        render(&kept)
    }

    /// The last `n` lines in canonical text form.
    pub fn tail(&self, n: usize) -> String {
        let chunks = self.0.borrow();
        let skip = chunks.len().saturating_sub(n);
        let tail: Vec<TraceLine> = chunks.iter().skip(skip).map(Stored::line).collect();
        render(&tail)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use twinreactor::{TimerId, TraceEvent};

    use super::{TraceHandle, CHUNK};

    #[test]
    fn lines_cross_chunks_in_order() {
        let trace = TraceHandle::default();
        let total = 2 * CHUNK + 7;
        for i in 0..total {
            trace.push(
                Duration::from_nanos(i as u64),
                0,
                TraceEvent::TimerFired(TimerId::from_raw(i as u64)),
            );
        }
        assert_eq!(trace.len(), total);
        let lines = trace.lines();
        assert!(lines
            .iter()
            .enumerate()
            .all(|(i, l)| l.event == TraceEvent::TimerFired(TimerId::from_raw(i as u64))));
        assert_eq!(
            trace.tail(2),
            format!(
                "0.{:09} h0 timer-fired t{}\n0.{:09} h0 timer-fired t{}\n",
                total - 2,
                total - 2,
                total - 1,
                total - 1
            )
        );
    }
}
