//! A QUIC echo (quinn-proto, a sans-I/O QUIC stack) driven by any reactor: one client opens a
//! bidirectional stream, sends `size` bytes and closes its side; the server writes back what
//! it reads and closes its side when the client's is done; the client checks every byte.
//!
//! What quinn-proto needs from the reactor is what sans-I/O libraries need in general:
//! `Instant`s ([`ReactorExt::instant`]), a timer at each deadline it asks for
//! ([`ReactorExt::at_owned`]), randomness that a seed determines ([`ReactorExt::fill_random`]
//! seeds its RNG), and a place for its state that timers and datagrams reach without shared
//! pointers ([`ReactorExt::own`]). Shared by `examples/quic_echo.rs` and `tests/quic_echo.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use quinn_proto::{
    ClientConfig, Connection, ConnectionHandle, DatagramEvent, Dir, Endpoint, EndpointConfig,
    Event, ServerConfig, StreamEvent, StreamId, TransportConfig,
};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use twinreactor::{DatagramProtocol, Owned, Reactor, ReactorExt, SocketId, TimerId, UdpOptions};

/// How long an echo may take before it is declared stuck (reactor time).
const GIVE_UP: Duration = Duration::from_secs(120);

/// The TLS side: a self-signed Ed25519 certificate for "localhost", trusted by the client.
/// Ed25519 signatures have one length, so handshake datagrams have the same sizes in every
/// run (TLS's own randomness changes their bytes only).
pub struct Tls {
    server: Arc<ServerConfig>,
    roots: Arc<rustls::RootCertStore>,
}

impl Tls {
    /// A fresh certificate and the configurations that use it.
    pub fn new() -> Result<Tls, Box<dyn std::error::Error>> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
        let cert = rcgen::CertificateParams::new(vec!["localhost".into()])?.self_signed(&key)?;
        let cert: CertificateDer<'static> = cert.der().clone();
        let key = PrivatePkcs8KeyDer::from(key.serialize_der());
        let mut server = ServerConfig::with_single_cert(vec![cert.clone()], key.into())?;
        server.transport_config(transport());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert)?;
        Ok(Tls {
            server: Arc::new(server),
            roots: Arc::new(roots),
        })
    }

    /// A client configuration of its own for each echo: a shared one would keep the TLS
    /// session tickets of earlier echoes and resume them, so a run would depend on the runs
    /// before it.
    fn client(&self) -> Result<ClientConfig, String> {
        let mut client =
            ClientConfig::with_root_certificates(self.roots.clone()).map_err(|e| e.to_string())?;
        client.transport_config(transport());
        Ok(client)
    }
}

/// Transport settings: no path-MTU probing (the simulator's datagrams have no MTU).
fn transport() -> Arc<TransportConfig> {
    let mut t = TransportConfig::default();
    t.mtu_discovery_config(None);
    Arc::new(t)
}

/// What one echo did.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Bytes echoed back and checked.
    pub bytes: usize,
    /// Reactor time from the client's first datagram to the last echoed byte.
    pub took: Duration,
    /// Datagrams the client sent.
    pub client_datagrams: u64,
    /// Packets the client's QUIC stack counted as lost.
    pub client_lost_packets: u64,
    /// Datagrams the server sent.
    pub server_datagrams: u64,
    /// Packets the server's QUIC stack counted as lost.
    pub server_lost_packets: u64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "echoed {} B in {:?}; client sent {} datagrams ({} packets lost), server sent {} ({} lost)",
            self.bytes,
            self.took,
            self.client_datagrams,
            self.client_lost_packets,
            self.server_datagrams,
            self.server_lost_packets
        )
    }
}

/// Byte `i` of the payload.
fn payload_byte(i: u64) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 7) as u8
}

/// One end's stream state.
#[derive(Default)]
struct Echo {
    stream: Option<StreamId>,
    /// Bytes to write next (the server: what it read; the client: the payload from `sent`).
    pending: Vec<u8>,
    /// The client: payload bytes written so far.
    sent: usize,
    /// Bytes read so far.
    received: usize,
    /// The peer finished its side and everything was read.
    peer_done: bool,
    finished: bool,
}

/// One connection and the timer armed at its deadline.
struct Conn {
    conn: Connection,
    timer: Option<(TimerId, Duration)>,
    echo: Echo,
}

/// One QUIC endpoint, kept by the reactor: its socket and its timers reach it by its
/// [`Owned`] handle, which its methods take as `me`.
pub struct Node {
    endpoint: Endpoint,
    socket: Option<SocketId>,
    /// Keyed by handle, so that connections are driven in one order in every run.
    conns: BTreeMap<usize, Conn>,
    /// The client: the payload size; `None` for the server.
    size: Option<usize>,
    started: Duration,
    outcome: Option<Result<Duration, String>>,
    stats: Option<(u64, u64)>,
    buf: Vec<u8>,
}

impl Node {
    /// An endpoint whose RNG is seeded from the reactor, kept by it.
    fn own(
        r: &mut dyn Reactor,
        server: Option<Arc<ServerConfig>>,
        size: Option<usize>,
    ) -> Owned<Node> {
        let mut seed = [0u8; 32];
        r.fill_random(&mut seed);
        let mut config = EndpointConfig::default();
        config.rng_seed(Some(seed));
        let node = Node {
            endpoint: Endpoint::new(Arc::new(config), server, false, None),
            socket: None,
            conns: BTreeMap::new(),
            size,
            started: r.now(),
            outcome: None,
            stats: None,
            buf: Vec::new(),
        };
        r.own(node)
    }

    /// The client: connects to `server` and arms the give-up timer.
    fn connect(
        &mut self,
        r: &mut dyn Reactor,
        me: Owned<Node>,
        tls: ClientConfig,
        server: SocketAddr,
    ) {
        self.started = r.now();
        let deadline = r.now() + GIVE_UP;
        r.at_owned(deadline, me, |node: &mut Node, r| {
            node.finish(r, Err(format!("no echo after {GIVE_UP:?}")));
        });
        match self.endpoint.connect(r.instant(), tls, server, "localhost") {
            Ok((handle, conn)) => {
                self.conns.insert(
                    handle.0,
                    Conn {
                        conn,
                        timer: None,
                        echo: Echo::default(),
                    },
                );
                self.drive(r, me, handle);
            }
            Err(e) => self.finish(r, Err(format!("connect: {e}"))),
        }
    }

    /// A datagram arrived.
    fn datagram(&mut self, r: &mut dyn Reactor, me: Owned<Node>, data: &[u8], from: SocketAddr) {
        let now = r.instant();
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let event = self
            .endpoint
            .handle(now, from, None, None, BytesMut::from(data), &mut buf);
        match event {
            Some(DatagramEvent::ConnectionEvent(handle, event)) => {
                if let Some(c) = self.conns.get_mut(&handle.0) {
                    c.conn.handle_event(event);
                    self.drive(r, me, handle);
                }
            }
            Some(DatagramEvent::NewConnection(incoming)) => {
                buf.clear();
                match self.endpoint.accept(incoming, now, &mut buf, None) {
                    Ok((handle, conn)) => {
                        self.conns.insert(
                            handle.0,
                            Conn {
                                conn,
                                timer: None,
                                echo: Echo::default(),
                            },
                        );
                        self.drive(r, me, handle);
                    }
                    Err(e) => {
                        if let Some(t) = e.response {
                            self.send(r, &buf[..t.size], t.destination);
                        }
                    }
                }
            }
            Some(DatagramEvent::Response(t)) => self.send(r, &buf[..t.size], t.destination),
            None => {}
        }
        self.buf = buf;
    }

    /// Sends one datagram; a refused send is a lost datagram to QUIC.
    fn send(&self, r: &mut dyn Reactor, data: &[u8], to: SocketAddr) {
        if let Some(socket) = self.socket {
            let _ = r.send_to(socket, data, to);
        }
    }

    /// The connection's timer fired.
    fn timeout(&mut self, r: &mut dyn Reactor, me: Owned<Node>, handle: ConnectionHandle) {
        if let Some(c) = self.conns.get_mut(&handle.0) {
            c.timer = None;
            c.conn.handle_timeout(r.instant());
            self.drive(r, me, handle);
        }
    }

    /// Runs the connection until it has nothing more to do now: endpoint events, application
    /// events, datagrams to send; then arms its timer at the deadline it asks for.
    fn drive(&mut self, r: &mut dyn Reactor, me: Owned<Node>, handle: ConnectionHandle) {
        let Some(mut c) = self.conns.remove(&handle.0) else {
            return;
        };
        let mut buf = std::mem::take(&mut self.buf);
        loop {
            while let Some(event) = c.conn.poll_endpoint_events() {
                if let Some(event) = self.endpoint.handle_event(handle, event) {
                    c.conn.handle_event(event);
                }
            }
            let mut busy = false;
            while let Some(event) = c.conn.poll() {
                busy = true;
                self.app_event(r, &mut c, event);
            }
            self.pump(r, &mut c);
            let now = r.instant();
            loop {
                buf.clear();
                let Some(t) = c.conn.poll_transmit(now, 1, &mut buf) else {
                    break;
                };
                busy = true;
                self.send(r, &buf[..t.size], t.destination);
            }
            if !busy {
                break;
            }
        }
        self.buf = buf;
        let stats = c.conn.stats();
        self.stats = Some((stats.udp_tx.datagrams, stats.path.lost_packets));
        if c.conn.is_drained() {
            if let Some((timer, _)) = c.timer.take() {
                let _ = r.cancel(timer);
            }
            return;
        }
        let wanted = c.conn.poll_timeout().map(|at| r.since_epoch(at));
        if c.timer.map(|(_, at)| at) != wanted {
            if let Some((timer, _)) = c.timer.take() {
                let _ = r.cancel(timer);
            }
            if let Some(at) = wanted {
                let timer = r.at_owned(at, me, move |node: &mut Node, r| {
                    node.timeout(r, me, handle)
                });
                c.timer = Some((timer, at));
            }
        }
        self.conns.insert(handle.0, c);
    }

    /// Reacts to one application event.
    fn app_event(&mut self, r: &mut dyn Reactor, c: &mut Conn, event: Event) {
        match event {
            Event::Connected => {
                if let Some(size) = self.size {
                    c.echo.stream = c.conn.streams().open(Dir::Bi);
                    c.echo.pending = (0..size as u64).map(payload_byte).collect();
                }
            }
            Event::Stream(StreamEvent::Opened { dir: Dir::Bi }) if c.echo.stream.is_none() => {
                c.echo.stream = c.conn.streams().accept(Dir::Bi);
            }
            Event::ConnectionLost { reason } if self.size.is_some() => {
                self.finish(r, Err(format!("connection lost: {reason}")));
            }
            _ => {}
        }
    }

    /// Reads what arrived and writes what is pending, on the echo stream.
    fn pump(&mut self, r: &mut dyn Reactor, c: &mut Conn) {
        let Some(id) = c.echo.stream else {
            return;
        };
        let client = self.size.is_some();
        if !c.echo.peer_done {
            if let Ok(mut chunks) = c.conn.recv_stream(id).read(true) {
                loop {
                    match chunks.next(usize::MAX) {
                        Ok(Some(chunk)) => {
                            if client {
                                let at = chunk.offset;
                                let right = chunk
                                    .bytes
                                    .iter()
                                    .enumerate()
                                    .all(|(i, &b)| b == payload_byte(at + i as u64));
                                if !right {
                                    self.finish(r, Err(format!("wrong bytes at offset {at}")));
                                }
                            } else {
                                c.echo.pending.extend_from_slice(&chunk.bytes);
                            }
                            c.echo.received += chunk.bytes.len();
                        }
                        Ok(None) => {
                            c.echo.peer_done = true;
                            break;
                        }
                        Err(_) => break,
                    }
                }
                let _ = chunks.finalize();
            }
        }
        let mut stream = c.conn.send_stream(id);
        while !c.echo.pending.is_empty() {
            match stream.write(&c.echo.pending) {
                Ok(n) => {
                    c.echo.pending.drain(..n);
                    c.echo.sent += n;
                }
                Err(_) => break,
            }
        }
        let all_written = c.echo.pending.is_empty() && (client || c.echo.peer_done);
        if all_written && !c.echo.finished {
            c.echo.finished = stream.finish().is_ok();
        }
        if client && c.echo.peer_done && self.outcome.is_none() {
            let size = self.size.unwrap_or_default();
            let result = if c.echo.received == size {
                Ok(r.now() - self.started)
            } else {
                Err(format!("echoed {} of {size} bytes", c.echo.received))
            };
            c.conn
                .close(r.instant(), 0u32.into(), bytes::Bytes::from_static(b"done"));
            self.finish(r, result);
        }
    }

    /// The client's end: records the outcome and stops the reactor.
    fn finish(&mut self, r: &mut dyn Reactor, outcome: Result<Duration, String>) {
        if self.outcome.is_none() {
            self.outcome = Some(outcome);
            let _ = r.stop();
        }
    }
}

/// The UDP side of a node: every datagram goes to the node.
struct Socket {
    node: Owned<Node>,
    /// The client: the server to connect to once the socket is up.
    connect: Option<(ClientConfig, SocketAddr)>,
}

impl DatagramProtocol for Socket {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        let me = self.node;
        let connect = self.connect.take();
        let _ = r.with_owned(me, |node, r| {
            node.socket = Some(socket);
            if let Some((tls, server)) = connect {
                node.connect(r, me, tls, server);
            }
        });
    }

    fn datagram(&mut self, r: &mut dyn Reactor, _socket: SocketId, data: &[u8], from: SocketAddr) {
        let me = self.node;
        let _ = r.with_owned(me, |node, r| node.datagram(r, me, data, from));
    }
}

/// Runs one echo of `size` bytes on `r` (a fresh reactor): a server and a client on
/// 127.0.0.1, then `run()`, then what the client saw.
pub fn run_echo(r: &mut dyn Reactor, tls: &Tls, size: usize) -> Result<Report, String> {
    let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let server = Node::own(r, Some(tls.server.clone()), None);
    let server_socket = r
        .bind_udp(
            lo,
            Box::new(Socket {
                node: server,
                connect: None,
            }),
            UdpOptions::default(),
        )
        .map_err(|e| format!("bind the server: {e}"))?;
    let server_at = r.udp_local_addr(server_socket).map_err(|e| e.to_string())?;
    let client = Node::own(r, None, Some(size));
    let socket = Socket {
        node: client,
        connect: Some((tls.client()?, server_at)),
    };
    r.bind_udp(lo, Box::new(socket), UdpOptions::default())
        .map_err(|e| format!("bind the client: {e}"))?;
    r.run().map_err(|e| format!("run: {e}"))?;
    let client = r.disown(client).map_err(|e| e.to_string())?;
    let server = r.disown(server).map_err(|e| e.to_string())?;
    let took = client
        .outcome
        .unwrap_or(Err("the reactor stopped first".into()))?;
    let (client_datagrams, client_lost_packets) = client.stats.unwrap_or_default();
    let (server_datagrams, server_lost_packets) = server.stats.unwrap_or_default();
    Ok(Report {
        bytes: size,
        took,
        client_datagrams,
        client_lost_packets,
        server_datagrams,
        server_lost_packets,
    })
}
