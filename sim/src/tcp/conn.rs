//! One simulated TCP endpoint and one listener, as a host's tables hold them.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use twinreactor::{StreamFactory, StreamProtocol, TimerId};
use twinreactor_kit::{ByteQueue, StreamState};

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

/// One endpoint of a simulated connection.
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
    pub(super) incoming: VecDeque<(Duration, Segment)>,
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
        }
    }
}

/// A listening socket.
pub(super) struct Listener {
    pub(super) addr: SocketAddr,
    /// Taken out while it runs.
    pub(super) factory: Option<Box<dyn StreamFactory>>,
}
