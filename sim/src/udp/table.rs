//! One host's UDP table: sockets by id, the ports they hold, ephemeral ports.

use std::collections::BTreeSet;
use std::net::{IpAddr, SocketAddr};

use twinreactor::{SocketId, UdpError, UdpOptions};

use super::socket::{same_family, SimSocket};

/// The first port handed out for port 0 (the IANA dynamic range).
const EPHEMERAL_FIRST: u16 = 49_152;

/// One host's UDP state.
#[derive(Default)]
pub(crate) struct HostUdp {
    /// Sockets by raw id (ids are issued in order and never reused, so the id is the
    /// index): open ones, and closed ones whose `stopped` is still due. A vector rather
    /// than a map, since every datagram looks its sender and its receiver up here.
    sockets: Vec<Option<Box<SimSocket>>>,
    /// Open sockets by port (sorted by port; a vector rather than a map, since a host
    /// rarely binds more than a few ports, and a map's first node is large), each port's in
    /// the order they were bound.
    by_port: Vec<(u16, Vec<u64>)>,
    /// Where the search for the next ephemeral port begins (0: not yet started).
    next_ephemeral: u16,
    /// Sockets that shutdown closed from inside one of their own callbacks: each sees
    /// `stopped` once that callback returns.
    pub(crate) stop_due: BTreeSet<u64>,
}

impl HostUdp {
    /// Whether `socket` was ever issued by this host.
    pub(crate) fn issued(&self, socket: SocketId) -> bool {
        socket.raw() < self.sockets.len() as u64
    }

    /// Socket `id`, open or closing.
    pub(crate) fn get(&self, id: u64) -> Option<&SimSocket> {
        self.sockets.get(usize::try_from(id).ok()?)?.as_deref()
    }

    /// Socket `id`, open or closing, to change.
    pub(crate) fn get_mut(&mut self, id: u64) -> Option<&mut SimSocket> {
        self.sockets
            .get_mut(usize::try_from(id).ok()?)?
            .as_deref_mut()
    }

    /// Takes socket `id` out of the table for good.
    pub(crate) fn remove(&mut self, id: u64) -> Option<Box<SimSocket>> {
        self.sockets.get_mut(usize::try_from(id).ok()?)?.take()
    }

    /// The first socket still in the table from id `from` on.
    pub(crate) fn next_from(&self, from: u64) -> Option<u64> {
        let start = usize::try_from(from).ok()?;
        let at = self
            .sockets
            .get(start..)?
            .iter()
            .position(Option::is_some)?;
        Some((start + at) as u64)
    }

    /// The open socket `socket`.
    pub(crate) fn open(&self, socket: SocketId) -> Result<&SimSocket, UdpError> {
        match self.get(socket.raw()) {
            Some(s) if s.open => Ok(s),
            _ => Err(UdpError::UnknownSocket(socket)),
        }
    }

    /// The open socket `socket`, to change.
    pub(crate) fn open_mut(&mut self, socket: SocketId) -> Result<&mut SimSocket, UdpError> {
        match self.get_mut(socket.raw()) {
            Some(s) if s.open => Ok(s),
            _ => Err(UdpError::UnknownSocket(socket)),
        }
    }

    /// Binds a new socket at `addr` (its IP already checked as one this host may bind).
    pub(crate) fn bind(
        &mut self,
        addr: SocketAddr,
        options: UdpOptions,
        make: impl FnOnce(SocketAddr) -> SimSocket,
    ) -> Result<SocketId, UdpError> {
        let port = match addr.port() {
            0 => self.ephemeral().ok_or(UdpError::AddrInUse(addr))?,
            port => {
                if self.conflicts(addr, options) {
                    return Err(UdpError::AddrInUse(addr));
                }
                port
            }
        };
        let local = SocketAddr::new(addr.ip(), port);
        let id = self.sockets.len() as u64;
        self.sockets.push(Some(Box::new(make(local))));
        match self.port_slot(port) {
            Ok(at) => self.by_port[at].1.push(id),
            Err(at) => {
                if self.by_port.capacity() == 0 {
                    self.by_port.reserve_exact(1);
                }
                self.by_port.insert(at, (port, vec![id]));
            }
        }
        Ok(SocketId::from_raw(id))
    }

    /// Whether an open socket holds `addr` in a way that forbids another bind there: their
    /// addresses overlap (equal, or one is the wildcard of the family) and they do not both
    /// allow address reuse, nor both port reuse.
    fn conflicts(&self, addr: SocketAddr, options: UdpOptions) -> bool {
        self.on_port(addr.port()).any(|s| {
            let (a, b) = (s.state.local.ip(), addr.ip());
            let overlap = same_family(a, b) && (a == b || a.is_unspecified() || b.is_unspecified());
            let shared = (s.options.reuse_address && options.reuse_address)
                || (s.options.reuse_port && options.reuse_port);
            overlap && !shared
        })
    }

    /// A port no open socket holds, searched from where the last search ended.
    fn ephemeral(&mut self) -> Option<u16> {
        let span = u32::from(u16::MAX - EPHEMERAL_FIRST) + 1;
        let mut port = self.next_ephemeral.max(EPHEMERAL_FIRST);
        for _ in 0..span {
            let next = port.checked_add(1).unwrap_or(EPHEMERAL_FIRST);
            if self.port_slot(port).is_err() {
                self.next_ephemeral = next;
                return Some(port);
            }
            port = next;
        }
        None
    }

    /// Where `port` is in `by_port` (`Err`: where it would go).
    fn port_slot(&self, port: u16) -> Result<usize, usize> {
        self.by_port.binary_search_by_key(&port, |&(p, _)| p)
    }

    /// The open sockets bound to `port`, in bind order.
    pub(crate) fn on_port(&self, port: u16) -> impl Iterator<Item = &SimSocket> {
        self.ids_on_port(port).iter().filter_map(|&id| self.get(id))
    }

    /// The ids of the open sockets bound to `port`, in bind order.
    pub(crate) fn ids_on_port(&self, port: u16) -> &[u64] {
        self.port_slot(port)
            .map_or(&[], |at| self.by_port[at].1.as_slice())
    }

    /// The socket that takes a unicast datagram for `to` from `from`: the best match, and
    /// among equals the one bound last.
    pub(crate) fn unicast_receiver(&self, to: SocketAddr, from: SocketAddr) -> Option<u64> {
        let mut best: Option<(u8, u64)> = None;
        for &id in self.ids_on_port(to.port()) {
            let Some(score) = self.get(id).and_then(|s| s.unicast_score(to, from)) else {
                continue;
            };
            if best.is_none_or(|(b, _)| score >= b) {
                best = Some((score, id));
            }
        }
        best.map(|(_, id)| id)
    }

    /// Marks `socket` closed: it no longer holds its port nor receives. It stays in the
    /// table until its `stopped` is delivered.
    pub(crate) fn mark_closed(&mut self, id: u64) {
        let Some(s) = self.get_mut(id) else {
            return;
        };
        if !s.open {
            return;
        }
        s.open = false;
        s.state.groups.clear();
        let port = s.state.local.port();
        if let Ok(at) = self.port_slot(port) {
            let ids = &mut self.by_port[at].1;
            ids.retain(|&other| other != id);
            if ids.is_empty() {
                self.by_port.remove(at);
            }
        }
    }
}

/// Whether the simulator lets a socket bind a multicast group address as its own: yes, as
/// the operating system does (such a socket receives only that group's datagrams).
pub(crate) fn is_group(ip: IpAddr) -> bool {
    matches!(ip, IpAddr::V4(v4) if v4.is_multicast())
}
