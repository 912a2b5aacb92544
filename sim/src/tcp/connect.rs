//! The handshake: SYN, SYN-ACK (or RST: refused), ACK (the server's factory runs), the
//! connect timeout and `cancel_connect`.
//!
//! A client's connect is answered after two one-way latencies; the server's factory runs a
//! third latency later, when the client's ACK arrives, so data the client writes from
//! `connected` always arrives after it (deliveries of one source keep their order).

use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use twinreactor::trace::{LossCause, SegmentKind, TcpTrace};
use twinreactor::{ConnId, ListenerId, Reactor, StreamProtocol, TcpError, TraceEvent};
use twinreactor_kit::{cancelled_connect, Driver, End};

use super::conn::{Conn, Msgs, Peer, Phase};
use super::hold::NO_OWNER;
use super::{Segment, TAG_CONN, TAG_SYN};
use crate::deliveries::Lane;
use crate::routing::host_ip;
use crate::Sim;
use crate::Site;

/// The loopback address of `ip`'s family (what connecting to an unspecified address reaches).
fn loopback_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
    }
}

impl Sim {
    /// `connect_tcp` on the current host.
    pub(super) fn tcp_connect(
        &mut self,
        addr: SocketAddr,
        protocol: Box<dyn StreamProtocol>,
        timeout: Duration,
    ) -> Result<ConnId, TcpError> {
        let host = self.current_index();
        let to_ip = if addr.ip().is_unspecified() {
            loopback_of(addr.ip())
        } else {
            addr.ip()
        };
        let to = SocketAddr::new(to_ip, addr.port());
        let local_ip = if to_ip.is_loopback() {
            to_ip
        } else if to_ip.is_ipv4() {
            host_ip(host)
        } else {
            // The virtual network has no IPv6 beyond loopback: no route, as the OS says.
            return Err(TcpError::Io(ErrorKind::NetworkUnreachable));
        };
        let tcp = &mut self.host_mut(host).tcp;
        let port = tcp
            .ephemeral_port()
            .ok_or(TcpError::Io(ErrorKind::AddrNotAvailable))?;
        tcp.ports_in_use.insert(port);
        let id = tcp.next_conn;
        tcp.next_conn += 1;
        let local = SocketAddr::new(local_ip, port);
        let mut conn = Conn::new(Phase::Connecting, local, to);
        conn.protocol = Some(protocol);
        conn.ephemeral = Some(port);
        tcp.conns.insert(id, conn);
        let cid = ConnId::from_raw(id);
        // The timeout is a reactor timer, as on the real reactor: its callback cancels the
        // connect, and `cancel_connect` reports `TimedOut` when called from that timer.
        let timer = self.call_later(
            timeout,
            twinreactor::TimerFn::new(move |r: &mut dyn Reactor| {
                let _ = r.cancel_connect(cid);
            }),
        );
        if let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) {
            c.timeout = Some(timer);
        }
        let p = self.config().tcp.syn_drop;
        let server = self.route(host, to_ip);
        let msg = self.tcp_sent(Some(id), SegmentKind::Syn, server.unwrap_or(host));
        if self.tcp_chance(Site::TcpSynDrop, p) {
            self.tcp_lost(msg, LossCause::Fault);
            return Ok(cid);
        }
        // An address no host has swallows the SYN: the connect times out.
        if server.is_none() {
            self.tcp_lost(msg, LossCause::NoHost);
        }
        if let Some(server) = server {
            let client = Peer { host, conn: id };
            self.tcp_transmit(host, server, id, move |sim| {
                // A SYN held by a partition is not sent once its connect has ended.
                let connecting = sim
                    .host_ref(host)
                    .tcp
                    .conns
                    .get(&id)
                    .is_some_and(|c| c.phase == Phase::Connecting);
                if !connecting {
                    return;
                }
                let at = sim
                    .now_virtual()
                    .saturating_add(sim.tcp_delay(host, server));
                let key = (host as u64) << 40 | id;
                sim.schedule_io(server, at, Lane::Tcp(TAG_SYN, key), move |sim| {
                    sim.tcp_arrived(&Msgs::one(msg));
                    sim.tcp_syn_arrives(local, to, client);
                });
            });
        }
        Ok(cid)
    }

    /// `cancel_connect` on the current host (also the connect timeout's timer callback).
    pub(super) fn tcp_cancel_connect(&mut self, conn: ConnId) -> Result<(), TcpError> {
        let host = self.current_index();
        let c = self
            .host_mut(host)
            .tcp
            .conns
            .get_mut(&conn.raw())
            .ok_or(TcpError::UnknownConnection(conn))?;
        if c.phase != Phase::Connecting {
            return Err(TcpError::NotConnecting(conn));
        }
        let timer = c.timeout.take();
        let error = cancelled_connect(self, timer);
        self.tcp_end(conn.raw(), End::ConnectFailed(error));
        Ok(())
    }

    /// A SYN reaches the current host: refused (RST), or answered with a SYN-ACK and an
    /// endpoint that waits for the client's ACK.
    fn tcp_syn_arrives(&mut self, from: SocketAddr, to: SocketAddr, client: Peer) {
        let host = self.current_index();
        let listener = self.host_ref(host).tcp.listener_for(to);
        let p = self.config().tcp.refuse;
        let listener = match listener {
            Some(l) if !self.tcp_chance(Site::TcpRefuse, p) => l,
            _ => {
                let msg = self.tcp_sent(None, SegmentKind::Rst, client.host);
                self.tcp_transmit(host, client.host, NO_OWNER, move |sim| {
                    sim.tcp_segment_to(host, client, move |sim| {
                        sim.tcp_arrived(&Msgs::one(msg));
                        sim.tcp_arrive(client.conn, None, Segment::Rst);
                    });
                });
                return;
            }
        };
        let tcp = &mut self.host_mut(host).tcp;
        let id = tcp.next_conn;
        tcp.next_conn += 1;
        let mut conn = Conn::new(Phase::Accepting { listener }, to, from);
        conn.peer = Some(client);
        tcp.conns.insert(id, conn);
        let server = Peer { host, conn: id };
        let msg = self.tcp_sent(Some(id), SegmentKind::SynAck, client.host);
        self.tcp_transmit(host, client.host, id, move |sim| {
            sim.tcp_segment_to(host, client, move |sim| {
                sim.tcp_arrived(&Msgs::one(msg));
                sim.tcp_syn_ack(client.conn, server);
            });
        });
    }

    /// Schedules the arrival of a handshake segment from host `from` at endpoint `to` one
    /// latency from now: `arrive` runs there, in order with the endpoint's other deliveries.
    fn tcp_segment_to(&mut self, from: usize, to: Peer, arrive: impl FnOnce(&mut Sim) + 'static) {
        let at = self
            .now_virtual()
            .saturating_add(self.tcp_delay(from, to.host));
        self.schedule_io(to.host, at, Lane::Tcp(TAG_CONN, to.conn), arrive);
    }

    /// The SYN-ACK reaches the client: connected (and the ACK goes), or, if the client gave
    /// up meanwhile, the server's half is reset.
    fn tcp_syn_ack(&mut self, id: u64, server: Peer) {
        let host = self.current_index();
        let connecting = self.host_mut(host).tcp.conns.get_mut(&id).and_then(|c| {
            (c.phase == Phase::Connecting).then(|| {
                c.phase = Phase::Open;
                c.peer = Some(server);
                c.timeout.take()
            })
        });
        let Some(timer) = connecting else {
            let msg = self.tcp_sent(Some(id), SegmentKind::Rst, server.host);
            self.tcp_transmit(host, server.host, id, move |sim| {
                sim.tcp_segment_to(host, server, move |sim| {
                    sim.tcp_arrived(&Msgs::one(msg));
                    sim.tcp_arrive(server.conn, None, Segment::Rst);
                });
            });
            return;
        };
        if let Some(t) = timer {
            let _ = self.cancel(t);
        }
        let msg = self.tcp_sent(Some(id), SegmentKind::Ack, server.host);
        self.tcp_transmit(host, server.host, id, move |sim| {
            sim.tcp_segment_to(host, server, move |sim| {
                sim.tcp_arrived(&Msgs::one(msg));
                sim.tcp_ack_arrives(server.conn);
            });
        });
        let p = self.config().tcp.late_connect;
        if p > 0.0 && self.draw_chance(Site::ConnectNotice, p) {
            // Noticed one round trip later (and a nanosecond, so that a reset sent at once
            // by the accepting side gets here first): see `TcpConfig::late_connect`.
            if let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) {
                c.notice_pending = true;
            }
            let lag = self.config().tcp.latency * 2 + Duration::from_nanos(1);
            let at = self.now_virtual().saturating_add(lag);
            self.schedule_io(host, at, Lane::Tcp(TAG_CONN, id), move |sim| {
                sim.tcp_notice_connected(id);
            });
            return;
        }
        self.tcp_notice_connected_now(id);
    }

    /// A late notice of connection `id`'s connect (see `TcpConfig::late_connect`): it is
    /// connected now, unless a reset ended it meanwhile; what arrived meanwhile follows.
    fn tcp_notice_connected(&mut self, id: u64) {
        let host = self.current_index();
        let pending = self
            .host_mut(host)
            .tcp
            .conns
            .get_mut(&id)
            .is_some_and(|c| std::mem::take(&mut c.notice_pending));
        if pending {
            self.tcp_notice_connected_now(id);
            self.tcp_drain(id);
        }
    }

    /// Connection `id` of the current host is connected: the trace line and `connected`.
    fn tcp_notice_connected_now(&mut self, id: u64) {
        let conn = ConnId::from_raw(id);
        self.record(TraceEvent::Tcp(TcpTrace::Connected { conn }));
        self.tcp_callback(id, |p, r| p.connected(r, conn));
    }

    /// The client's ACK reaches the server: the factory runs and accepts (the protocol sees
    /// `connected`, then any data that came with it) or refuses (the client sees FIN).
    fn tcp_ack_arrives(&mut self, id: u64) {
        let host = self.current_index();
        let tcp = &mut self.host_mut(host).tcp;
        let Some(c) = tcp.conns.get(&id) else {
            return;
        };
        let Phase::Accepting { listener } = c.phase else {
            return;
        };
        let (peer_addr, client) = (c.peer_addr, c.peer);
        let factory = tcp
            .listeners
            .get_mut(&listener)
            .and_then(|l| l.factory.take());
        let Some(mut factory) = factory else {
            // The listener stopped: connections still in its queue are reset.
            self.host_mut(host).tcp.conns.remove(&id);
            if let Some(client) = client {
                self.tcp_emit(client, id, Segment::Rst);
            }
            return;
        };
        let protocol = factory.accept(self, peer_addr);
        if let Some(l) = self.host_mut(host).tcp.listeners.get_mut(&listener) {
            if l.factory.is_none() {
                l.factory = Some(factory);
            }
        }
        let listener = ListenerId::from_raw(listener);
        let Some(protocol) = protocol else {
            self.record(TraceEvent::Tcp(TcpTrace::Refused {
                listener,
                peer: peer_addr,
            }));
            self.host_mut(host).tcp.conns.remove(&id);
            if let Some(client) = client {
                self.tcp_emit(client, id, Segment::Fin);
            }
            return;
        };
        let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) else {
            return;
        };
        c.protocol = Some(protocol);
        c.phase = Phase::Open;
        let conn = ConnId::from_raw(id);
        self.record(TraceEvent::Tcp(TcpTrace::Accepted {
            listener,
            conn,
            peer: peer_addr,
        }));
        self.tcp_callback(id, |p, r| p.connected(r, conn));
        self.tcp_drain(id);
    }
}
