//! One UDP socket of the real reactor: the mio socket, options mio lacks through socket2,
//! and what the reactor tracks itself (peer, groups, the loopback setting it emulates).

use std::io;
use std::net::SocketAddr;

use mio::Token;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use twinreactor::{DatagramProtocol, SocketId, UdpError, UdpOptions};
use twinreactor_kit::DatagramState;

/// A socket of the reactor. It stays in the table after `close_udp` (with `io` gone, so
/// its port is free at once) until its `stopped` has been delivered.
pub(crate) struct RealSocket {
    /// The operating system's socket; `None` once closed.
    pub(crate) io: Option<mio::net::UdpSocket>,
    /// Its token in the poller.
    pub(crate) token: Token,
    /// The protocol; `None` while one of its callbacks runs.
    pub(crate) protocol: Option<Box<dyn DatagramProtocol>>,
    /// The rules both reactors share. `local` is the address the system reported
    /// (refreshed by `connect_udp`); `broadcast`, `multicast_loop` (for the emulation on
    /// the loopback interface), `multicast_ttl` and `multicast_if` mirror the system's
    /// options, which the getters read from the system itself.
    pub(crate) state: DatagramState,
}

impl RealSocket {
    /// The operating system's socket, for socket2's options.
    pub(crate) fn sock(&self) -> Option<SockRef<'_>> {
        self.io.as_ref().map(SockRef::from)
    }

    /// Asks the system through `os` (an option, a membership); once it agreed, the state to
    /// record the change in.
    pub(crate) fn apply(
        &mut self,
        socket: SocketId,
        os: impl FnOnce(SockRef<'_>) -> Result<(), UdpError>,
    ) -> Result<&mut DatagramState, UdpError> {
        os(self.sock().ok_or(UdpError::UnknownSocket(socket))?)?;
        Ok(&mut self.state)
    }

    /// Reads an option from the system through `os`.
    pub(crate) fn read<T>(
        &self,
        socket: SocketId,
        os: impl FnOnce(SockRef<'_>) -> io::Result<T>,
    ) -> Result<T, UdpError> {
        os(self.sock().ok_or(UdpError::UnknownSocket(socket))?).map_err(io_error)
    }

    /// Whether group datagrams can reach this socket (it joined a group, or is bound to
    /// one).
    pub(crate) fn is_member(&self) -> bool {
        !self.state.groups.is_empty() || self.state.local.ip().is_multicast()
    }

    /// The source address of the group datagrams this socket sends *if* they leave by the
    /// loopback interface, where the system cannot honour `IP_MULTICAST_LOOP` (the datagram
    /// goes out by lo and comes back in by lo as any received one): the reactor then drops
    /// them itself at its own member sockets. `None` when they leave by another interface.
    pub(crate) fn loopback_group_source(&self) -> Option<SocketAddr> {
        let ip = self.state.group_source_ip();
        ip.is_loopback()
            .then_some(SocketAddr::new(ip, self.state.local.port()))
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

/// The typed error for another failure of the system.
pub(crate) fn io_error(e: io::Error) -> UdpError {
    UdpError::Io(e.kind())
}
