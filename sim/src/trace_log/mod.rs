//! The simulator's recorded trace, readable while the simulation is boxed away.

mod codec;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use twinreactor::trace::render;
use twinreactor::{TraceEvent, TraceLine};

use codec::{Cursor, Reader, MAX_LINE};

/// Lines are stored in chunks of at most this many bytes (a few thousand lines), so that a
/// long trace grows without copying more than its first chunk. The first chunk starts at
/// [`FIRST`] bytes and doubles, so that a short simulation does not pay for it all up front.
const CHUNK: usize = 64 * 1024;

/// The first chunk's first capacity (`CHUNK` is this times a power of two).
const FIRST: usize = 512;

/// Lines in their compact form ([`codec`]), with what decoding the first one needs.
struct Chunk {
    bytes: Vec<u8>,
    lines: usize,
    start: Cursor,
}

#[derive(Default)]
struct Log {
    chunks: Vec<Chunk>,
    /// The events of the lines that are not of a compact kind, in order.
    others: Vec<TraceEvent>,
    /// What decoding the next line will know.
    cur: Cursor,
    len: usize,
}

impl Log {
    /// Appends one line, that `write` encodes, to the last chunk (a fresh one if the last
    /// could overflow).
    fn append<T>(&mut self, write: impl FnOnce(&mut Vec<u8>, &mut Cursor) -> T) -> T {
        let full = self
            .chunks
            .last()
            .is_none_or(|c| c.bytes.len() + MAX_LINE > CHUNK);
        if full {
            let capacity = if self.chunks.is_empty() { FIRST } else { CHUNK };
            self.chunks.push(Chunk {
                bytes: Vec::with_capacity(capacity),
                lines: 0,
                start: self.cur,
            });
        }
        self.len += 1;
        let chunk = self.chunks.last_mut().expect("a chunk was just ensured");
        chunk.lines += 1;
        write(&mut chunk.bytes, &mut self.cur)
    }

    /// The lines from the `skip`-th on, decoded.
    fn lines(&self, skip: usize) -> impl Iterator<Item = TraceLine> + '_ {
        // Start at the chunk holding line `skip`.
        let mut first = 0;
        let mut before = 0;
        while first < self.chunks.len() && before + self.chunks[first].lines <= skip {
            before += self.chunks[first].lines;
            first += 1;
        }
        self.chunks[first..]
            .iter()
            .flat_map(move |c| {
                let mut cur = c.start;
                let mut reader = Reader::new(&c.bytes);
                (0..c.lines).map(move |_| reader.line(&mut cur, &self.others))
            })
            .skip(skip - before)
    }
}

/// A shared, read-only view of a simulation's trace.
///
/// A test harness that hands the [`Sim`](crate::Sim) to code as `Box<dyn Reactor>` keeps
/// one of these to read the trace afterwards.
#[derive(Clone, Default)]
pub struct TraceHandle(Rc<RefCell<Log>>);

impl TraceHandle {
    pub(crate) fn push(&self, at: Duration, host: u32, event: TraceEvent) {
        let log = &mut *self.0.borrow_mut();
        if !log.append(|out, cur| codec::encode(out, cur, nanos(at), host, &event)) {
            log.others.push(event);
        }
    }

    /// Records a `tcp arrived` line of message ids `first` and `more`, as [`push`] of
    /// [`TcpTrace::Arrived`](twinreactor::trace::TcpTrace::Arrived) does, without building
    /// its `Vec`.
    ///
    /// [`push`]: TraceHandle::push
    pub(crate) fn push_arrived(&self, at: Duration, host: u32, first: u64, more: &[u64]) {
        self.0.borrow_mut().append(|out, cur| {
            codec::encode_arrived(out, cur, nanos(at), host, first, more);
        });
    }

    /// Whether `other` is a handle to this same trace.
    pub(crate) fn same_as(&self, other: &TraceHandle) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// Every line recorded so far.
    pub fn lines(&self) -> Vec<TraceLine> {
        self.0.borrow().lines(0).collect()
    }

    /// How many lines have been recorded.
    pub fn len(&self) -> usize {
        self.0.borrow().len
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
        let kept: Vec<TraceLine> = self
            .0
            .borrow()
            .lines(0)
            .filter(|l| filter.keeps(l))
            .collect();
        render(&kept)
    }

    /// The last `n` lines in canonical text form.
    pub fn tail(&self, n: usize) -> String {
        let log = self.0.borrow();
        let tail: Vec<TraceLine> = log.lines(log.len.saturating_sub(n)).collect();
        render(&tail)
    }
}

/// A time in nanoseconds (a trace never reaches 584 years).
fn nanos(at: Duration) -> u64 {
    u64::try_from(at.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use twinreactor::trace::{render, SegmentKind, TcpTrace};
    use twinreactor::{ConnId, TimerId, TraceEvent, TraceLine};

    use super::TraceHandle;

    /// The `i`-th of a mix of compact and out-of-line events, with ids and times that grow,
    /// shrink and jump.
    fn line(i: u64) -> TraceLine {
        let conn = Some(ConnId::from_raw(i % 3));
        let event = match i % 7 {
            0 => TraceEvent::TimerFired(TimerId::from_raw(i << 40)),
            1 => TraceEvent::Note(format!("n{i}").into()),
            2 => TraceEvent::Tcp(TcpTrace::Sent {
                conn,
                segment: SegmentKind::Data(i as usize),
                msg: i,
                to_host: 1,
            }),
            3 => TraceEvent::Tcp(TcpTrace::Sent {
                conn: None,
                segment: SegmentKind::Rst,
                msg: u64::MAX - i,
                to_host: 0,
            }),
            4 => TraceEvent::Tcp(TcpTrace::Arrived {
                msgs: vec![i - 2, 0, i],
            }),
            5 => TraceEvent::RunBegan,
            _ => TraceEvent::Tcp(TcpTrace::Data {
                conn: ConnId::from_raw(i),
                len: 64,
            }),
        };
        TraceLine {
            at: Duration::from_nanos(if i % 11 == 0 { i * 1000 } else { i * 50_000 }),
            host: (i % 5) as u32,
            event,
        }
    }

    #[test]
    fn lines_come_back_as_pushed_across_chunks() {
        let trace = TraceHandle::default();
        let expected: Vec<TraceLine> = (0..40_000).map(line).collect();
        for l in &expected {
            trace.push(l.at, l.host, l.event.clone());
        }
        assert!(trace.0.borrow().chunks.len() > 3);
        assert_eq!(trace.len(), expected.len());
        assert!(trace.lines() == expected);
        for n in [0, 1, 2, 9_000, 33_333, 40_000, 50_000] {
            let from = expected.len().saturating_sub(n);
            assert_eq!(trace.tail(n), render(&expected[from..]), "tail({n})");
        }
    }

    #[test]
    fn an_arrival_pushed_without_its_vec_reads_as_one_pushed_with_it() {
        let a = TraceHandle::default();
        let b = TraceHandle::default();
        for (first, more) in [(7, &[][..]), (3, &[9, 2][..])] {
            let at = Duration::from_micros(first);
            a.push_arrived(at, 1, first, more);
            let msgs = std::iter::once(first).chain(more.iter().copied()).collect();
            b.push(at, 1, TraceEvent::Tcp(TcpTrace::Arrived { msgs }));
        }
        assert!(a.lines() == b.lines());
        assert_eq!(a.0.borrow().chunks[0].bytes, b.0.borrow().chunks[0].bytes);
    }
}
