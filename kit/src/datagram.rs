//! One UDP socket's rules of `docs/contract/udp.md` that do not depend on how datagrams
//! travel: the connected peer, the multicast membership list and options, the IPv4-only
//! checks, the size and destination checks of a send, and `started` once. Pure state and
//! decisions: each check says whether an operation is allowed, and the reactor then does it
//! (asks the system, or routes in the simulation) and records it here.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use twinreactor::udp::{check_destination, is_broadcast, MAX_DATAGRAM};
use twinreactor::{SocketId, UdpError};

/// The largest multicast time-to-live.
const MAX_TTL: u32 = 255;

/// The reactor-independent state of one UDP socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatagramState {
    /// The bound address (port resolved; a wildcard IP may be narrowed by `connect_udp`).
    pub local: SocketAddr,
    /// The fixed peer, after `connect_udp`.
    pub peer: Option<SocketAddr>,
    /// Whether `started` has been delivered.
    pub started: bool,
    /// Broadcast permission.
    pub broadcast: bool,
    /// Joined groups, as (group, interface), in the order joined.
    pub groups: Vec<(Ipv4Addr, Ipv4Addr)>,
    /// Whether group datagrams it sends are delivered on its own host (default true).
    pub multicast_loop: bool,
    /// Time-to-live of group datagrams (default 1; 0 keeps them on this host).
    pub multicast_ttl: u32,
    /// The outgoing interface of group datagrams (unspecified: the default way out).
    pub multicast_if: Ipv4Addr,
}

impl DatagramState {
    /// A fresh socket bound at `local`: unconnected, no group, loopback on, TTL 1.
    pub fn new(local: SocketAddr, broadcast: bool) -> Self {
        Self {
            local,
            peer: None,
            started: false,
            broadcast,
            groups: Vec::new(),
            multicast_loop: true,
            multicast_ttl: 1,
            multicast_if: Ipv4Addr::UNSPECIFIED,
        }
    }

    /// Marks `started` delivered; true the first time only (it is due then).
    #[inline]
    pub fn start(&mut self) -> bool {
        !std::mem::replace(&mut self.started, true)
    }

    /// Whether a datagram from `from` may be delivered: a connected socket takes only its
    /// peer's.
    #[inline(always)]
    pub fn takes_from(&self, from: &SocketAddr) -> bool {
        self.peer.is_none_or(|peer| peer == *from)
    }

    /// The checks of one datagram of `len` bytes to `to`: [`check_size`], then
    /// [`check_destination`], then [`Self::check_broadcast`]. Returns the destination to
    /// use (an unspecified IP becomes loopback).
    #[inline]
    pub fn check_send(&self, len: usize, to: SocketAddr) -> Result<SocketAddr, UdpError> {
        check_size(len)?;
        let to = check_destination(self.local, to)?;
        self.check_broadcast(to)?;
        Ok(to)
    }

    /// `BroadcastNotPermitted` for a send to the broadcast address without permission.
    #[inline(always)]
    pub fn check_broadcast(&self, to: SocketAddr) -> Result<(), UdpError> {
        if !self.broadcast && is_broadcast(to.ip()) {
            Err(UdpError::BroadcastNotPermitted(to))
        } else {
            Ok(())
        }
    }

    /// `connect_udp(peer)` on `socket`: `AlreadyConnected` once connected, then
    /// [`check_destination`]. Returns the peer to record in [`Self::peer`] once connected.
    pub fn check_connect(
        &self,
        socket: SocketId,
        peer: SocketAddr,
    ) -> Result<SocketAddr, UdpError> {
        if self.peer.is_some() {
            return Err(UdpError::AlreadyConnected(socket));
        }
        check_destination(self.local, peer)
    }

    /// The peer `send` goes to: `NotConnected` without one.
    #[inline]
    pub fn connected_peer(&self, socket: SocketId) -> Result<SocketAddr, UdpError> {
        self.peer.ok_or(UdpError::NotConnected(socket))
    }

    /// Multicast is IPv4: `NotIpv4` for an IPv6 socket.
    #[inline]
    pub fn check_ipv4(&self, socket: SocketId) -> Result<(), UdpError> {
        if self.local.is_ipv4() {
            Ok(())
        } else {
            Err(UdpError::NotIpv4(socket))
        }
    }

    /// The first checks of a join or a leave: an IPv4 socket, and a multicast `group`
    /// (`NotMulticast`).
    pub fn check_group(&self, socket: SocketId, group: Ipv4Addr) -> Result<(), UdpError> {
        self.check_ipv4(socket)?;
        if group.is_multicast() {
            Ok(())
        } else {
            Err(UdpError::NotMulticast(group.into()))
        }
    }

    /// `join_multicast` after [`Self::check_group`]: `AlreadyMember` if joined on that
    /// interface already. Record the join with [`Self::joined`] once it is done.
    pub fn check_join(
        &self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        if self.groups.contains(&(group, interface)) {
            Err(UdpError::AlreadyMember(socket, group.into()))
        } else {
            Ok(())
        }
    }

    /// Records a join allowed by [`Self::check_join`].
    #[inline]
    pub fn joined(&mut self, group: Ipv4Addr, interface: Ipv4Addr) {
        self.groups.push((group, interface));
    }

    /// `leave_multicast` after [`Self::check_group`]: `NotMember` if not joined on that
    /// interface; else the membership's index, for [`Self::left`] once it is done.
    pub fn check_leave(
        &self,
        socket: SocketId,
        group: Ipv4Addr,
        interface: Ipv4Addr,
    ) -> Result<usize, UdpError> {
        self.groups
            .iter()
            .position(|&m| m == (group, interface))
            .ok_or(UdpError::NotMember(socket, group.into()))
    }

    /// Records a leave allowed by [`Self::check_leave`] (the others keep their order).
    #[inline]
    pub fn left(&mut self, at: usize) {
        self.groups.remove(at);
    }

    /// Whether the socket joined `group` (on any interface).
    #[inline]
    pub fn in_group(&self, group: Ipv4Addr) -> bool {
        self.groups.iter().any(|&(g, _)| g == group)
    }

    /// `set_multicast_ttl`: an IPv4 socket, and `InvalidTtl` over 255 (nothing changes).
    /// Record the TTL in [`Self::multicast_ttl`] once it is set.
    pub fn check_ttl(&self, socket: SocketId, ttl: u32) -> Result<(), UdpError> {
        self.check_ipv4(socket)?;
        if ttl > MAX_TTL {
            Err(UdpError::InvalidTtl(ttl))
        } else {
            Ok(())
        }
    }

    /// The source IP of the group and broadcast datagrams it sends, as far as the socket
    /// decides it: its bound address if that is a unicast one, else its multicast interface
    /// (unspecified: the reactor's default way out).
    #[inline]
    pub fn group_source_ip(&self) -> IpAddr {
        let local = self.local.ip();
        if !local.is_unspecified() && !local.is_multicast() {
            local
        } else {
            self.multicast_if.into()
        }
    }
}

/// `MessageTooLarge` for a datagram of `len` bytes over [`MAX_DATAGRAM`].
#[inline(always)]
pub fn check_size(len: usize) -> Result<(), UdpError> {
    if len > MAX_DATAGRAM {
        Err(UdpError::MessageTooLarge(len))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: SocketId = SocketId::from_raw(3);
    const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 43, 1);
    const LO: Ipv4Addr = Ipv4Addr::LOCALHOST;

    fn v4(ip: Ipv4Addr, port: u16) -> SocketAddr {
        SocketAddr::new(ip.into(), port)
    }

    #[test]
    fn membership_rules() {
        let mut s = DatagramState::new(v4(Ipv4Addr::UNSPECIFIED, 5000), false);
        let other = Ipv4Addr::new(10, 0, 0, 1);
        assert_eq!(
            s.check_group(S, other),
            Err(UdpError::NotMulticast(other.into()))
        );
        assert_eq!(s.check_group(S, GROUP), Ok(()));
        assert_eq!(
            s.check_leave(S, GROUP, LO),
            Err(UdpError::NotMember(S, GROUP.into()))
        );
        assert_eq!(s.check_join(S, GROUP, LO), Ok(()));
        s.joined(GROUP, LO);
        assert!(s.in_group(GROUP));
        assert_eq!(
            s.check_join(S, GROUP, LO),
            Err(UdpError::AlreadyMember(S, GROUP.into()))
        );
        assert_eq!(s.check_join(S, GROUP, Ipv4Addr::UNSPECIFIED), Ok(()));
        let at = s.check_leave(S, GROUP, LO).unwrap();
        s.left(at);
        assert!(!s.in_group(GROUP));
    }

    #[test]
    fn multicast_is_ipv4_and_ttl_at_most_255() {
        let s6 = DatagramState::new("[::1]:5000".parse().unwrap(), false);
        assert_eq!(s6.check_group(S, GROUP), Err(UdpError::NotIpv4(S)));
        assert_eq!(s6.check_ttl(S, 1), Err(UdpError::NotIpv4(S)));
        let s = DatagramState::new(v4(LO, 5000), false);
        assert!(s.multicast_loop);
        assert_eq!(s.multicast_ttl, 1);
        assert_eq!(s.check_ttl(S, 255), Ok(()));
        assert_eq!(s.check_ttl(S, 256), Err(UdpError::InvalidTtl(256)));
    }

    #[test]
    fn connect_once_and_send_checks() {
        let mut s = DatagramState::new(v4(LO, 5000), false);
        assert_eq!(s.connected_peer(S), Err(UdpError::NotConnected(S)));
        let peer = s.check_connect(S, v4(Ipv4Addr::UNSPECIFIED, 6000)).unwrap();
        assert_eq!(peer, v4(LO, 6000));
        s.peer = Some(peer);
        assert_eq!(s.connected_peer(S), Ok(peer));
        assert_eq!(
            s.check_connect(S, v4(LO, 7000)),
            Err(UdpError::AlreadyConnected(S))
        );
        assert!(s.takes_from(&peer) && !s.takes_from(&v4(LO, 7000)));
        assert_eq!(
            s.check_send(MAX_DATAGRAM + 1, peer),
            Err(UdpError::MessageTooLarge(MAX_DATAGRAM + 1))
        );
        assert_eq!(s.check_send(MAX_DATAGRAM, peer), Ok(peer));
        assert_eq!(check_size(MAX_DATAGRAM), Ok(()));
        assert_eq!(
            check_size(MAX_DATAGRAM + 1),
            Err(UdpError::MessageTooLarge(MAX_DATAGRAM + 1))
        );
        let wide = DatagramState::new(v4(Ipv4Addr::UNSPECIFIED, 5000), false);
        let all = v4(Ipv4Addr::BROADCAST, 6000);
        assert_eq!(
            wide.check_send(1, all),
            Err(UdpError::BroadcastNotPermitted(all))
        );
        assert_eq!(
            DatagramState {
                broadcast: true,
                ..wide
            }
            .check_send(1, all),
            Ok(all)
        );
    }

    #[test]
    fn started_once_and_group_source() {
        let mut s = DatagramState::new(v4(GROUP, 5000), false);
        assert!(s.start());
        assert!(!s.start());
        assert_eq!(s.group_source_ip(), IpAddr::from(Ipv4Addr::UNSPECIFIED));
        s.multicast_if = LO;
        assert_eq!(s.group_source_ip(), IpAddr::from(LO));
        let s = DatagramState::new(v4(Ipv4Addr::new(10, 0, 0, 1), 5000), false);
        assert_eq!(
            s.group_source_ip(),
            IpAddr::from(Ipv4Addr::new(10, 0, 0, 1))
        );
    }
}
