//! One TCP endpoint's buffered writes and lifecycle: the rules of `docs/contract/tcp.md`
//! that do not depend on how bytes travel. Pure state and decisions: each method applies a
//! rule and says what the reactor must do next (send, end, notify); sockets, segments and
//! time stay in the reactors.

use twinreactor::tcp::{HIGH_WATER, LOW_WATER};
use twinreactor::trace::TcpTrace;
use twinreactor::{ConnId, ConnectError, Disconnect, Reactor, StreamProtocol, TcpError, TimerId};
use twinreactor::{TimerState, TraceEvent};

use super::Driver;

/// Bytes waiting in order: a `Vec` and the offset of its first unconsumed byte, so that
/// appending and consuming do no per-byte work.
#[derive(Default)]
pub struct ByteQueue {
    buf: Vec<u8>,
    head: usize,
}

impl ByteQueue {
    /// A queue holding `bytes` (taken over without copying).
    #[inline]
    pub fn from_vec(bytes: Vec<u8>) -> Self {
        Self {
            buf: bytes,
            head: 0,
        }
    }

    /// How many bytes wait.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() - self.head
    }

    /// Whether nothing waits.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.head == self.buf.len()
    }

    /// The waiting bytes, in order.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[self.head..]
    }

    /// Appends `bytes`.
    #[inline]
    pub fn push(&mut self, bytes: &[u8]) {
        if self.is_empty() {
            self.buf.clear();
            self.head = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Appends `bytes`, taking the vector over when nothing waits.
    #[inline]
    pub fn push_vec(&mut self, bytes: Vec<u8>) {
        if self.is_empty() {
            *self = Self::from_vec(bytes);
        } else {
            self.buf.extend_from_slice(&bytes);
        }
    }

    /// Drops the first `n` bytes.
    #[inline]
    pub fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.len(), "consume({n}) of {} bytes", self.len());
        self.head += n;
        if self.head == self.buf.len() {
            self.buf.clear();
            self.head = 0;
        } else if self.head >= 64 * 1024 && self.head * 2 >= self.buf.len() {
            // Keep the consumed prefix from growing without bound.
            self.buf.drain(..self.head);
            self.head = 0;
        }
    }

    /// Removes and returns the first `n` bytes.
    #[inline]
    pub fn take_front(&mut self, n: usize) -> Vec<u8> {
        let out = self.as_slice()[..n].to_vec();
        self.consume(n);
        out
    }

    /// Its vector, emptied, with its capacity kept (to be reused).
    #[inline]
    pub fn into_buffer(mut self) -> Vec<u8> {
        self.buf.clear();
        self.buf
    }

    /// Drops everything, and the memory with it.
    #[inline]
    pub fn clear(&mut self) {
        self.buf = Vec::new();
        self.head = 0;
    }
}

/// The write direction of a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WriteSide {
    /// Writes are accepted.
    #[default]
    Open,
    /// `close` or `shutdown_write`: FIN goes once the buffer is sent.
    FinPending,
    /// FIN was sent.
    FinSent,
}

/// How a connection's life ends, once decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// `disconnected(reason)`.
    Disconnect(Disconnect),
    /// `connect_failed(error)`.
    ConnectFailed(ConnectError),
}

/// What the reactor does after [`StreamState::close`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseAction {
    /// Already closing or ended: nothing.
    Nothing,
    /// Send what is buffered, then FIN (see [`StreamState::fin_due`]).
    FlushThenFin,
    /// FIN was already sent: end now with `Done`.
    EndDone,
}

/// What the reactor does after [`StreamState::abort`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbortAction {
    /// Already closing or ended: nothing.
    Nothing,
    /// Reset the connection (the buffer is already discarded), then end with `Aborted`.
    Reset,
}

/// What the reactor does when the peer's FIN is delivered ([`StreamState::peer_fin`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerFinAction {
    /// Both directions are closed: end now with `Done`.
    EndDone,
    /// The protocol accepts half-close: call `read_closed`.
    ReadClosed,
    /// The protocol is closed: send what is buffered, then FIN.
    FlushThenFin,
}

/// The reactor-independent state of one connection endpoint: its write buffer, its write
/// side, and what its protocol asked for (closing, pauses) and was told (producer paused).
#[derive(Default)]
pub struct StreamState {
    /// Written and not yet sent.
    pub out: ByteQueue,
    /// The write direction.
    pub write: WriteSide,
    /// `close()` was called (or the peer's FIN closed a protocol without half-close): no
    /// more reads, and `Done` once FIN is sent.
    pub closing: bool,
    /// `pause_reading` is in effect.
    pub reading_paused: bool,
    /// The protocol was told to pause producing and not yet to resume.
    pub producer_paused: bool,
    /// The peer's FIN was delivered (as `read_closed`, or by closing).
    pub fin_delivered: bool,
    /// The final callback, once decided.
    pub end: Option<End>,
}

impl StreamState {
    /// Whether the end is decided (the connection is ending).
    #[inline]
    pub fn ended(&self) -> bool {
        self.end.is_some()
    }

    /// `write` on an established connection: `Closed` once it is closing, shut down or
    /// ending; otherwise the bytes may be written.
    #[inline]
    pub fn check_write(&self, conn: ConnId) -> Result<(), TcpError> {
        if self.ended() || self.closing || self.write != WriteSide::Open {
            Err(TcpError::Closed(conn))
        } else {
            Ok(())
        }
    }

    /// Buffers what of `bufs` was not already sent (its first `sent` bytes were).
    #[inline]
    pub fn buffer(&mut self, bufs: &[&[u8]], sent: usize) {
        let mut skip = sent;
        for b in bufs {
            if skip >= b.len() {
                skip -= b.len();
                continue;
            }
            self.out.push(&b[skip..]);
            skip = 0;
        }
    }

    /// After buffering: whether the protocol must now be told `pause_producing` (the
    /// buffer is above [`HIGH_WATER`] and it was not told yet).
    #[inline]
    pub fn pause_producing_due(&mut self) -> bool {
        if self.out.len() > HIGH_WATER && !self.producer_paused {
            self.producer_paused = true;
            true
        } else {
            false
        }
    }

    /// After a drain: whether the protocol must now be told `resume_producing` (it was
    /// paused and the buffer is down to [`LOW_WATER`] or less).
    #[inline]
    pub fn resume_producing_due(&mut self) -> bool {
        if self.producer_paused && self.out.len() <= LOW_WATER {
            self.producer_paused = false;
            true
        } else {
            false
        }
    }

    /// After a drain: if the buffer is empty and a FIN is pending, marks it sent and says
    /// whether the connection then ends with `Done` (`Some(true)`: closing, or the peer's
    /// FIN was delivered) or keeps reading (`Some(false)`). `None`: no FIN to send now.
    #[inline]
    pub fn fin_due(&mut self) -> Option<bool> {
        if self.out.is_empty() && self.write == WriteSide::FinPending {
            self.write = WriteSide::FinSent;
            Some(self.closing || self.fin_delivered)
        } else {
            None
        }
    }

    /// `close()`: a second close, or one after the end is decided, does nothing.
    pub fn close(&mut self) -> CloseAction {
        if self.ended() || self.closing {
            return CloseAction::Nothing;
        }
        self.closing = true;
        match self.write {
            WriteSide::Open => {
                self.write = WriteSide::FinPending;
                CloseAction::FlushThenFin
            }
            WriteSide::FinPending => CloseAction::FlushThenFin,
            WriteSide::FinSent => CloseAction::EndDone,
        }
    }

    /// `abort()`: discards the buffer and asks for a reset, unless closing or ended.
    pub fn abort(&mut self) -> AbortAction {
        if self.ended() || self.closing {
            return AbortAction::Nothing;
        }
        self.out.clear();
        AbortAction::Reset
    }

    /// `shutdown_write()`: `Closed` after `close` or the end; `Ok(true)` when FIN is now
    /// pending (flush, then FIN), `Ok(false)` when it already was or was sent.
    pub fn shutdown_write(&mut self, conn: ConnId) -> Result<bool, TcpError> {
        if self.ended() || self.closing {
            return Err(TcpError::Closed(conn));
        }
        if self.write == WriteSide::Open {
            self.write = WriteSide::FinPending;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// `resume_reading()`: whether reading was paused (so delivery must start again).
    #[inline]
    pub fn resume_reading(&mut self) -> bool {
        std::mem::replace(&mut self.reading_paused, false)
    }

    /// The peer's FIN is delivered, after the data before it. A protocol that does not
    /// accept half-close (`half_close` false) is closed.
    pub fn peer_fin(&mut self, half_close: bool) -> PeerFinAction {
        self.fin_delivered = true;
        if self.write == WriteSide::FinSent {
            return PeerFinAction::EndDone;
        }
        if half_close {
            return PeerFinAction::ReadClosed;
        }
        self.closing = true;
        if self.write == WriteSide::Open {
            self.write = WriteSide::FinPending;
        }
        PeerFinAction::FlushThenFin
    }

    /// Decides the end, if not decided yet (the first decision wins), and discards the
    /// buffer. Returns whether this call decided it (the final callback is then due).
    #[inline]
    pub fn decide_end(&mut self, end: End) -> bool {
        if self.ended() {
            return false;
        }
        self.end = Some(end);
        self.out.clear();
        true
    }

    /// At shutdown: the end already decided, else `Cancelled` for a connect still pending
    /// (`connecting`), else `Shutdown`. It is recorded as the end and returned.
    pub fn shutdown_end(&mut self, connecting: bool) -> End {
        let end = match (self.end, connecting) {
            (Some(end), _) => end,
            (None, true) => End::ConnectFailed(ConnectError::Cancelled),
            (None, false) => End::Disconnect(Disconnect::Shutdown),
        };
        self.end = Some(end);
        end
    }
}

/// `cancel_connect` of a connect whose timeout timer is `timer`: `TimedOut` when that timer
/// has fired (it is the caller), else `Cancelled`, and the timer, still pending, is cancelled.
pub fn cancelled_connect<R: Reactor + ?Sized>(r: &mut R, timer: Option<TimerId>) -> ConnectError {
    let timed_out = timer.is_some_and(|t| r.timer_state(t) == Ok(TimerState::Fired));
    if let Some(t) = timer.filter(|_| !timed_out) {
        let _ = r.cancel(t);
    }
    if timed_out {
        ConnectError::TimedOut
    } else {
        ConnectError::Cancelled
    }
}

/// A protocol callback about one connection.
pub type StreamCall = fn(&mut dyn StreamProtocol, &mut dyn Reactor, ConnId);

/// The trace event and the callback of a `pause_producing` (`pause`) or `resume_producing`
/// notice to connection `conn`.
pub fn producer_notice(conn: ConnId, pause: bool) -> (TraceEvent, StreamCall) {
    if pause {
        (
            TraceEvent::Tcp(TcpTrace::PauseProducing { conn }),
            |p, r, c| p.pause_producing(r, c),
        )
    } else {
        (
            TraceEvent::Tcp(TcpTrace::ResumeProducing { conn }),
            |p, r, c| p.resume_producing(r, c),
        )
    }
}

/// Delivers connection `conn`'s final callback, `end`, to its `protocol` (traced), which is
/// dropped afterwards.
pub fn deliver_end<D: Driver>(
    d: &mut D,
    conn: ConnId,
    mut protocol: Box<dyn StreamProtocol>,
    end: Option<End>,
) {
    match end {
        Some(End::ConnectFailed(error)) => {
            d.record(TraceEvent::Tcp(TcpTrace::ConnectFailed { conn, error }));
            protocol.connect_failed(d, conn, error);
        }
        Some(End::Disconnect(reason)) => {
            d.record(TraceEvent::Tcp(TcpTrace::Disconnected { conn, reason }));
            protocol.disconnected(d, conn, reason);
        }
        None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: ConnId = ConnId::from_raw(7);

    #[test]
    fn byte_queue_keeps_order_across_pushes_and_consumes() {
        let mut q = ByteQueue::default();
        q.push(b"hello ");
        q.push_vec(b"world".to_vec());
        assert_eq!(q.take_front(3), b"hel");
        q.consume(3);
        assert_eq!(q.as_slice(), b"world");
        q.push(&vec![1; 200 * 1024]);
        q.consume(5 + 100 * 1024);
        assert_eq!(q.len(), 100 * 1024);
        q.clear();
        assert!(q.is_empty());
        q.push_vec(b"again".to_vec());
        assert_eq!(q.as_slice(), b"again");
    }

    #[test]
    fn close_flushes_then_fins_once() {
        let mut s = StreamState::default();
        s.buffer(&[b"ab", b"cd"], 1);
        assert_eq!(s.out.as_slice(), b"bcd");
        assert_eq!(s.close(), CloseAction::FlushThenFin);
        assert_eq!(s.close(), CloseAction::Nothing);
        assert_eq!(s.abort(), AbortAction::Nothing);
        assert_eq!(s.check_write(C), Err(TcpError::Closed(C)));
        assert_eq!(s.shutdown_write(C), Err(TcpError::Closed(C)));
        assert_eq!(s.fin_due(), None);
        s.out.consume(3);
        assert_eq!(s.fin_due(), Some(true));
        assert_eq!(s.fin_due(), None);
    }

    #[test]
    fn close_after_fin_sent_ends_at_once() {
        let mut s = StreamState::default();
        assert_eq!(s.shutdown_write(C), Ok(true));
        assert_eq!(s.shutdown_write(C), Ok(false));
        assert_eq!(s.check_write(C), Err(TcpError::Closed(C)));
        assert_eq!(s.fin_due(), Some(false));
        assert_eq!(s.peer_fin(true), PeerFinAction::EndDone);
        let mut s = StreamState::default();
        assert_eq!(s.shutdown_write(C), Ok(true));
        assert_eq!(s.fin_due(), Some(false));
        assert_eq!(s.close(), CloseAction::EndDone);
    }

    #[test]
    fn abort_discards_and_the_first_end_wins() {
        let mut s = StreamState::default();
        s.buffer(&[b"xyz"], 0);
        assert_eq!(s.abort(), AbortAction::Reset);
        assert!(s.out.is_empty());
        assert!(s.decide_end(End::Disconnect(Disconnect::Aborted)));
        assert!(!s.decide_end(End::Disconnect(Disconnect::Done)));
        assert_eq!(s.close(), CloseAction::Nothing);
        assert_eq!(s.abort(), AbortAction::Nothing);
        assert_eq!(s.shutdown_end(false), End::Disconnect(Disconnect::Aborted));
        let mut s = StreamState::default();
        assert_eq!(
            s.shutdown_end(true),
            End::ConnectFailed(ConnectError::Cancelled)
        );
    }

    #[test]
    fn producer_pauses_above_high_water_and_resumes_at_low_water() {
        let mut s = StreamState::default();
        s.buffer(&[&vec![0; HIGH_WATER]], 0);
        assert!(!s.pause_producing_due());
        s.buffer(&[b"x"], 0);
        assert!(s.pause_producing_due());
        assert!(!s.pause_producing_due());
        s.out.consume(HIGH_WATER + 1 - LOW_WATER - 1);
        assert!(!s.resume_producing_due());
        s.out.consume(1);
        assert!(s.resume_producing_due());
        assert!(!s.resume_producing_due());
    }

    #[test]
    fn peer_fin_closes_a_protocol_without_half_close() {
        let mut s = StreamState::default();
        assert_eq!(s.peer_fin(true), PeerFinAction::ReadClosed);
        let mut s = StreamState::default();
        assert_eq!(s.peer_fin(false), PeerFinAction::FlushThenFin);
        assert!(s.closing && s.fin_delivered);
        assert_eq!(s.fin_due(), Some(true));
        s.reading_paused = true;
        assert!(s.resume_reading());
        assert!(!s.resume_reading());
    }
}
