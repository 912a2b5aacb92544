//! UDP and multicast on mio, with socket2 for the options mio lacks (reuse, broadcast,
//! multicast).
//!
//! * `socket`: one socket and how it is opened; `receive`: reading until `WouldBlock`;
//!   `deliver`: the protocol callbacks.
//! * A refusal (ICMP port unreachable) shows as `ECONNREFUSED` on a connected socket, on a
//!   read or on the next send; either way the protocol hears `refused` later and the socket
//!   goes on working. The system reports nothing on an unconnected socket.
//! * On the loopback interface the system cannot honour `IP_MULTICAST_LOOP` (a group
//!   datagram leaves by lo and comes back in by lo like any received one), so the reactor
//!   emulates it: its own member sockets drop group datagrams from its own sockets that have
//!   loopback off. See `docs/contract/udp.md`.

mod deliver;
mod receive;
mod socket;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, ErrorKind, IoSlice};
use std::net::{Ipv4Addr, SocketAddr};

use mio::Interest;
use socket2::SockAddr;
use twinreactor::{DatagramProtocol, SocketId, Udp, UdpError, UdpOptions};
use twinreactor_kit::{DatagramState, Subsystem};

use crate::poller::Ready;
use crate::RealReactor;
use socket::{io_error, RealSocket};

/// What a UDP socket token stands for: the socket's raw id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TokenKey(u64);

/// The reactor's UDP tables.
#[derive(Default)]
pub(crate) struct RealUdp {
    /// Sockets by raw id: open ones, and closed ones whose `stopped` is still due.
    sockets: BTreeMap<u64, RealSocket>,
    /// The next raw id to issue.
    next_id: u64,
    /// The receive buffer, shared by every socket (taken out while a protocol runs).
    buffer: Vec<u8>,
    /// Sockets that shutdown closed from inside one of their own callbacks: each sees
    /// `stopped` once that callback returns.
    stop_due: BTreeSet<u64>,
}

/// Step 4 (the steps: [`twinreactor_kit::iterate`]): a socket is readable (or has an error to report).
pub(crate) fn ready(r: &mut RealReactor, key: TokenKey, _ready: Ready) {
    receive::drain(r, key.0);
}

/// UDP, as a subsystem of the real reactor.
pub(crate) struct UdpSubsystem;

impl Subsystem<RealReactor> for UdpSubsystem {
    /// Shutdown: closes every socket at once, delivering `stopped` (after `started`, for a
    /// socket whose `started` had not run yet).
    fn close_all(&self, r: &mut RealReactor) {
        while let Some(&id) = r.udp.sockets.keys().next() {
            release(r, id);
            deliver::started(r, id);
            deliver::stopped(r, id);
            r.udp.sockets.remove(&id);
        }
    }
}

/// Closes socket `id`'s system socket (its port is free at once); the entry stays.
fn release(r: &mut RealReactor, id: u64) {
    let Some(s) = r.udp.sockets.get_mut(&id) else {
        return;
    };
    let Some(mut io) = s.io.take() else {
        return;
    };
    s.state.groups.clear();
    let token = s.token;
    r.unregister(&mut io, token);
}

/// The typed error for a failed send to `to`.
fn send_error(e: &io::Error, to: SocketAddr) -> UdpError {
    match e.kind() {
        ErrorKind::PermissionDenied => UdpError::BroadcastNotPermitted(to),
        ErrorKind::InvalidInput | ErrorKind::AddrNotAvailable => UdpError::BadDestination(to),
        kind => UdpError::Io(kind),
    }
}

impl RealReactor {
    /// The open socket `socket`.
    fn udp_open(&self, socket: SocketId) -> Result<&RealSocket, UdpError> {
        match self.udp.sockets.get(&socket.raw()) {
            Some(s) if s.io.is_some() => Ok(s),
            _ => Err(UdpError::UnknownSocket(socket)),
        }
    }

    /// The open socket `socket`, to change.
    fn udp_open_mut(&mut self, socket: SocketId) -> Result<&mut RealSocket, UdpError> {
        match self.udp.sockets.get_mut(&socket.raw()) {
            Some(s) if s.io.is_some() => Ok(s),
            _ => Err(UdpError::UnknownSocket(socket)),
        }
    }

    /// The open IPv4 socket `socket` (for multicast).
    fn udp_v4(&self, socket: SocketId) -> Result<&RealSocket, UdpError> {
        let s = self.udp_open(socket)?;
        s.state.check_ipv4(socket)?;
        Ok(s)
    }

    /// The open IPv4 socket `socket` (for multicast), to change.
    fn udp_v4_mut(&mut self, socket: SocketId) -> Result<&mut RealSocket, UdpError> {
        let s = self.udp_open_mut(socket)?;
        s.state.check_ipv4(socket)?;
        Ok(s)
    }

    /// Sends the concatenation of `bufs` as one datagram from `socket` to `to`.
    fn udp_send(
        &mut self,
        socket: SocketId,
        bufs: &[&[u8]],
        to: SocketAddr,
    ) -> Result<(), UdpError> {
        let s = self.udp_open(socket)?;
        let to = s.state.check_send(bufs.iter().map(|b| b.len()).sum(), to)?;
        let sock = s.sock().ok_or(UdpError::UnknownSocket(socket))?;
        let addr = SockAddr::from(to);
        let mut refused = false;
        let mut outcome = Ok(());
        // A refusal pending from an earlier datagram fails this send once (and is cleared
        // by it); a signal may interrupt it. Three tries cover both.
        for _ in 0..3 {
            let sent = match bufs {
                // One buffer (the usual case) needs no list of slices.
                [buf] => sock.send_to(buf, &addr),
                _ => {
                    let slices: Vec<IoSlice<'_>> = bufs.iter().map(|b| IoSlice::new(b)).collect();
                    sock.send_to_vectored(&slices, &addr)
                }
            };
            match sent {
                Ok(_) => outcome = Ok(()),
                // A full send buffer: the datagram is lost, as on a congested network.
                Err(e) if e.kind() == ErrorKind::WouldBlock => outcome = Ok(()),
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    refused = true;
                    continue;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => outcome = Err(send_error(&e, to)),
            }
            break;
        }
        // The system reports refusals only on connected sockets.
        if refused {
            let id = socket.raw();
            self.defer(move |r| deliver::refused(r, id));
        }
        outcome
    }
}

impl Udp for RealReactor {
    fn bind_udp(
        &mut self,
        addr: SocketAddr,
        protocol: Box<dyn DatagramProtocol>,
        options: UdpOptions,
    ) -> Result<SocketId, UdpError> {
        if twinreactor_kit::io_shut_down(self) {
            return Err(UdpError::ShutDown);
        }
        let mut io = socket::open(addr, options).map_err(|e| socket::bind_error(&e, addr))?;
        let local = io.local_addr().map_err(io_error)?;
        let id = self.udp.next_id;
        let token = self.tokens.insert(TokenKey(id));
        if let Err(e) = self
            .poller
            .registry()
            .register(&mut io, token, Interest::READABLE)
        {
            self.tokens.remove(token);
            return Err(io_error(e));
        }
        self.udp.next_id += 1;
        self.udp.sockets.insert(
            id,
            RealSocket {
                io: Some(io),
                token,
                protocol: Some(protocol),
                state: DatagramState::new(local, options.broadcast),
            },
        );
        self.defer(move |r| deliver::started(r, id));
        Ok(SocketId::from_raw(id))
    }

    fn udp_local_addr(&self, socket: SocketId) -> Result<SocketAddr, UdpError> {
        Ok(self.udp_open(socket)?.state.local)
    }

    fn send_to(&mut self, socket: SocketId, data: &[u8], to: SocketAddr) -> Result<(), UdpError> {
        self.udp_send(socket, &[data], to)
    }

    fn send_to_vectored(
        &mut self,
        socket: SocketId,
        bufs: &[&[u8]],
        to: SocketAddr,
    ) -> Result<(), UdpError> {
        self.udp_send(socket, bufs, to)
    }

    fn connect_udp(&mut self, socket: SocketId, peer: SocketAddr) -> Result<(), UdpError> {
        let s = self.udp_open_mut(socket)?;
        let peer = s.state.check_connect(socket, peer)?;
        let io = s.io.as_ref().ok_or(UdpError::UnknownSocket(socket))?;
        io.connect(peer).map_err(|e| match e.kind() {
            ErrorKind::InvalidInput | ErrorKind::AddrNotAvailable => UdpError::BadDestination(peer),
            kind => UdpError::Io(kind),
        })?;
        // Connecting fixes the local address too, where it was the wildcard.
        s.state.local = io.local_addr().map_err(io_error)?;
        s.state.peer = Some(peer);
        Ok(())
    }

    fn send(&mut self, socket: SocketId, data: &[u8]) -> Result<(), UdpError> {
        let peer = self.udp_open(socket)?.state.connected_peer(socket)?;
        self.udp_send(socket, &[data], peer)
    }

    fn close_udp(&mut self, socket: SocketId) -> Result<(), UdpError> {
        if socket.raw() >= self.udp.next_id {
            return Err(UdpError::UnknownSocket(socket));
        }
        if self.udp_open(socket).is_err() {
            // Closed already: a second close does nothing.
            return Ok(());
        }
        let id = socket.raw();
        release(self, id);
        self.defer(move |r| deliver::stopped(r, id));
        Ok(())
    }

    fn join_multicast(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        let s = self.udp_open_mut(socket)?;
        s.state.check_group(socket, group)?;
        s.state.check_join(socket, group, interface)?;
        s.apply(socket, |sock| {
            sock.join_multicast_v4(&group, &interface)
                .map_err(|e| interface_error(&e, interface))
        })?
        .joined(group, interface);
        Ok(())
    }

    fn leave_multicast(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        let s = self.udp_open_mut(socket)?;
        s.state.check_group(socket, group)?;
        let at = s.state.check_leave(socket, group, interface)?;
        s.apply(socket, |sock| {
            sock.leave_multicast_v4(&group, &interface)
                .map_err(|e| interface_error(&e, interface))
        })?
        .left(at);
        Ok(())
    }

    fn set_multicast_loop(&mut self, socket: SocketId, on: bool) -> Result<(), UdpError> {
        self.udp_v4_mut(socket)?
            .apply(socket, |sock| {
                sock.set_multicast_loop_v4(on).map_err(io_error)
            })?
            .multicast_loop = on;
        Ok(())
    }

    fn multicast_loop(&self, socket: SocketId) -> Result<bool, UdpError> {
        self.udp_v4(socket)?
            .read(socket, |sock| sock.multicast_loop_v4())
    }

    fn set_multicast_ttl(&mut self, socket: SocketId, ttl: u32) -> Result<(), UdpError> {
        let s = self.udp_open_mut(socket)?;
        s.state.check_ttl(socket, ttl)?;
        s.apply(socket, |sock| {
            sock.set_multicast_ttl_v4(ttl).map_err(io_error)
        })?
        .multicast_ttl = ttl;
        Ok(())
    }

    fn multicast_ttl(&self, socket: SocketId) -> Result<u32, UdpError> {
        self.udp_v4(socket)?
            .read(socket, |sock| sock.multicast_ttl_v4())
    }

    fn set_multicast_interface(
        &mut self,
        socket: SocketId,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        self.udp_v4_mut(socket)?
            .apply(socket, |sock| {
                sock.set_multicast_if_v4(&interface)
                    .map_err(|e| interface_error(&e, interface))
            })?
            .multicast_if = interface;
        Ok(())
    }

    fn set_broadcast(&mut self, socket: SocketId, on: bool) -> Result<(), UdpError> {
        self.udp_open_mut(socket)?
            .apply(socket, |sock| sock.set_broadcast(on).map_err(io_error))?
            .broadcast = on;
        Ok(())
    }
}

/// The typed error for a multicast option naming `interface`.
fn interface_error(e: &io::Error, interface: Ipv4Addr) -> UdpError {
    match e.kind() {
        ErrorKind::AddrNotAvailable => {
            UdpError::AddrNotAvailable(SocketAddr::new(interface.into(), 0))
        }
        kind => UdpError::Io(kind),
    }
}
