//! One connection and one listener, as the reactor's TCP tables hold them.

use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::Token;
use twinreactor::{StreamFactory, StreamProtocol, TimerId};
use twinreactor_kit::StreamState;

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
    /// The write buffer (what the kernel has not taken), write side, closing, pauses and
    /// end (the contract's rules; FIN is `shutdown(Write)`).
    pub(super) state: StreamState,
    /// A deferred read pass is queued.
    pub(super) read_deferred: bool,
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
            state: StreamState::default(),
            read_deferred: false,
        }
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
