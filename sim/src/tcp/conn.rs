//! One simulated TCP endpoint and one listener, as a host's tables hold them.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use twinreactor::{ConnId, StreamFactory, StreamProtocol, TcpError, TimerId};
use twinreactor_kit::{ByteQueue, End, PeerFinAction, StreamState, WriteSide};

use super::Segment;

/// The other end of a connection: a host and the raw id of the connection there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Peer {
    pub(super) host: usize,
    pub(super) conn: u64,
}

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Client side: SYN sent, no answer yet.
    Connecting,
    /// Server side: SYN answered, waiting for the client's ACK to run the factory.
    Accepting {
        /// The listener the SYN reached.
        listener: u64,
    },
    /// Established.
    Open,
    /// Its final callback is scheduled; the entry goes when that runs.
    Ending,
}

/// What a segment arriving at an endpoint calls for (see [`Conn::arrive`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arrival {
    /// Deliver what the endpoint now holds (`Sim::tcp_drain`).
    Drain,
    /// Nothing more: the bytes were discarded (the endpoint is flushing its close).
    Discard,
    /// The endpoint is gone: answer the sender with RST.
    Reset,
    /// The SYN was answered with RST: the connect is refused.
    Refused,
}

/// What a drain of an endpoint does next (see [`Conn::drain_step`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DrainStep {
    /// Nothing to deliver now (not open, paused, closing, or nothing held).
    Stop,
    /// The peer's reset: the connection ends with `Reset`.
    Reset,
    /// Deliver (a seeded prefix of) the bytes held in `inbuf`.
    Piece,
    /// The peer's FIN, after every byte before it: what the kit's rules make of it.
    PeerFin(PeerFinAction),
}

/// One endpoint of a simulated connection.
///
/// Its methods take one event (a write, a segment, a delivery, an end) and change this
/// endpoint alone, returning what the `Sim` must then do (send a segment, wake a peer,
/// schedule a callback). A change to the peer's state goes through the peer's own methods:
/// [`Conn::reserve_window`] and [`Conn::block_sender`] when sending to it.
/// The message ids (the trace's `m<n>`) of a segment on the wire: one, or several when data
/// sent at one instant travels as one segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Msgs {
    first: u64,
    /// Joined later; empty (and unallocated) for most segments.
    more: Vec<u64>,
}

impl Msgs {
    /// One message.
    pub(super) fn one(msg: u64) -> Self {
        Self {
            first: msg,
            more: Vec::new(),
        }
    }

    /// Adds the ids of a segment that joined this one.
    fn join(&mut self, other: Msgs) {
        self.more.push(other.first);
        self.more.extend(other.more);
    }

    /// Every id, in order: the first and the rest.
    pub(super) fn ids(&self) -> (u64, &[u64]) {
        (self.first, &self.more)
    }
}

pub(super) struct Conn {
    /// Taken out while one of its callbacks runs.
    pub(super) protocol: Option<Box<dyn StreamProtocol>>,
    pub(super) phase: Phase,
    pub(super) local: SocketAddr,
    pub(super) peer_addr: SocketAddr,
    /// The other endpoint, once known (a client learns it from the SYN-ACK).
    pub(super) peer: Option<Peer>,
    /// The ephemeral port this client side holds, released when the entry goes.
    pub(super) ephemeral: Option<u16>,
    /// The connect timeout's timer, while connecting.
    pub(super) timeout: Option<TimerId>,
    /// The write buffer, write side, closing, pauses and end (the contract's rules).
    pub(super) state: StreamState,
    /// Segments on their way here, with their arrival times (each has a delivery
    /// scheduled that takes it from the front).
    pub(super) incoming: VecDeque<(Duration, Segment, Msgs)>,
    /// Arrived and not yet delivered.
    pub(super) inbuf: ByteQueue,
    /// Bytes sent toward this endpoint and not yet delivered to its protocol: the part of
    /// its receive window in use.
    pub(super) rcv_used: usize,
    /// The peer has bytes waiting for this endpoint's window to open.
    pub(super) sender_blocked: bool,
    /// The peer's FIN arrived (delivered after the data before it).
    pub(super) peer_fin: bool,
    /// The peer reset the connection (delivered after the data before it).
    pub(super) peer_rst: bool,
    /// This side sent RST (so it never answers the peer with another).
    pub(super) rst_sent: bool,
    /// A drain delivery is scheduled.
    pub(super) drain_scheduled: bool,
    /// A client whose connect is established but not yet noticed (`connected` not yet
    /// delivered): what arrives meanwhile waits, and a reset fails the connect.
    pub(super) notice_pending: bool,
}

impl Conn {
    /// A fresh endpoint in `phase`.
    pub(super) fn new(phase: Phase, local: SocketAddr, peer_addr: SocketAddr) -> Self {
        Self {
            protocol: None,
            phase,
            local,
            peer_addr,
            peer: None,
            ephemeral: None,
            timeout: None,
            state: StreamState::default(),
            incoming: VecDeque::new(),
            inbuf: ByteQueue::default(),
            rcv_used: 0,
            sender_blocked: false,
            peer_fin: false,
            peer_rst: false,
            rst_sent: false,
            drain_scheduled: false,
            notice_pending: false,
        }
    }
}

impl Conn {
    /// Whether `write` may be called now: past the handshake, and the write side open.
    #[inline]
    pub(super) fn check_write(&self, conn: ConnId) -> Result<(), TcpError> {
        match self.phase {
            Phase::Connecting | Phase::Accepting { .. } => Err(TcpError::NotConnected(conn)),
            // A connect not noticed yet is still connecting in the protocol's eyes.
            Phase::Open if self.notice_pending => Err(TcpError::NotConnected(conn)),
            Phase::Open | Phase::Ending => self.state.check_write(conn),
        }
    }

    /// How many more bytes this endpoint's receive window takes, of `window`.
    #[inline]
    pub(super) fn window_room(&self, window: usize) -> usize {
        window.saturating_sub(self.rcv_used)
    }

    /// The peer sends `n` bytes toward this endpoint: they hold window space until
    /// delivered to its protocol (or discarded).
    #[inline]
    pub(super) fn reserve_window(&mut self, n: usize) {
        self.rcv_used += n;
    }

    /// The peer found this endpoint's window full: it waits to be woken when it opens.
    #[inline]
    pub(super) fn block_sender(&mut self) {
        self.sender_blocked = true;
    }

    /// `n` bytes toward this endpoint were delivered or discarded: the window opens.
    #[inline]
    fn release_window(&mut self, n: usize) {
        self.rcv_used = self.rcv_used.saturating_sub(n);
    }

    /// `n` bytes are being delivered to the protocol: the window opens, and the peer, if it
    /// was blocked on the window, is returned to be woken.
    #[inline]
    pub(super) fn deliver_window(&mut self, n: usize) -> Option<Peer> {
        self.release_window(n);
        if std::mem::take(&mut self.sender_blocked) {
            self.peer
        } else {
            None
        }
    }

    /// Queues `segment`, due at `at`, on its way here. Data sent at one instant travels as
    /// one segment (as a real stack coalesces small writes, so that an echo of a split read
    /// is not split in two again): false if it joined the segment before it, which already
    /// has its delivery scheduled.
    #[inline]
    pub(super) fn enqueue(&mut self, at: Duration, segment: Segment, msgs: Msgs) -> bool {
        if let (Segment::Data(bytes), Some((last, Segment::Data(queued), joined))) =
            (&segment, self.incoming.back_mut())
        {
            if *last == at {
                queued.extend_from_slice(bytes);
                joined.join(msgs);
                return false;
            }
        }
        self.incoming.push_back((at, segment, msgs));
        true
    }

    /// What a drain delivers next: held bytes first, then the peer's RST or FIN. Stops
    /// while reading is paused; once closing, only a reset is still delivered.
    #[inline]
    pub(super) fn drain_step(&mut self) -> DrainStep {
        if self.phase != Phase::Open || self.protocol.is_none() {
            return DrainStep::Stop;
        }
        if self.state.closing {
            return if self.peer_rst {
                DrainStep::Reset
            } else {
                DrainStep::Stop
            };
        }
        if self.state.reading_paused {
            return DrainStep::Stop;
        }
        if !self.inbuf.is_empty() {
            return DrainStep::Piece;
        }
        if self.peer_rst {
            return DrainStep::Reset;
        }
        if !self.peer_fin || self.state.fin_delivered {
            return DrainStep::Stop;
        }
        let half_close = self
            .protocol
            .as_ref()
            .is_some_and(|p| p.accepts_half_close());
        DrainStep::PeerFin(self.state.peer_fin(half_close))
    }

    /// `segment` arrives: keeps what it carries and says what it calls for.
    #[inline]
    pub(super) fn arrive(&mut self, segment: Segment) -> Arrival {
        match segment {
            Segment::Data(bytes) => {
                if self.phase == Phase::Ending || self.state.closing {
                    self.release_window(bytes.len());
                    // An endpoint that is gone resets a peer that still sends; one that is
                    // flushing its close just discards what it will never read.
                    if self.phase == Phase::Ending && !self.rst_sent {
                        self.rst_sent = true;
                        return Arrival::Reset;
                    }
                    return Arrival::Discard;
                }
                self.inbuf.push_vec(bytes);
            }
            Segment::Fin => self.peer_fin = true,
            Segment::Rst if self.phase == Phase::Connecting => return Arrival::Refused,
            Segment::Rst => {
                self.peer_rst = true;
                self.state.out.clear();
            }
        }
        Arrival::Drain
    }

    /// The reset fault struck a send: this side sends RST, and sees `Reset` itself once
    /// its drain runs. Unsent bytes are discarded.
    #[inline]
    pub(super) fn reset_by_fault(&mut self) {
        self.rst_sent = true;
        self.peer_rst = true;
        self.state.out.clear();
    }

    /// Sends RST, unless it was sent already: the peer to send it to, if any.
    #[inline]
    pub(super) fn send_rst(&mut self) -> Option<Peer> {
        let peer = self.peer.filter(|_| !self.rst_sent);
        self.rst_sent = true;
        peer
    }

    /// Decides that the connection ends with `end` (the first decision wins: false if one
    /// was made already) and stops reading; its final callback is then due.
    #[inline]
    pub(super) fn end(&mut self, end: End) -> bool {
        if !self.state.decide_end(end) {
            return false;
        }
        self.phase = Phase::Ending;
        self.inbuf.clear();
        true
    }

    /// Shutdown of its host: ends the connection with `Shutdown` (a pending connect with
    /// `Cancelled`; an end decided already stays), and returns the segment that tells the
    /// peer, if one is due: FIN, or RST for a connection its listener had not accepted.
    pub(super) fn shut_down(&mut self) -> Option<(Peer, Segment)> {
        let connecting = self.phase == Phase::Connecting;
        // A connect not noticed yet ends as a connect (its protocol saw nothing).
        self.state.shutdown_end(connecting || self.notice_pending);
        self.notice_pending = false;
        let fin = !connecting && self.state.write != WriteSide::FinSent && !self.rst_sent;
        let accepting = matches!(self.phase, Phase::Accepting { .. });
        self.phase = Phase::Ending;
        let peer = self.peer.filter(|_| fin)?;
        Some((
            peer,
            if accepting {
                Segment::Rst
            } else {
                Segment::Fin
            },
        ))
    }
}

/// A listening socket.
pub(super) struct Listener {
    pub(super) addr: SocketAddr,
    /// Taken out while it runs.
    pub(super) factory: Option<Box<dyn StreamFactory>>,
}

#[cfg(test)]
mod tests {
    //! Two endpoints driven step by step through their own methods, as the `Sim` drives
    //! them: what one side's event returns is handed to the other side by hand.

    use super::*;

    const WINDOW: usize = 10;

    /// A connected pair: `a` (host 0, id 0) and `b` (host 1, id 0).
    fn pair() -> (Conn, Conn) {
        let addr_a = SocketAddr::from(([10, 0, 0, 1], 49152));
        let addr_b = SocketAddr::from(([10, 0, 0, 2], 80));
        let mut a = Conn::new(Phase::Open, addr_a, addr_b);
        let mut b = Conn::new(Phase::Open, addr_b, addr_a);
        a.peer = Some(Peer { host: 1, conn: 0 });
        b.peer = Some(Peer { host: 0, conn: 0 });
        (a, b)
    }

    #[test]
    fn the_window_fills_blocks_the_sender_and_wakes_it_when_bytes_are_delivered() {
        let (_, mut b) = pair();
        assert_eq!(b.window_room(WINDOW), WINDOW);
        // `a` sends 10 bytes: they hold `b`'s window until delivered.
        b.reserve_window(10);
        assert_eq!(b.arrive(Segment::Data(vec![7; 10])), Arrival::Drain);
        assert_eq!(b.window_room(WINDOW), 0);
        b.block_sender();
        // Delivering 4 opens the window by 4 and wakes `a`, once.
        assert_eq!(b.deliver_window(4), Some(Peer { host: 0, conn: 0 }));
        assert_eq!(b.window_room(WINDOW), 4);
        assert_eq!(b.deliver_window(6), None, "nobody is blocked any more");
        assert_eq!(b.window_room(WINDOW), WINDOW);
        assert_eq!(
            b.inbuf.len(),
            10,
            "delivery takes bytes out of `inbuf`, not this"
        );
    }

    #[test]
    fn data_to_an_ending_endpoint_is_answered_with_one_rst() {
        let (_, mut b) = pair();
        b.reserve_window(6);
        assert!(b.end(End::Disconnect(twinreactor::Disconnect::Done)));
        assert!(
            !b.end(End::Disconnect(twinreactor::Disconnect::Reset)),
            "first end wins"
        );
        assert_eq!(b.arrive(Segment::Data(vec![1; 3])), Arrival::Reset);
        assert_eq!(
            b.arrive(Segment::Data(vec![1; 3])),
            Arrival::Discard,
            "RST sent once"
        );
        assert_eq!(
            b.window_room(WINDOW),
            WINDOW,
            "discarded bytes free the window"
        );
        assert!(b.inbuf.is_empty());
        assert_eq!(b.send_rst(), None, "an RST was sent already");
    }

    #[test]
    fn fin_and_rst_arrive_as_flags_and_a_refused_syn_ends_the_connect() {
        let (mut a, mut b) = pair();
        assert_eq!(b.arrive(Segment::Fin), Arrival::Drain);
        assert!(b.peer_fin);
        a.state.out.push(b"unsent");
        assert_eq!(a.arrive(Segment::Rst), Arrival::Drain);
        assert!(
            a.peer_rst && a.state.out.is_empty(),
            "a reset discards unsent bytes"
        );
        let mut c = Conn::new(Phase::Connecting, a.local, a.peer_addr);
        assert_eq!(c.arrive(Segment::Rst), Arrival::Refused);
    }

    #[test]
    fn shutdown_tells_the_peer_with_fin_or_rst_once() {
        let (mut a, _) = pair();
        assert_eq!(
            a.shut_down().map(|(p, s)| (p, matches!(s, Segment::Fin))),
            Some((Peer { host: 1, conn: 0 }, true))
        );
        assert_eq!(a.phase, Phase::Ending);
        let (_, mut b) = pair();
        b.phase = Phase::Accepting { listener: 0 };
        assert!(
            matches!(b.shut_down(), Some((_, Segment::Rst))),
            "not accepted yet: RST"
        );
        let (mut c, _) = pair();
        assert!(c.send_rst().is_some());
        assert!(c.shut_down().is_none(), "after an RST, nothing more");
        let mut d = Conn::new(Phase::Connecting, c.local, c.peer_addr);
        assert!(
            d.shut_down().is_none(),
            "a pending connect has no peer to tell"
        );
    }

    #[test]
    fn data_sent_at_one_instant_travels_as_one_segment() {
        let (_, mut b) = pair();
        let at = Duration::from_micros(50);
        assert!(
            b.enqueue(at, Segment::Data(b"ab".to_vec()), Msgs::one(0)),
            "a new segment"
        );
        assert!(
            !b.enqueue(at, Segment::Data(b"cd".to_vec()), Msgs::one(1)),
            "joined the one before"
        );
        assert!(
            b.enqueue(at, Segment::Fin, Msgs::one(2)),
            "a FIN never joins"
        );
        assert!(
            b.enqueue(at, Segment::Data(b"ef".to_vec()), Msgs::one(3)),
            "nor does data after it"
        );
        let later = at + Duration::from_micros(1);
        assert!(
            b.enqueue(later, Segment::Data(b"gh".to_vec()), Msgs::one(4)),
            "another instant"
        );
        assert_eq!(
            b.incoming[0].2.ids(),
            (0, &[1][..]),
            "the joined segment keeps both ids"
        );
        let kinds: Vec<String> = b
            .incoming
            .iter()
            .map(|(_, s, _)| match s {
                Segment::Data(d) => String::from_utf8_lossy(d).into_owned(),
                Segment::Fin => "FIN".into(),
                Segment::Rst => "RST".into(),
            })
            .collect();
        assert_eq!(kinds, ["abcd", "FIN", "ef", "gh"]);
    }

    #[test]
    fn a_drain_delivers_bytes_before_the_peers_fin_and_stops_while_paused() {
        struct Plain;
        impl StreamProtocol for Plain {
            fn data(&mut self, _: &mut dyn twinreactor::Reactor, _: ConnId, _: &[u8]) {}
            fn disconnected(
                &mut self,
                _: &mut dyn twinreactor::Reactor,
                _: ConnId,
                _: twinreactor::Disconnect,
            ) {
            }
        }
        let (_, mut b) = pair();
        b.protocol = Some(Box::new(Plain));
        assert!(matches!(b.drain_step(), DrainStep::Stop), "nothing held");
        b.arrive(Segment::Data(b"xy".to_vec()));
        b.arrive(Segment::Fin);
        b.state.reading_paused = true;
        assert!(matches!(b.drain_step(), DrainStep::Stop), "paused");
        b.state.reading_paused = false;
        assert_eq!(b.drain_step(), DrainStep::Piece);
        assert_eq!(std::mem::take(&mut b.inbuf).as_slice(), b"xy", "delivered");
        assert!(
            matches!(b.drain_step(), DrainStep::PeerFin(_)),
            "then the FIN"
        );
        assert!(matches!(b.drain_step(), DrainStep::Stop), "delivered once");
        b.arrive(Segment::Rst);
        assert!(matches!(b.drain_step(), DrainStep::Reset));
    }
}
