//! One simulated UDP socket: its address, options and protocol.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use twinreactor::{DatagramProtocol, UdpOptions};

/// A bound socket. It stays in its host's table after `close_udp` (no longer `open`) until
/// its `stopped` has been delivered.
pub(crate) struct SimSocket {
    /// The bound address (port resolved; the IP may be narrowed by `connect_udp`).
    pub(crate) local: SocketAddr,
    /// Reuse and broadcast options given at bind.
    pub(crate) options: UdpOptions,
    /// The fixed peer, after `connect_udp`.
    pub(crate) peer: Option<SocketAddr>,
    /// False once `close_udp` was called.
    pub(crate) open: bool,
    /// Whether `started` has been delivered.
    pub(crate) started: bool,
    /// The protocol; `None` while one of its callbacks runs.
    pub(crate) protocol: Option<Box<dyn DatagramProtocol>>,
    /// Joined groups, as (group, interface), in the order joined.
    pub(crate) groups: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// Whether group datagrams it sends are delivered on its own host.
    pub(crate) multicast_loop: bool,
    /// Time-to-live of group datagrams: 0 keeps them on this host.
    pub(crate) multicast_ttl: u32,
    /// The outgoing interface of group datagrams (unspecified: the host's network address).
    pub(crate) multicast_if: Ipv4Addr,
}

impl SimSocket {
    /// A fresh, open socket at `local`.
    pub(crate) fn new(
        local: SocketAddr,
        options: UdpOptions,
        protocol: Box<dyn DatagramProtocol>,
    ) -> Self {
        Self {
            local,
            options,
            peer: None,
            open: true,
            started: false,
            protocol: Some(protocol),
            groups: Vec::new(),
            multicast_loop: true,
            multicast_ttl: 1,
            multicast_if: Ipv4Addr::UNSPECIFIED,
        }
    }

    /// Whether a datagram sent to `to` from `from` is for this socket, and how well it
    /// matches (higher is better; `None`: not at all). Connected sockets take only their
    /// peer's datagrams and beat unconnected ones; an exact address beats a wildcard.
    pub(crate) fn unicast_score(&self, to: SocketAddr, from: SocketAddr) -> Option<u8> {
        if !self.open || self.local.port() != to.port() || !same_family(self.local.ip(), to.ip()) {
            return None;
        }
        let mut score = 0;
        if self.local.ip() == to.ip() {
            score += 1;
        } else if !self.local.ip().is_unspecified() {
            return None;
        }
        match self.peer {
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
            && self.local.port() == port
            && matches!(self.local.ip(), IpAddr::V4(ip) if ip.is_unspecified() || ip == group)
            && self.groups.iter().any(|&(g, _)| g == group)
            && self.peer.is_none_or(|peer| peer == from)
    }

    /// Whether a broadcast datagram for `port` reaches this socket (bound to the IPv4
    /// wildcard or the broadcast address).
    pub(crate) fn takes_broadcast(&self, port: u16, from: SocketAddr) -> bool {
        self.open
            && self.local.port() == port
            && matches!(self.local.ip(), IpAddr::V4(ip) if ip.is_unspecified() || ip.is_broadcast())
            && self.peer.is_none_or(|peer| peer == from)
    }
}

/// Whether two addresses are of one family.
pub(crate) fn same_family(a: IpAddr, b: IpAddr) -> bool {
    a.is_ipv4() == b.is_ipv4()
}
