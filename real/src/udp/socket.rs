//! One UDP socket of the real reactor: the mio socket, options mio lacks through socket2,
//! and what the reactor tracks itself (peer, groups, the loopback setting it emulates).

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use mio::Token;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use twinreactor::{DatagramProtocol, UdpError, UdpOptions};

/// A socket of the reactor. It stays in the table after `close_udp` (with `io` gone, so
/// its port is free at once) until its `stopped` has been delivered.
pub(crate) struct RealSocket {
    /// The operating system's socket; `None` once closed.
    pub(crate) io: Option<mio::net::UdpSocket>,
    /// Its token in the poller.
    pub(crate) token: Token,
    /// The protocol; `None` while one of its callbacks runs.
    pub(crate) protocol: Option<Box<dyn DatagramProtocol>>,
    /// Whether `started` has been delivered.
    pub(crate) started: bool,
    /// The bound address, as the system reported it (refreshed by `connect_udp`).
    pub(crate) local: SocketAddr,
    /// Broadcast permission (mirrors `SO_BROADCAST`).
    pub(crate) broadcast: bool,
    /// The fixed peer, after `connect_udp`.
    pub(crate) peer: Option<SocketAddr>,
    /// Joined groups, as (group, interface).
    pub(crate) groups: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// Mirrors `IP_MULTICAST_LOOP`, for the emulation on the loopback interface.
    pub(crate) multicast_loop: bool,
    /// Mirrors `IP_MULTICAST_IF` (unspecified: the system's choice).
    pub(crate) multicast_if: Ipv4Addr,
}

impl RealSocket {
    /// The operating system's socket, for socket2's options.
    pub(crate) fn sock(&self) -> Option<SockRef<'_>> {
        self.io.as_ref().map(SockRef::from)
    }

    /// Whether group datagrams can reach this socket (it joined a group, or is bound to
    /// one).
    pub(crate) fn is_member(&self) -> bool {
        !self.groups.is_empty() || self.local.ip().is_multicast()
    }

    /// The source address of the group datagrams this socket sends *if* they leave by the
    /// loopback interface, where the system cannot honour `IP_MULTICAST_LOOP` (the datagram
    /// goes out by lo and comes back in by lo as any received one): the reactor then drops
    /// them itself at its own member sockets. `None` when they leave by another interface.
    pub(crate) fn loopback_group_source(&self) -> Option<SocketAddr> {
        let local = self.local.ip();
        let ip: IpAddr = if !local.is_unspecified() && !local.is_multicast() {
            local
        } else {
            self.multicast_if.into()
        };
        ip.is_loopback()
            .then_some(SocketAddr::new(ip, self.local.port()))
    }
}

/// Opens a non-blocking socket bound to `addr` with `options`.
pub(crate) fn open(addr: SocketAddr, options: UdpOptions) -> io::Result<mio::net::UdpSocket> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(options.reuse_address)?;
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    socket.set_reuse_port(options.reuse_port)?;
    socket.set_broadcast(options.broadcast)?;
    // Linux delivers a group's datagrams to every socket bound to the port, member or not,
    // once any socket of the machine joined the group; the contract says only members.
    #[cfg(target_os = "linux")]
    if addr.is_ipv4() {
        socket.set_multicast_all_v4(false)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(mio::net::UdpSocket::from_std(socket.into()))
}

/// The typed error for a failed bind of `addr`.
pub(crate) fn bind_error(e: &io::Error, addr: SocketAddr) -> UdpError {
    match e.kind() {
        io::ErrorKind::AddrInUse => UdpError::AddrInUse(addr),
        io::ErrorKind::AddrNotAvailable => UdpError::AddrNotAvailable(addr),
        kind => UdpError::Io(kind),
    }
}
