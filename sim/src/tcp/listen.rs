//! Listeners and ports: binding, ephemeral ports, and which listener a SYN reaches.

use std::net::{IpAddr, SocketAddr};

use twinreactor::trace::TcpTrace;
use twinreactor::{ListenerId, StreamFactory, TcpError, TraceEvent};
use twinreactor_kit::Driver;

use super::conn::Listener;
use super::HostTcp;
use crate::Sim;

/// The first ephemeral port (IANA's dynamic range), handed out in order on each host.
pub(super) const EPHEMERAL_FIRST: u16 = 49152;

/// Whether a listener bound to `bound` accepts connections addressed to `ip`.
fn accepts(bound: IpAddr, ip: IpAddr) -> bool {
    bound == ip || (bound.is_unspecified() && bound.is_ipv4() == ip.is_ipv4())
}

/// Whether two binds of one port would overlap.
fn overlaps(a: IpAddr, b: IpAddr) -> bool {
    a == b || (a.is_ipv4() == b.is_ipv4() && (a.is_unspecified() || b.is_unspecified()))
}

impl HostTcp {
    /// Whether some listener or connection holds `port`.
    fn port_taken(&self, port: u16) -> bool {
        self.ports_in_use.contains(&port) || self.listeners.values().any(|l| l.addr.port() == port)
    }

    /// The next free ephemeral port, in order from [`EPHEMERAL_FIRST`], wrapping around.
    pub(super) fn ephemeral_port(&mut self) -> Option<u16> {
        let span = u32::from(u16::MAX - EPHEMERAL_FIRST) + 1;
        for _ in 0..span {
            let port = self.next_port;
            self.next_port = if port == u16::MAX {
                EPHEMERAL_FIRST
            } else {
                port + 1
            };
            if !self.port_taken(port) {
                return Some(port);
            }
        }
        None
    }

    /// The listener that accepts connections addressed to `to`.
    pub(super) fn listener_for(&self, to: SocketAddr) -> Option<u64> {
        self.listeners
            .iter()
            .find(|(_, l)| l.addr.port() == to.port() && accepts(l.addr.ip(), to.ip()))
            .map(|(&id, _)| id)
    }
}

impl Sim {
    /// `listen_tcp` on the current host.
    pub(super) fn tcp_listen(
        &mut self,
        addr: SocketAddr,
        factory: Box<dyn StreamFactory>,
    ) -> Result<ListenerId, TcpError> {
        let host = self.current_index();
        if !self.may_bind(host, addr.ip()) {
            return Err(TcpError::AddrNotAvailable(addr));
        }
        let tcp = &mut self.host_mut(host).tcp;
        let port = if addr.port() == 0 {
            tcp.ephemeral_port()
                .ok_or(TcpError::Io(std::io::ErrorKind::AddrNotAvailable))?
        } else {
            let clash = tcp
                .listeners
                .values()
                .any(|l| l.addr.port() == addr.port() && overlaps(l.addr.ip(), addr.ip()));
            if clash {
                return Err(TcpError::AddrInUse(addr));
            }
            addr.port()
        };
        let addr = SocketAddr::new(addr.ip(), port);
        let id = tcp.next_listener;
        tcp.next_listener += 1;
        tcp.listeners.insert(
            id,
            Listener {
                addr,
                factory: Some(factory),
            },
        );
        let listener = ListenerId::from_raw(id);
        self.record(TraceEvent::Tcp(TcpTrace::Listening { listener, addr }));
        Ok(listener)
    }

    /// `listener_addr` on the current host.
    pub(super) fn tcp_listener_addr(&self, listener: ListenerId) -> Result<SocketAddr, TcpError> {
        self.host_ref(self.current_index())
            .tcp
            .listeners
            .get(&listener.raw())
            .map(|l| l.addr)
            .ok_or(TcpError::UnknownListener(listener))
    }

    /// `stop_listening` on the current host. Connections still in their handshake are reset
    /// when their ACK finds the listener gone.
    pub(super) fn tcp_stop_listening(&mut self, listener: ListenerId) -> Result<(), TcpError> {
        let host = self.current_index();
        self.host_mut(host)
            .tcp
            .listeners
            .remove(&listener.raw())
            .map(drop)
            .ok_or(TcpError::UnknownListener(listener))
    }
}
