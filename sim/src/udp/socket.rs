//! One simulated UDP socket: its address, options and protocol.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use twinreactor::{DatagramProtocol, UdpOptions};
use twinreactor_kit::DatagramState;

/// A bound socket. It stays in its host's table after `close_udp` (no longer `open`) until
/// its `stopped` has been delivered.
pub(crate) struct SimSocket {
    /// Address, peer, groups and multicast options: the rules both reactors share.
    pub(crate) state: DatagramState,
    /// Reuse options given at bind (broadcast permission is in `state`).
    pub(crate) options: UdpOptions,
    /// False once `close_udp` was called.
    pub(crate) open: bool,
    /// The protocol; `None` while one of its callbacks runs.
    pub(crate) protocol: Option<Box<dyn DatagramProtocol>>,
}

impl SimSocket {
    /// A fresh, open socket at `local`.
    pub(crate) fn new(
        local: SocketAddr,
        options: UdpOptions,
        protocol: Box<dyn DatagramProtocol>,
    ) -> Self {
        Self {
            state: DatagramState::new(local, options.broadcast),
            options,
            open: true,
            protocol: Some(protocol),
        }
    }

    /// Whether a datagram sent to `to` from `from` is for this socket, and how well it
    /// matches (higher is better; `None`: not at all). Connected sockets take only their
    /// peer's datagrams and beat unconnected ones; an exact address beats a wildcard.
    pub(crate) fn unicast_score(&self, to: SocketAddr, from: SocketAddr) -> Option<u8> {
        let local = &self.state.local;
        if !self.open || local.port() != to.port() || !same_family(local.ip(), to.ip()) {
            return None;
        }
        let mut score = 0;
        if local.ip() == to.ip() {
            score += 1;
        } else if !local.ip().is_unspecified() {
            return None;
        }
        match self.state.peer {
            Some(peer) if peer == from => score += 2,
            Some(_) => return None,
            None => {}
        }
        Some(score)
    }

    /// Whether a datagram for `group:port` from `from` reaches this member socket: it is
    /// bound to that port on the wildcard address or on the group itself.
    pub(crate) fn takes_group(&self, group: Ipv4Addr, port: u16, from: SocketAddr) -> bool {
        self.open
            && self.state.local.port() == port
            && matches!(self.state.local.ip(), IpAddr::V4(ip) if ip.is_unspecified() || ip == group)
            && self.state.in_group(group)
            && self.state.takes_from(&from)
    }

    /// Whether a broadcast datagram for `port` reaches this socket (bound to the IPv4
    /// wildcard or the broadcast address).
    pub(crate) fn takes_broadcast(&self, port: u16, from: SocketAddr) -> bool {
        self.open
            && self.state.local.port() == port
            && matches!(self.state.local.ip(), IpAddr::V4(ip) if ip.is_unspecified() || ip.is_broadcast())
            && self.state.takes_from(&from)
    }
}

/// Whether two addresses are of one family.
pub(crate) fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}
