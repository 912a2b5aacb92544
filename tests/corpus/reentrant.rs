//! Every kind of I/O callback may call the reactor: timers, triggers and events, completions,
//! `stop()`, and more I/O, from UDP `started`/`datagram`, TCP `connected`/`data`/
//! `disconnected` and a child's `stdout`/`exited`/`ended`. The model test (`tests/model/`)
//! does this at random; these cases pin one plain path per callback kind.

use std::net::SocketAddr;

use twinreactor::{
    ConnId, DatagramProtocol, Disconnect, ExitStatus, Phase, ProcessId, ProcessProtocol, Reactor,
    ReactorExt, SocketId, StreamFactory, StreamProtocol, UdpOptions, SHUTDOWN, STARTUP,
};

use crate::harness::{Backend, Log, HOUR};
use crate::process::helper_spec;

const LOOPBACK: &str = "127.0.0.1:0";

/// Adds a trigger on `event` that logs `entry`, then fires `event`.
fn fire_logged(r: &mut dyn Reactor, log: &Log, event: &str, entry: &str) {
    r.on_event(Phase::Before, event, log.note(entry));
    r.fire_system_event(event).expect("not firing");
}

/// The index of `entry` in `entries`.
fn at(entries: &[String], entry: &str) -> usize {
    let i = entries.iter().position(|e| e == entry);
    i.unwrap_or_else(|| panic!("{entry:?} is missing from {entries:?}"))
}

/// Sends to itself from `started`; stops from `datagram`.
struct Pinger(Log);

impl DatagramProtocol for Pinger {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        self.0.push("started");
        fire_logged(r, &self.0, "from-started", "trigger from started");
        r.after(HOUR, self.0.note("never"));
        let me = r.udp_local_addr(socket).expect("bound");
        r.send_to(socket, b"ping", me).expect("send to itself");
    }
    fn datagram(&mut self, r: &mut dyn Reactor, _: SocketId, data: &[u8], _: SocketAddr) {
        self.0
            .push(format!("datagram {}", String::from_utf8_lossy(data)));
        let far = r.pending_timers();
        for t in far {
            r.cancel(t).expect("pending");
        }
        fire_logged(r, &self.0, "from-datagram", "trigger from datagram");
        r.stop().expect("running");
    }
    fn stopped(&mut self, r: &mut dyn Reactor, _: SocketId) {
        self.0.push(format!("stopped, running {}", r.is_running()));
    }
}

/// UDP `started` and `datagram` fire events, schedule and cancel timers, send and stop.
pub fn reentrant_udp_callbacks_call_the_reactor(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        let addr = LOOPBACK.parse().unwrap();
        r.bind_udp(addr, Box::new(Pinger(l)), UdpOptions::default())
            .expect("bind on loopback");
    });
    r.run().expect("run");
    log.assert(&[
        "started",
        "trigger from started",
        "datagram ping",
        "trigger from datagram",
        "stopped, running true",
    ]);
    assert!(r.pending_timers().is_empty());
}

/// The client: writes from `connected`, stops from `data`, logs its end.
struct Client(Log);

impl StreamProtocol for Client {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        self.0.push("client connected");
        fire_logged(r, &self.0, "from-connected", "trigger from connected");
        r.write(conn, b"ping").expect("connected");
    }
    fn data(&mut self, r: &mut dyn Reactor, _: ConnId, bytes: &[u8]) {
        self.0
            .push(format!("client data {}", String::from_utf8_lossy(bytes)));
        r.on_event(
            Phase::Before,
            SHUTDOWN,
            self.0.note("shutdown trigger from data"),
        );
        r.stop().expect("running");
    }
    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, reason: Disconnect) {
        let c = r.new_completion();
        r.complete(c).expect("open");
        self.0
            .push(format!("client {reason:?}, running {}", r.is_running()));
    }
}

/// The server: answers from `data`, with a timer and a completion of its own.
struct Server(Log);

impl StreamFactory for Server {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(Server(self.0.clone())))
    }
}

impl StreamProtocol for Server {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        let c = r.new_completion();
        r.on_event_wait(Phase::Before, "from-data", move |_| Some(c));
        r.on_event(
            Phase::During,
            "from-data",
            self.0.note("server event released"),
        );
        r.fire_system_event("from-data").expect("not firing");
        r.complete(c).expect("open");
        r.write(conn, bytes).expect("open");
    }
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// TCP `connected`, `data` and `disconnected` fire events, complete completions, write and
/// stop.
pub fn reentrant_tcp_callbacks_call_the_reactor(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        let addr = LOOPBACK.parse().unwrap();
        let lis = r.listen_tcp(addr, Box::new(Server(l.clone())));
        let to = r.listener_addr(lis.expect("listen")).expect("listening");
        r.connect_tcp(to, Box::new(Client(l)), HOUR)
            .expect("connect on loopback");
    });
    r.run().expect("run");
    log.assert(&[
        "client connected",
        "trigger from connected",
        "server event released",
        "client data ping",
        "shutdown trigger from data",
        "client Shutdown, running true",
    ]);
}

/// A child whose callbacks fire events, schedule timers and stop.
struct Child(Log);

impl ProcessProtocol for Child {
    fn stdout(&mut self, r: &mut dyn Reactor, _: ProcessId, _: &[u8]) {
        if !self.0.entries().iter().any(|e| e == "stdout") {
            self.0.push("stdout");
            r.after(HOUR, self.0.note("never"));
        }
    }
    fn exited(&mut self, r: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.0.push(format!("exited {status:?}"));
        fire_logged(r, &self.0, "from-exited", "trigger from exited");
    }
    fn ended(&mut self, r: &mut dyn Reactor, _: ProcessId, _: ExitStatus) {
        self.0.push("ended");
        r.stop().expect("running");
    }
}

/// A child's `stdout`, `exited` and `ended` schedule timers, fire events and stop.
pub fn reentrant_child_callbacks_call_the_reactor(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        r.spawn_process(helper_spec("both", &[b"out", b""]), Box::new(Child(l)))
            .expect("spawn the helper");
    });
    r.run().expect("run");
    let entries = log.entries();
    assert_eq!(entries.last().map(String::as_str), Some("ended"));
    let exited = at(&entries, "exited Code(0)");
    assert_eq!(at(&entries, "trigger from exited"), exited + 1);
    at(&entries, "stdout");
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert_eq!(r.pending_timers().len(), 1, "the far timer from stdout");
}
