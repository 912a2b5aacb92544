//! UDP and multicast: datagram protocols and the reactor's operations.
//!
//! One `send_to` is one datagram. Delivery and order are not guaranteed by the contract (the
//! simulator drops, duplicates and reorders when its faults are on, and delivers reliably and
//! in order by default). No callback runs inside a [`Udp`] method call. Multicast here is
//! IPv4: every multicast operation on an IPv6 socket is [`UdpError::NotIpv4`].
//!
//! `docs/contract/udp.md` lists every guarantee with the corpus test that pins it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::Reactor;

/// The largest UDP payload over IPv4: 65,535 − 8 (UDP header) − 20 (IP header).
pub const MAX_DATAGRAM: usize = 65_507;

crate::ids::id_type!(
    /// A UDP socket.
    SocketId,
    "udp"
);

/// The destination rule every reactor applies to `send_to`, `send` and `connect_udp` from a
/// socket bound at `local`: port 0, the other address family, and a non-loopback unicast or
/// broadcast address from a socket bound to loopback are [`UdpError::BadDestination`]. An
/// unspecified IP means this host, and is returned as loopback.
#[inline]
pub fn check_destination(local: SocketAddr, to: SocketAddr) -> Result<SocketAddr, UdpError> {
    if to.port() == 0 || local.is_ipv4() != to.is_ipv4() {
        return Err(UdpError::BadDestination(to));
    }
    let to = match to.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv4Addr::LOCALHOST.into(), to.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), to.port())
        }
        _ => to,
    };
    if local.ip().is_loopback() && !to.ip().is_loopback() && !to.ip().is_multicast() {
        return Err(UdpError::BadDestination(to));
    }
    Ok(to)
}

/// Whether `ip` is the IPv4 limited broadcast address, 255.255.255.255 (sending there needs
/// [`Udp::set_broadcast`]).
#[inline]
pub fn is_broadcast(ip: IpAddr) -> bool {
    ip == IpAddr::V4(Ipv4Addr::BROADCAST)
}

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
    /// The reactor's shutdown has closed its I/O (its `During` phase began): no socket is
    /// bound any more.
    #[error("the reactor has shut down its I/O: no new socket")]
    ShutDown,
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
    /// `leave_multicast` for a group the socket has not joined on that interface.
    #[error("socket {0} is not a member of {1}")]
    NotMember(SocketId, IpAddr),
    /// `join_multicast` for a group the socket has joined on that interface already.
    #[error("socket {0} is a member of {1} already")]
    AlreadyMember(SocketId, IpAddr),
    /// A send to a broadcast address from a socket without broadcast permission
    /// ([`Udp::set_broadcast`]); nothing was sent.
    #[error("sending to broadcast address {0} needs broadcast permission")]
    BroadcastNotPermitted(SocketAddr),
    /// The socket cannot send to (or connect to) this address: port 0, the other address
    /// family, or a non-loopback unicast address from a socket bound to loopback.
    #[error("socket cannot send to {0} (port 0, other address family, or beyond loopback)")]
    BadDestination(SocketAddr),
    /// A multicast time-to-live over 255.
    #[error("multicast time-to-live {0} is over 255")]
    InvalidTtl(u32),
    /// A multicast operation on an IPv6 socket (this contract's multicast is IPv4).
    #[error("socket {0} is IPv6; multicast here is IPv4 only")]
    NotIpv4(SocketId),
    /// Another I/O error from the operating system.
    #[error("I/O error: {0:?}")]
    Io(io::ErrorKind),
}

/// A protocol on one UDP socket.
///
/// Its callbacks come in this order: `started` once, then any number of `datagram` and
/// `refused`, then `stopped` once (also for a socket closed before `started` ran). After
/// `stopped` the reactor keeps no reference to the protocol: it is dropped.
pub trait DatagramProtocol {
    /// The socket is bound; called once, before any datagram, never inside `bind_udp`.
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        let _ = (r, socket);
    }

    /// One datagram arrived from `from`. On a connected socket, only the peer's arrive.
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr);

    /// On a connected socket: a datagram sent to the peer was refused (nobody bound there),
    /// reported later, never inside the send. The socket keeps working. Never called on an
    /// unconnected socket, which is told nothing.
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
    /// Binds at once: `AddrInUse` (the address is held and reuse was not allowed on both
    /// sockets) or `AddrNotAvailable` (not an address of this host) are reported here. Port
    /// 0 lets the reactor choose. A multicast group address may be bound: such a socket
    /// receives only that group's datagrams. `started` comes later. A refused protocol is
    /// dropped unused.
    fn bind_udp(
        &mut self,
        addr: SocketAddr,
        protocol: Box<dyn DatagramProtocol>,
        options: UdpOptions,
    ) -> Result<SocketId, UdpError>;

    /// The address the socket is bound to (port 0 resolved; a wildcard address becomes the
    /// local address of the route to the peer after `connect_udp`).
    fn udp_local_addr(&self, socket: SocketId) -> Result<SocketAddr, UdpError>;

    /// Sends one datagram to `to`; it may be lost, duplicated or reordered on the way (see
    /// the module documentation). Errors: `MessageTooLarge` over [`MAX_DATAGRAM`],
    /// `BadDestination` (see [`check_destination`]), `BroadcastNotPermitted`, and
    /// `UnknownSocket`; nothing is sent then. A destination nobody holds is not an error.
    fn send_to(&mut self, socket: SocketId, data: &[u8], to: SocketAddr) -> Result<(), UdpError>;

    /// Sends the slices, concatenated, as one datagram to `to`.
    fn send_to_vectored(
        &mut self,
        socket: SocketId,
        bufs: &[&[u8]],
        to: SocketAddr,
    ) -> Result<(), UdpError>;

    /// Fixes the peer: `send` goes there, only its datagrams are received, and refusals of
    /// datagrams sent to it are reported (`refused`). A second connect is
    /// `AlreadyConnected` and changes nothing.
    fn connect_udp(&mut self, socket: SocketId, peer: SocketAddr) -> Result<(), UdpError>;

    /// Sends one datagram to the connected peer (`NotConnected` if there is none).
    fn send(&mut self, socket: SocketId, data: &[u8]) -> Result<(), UdpError>;

    /// Closes the socket: its port is free at once, nothing more is delivered to it, and its
    /// protocol's `stopped` comes later. Closing a closed socket does nothing; other
    /// operations on it are `UnknownSocket`.
    fn close_udp(&mut self, socket: SocketId) -> Result<(), UdpError>;

    /// Joins `group` on the interface with address `interface` (`NotMulticast` if `group`
    /// is not a multicast address, `AlreadyMember` if joined there already). A member
    /// socket receives the group's datagrams sent to its port when it is bound to the
    /// wildcard address or to the group itself.
    fn join_multicast(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError>;

    /// Leaves `group` on `interface` (`NotMember` if not joined there).
    fn leave_multicast(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError>;

    /// Whether group datagrams this socket sends are delivered on its own host, to itself
    /// and to other members (default true).
    fn set_multicast_loop(&mut self, socket: SocketId, on: bool) -> Result<(), UdpError>;

    /// The multicast loopback setting.
    fn multicast_loop(&self, socket: SocketId) -> Result<bool, UdpError>;

    /// The time-to-live of outgoing group datagrams (default 1; 0 stays on this host; over
    /// 255 is `InvalidTtl`).
    fn set_multicast_ttl(&mut self, socket: SocketId, ttl: u32) -> Result<(), UdpError>;

    /// The multicast time-to-live.
    fn multicast_ttl(&self, socket: SocketId) -> Result<u32, UdpError>;

    /// The interface outgoing group datagrams leave by, named by its address (unspecified:
    /// the system's choice). By the loopback interface they stay on this host.
    fn set_multicast_interface(
        &mut self,
        socket: SocketId,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError>;

    /// Permission to send to broadcast addresses (default: as given at bind).
    fn set_broadcast(&mut self, socket: SocketId, on: bool) -> Result<(), UdpError>;
}
