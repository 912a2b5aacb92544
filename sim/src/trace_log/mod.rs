//! The simulator's recorded trace, readable while the simulation is boxed away.

mod codec;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use std::net::SocketAddr;

use twinreactor::trace::{render, SegmentKind, TcpTrace, UdpTrace};
use twinreactor::{SocketId, TraceEvent, TraceLine};

use codec::{Cursor, Out, Reader, ARRIVED_MAX, MAX_LINE};

/// Lines are stored in chunks of this many bytes (about ten thousand lines), so that a long
/// trace grows without ever copying lines. The first chunk has [`FIRST`] bytes and each
/// next one twice as many up to `CHUNK`, so that a short simulation does not pay for one.
const CHUNK: usize = 64 * 1024;

/// The first chunk's size (`CHUNK` is this times a power of two).
const FIRST: usize = 512;

/// At most this many full-size chunks (8 MiB) of finished traces are kept per thread for the
/// next traces, whose lines then go to memory already mapped. What a reused chunk held
/// before is never read: a chunk's lines are read up to its `used` bytes only.
const SPARE_MAX: usize = 128;

thread_local! {
    static SPARE: RefCell<Vec<Box<[u8]>>> = const { RefCell::new(Vec::new()) };
}

/// Lines in their compact form ([`codec`]), with what decoding the first one needs.
#[derive(Default)]
struct Chunk {
    bytes: Box<[u8]>,
    /// How many bytes the lines take.
    used: usize,
    /// The index of its first line in the trace.
    first_line: usize,
    start: Cursor,
}

impl Chunk {
    /// Its `lines` lines, decoded.
    fn lines<'a>(
        &'a self,
        lines: usize,
        others: &'a [TraceEvent],
    ) -> impl Iterator<Item = TraceLine> + 'a {
        let mut cur = self.start;
        let mut reader = Reader::new(&self.bytes[..self.used]);
        (0..lines).map(move |_| reader.line(&mut cur, others))
    }
}

#[derive(Default)]
struct Log {
    full: Vec<Chunk>,
    /// The chunk being filled.
    last: Chunk,
    /// The events of the lines that are not of a compact kind, in order.
    others: Vec<TraceEvent>,
    /// What decoding the next line will know.
    cur: Cursor,
    len: usize,
}

impl Log {
    /// Where the next line is written (in the last chunk, a fresh one if the line might
    /// not fit), and what encoding it needs; [`Log::commit`] then keeps it.
    #[inline(always)]
    fn next_line(&mut self) -> (Out<'_>, &mut Cursor) {
        if self.last.bytes.len() - self.last.used < MAX_LINE {
            self.next_chunk();
        }
        let buf = self.last.bytes[self.last.used..]
            .first_chunk_mut()
            .expect("a line fits in the last chunk");
        (Out::new(buf), &mut self.cur)
    }

    /// Keeps the line of `len` bytes just written where [`Log::next_line`] said.
    #[inline(always)]
    fn commit(&mut self, len: usize) {
        self.last.used += len;
        self.len += 1;
    }

    /// Starts a fresh chunk.
    #[cold]
    fn next_chunk(&mut self) {
        let size = match self.last.bytes.len() {
            0 => FIRST,
            n => (2 * n).min(CHUNK),
        };
        let spare = (size == CHUNK)
            .then(|| SPARE.with(|s| s.borrow_mut().pop()))
            .flatten();
        let fresh = Chunk {
            bytes: spare.unwrap_or_else(|| vec![0; size].into_boxed_slice()),
            used: 0,
            first_line: self.len,
            start: self.cur,
        };
        let full = std::mem::replace(&mut self.last, fresh);
        if full.first_line < self.len {
            self.full.push(full);
        }
    }

    /// The lines from the `skip`-th on, decoded.
    fn lines(&self, skip: usize) -> impl Iterator<Item = TraceLine> + '_ {
        // Start at the chunk holding line `skip`.
        let first = self
            .full
            .partition_point(|c| c.first_line <= skip)
            .saturating_sub(1);
        let chunks = self.full[first..].iter().chain(std::iter::once(&self.last));
        let ends = chunks
            .clone()
            .skip(1)
            .map(|c| c.first_line)
            .chain([self.len]);
        let before = chunks.clone().next().map_or(0, |c| c.first_line);
        chunks
            .zip(ends)
            .flat_map(|(c, end)| c.lines(end - c.first_line, &self.others))
            .skip(skip.saturating_sub(before))
    }
}

impl Drop for Log {
    /// Keeps the full-size chunks for the next traces on this thread (see [`SPARE_MAX`]).
    fn drop(&mut self) {
        let chunks = self.full.drain(..).chain([std::mem::take(&mut self.last)]);
        let full_size = chunks.map(|c| c.bytes).filter(|b| b.len() == CHUNK);
        // During the thread's exit the spare chunks may be gone already: these go too.
        let _ = SPARE.try_with(|s| {
            let mut spare = s.borrow_mut();
            let room = SPARE_MAX.saturating_sub(spare.len());
            spare.extend(full_size.take(room));
        });
    }
}

/// The `udp sent` (`sent`) or `udp datagram` event of a datagram.
pub(crate) fn udp_line(
    sent: bool,
    socket: SocketId,
    addr: SocketAddr,
    len: usize,
    msg: u64,
) -> UdpTrace {
    if sent {
        UdpTrace::Sent {
            socket,
            to: addr,
            len,
            msg,
        }
    } else {
        UdpTrace::Datagram {
            socket,
            from: addr,
            len,
            msg: Some(msg),
        }
    }
}

/// A shared, read-only view of a simulation's trace.
///
/// A test harness that hands the [`Sim`](crate::Sim) to code as `Box<dyn Reactor>` keeps
/// one of these to read the trace afterwards.
#[derive(Clone, Default)]
pub struct TraceHandle(Rc<RefCell<Log>>);

impl TraceHandle {
    /// Writes one compact line with `line` (given where and what decoding needs).
    #[inline(always)]
    fn write(&self, line: impl FnOnce(&mut Out<'_>, &mut Cursor)) {
        let log = &mut *self.0.borrow_mut();
        let (mut out, cur) = log.next_line();
        line(&mut out, cur);
        let len = out.len;
        log.commit(len);
    }

    #[inline(always)]
    pub(crate) fn push(&self, at: Duration, host: u32, event: TraceEvent) {
        let log = &mut *self.0.borrow_mut();
        let (mut out, cur) = log.next_line();
        let compact = codec::encode(&mut out, cur, at, host, &event);
        let len = out.len;
        log.commit(len);
        if !compact {
            log.others.push(event);
        }
    }

    /// Records a `tcp sent` line, as [`push`] of
    /// [`TcpTrace::Sent`](twinreactor::trace::TcpTrace::Sent) does, without building the
    /// event.
    ///
    /// [`push`]: TraceHandle::push
    #[inline(always)]
    pub(crate) fn push_sent(
        &self,
        at: Duration,
        host: u32,
        conn: Option<u64>,
        segment: SegmentKind,
        msg: u64,
        to_host: u32,
    ) {
        self.write(|out, cur| {
            codec::encode_sent(out, cur, at, host, conn, segment, msg, to_host);
        });
    }

    /// Records a `tcp data` line, as [`push`] of
    /// [`TcpTrace::Data`](twinreactor::trace::TcpTrace::Data) does, without building the
    /// event.
    ///
    /// [`push`]: TraceHandle::push
    #[inline(always)]
    pub(crate) fn push_data(&self, at: Duration, host: u32, conn: u64, len: usize, waiting: usize) {
        self.write(|out, cur| codec::encode_data(out, cur, at, host, conn, len, waiting));
    }

    /// Records a `udp sent` (`sent`) or `udp datagram` line, as [`push`] of
    /// [`UdpTrace::Sent`] or [`UdpTrace::Datagram`] does, without building the event (for an
    /// IPv4 address: an IPv6 one is kept whole).
    ///
    /// [`push`]: TraceHandle::push
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push_udp(
        &self,
        at: Duration,
        host: u32,
        sent: bool,
        socket: SocketId,
        addr: SocketAddr,
        len: usize,
        msg: u64,
    ) {
        match addr {
            SocketAddr::V4(v4) => self.write(|out, cur| {
                codec::encode_udp(out, cur, at, host, sent, socket, v4, len, msg);
            }),
            SocketAddr::V6(_) => self.push_udp_whole(at, host, sent, socket, addr, len, msg),
        }
    }

    /// [`TraceHandle::push_udp`] of a line kept whole.
    #[cold]
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn push_udp_whole(
        &self,
        at: Duration,
        host: u32,
        sent: bool,
        socket: SocketId,
        addr: SocketAddr,
        len: usize,
        msg: u64,
    ) {
        self.push(
            at,
            host,
            TraceEvent::Udp(udp_line(sent, socket, addr, len, msg)),
        );
    }

    /// Records a `tcp arrived` line of message ids `first` and `more`, as [`push`] of
    /// [`TcpTrace::Arrived`](twinreactor::trace::TcpTrace::Arrived) does, without building
    /// its `Vec` (unless the line is kept whole).
    ///
    /// [`push`]: TraceHandle::push
    #[inline(always)]
    pub(crate) fn push_arrived(&self, at: Duration, host: u32, first: u64, more: &[u64]) {
        if more.len() < ARRIVED_MAX {
            self.write(|out, cur| codec::encode_arrived(out, cur, at, host, first, more));
        } else {
            self.push_long_arrival(at, host, first, more);
        }
    }

    /// [`TraceHandle::push_arrived`] of a line kept whole.
    #[cold]
    #[inline(never)]
    fn push_long_arrival(&self, at: Duration, host: u32, first: u64, more: &[u64]) {
        let msgs = std::iter::once(first).chain(more.iter().copied()).collect();
        self.push(at, host, TraceEvent::Tcp(TcpTrace::Arrived { msgs }));
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use std::net::SocketAddr;

    use twinreactor::trace::{render, SegmentKind, TcpTrace, UdpTrace};
    use twinreactor::{ConnId, SocketId, TimerId, TraceEvent, TraceLine};

    use super::TraceHandle;

    /// The `i`-th of a mix of compact and out-of-line events, with ids and times that grow,
    /// shrink and jump, some repeating what the same host's line of its kind said before.
    fn line(i: u64) -> TraceLine {
        let conn = Some(ConnId::from_raw(i % 3));
        let v4 = SocketAddr::from(([10, 0, (i % 3) as u8, 200], 9000 + (i % 5) as u16));
        let v6 = SocketAddr::from(([0xfd00, 0, 0, 0, 0, 0, 0, 1], 7));
        let socket = SocketId::from_raw(i % 4);
        let event = match i % 13 {
            0 => TraceEvent::TimerFired(TimerId::from_raw(i << 40)),
            1 => TraceEvent::Note(format!("n{i}").into()),
            2 => TraceEvent::Tcp(TcpTrace::Sent {
                conn,
                segment: SegmentKind::Data(if i % 4 == 2 { i as usize } else { 64 }),
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
            7 => TraceEvent::Udp(UdpTrace::Sent {
                socket,
                to: if i.is_multiple_of(2) { v4 } else { v6 },
                len: (i % 70_000) as usize,
                msg: i,
            }),
            8 | 9 => TraceEvent::Udp(UdpTrace::Datagram {
                socket,
                from: v4,
                len: 64,
                msg: (!i.is_multiple_of(3)).then_some(i - 5),
            }),
            10 => TraceEvent::Tcp(TcpTrace::ReadClosed {
                conn: ConnId::from_raw(i),
            }),
            11 => TraceEvent::Tcp(TcpTrace::PauseProducing {
                conn: ConnId::from_raw(1),
            }),
            12 => TraceEvent::Tcp(TcpTrace::ResumeProducing {
                conn: ConnId::from_raw(2),
            }),
            _ => TraceEvent::Tcp(TcpTrace::Data {
                conn: ConnId::from_raw(i % 2),
                len: 64,
                waiting: (i % 3) as usize,
            }),
        };
        TraceLine {
            at: Duration::from_nanos(if i.is_multiple_of(11) {
                i * 1000
            } else {
                i * 50_000
            }),
            host: [0, 1, 6, 7, 8, u32::MAX][i as usize % 6],
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
        assert!(trace.0.borrow().full.len() > 3);
        assert_eq!(trace.len(), expected.len());
        assert!(trace.lines() == expected);
        // Notes, run events, IPv6 datagrams and deliveries without a message id are kept
        // whole; every other line is bytes only.
        let whole = expected
            .iter()
            .filter(|l| match &l.event {
                TraceEvent::Note(_) | TraceEvent::RunBegan => true,
                TraceEvent::Udp(UdpTrace::Sent { to, .. }) => to.is_ipv6(),
                TraceEvent::Udp(UdpTrace::Datagram { msg, .. }) => msg.is_none(),
                _ => false,
            })
            .count();
        assert_eq!(trace.0.borrow().others.len(), whole);
        for n in [0, 1, 2, 9_000, 33_333, 40_000, 50_000] {
            let from = expected.len().saturating_sub(n);
            assert_eq!(trace.tail(n), render(&expected[from..]), "tail({n})");
        }
    }

    #[test]
    fn a_hosts_repeated_datagrams_and_rare_events_read_back_as_pushed() {
        let trace = TraceHandle::default();
        let a = SocketAddr::from(([10, 0, 0, 2], 9000));
        let b = SocketAddr::from(([10, 0, 0, 1], 4000));
        let mut expected = Vec::new();
        for i in 0..40u64 {
            let host = (i % 3) as u32 * 4; // hosts 0, 4 and 8 (beyond those remembered)
            let event = match i % 5 {
                0 | 1 => TraceEvent::Udp(UdpTrace::Sent {
                    socket: SocketId::from_raw(1),
                    to: if i % 10 == 1 { b } else { a },
                    len: 64,
                    msg: i,
                }),
                2 | 3 => TraceEvent::Udp(UdpTrace::Datagram {
                    socket: SocketId::from_raw(2),
                    from: a,
                    len: 64,
                    msg: Some(i),
                }),
                _ => match i % 4 {
                    0 => TraceEvent::Completed(twinreactor::CompletionId::from_raw(i)),
                    1 => TraceEvent::RemoteRan(i),
                    2 => TraceEvent::Tcp(TcpTrace::Sent {
                        conn: None,
                        segment: SegmentKind::Rst,
                        msg: i,
                        to_host: 3,
                    }),
                    _ => TraceEvent::Tcp(TcpTrace::Sent {
                        conn: Some(ConnId::from_raw(i)),
                        segment: SegmentKind::Fin,
                        msg: i,
                        to_host: 3,
                    }),
                },
            };
            let line = TraceLine {
                at: Duration::from_micros(i / 2),
                host,
                event,
            };
            trace.push(line.at, line.host, line.event.clone());
            expected.push(line);
        }
        assert!(trace.lines() == expected);
        assert_eq!(trace.0.borrow().others.len(), 0, "every line is compact");
        // A repeat is its head and message id: two bytes here.
        let repeat = TraceHandle::default();
        for _ in 0..2 {
            repeat.push(Duration::ZERO, 1, expected[0].event.clone());
        }
        let log = repeat.0.borrow();
        assert_eq!(log.last.used, 10 + 2, "bytes for two datagrams");
    }

    #[test]
    fn an_arrival_pushed_without_its_vec_reads_as_one_pushed_with_it() {
        let a = TraceHandle::default();
        let b = TraceHandle::default();
        for (first, more) in [(7, &[][..]), (3, &[9, 2][..]), (1, &[2, 3, 4, 5, 6][..])] {
            let at = Duration::from_micros(first);
            a.push_arrived(at, 1, first, more);
            let msgs = std::iter::once(first).chain(more.iter().copied()).collect();
            b.push(at, 1, TraceEvent::Tcp(TcpTrace::Arrived { msgs }));
        }
        assert!(a.lines() == b.lines());
        assert_eq!(a.0.borrow().last.bytes, b.0.borrow().last.bytes);
        assert_eq!(
            a.0.borrow().others.len(),
            1,
            "the long arrival is kept whole"
        );
    }
}
