//! Support shared by the multi-host simulator tests (`sim_partitions.rs`,
//! `sim_host_crash.rs`): two started hosts, and TCP ends that record what they see.
//! Each test file uses a part of it.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{
    ConnId, ConnectError, DatagramProtocol, Disconnect, Reactor, SocketId, StreamFactory,
    StreamProtocol, UdpOptions,
};
use twinreactor_sim::{HostId, Sim, SimConfig, TcpConfig, UdpConfig};

/// A UDP port every test socket binds.
pub const PORT: u16 = 7000;

/// A TCP port the servers listen on.
pub const TCP_PORT: u16 = 8000;

/// h0's address on the virtual network.
pub const H0: [u8; 4] = [10, 0, 0, 1];

/// h1's address on the virtual network.
pub const H1: [u8; 4] = [10, 0, 0, 2];

/// `ip:port` on the virtual network.
pub fn addr(ip: [u8; 4], port: u16) -> SocketAddr {
    SocketAddr::new(Ipv4Addr::from(ip).into(), port)
}

/// A simulation with two started hosts and these TCP settings (no read splitting, so that
/// reads are easy to reason about; latency 1 ms).
pub fn two_hosts(seed: u64, tcp: TcpConfig) -> (Sim, HostId, HostId) {
    let mut sim = Sim::with_config(SimConfig {
        tcp: TcpConfig {
            latency: Duration::from_millis(1),
            read_split: 0.0,
            ..tcp
        },
        udp: UdpConfig {
            latency: Duration::from_millis(1),
            ..UdpConfig::default()
        },
        ..SimConfig::exact(seed)
    });
    let h0 = HostId::FIRST;
    let h1 = sim.add_host();
    sim.start(h0).expect("start h0");
    sim.start(h1).expect("start h1");
    (sim, h0, h1)
}

/// TCP settings with this give-up time.
pub fn give_up(after: Duration) -> TcpConfig {
    TcpConfig {
        give_up: Some(after),
        ..TcpConfig::default()
    }
}

/// The trace lines of host `host` (by its `h<n>` column).
pub fn lines_of(trace: &str, host: &str) -> Vec<String> {
    trace
        .lines()
        .filter(|l| l.split(' ').nth(1) == Some(host))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------
// TCP

/// What one TCP end saw: its events with the virtual time in ms, the bytes it read, and
/// whether its protocol was dropped.
#[derive(Default)]
pub struct Seen {
    pub events: RefCell<Vec<String>>,
    pub bytes: RefCell<Vec<u8>>,
    pub conn: Cell<Option<ConnId>>,
    pub dropped: Cell<bool>,
}

impl Seen {
    pub fn note(&self, r: &dyn Reactor, what: String) {
        let t = r.now().as_millis();
        self.events.borrow_mut().push(format!("{t}ms {what}"));
    }

    pub fn events(&self) -> Vec<String> {
        self.events.borrow().clone()
    }

    pub fn conn(&self) -> ConnId {
        self.conn.get().expect("connected")
    }
}

/// Records what happens to it, and its own drop.
pub struct Recorder(pub Rc<Seen>);

impl StreamProtocol for Recorder {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        self.0.conn.set(Some(conn));
        self.0.note(r, "connected".into());
    }

    fn data(&mut self, r: &mut dyn Reactor, _: ConnId, bytes: &[u8]) {
        if self.0.bytes.borrow().is_empty() {
            self.0.note(r, "first data".into());
        }
        self.0.bytes.borrow_mut().extend_from_slice(bytes);
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, reason: Disconnect) {
        self.0.note(r, format!("disconnected {reason:?}"));
    }

    fn connect_failed(&mut self, r: &mut dyn Reactor, _: ConnId, error: ConnectError) {
        self.0.note(r, format!("connect-failed {error:?}"));
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.0.dropped.set(true);
    }
}

/// Accepts every connection with a [`Recorder`] sharing one [`Seen`].
pub struct Accept(pub Rc<Seen>);

impl StreamFactory for Accept {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(Recorder(self.0.clone())))
    }
}

/// `host` listens on `0.0.0.0:port`; returns what its connections see and the bound port.
pub fn listen(sim: &mut Sim, host: HostId, port: u16) -> (Rc<Seen>, u16) {
    let server = Rc::new(Seen::default());
    let factory = Box::new(Accept(server.clone()));
    let bound = sim
        .with_host(host, |r| {
            let l = r.listen_tcp(addr([0, 0, 0, 0], port), factory)?;
            r.listener_addr(l)
        })
        .expect("a host")
        .expect("listen");
    (server, bound.port())
}

/// `host` connects to `to` with `timeout`; returns what the client sees.
pub fn connect(sim: &mut Sim, host: HostId, to: SocketAddr, timeout: Duration) -> Rc<Seen> {
    let client = Rc::new(Seen::default());
    let protocol = Box::new(Recorder(client.clone()));
    sim.with_host(host, |r| r.connect_tcp(to, protocol, timeout))
        .expect("a host")
        .expect("connect");
    client
}

/// h1 listens on `TCP_PORT`, h0 connects to it; runs until both ends are connected.
pub fn established(sim: &mut Sim, h0: HostId, h1: HostId) -> (Rc<Seen>, Rc<Seen>) {
    let (server, _) = listen(sim, h1, TCP_PORT);
    let client = connect(sim, h0, addr(H1, TCP_PORT), Duration::from_secs(1));
    let deadline = sim.now() + Duration::from_secs(1);
    let both = sim
        .run_until(
            |_| client.conn.get().is_some() && server.conn.get().is_some(),
            deadline,
        )
        .expect("run");
    assert!(both, "{:?} {:?}", client.events(), server.events());
    (client, server)
}

/// Writes `bytes` to `seen`'s connection on `host`.
pub fn write(sim: &mut Sim, host: HostId, seen: &Seen, bytes: &[u8]) {
    let conn = seen.conn();
    sim.with_host(host, |r| r.write(conn, bytes))
        .expect("a host")
        .expect("write");
}

/// Two started hosts on a faulty network, for determinism runs: UDP with 2 ms jitter and
/// 20% loss, TCP with its default read splitting and a 100 ms give-up.
pub fn faulty_two_hosts(seed: u64) -> (Sim, HostId, HostId) {
    let mut sim = Sim::with_config(SimConfig {
        udp: UdpConfig {
            jitter: Duration::from_millis(2),
            loss: 0.2,
            ..UdpConfig::default()
        },
        tcp: TcpConfig {
            give_up: Some(Duration::from_millis(100)),
            ..TcpConfig::default()
        },
        ..SimConfig::exact(seed)
    });
    let h0 = HostId::FIRST;
    let h1 = sim.add_host();
    sim.start(h0).expect("start h0");
    sim.start(h1).expect("start h1");
    (sim, h0, h1)
}

// ---------------------------------------------------------------------------------------
// UDP

/// What a socket heard: each datagram's text, with the virtual time in ms.
pub type Heard = Rc<RefCell<Vec<(u128, String)>>>;

/// Keeps every datagram it hears.
pub struct Ear(pub Heard);

impl DatagramProtocol for Ear {
    fn datagram(&mut self, r: &mut dyn Reactor, _: SocketId, data: &[u8], _: SocketAddr) {
        let text = String::from_utf8_lossy(data).into_owned();
        self.0.borrow_mut().push((r.now().as_millis(), text));
    }
}

/// Binds a socket on `host` at `0.0.0.0:PORT` that keeps what it hears.
pub fn udp_socket(sim: &mut Sim, host: HostId) -> (SocketId, Heard) {
    let heard = Heard::default();
    let ear = Box::new(Ear(heard.clone()));
    let socket = sim
        .with_host(host, |r| {
            r.bind_udp(addr([0, 0, 0, 0], PORT), ear, UdpOptions::default())
        })
        .expect("a host")
        .expect("bind");
    (socket, heard)
}

/// Sends `text` from `socket` of `host` to `to`.
pub fn udp_send(sim: &mut Sim, host: HostId, socket: SocketId, text: &str, to: SocketAddr) {
    sim.with_host(host, |r| r.send_to(socket, text.as_bytes(), to))
        .expect("a host")
        .expect("send");
}

/// The texts heard.
pub fn texts(heard: &Heard) -> Vec<String> {
    heard.borrow().iter().map(|(_, t)| t.clone()).collect()
}
