//! TCP: stream protocols, factories for accepted connections, and the reactor's operations.
//!
//! A byte stream has no message boundaries: how bytes are split into `data` calls is not
//! specified (the simulator splits them at seeded random points), but content and order are
//! always preserved. No callback runs inside a [`Tcp`] method call: outcomes, pause and resume
//! notifications and disconnections are all delivered later, from the reactor's loop.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use crate::Reactor;

/// Above this many buffered bytes a connection tells its protocol to pause producing.
pub const HIGH_WATER: usize = 64 * 1024;
/// Once buffered bytes fall to this many or fewer, a paused protocol is told to resume.
pub const LOW_WATER: usize = 16 * 1024;

/// The address rule every reactor applies to `listen_tcp` and `connect_tcp`: a multicast
/// address or the IPv4 broadcast address is [`TcpError::NotUnicast`].
///
/// ```
/// use twinreactor::tcp::check_stream_addr;
/// assert!(check_stream_addr("127.0.0.1:80".parse().unwrap()).is_ok());
/// assert!(check_stream_addr("224.0.0.1:80".parse().unwrap()).is_err());
/// assert!(check_stream_addr("255.255.255.255:80".parse().unwrap()).is_err());
/// ```
pub fn check_stream_addr(addr: SocketAddr) -> Result<(), TcpError> {
    let ip = addr.ip();
    if ip.is_multicast() || crate::udp::is_broadcast(ip) {
        Err(TcpError::NotUnicast(addr))
    } else {
        Ok(())
    }
}

crate::ids::id_type!(
    /// A TCP connection, client or server side (also while a connect is pending).
    ConnId,
    "conn"
);
crate::ids::id_type!(
    /// A TCP listener.
    ListenerId,
    "lis"
);

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disconnect {
    /// Closed cleanly: by `close()` after everything buffered was sent, or by the peer's FIN
    /// (for a protocol that does not accept half-close), or refused by the server's factory.
    Done,
    /// This side called `abort()`: the buffer was discarded and the peer reset.
    Aborted,
    /// The peer reset the connection.
    Reset,
    /// The reactor shut down (after `stop()`).
    Shutdown,
    /// Another I/O error.
    Io(io::ErrorKind),
}

/// Why a connect failed. A failed connect never reached `connected`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConnectError {
    /// Nobody listens at the address.
    Refused,
    /// No answer within the timeout given to `connect_tcp`.
    TimedOut,
    /// `cancel_connect` was called, or the reactor shut down first.
    Cancelled,
    /// Another I/O error.
    Io(io::ErrorKind),
}

/// Errors of [`Tcp`] operations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TcpError {
    /// The address is in use (reported by `listen_tcp` at once).
    #[error("address {0} is in use")]
    AddrInUse(SocketAddr),
    /// The reactor's shutdown has closed its I/O (its `During` phase began): no listener or
    /// connection is opened any more.
    #[error("the reactor has shut down its I/O: no new listener or connection")]
    ShutDown,
    /// A stream needs a unicast address: a multicast or broadcast address can be neither
    /// listened on nor connected to (checked before any system call, alike on both
    /// reactors; see [`check_stream_addr`]).
    #[error("{0} is not a unicast address: TCP can neither listen on nor connect to it")]
    NotUnicast(SocketAddr),
    /// The address is not one this host has.
    #[error("address {0} is not available on this host")]
    AddrNotAvailable(SocketAddr),
    /// This reactor never issued that connection id, or the connection has ended and its
    /// protocol was dropped.
    #[error("connection {0} is unknown (never issued, or ended)")]
    UnknownConnection(ConnId),
    /// The connection is closing or closed for writing (`close`, `shutdown_write` or
    /// `abort` was called): nothing was written.
    #[error("connection {0} is closed for writing")]
    Closed(ConnId),
    /// The operation needs an established connection and this one is still connecting.
    #[error("connection {0} is not connected yet")]
    NotConnected(ConnId),
    /// `cancel_connect` on a connection that is no longer connecting.
    #[error("connection {0} is not connecting")]
    NotConnecting(ConnId),
    /// This reactor never issued that listener id, or it stopped listening.
    #[error("listener {0} is unknown (never issued, or stopped)")]
    UnknownListener(ListenerId),
    /// Another I/O error from the operating system.
    #[error("I/O error: {0:?}")]
    Io(io::ErrorKind),
}

/// A protocol on one TCP connection. Every callback gets the reactor and the connection's id.
///
/// After `disconnected` (or `connect_failed`) the reactor keeps no reference to the protocol:
/// it is dropped.
pub trait StreamProtocol {
    /// The connection is established. Nothing else is called before this.
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        let _ = (r, conn);
    }

    /// Bytes arrived. Boundaries carry no meaning.
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]);

    /// Whether the peer's FIN is delivered as [`StreamProtocol::read_closed`] (true) or
    /// simply closes the connection (false, the default).
    fn accepts_half_close(&self) -> bool {
        false
    }

    /// The peer will send no more (half-close). Only for protocols that accept half-close;
    /// the connection stays open for writing until this side closes it.
    fn read_closed(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        let _ = (r, conn);
    }

    /// More than [`HIGH_WATER`] bytes are buffered: stop producing until told to resume.
    fn pause_producing(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        let _ = (r, conn);
    }

    /// The buffer drained to [`LOW_WATER`] or less: producing may go on.
    fn resume_producing(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        let _ = (r, conn);
    }

    /// The connection ended. The protocol is dropped after this.
    fn disconnected(&mut self, r: &mut dyn Reactor, conn: ConnId, reason: Disconnect);

    /// A connect made with `connect_tcp` failed. The protocol is dropped after this.
    fn connect_failed(&mut self, r: &mut dyn Reactor, conn: ConnId, error: ConnectError) {
        let _ = (r, conn, error);
    }
}

/// Makes protocols for the connections a listener accepts.
pub trait StreamFactory {
    /// A connection from `peer` was accepted. Return its protocol, or `None` to refuse it
    /// (the connection is then closed cleanly).
    fn accept(&mut self, r: &mut dyn Reactor, peer: SocketAddr) -> Option<Box<dyn StreamProtocol>>;
}

/// TCP operations of a reactor.
pub trait Tcp {
    /// Binds and listens at once (`AddrInUse` is reported here). With port 0 the port is
    /// chosen by the reactor; [`Tcp::listener_addr`] tells it.
    fn listen_tcp(
        &mut self,
        addr: SocketAddr,
        factory: Box<dyn StreamFactory>,
    ) -> Result<ListenerId, TcpError>;

    /// The address a listener is bound to.
    fn listener_addr(&self, listener: ListenerId) -> Result<SocketAddr, TcpError>;

    /// Stops accepting; connections already accepted go on.
    fn stop_listening(&mut self, listener: ListenerId) -> Result<(), TcpError>;

    /// Starts connecting. The outcome is never reported inside this call: later, the
    /// protocol sees `connected`, or `connect_failed` with `Refused`, `TimedOut` (after
    /// `timeout`), `Cancelled` or an I/O error.
    fn connect_tcp(
        &mut self,
        addr: SocketAddr,
        protocol: Box<dyn StreamProtocol>,
        timeout: Duration,
    ) -> Result<ConnId, TcpError>;

    /// Cancels a pending connect; the protocol sees `connect_failed(Cancelled)` later.
    fn cancel_connect(&mut self, conn: ConnId) -> Result<(), TcpError>;

    /// Buffers `bytes` for sending. Never blocks and never drops; an error writes nothing.
    fn write(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), TcpError>;

    /// Buffers several slices as one write.
    fn write_vectored(&mut self, conn: ConnId, bufs: &[&[u8]]) -> Result<(), TcpError>;

    /// Sends everything buffered, then FIN; the protocol then sees `Done`. A second close, or
    /// a close after `abort`, does nothing.
    fn close(&mut self, conn: ConnId) -> Result<(), TcpError>;

    /// Discards the buffer and resets the connection; the protocol sees `Aborted` later,
    /// never inside this call. A second abort, or an abort after `close`, does nothing.
    fn abort(&mut self, conn: ConnId) -> Result<(), TcpError>;

    /// Sends everything buffered, then FIN, and keeps reading (half-close).
    fn shutdown_write(&mut self, conn: ConnId) -> Result<(), TcpError>;

    /// Stops delivering `data` (and a peer close) until `resume_reading`.
    fn pause_reading(&mut self, conn: ConnId) -> Result<(), TcpError>;

    /// Delivers again: first the data held back, then a peer close that came meanwhile.
    fn resume_reading(&mut self, conn: ConnId) -> Result<(), TcpError>;

    /// This side's address.
    fn local_addr(&self, conn: ConnId) -> Result<SocketAddr, TcpError>;

    /// The peer's address.
    fn peer_addr(&self, conn: ConnId) -> Result<SocketAddr, TcpError>;

    /// How many written bytes are buffered and not yet sent.
    fn buffered(&self, conn: ConnId) -> Result<usize, TcpError>;
}
