//! UDP and multicast: datagram protocols and the reactor's operations.
//!
//! One `send_to` is one datagram. Delivery and order are not guaranteed by the contract (the
//! simulator drops, duplicates and reorders when its faults are on, and delivers reliably and
//! in order by default). No callback runs inside a [`Udp`] method call.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::Reactor;

/// The largest UDP payload over IPv4: 65,535 − 8 (UDP header) − 20 (IP header).
pub const MAX_DATAGRAM: usize = 65_507;

crate::ids::id_type!(
    /// A UDP socket.
    SocketId,
    "udp"
);

/// Options for [`Udp::bind_udp`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct UdpOptions {
    /// `SO_REUSEADDR`: several sockets may bind one address (with multicast, each member
    /// socket receives a group datagram).
    pub reuse_address: bool,
    /// `SO_REUSEPORT`, where the system has it.
    pub reuse_port: bool,
    /// `SO_BROADCAST`: permission to send to a broadcast address.
    pub broadcast: bool,
}

/// Errors of [`Udp`] operations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UdpError {
    /// The address is in use and reuse was not asked for on both sockets.
    #[error("address {0} is in use")]
    AddrInUse(SocketAddr),
    /// The address is not one this host has.
    #[error("address {0} is not available on this host")]
    AddrNotAvailable(SocketAddr),
    /// The payload is over [`MAX_DATAGRAM`] bytes; nothing was sent.
    #[error("a datagram of {0} bytes is over the limit of 65,507")]
    MessageTooLarge(usize),
    /// This reactor never issued that socket id, or the socket was closed.
    #[error("socket {0} is unknown (never issued, or closed)")]
    UnknownSocket(SocketId),
    /// `connect_udp` on a socket that is connected already.
    #[error("socket {0} is connected already")]
    AlreadyConnected(SocketId),
    /// `send` on a socket that is not connected.
    #[error("socket {0} is not connected")]
    NotConnected(SocketId),
    /// A multicast operation named an address that is not a multicast group.
    #[error("{0} is not a multicast address")]
    NotMulticast(IpAddr),
    /// `leave_multicast` for a group the socket has not joined.
    #[error("socket {0} is not a member of {1}")]
    NotMember(SocketId, IpAddr),
    /// Another I/O error from the operating system.
    #[error("I/O error: {0:?}")]
    Io(io::ErrorKind),
}

/// A protocol on one UDP socket.
///
/// After `stopped` the reactor keeps no reference to the protocol: it is dropped.
pub trait DatagramProtocol {
    /// The socket is bound; called once, before any datagram, never inside `bind_udp`.
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        let _ = (r, socket);
    }

    /// One datagram arrived from `from`.
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr);

    /// On a connected socket: a datagram sent to the peer was refused (nobody bound there).
    /// The socket keeps working. Never called on an unconnected socket.
    fn refused(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        let _ = (r, socket);
    }

    /// The socket was closed (by `close_udp` or at shutdown). Called later, never inside
    /// `close_udp`.
    fn stopped(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        let _ = (r, socket);
    }
}

/// UDP and multicast operations of a reactor.
pub trait Udp {
    /// Binds at once (`AddrInUse` is reported here); port 0 lets the reactor choose.
    fn bind_udp(
        &mut self,
        addr: SocketAddr,
        protocol: Box<dyn DatagramProtocol>,
        options: UdpOptions,
    ) -> Result<SocketId, UdpError>;

    /// The address the socket is bound to (port 0 resolved).
    fn udp_local_addr(&self, socket: SocketId) -> Result<SocketAddr, UdpError>;

    /// Sends one datagram to `to`.
    fn send_to(&mut self, socket: SocketId, data: &[u8], to: SocketAddr) -> Result<(), UdpError>;

    /// Sends the slices, concatenated, as one datagram to `to`.
    fn send_to_vectored(
        &mut self,
        socket: SocketId,
        bufs: &[&[u8]],
        to: SocketAddr,
    ) -> Result<(), UdpError>;

    /// Fixes the peer: `send` goes there, and only its datagrams are received.
    fn connect_udp(&mut self, socket: SocketId, peer: SocketAddr) -> Result<(), UdpError>;

    /// Sends one datagram to the connected peer.
    fn send(&mut self, socket: SocketId, data: &[u8]) -> Result<(), UdpError>;

    /// Closes the socket; its protocol's `stopped` comes later.
    fn close_udp(&mut self, socket: SocketId) -> Result<(), UdpError>;

    /// Joins `group` on the interface with address `interface`.
    fn join_multicast(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError>;

    /// Leaves `group` on `interface`.
    fn leave_multicast(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError>;

    /// Whether the sender hears its own group datagrams (default true).
    fn set_multicast_loop(&mut self, socket: SocketId, on: bool) -> Result<(), UdpError>;

    /// The multicast loopback setting.
    fn multicast_loop(&self, socket: SocketId) -> Result<bool, UdpError>;

    /// The time-to-live of outgoing group datagrams (default 1; 0 stays on this host).
    fn set_multicast_ttl(&mut self, socket: SocketId, ttl: u32) -> Result<(), UdpError>;

    /// The multicast time-to-live.
    fn multicast_ttl(&self, socket: SocketId) -> Result<u32, UdpError>;

    /// The interface outgoing group datagrams leave by.
    fn set_multicast_interface(
        &mut self,
        socket: SocketId,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError>;

    /// Permission to send to broadcast addresses.
    fn set_broadcast(&mut self, socket: SocketId, on: bool) -> Result<(), UdpError>;
}
