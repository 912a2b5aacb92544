//! Simulated UDP and multicast: datagrams between the sockets of simulated hosts, in
//! virtual time, with faults drawn from the seed.
//!
//! * `table`: one host's sockets, the ports they hold, reuse rules, ephemeral ports.
//! * `socket`: one socket, and which datagrams it takes.
//! * `send`: where a datagram goes; `faults`: its delay, loss and duplication.
//! * `deliver`: the callbacks, each run later from the receiving host's I/O step.
//!
//! A datagram's receiver is found when it is sent (a socket that binds the port while it
//! is in flight does not get it); a receiver that closes, or connects to another peer,
//! before it arrives does not get it either.

mod deliver;
mod faults;
mod send;
mod socket;
mod table;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use twinreactor::{DatagramProtocol, SocketId, Udp, UdpError, UdpOptions};
use twinreactor_kit::Subsystem;

pub use faults::UdpConfig;
pub(crate) use table::HostUdp;

use crate::deliveries::Lane;
use crate::host::{Host, HostSubsystem};
use crate::Sim;
use send::unicast_source;
use socket::SimSocket;

/// UDP, as a per-host subsystem of the simulation.
pub(crate) struct UdpSubsystem;

impl HostSubsystem for UdpSubsystem {
    /// Nothing carries over: no socket, ephemeral ports from the start again.
    fn reborn(&self, _old: &Host, _fresh: &mut Host) {}
}

impl Subsystem<Sim> for UdpSubsystem {
    /// Shutdown of the current host: closes every socket at once, delivering `stopped` (after
    /// `started`, for a socket whose `started` had not run yet).
    fn close_all(&self, sim: &mut Sim) {
        let host = sim.current_index();
        let mut next = 0;
        // A `stopped` may bind a new socket: it is closed in turn.
        while let Some(id) = sim.host_ref(host).udp.next_from(next) {
            sim.host_mut(host).udp.mark_closed(id);
            deliver::started(sim, id);
            deliver::stopped(sim, id);
            // `stopped` removed the socket, even one whose protocol was missing.
            sim.host_mut(host).udp.remove(id);
            next = id + 1;
        }
    }
}

impl Sim {
    /// The current host's open socket `socket`, checked to be IPv4 (for multicast).
    fn udp_v4(&self, socket: SocketId) -> Result<&SimSocket, UdpError> {
        let s = self.host_ref(self.current_index()).udp.open(socket)?;
        s.state.check_ipv4(socket)?;
        Ok(s)
    }

    /// The current host's open socket `socket`, checked to be IPv4, to change.
    fn udp_v4_mut(&mut self, socket: SocketId) -> Result<&mut SimSocket, UdpError> {
        let host = self.current_index();
        let s = self.host_mut(host).udp.open_mut(socket)?;
        s.state.check_ipv4(socket)?;
        Ok(s)
    }

    /// Checks a multicast interface: unspecified, or an address of the current host.
    fn udp_check_interface(&self, interface: Ipv4Addr) -> Result<(), UdpError> {
        let ip = IpAddr::V4(interface);
        if interface.is_unspecified() || self.may_bind(self.current_index(), ip) {
            Ok(())
        } else {
            Err(UdpError::AddrNotAvailable(SocketAddr::new(ip, 0)))
        }
    }

    /// The checks shared by join and leave; returns the socket.
    fn udp_membership(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<&mut SimSocket, UdpError> {
        let host = self.current_index();
        self.host_ref(host)
            .udp
            .open(socket)?
            .state
            .check_group(socket, group)?;
        self.udp_check_interface(interface)?;
        self.udp_v4_mut(socket)
    }
}

impl Udp for Sim {
    fn bind_udp(
        &mut self,
        addr: SocketAddr,
        protocol: Box<dyn DatagramProtocol>,
        options: UdpOptions,
    ) -> Result<SocketId, UdpError> {
        if twinreactor_kit::io_shut_down(self) {
            return Err(UdpError::ShutDown);
        }
        let host = self.current_index();
        if !self.may_bind(host, addr.ip()) && !table::is_group(addr.ip()) {
            return Err(UdpError::AddrNotAvailable(addr));
        }
        let socket = self.host_mut(host).udp.bind(addr, options, |local| {
            SimSocket::new(local, options, protocol)
        })?;
        let id = socket.raw();
        let now = self.now_virtual();
        self.schedule_io(host, now, Lane::Udp(id), move |sim| {
            deliver::started(sim, id)
        });
        Ok(socket)
    }

    fn udp_local_addr(&self, socket: SocketId) -> Result<SocketAddr, UdpError> {
        let host = self.current_index();
        Ok(self.host_ref(host).udp.open(socket)?.state.local)
    }

    fn send_to(&mut self, socket: SocketId, data: &[u8], to: SocketAddr) -> Result<(), UdpError> {
        self.udp_send(socket, data, to)
    }

    fn send_to_vectored(
        &mut self,
        socket: SocketId,
        bufs: &[&[u8]],
        to: SocketAddr,
    ) -> Result<(), UdpError> {
        self.udp_send(socket, &bufs.concat(), to)
    }

    fn connect_udp(&mut self, socket: SocketId, peer: SocketAddr) -> Result<(), UdpError> {
        let host = self.current_index();
        let s = &mut self.host_mut(host).udp.open_mut(socket)?.state;
        let peer = s.check_connect(socket, peer)?;
        if s.local.ip().is_unspecified() && !peer.ip().is_multicast() {
            // As the operating system does, connecting fixes the local address too.
            s.local
                .set_ip(unicast_source(host, s.local.ip(), peer.ip()));
        }
        s.peer = Some(peer);
        Ok(())
    }

    fn send(&mut self, socket: SocketId, data: &[u8]) -> Result<(), UdpError> {
        let host = self.current_index();
        let peer = self
            .host_ref(host)
            .udp
            .open(socket)?
            .state
            .connected_peer(socket)?;
        self.udp_send(socket, data, peer)
    }

    fn close_udp(&mut self, socket: SocketId) -> Result<(), UdpError> {
        let host = self.current_index();
        let udp = &mut self.host_mut(host).udp;
        if !udp.issued(socket) {
            return Err(UdpError::UnknownSocket(socket));
        }
        if udp.open(socket).is_err() {
            // Closed already: a second close does nothing.
            return Ok(());
        }
        let id = socket.raw();
        udp.mark_closed(id);
        let now = self.now_virtual();
        self.schedule_io(host, now, Lane::Udp(id), move |sim| {
            deliver::stopped(sim, id)
        });
        Ok(())
    }

    fn join_multicast(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        let s = &mut self.udp_membership(socket, group, interface)?.state;
        s.check_join(socket, group, interface)?;
        s.joined(group, interface);
        Ok(())
    }

    fn leave_multicast(
        &mut self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        let s = &mut self.udp_membership(socket, group, interface)?.state;
        let at = s.check_leave(socket, group, interface)?;
        s.left(at);
        Ok(())
    }

    fn set_multicast_loop(&mut self, socket: SocketId, on: bool) -> Result<(), UdpError> {
        self.udp_v4_mut(socket)?.state.multicast_loop = on;
        Ok(())
    }

    fn multicast_loop(&self, socket: SocketId) -> Result<bool, UdpError> {
        Ok(self.udp_v4(socket)?.state.multicast_loop)
    }

    fn set_multicast_ttl(&mut self, socket: SocketId, ttl: u32) -> Result<(), UdpError> {
        let s = &mut self.udp_v4_mut(socket)?.state;
        s.check_ttl(socket, ttl)?;
        s.multicast_ttl = ttl;
        Ok(())
    }

    fn multicast_ttl(&self, socket: SocketId) -> Result<u32, UdpError> {
        Ok(self.udp_v4(socket)?.state.multicast_ttl)
    }

    fn set_multicast_interface(
        &mut self,
        socket: SocketId,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        self.udp_v4_mut(socket)?;
        self.udp_check_interface(interface)?;
        self.udp_v4_mut(socket)?.state.multicast_if = interface;
        Ok(())
    }

    fn set_broadcast(&mut self, socket: SocketId, on: bool) -> Result<(), UdpError> {
        let host = self.current_index();
        self.host_mut(host).udp.open_mut(socket)?.state.broadcast = on;
        Ok(())
    }
}
