//! One connection and one listener, as the reactor's TCP tables hold them.

use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::Token;
use twinreactor::{ConnectError, Disconnect, StreamFactory, StreamProtocol, TimerId};

use super::bytes::ByteQueue;

/// Where a connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// A non-blocking connect is under way.
    Connecting,
    /// Established.
    Open,
    /// Its final callback is deferred; the entry goes when that runs.
    Ending,
}

/// The write direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WriteSide {
    /// Writes are accepted.
    Open,
    /// `close` or `shutdown_write`: `shutdown(Write)` once the buffer is sent.
    FinPending,
    /// `shutdown(Write)` was done.
    FinSent,
}

/// How a connection's life ends, once decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// `disconnected(reason)`.
    Disconnect(Disconnect),
    /// `connect_failed(error)`.
    ConnectFailed(ConnectError),
}

/// One connection.
pub(super) struct Conn {
    /// The socket and its token; `None` once dropped (abort) or if connect failed at once.
    pub(super) socket: Option<(TcpStream, Token)>,
    /// Taken out while one of its callbacks runs.
    pub(super) protocol: Option<Box<dyn StreamProtocol>>,
    pub(super) phase: Phase,
    pub(super) local: SocketAddr,
    pub(super) peer_addr: SocketAddr,
    /// The connect timeout's timer, while connecting.
    pub(super) timeout: Option<TimerId>,
    /// Written and not yet accepted by the kernel.
    pub(super) out: ByteQueue,
    pub(super) write: WriteSide,
    /// `close()` was called (or the peer's FIN closed a protocol without half-close): no
    /// more reads, and `Done` once everything is sent and `shutdown(Write)` done.
    pub(super) closing: bool,
    pub(super) reading_paused: bool,
    pub(super) producer_paused: bool,
    /// The peer's FIN was delivered (as `read_closed`, or by closing).
    pub(super) fin_delivered: bool,
    /// A deferred read pass is queued.
    pub(super) read_deferred: bool,
    /// The final callback, once decided.
    pub(super) end: Option<End>,
}

impl Conn {
    /// A fresh connection in `phase`.
    pub(super) fn new(
        socket: Option<(TcpStream, Token)>,
        phase: Phase,
        local: SocketAddr,
        peer_addr: SocketAddr,
        protocol: Box<dyn StreamProtocol>,
    ) -> Self {
        Self {
            socket,
            protocol: Some(protocol),
            phase,
            local,
            peer_addr,
            timeout: None,
            out: ByteQueue::default(),
            write: WriteSide::Open,
            closing: false,
            reading_paused: false,
            producer_paused: false,
            fin_delivered: false,
            read_deferred: false,
            end: None,
        }
    }

    /// Whether the protocol may still write: open, and neither closing nor shut down.
    pub(super) fn writable(&self) -> bool {
        self.phase == Phase::Open && !self.closing && self.write == WriteSide::Open
    }
}

/// A listening socket.
pub(super) struct Listener {
    pub(super) socket: TcpListener,
    pub(super) token: Token,
    pub(super) addr: SocketAddr,
    /// Taken out while it runs.
    pub(super) factory: Option<Box<dyn StreamFactory>>,
}
