//! The bug zoo: protocol bugs of the kinds that lean on one reactor's accidents, each with a
//! correct twin. Every scenario takes the simulation's settings (from `SimConfig::new` or
//! `SimConfig::swarm`) and whether to plant the bug, and fails with an error that says what
//! went wrong. `tests/bug_zoo.rs` checks that the twins pass and the bugs are found;
//! `cargo run --release --example bug_zoo` prints how fast each is found and how small its
//! minimal failing run is.

use std::cell::{Cell, RefCell};
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::prelude::*;
use twinreactor::{
    ConnId, ConnectError, DatagramProtocol, Disconnect, ExitStatus, Pipe, ProcessId,
    ProcessProtocol, ProcessSpec, SocketId, StreamFactory, StreamProtocol, UdpOptions,
};
use twinreactor_sim::{HostId, Program, ProgramCx, Sim, SimConfig};

/// One planted bug: its name, what it leans on, and its scenario.
pub struct Bug {
    /// A short name.
    pub name: &'static str,
    /// The accident the buggy code leans on.
    pub leans_on: &'static str,
    /// Runs the scenario with these settings, buggy or correct.
    pub run: fn(SimConfig, bool) -> Result<(), String>,
}

/// Every bug of the zoo.
pub const BUGS: [Bug; 9] = [
    Bug {
        name: "first-read-is-whole",
        leans_on: "a read holds the whole answer",
        run: first_read_is_whole,
    },
    Bug {
        name: "no-connect-retry",
        leans_on: "a SYN is never lost",
        run: no_connect_retry,
    },
    Bug {
        name: "duplicate-counted-twice",
        leans_on: "a datagram arrives once",
        run: duplicate_counted_twice,
    },
    Bug {
        name: "late-reply-matched",
        leans_on: "a reply comes before the retry",
        run: late_reply_matched,
    },
    Bug {
        name: "output-lost-at-exit",
        leans_on: "output arrives before the exit",
        run: output_lost_at_exit,
    },
    Bug {
        name: "accept-order",
        leans_on: "connections are accepted in connect order",
        run: accept_order,
    },
    Bug {
        name: "reconnect-storm",
        leans_on: "the server is up at once",
        run: reconnect_storm,
    },
    Bug {
        name: "multicast-self",
        leans_on: "a member never hears itself",
        run: multicast_self,
    },
    Bug {
        name: "lease-on-remote-clock",
        leans_on: "every host's clock reads the same",
        run: lease_on_remote_clock,
    },
];

/// 127.0.0.1 on `port`.
fn local(port: u16) -> SocketAddr {
    SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)
}

/// Settings for a scenario: `config`, with a virtual time limit that ends a stuck run.
fn sim(config: SimConfig) -> Sim {
    Sim::with_config(SimConfig {
        time_limit: Duration::from_secs(600),
        ..config
    })
}

/// Writes back what it reads.
struct Echo;

impl StreamProtocol for Echo {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        r.write(conn, bytes).ok();
    }
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// An echo server on 127.0.0.1:7.
fn listen_echo(r: &mut dyn Reactor) -> Result<(), twinreactor::TcpError> {
    let echo = Accept(|| Box::new(Echo) as Box<dyn StreamProtocol>);
    r.listen_tcp(local(7), Box::new(echo)).map(drop)
}

/// Accepts with a protocol made by the closure.
struct Accept<F>(F);

impl<F: FnMut() -> Box<dyn StreamProtocol>> StreamFactory for Accept<F> {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some((self.0)())
    }
}

/// What a TCP client heard and how it ended.
#[derive(Default)]
struct Heard {
    bytes: Vec<u8>,
    end: Option<String>,
    connects: u32,
}

type Shared = Rc<RefCell<Heard>>;

/// Sends `hello`; closes once it believes the echo is complete (buggy: after one read).
struct Greeter(Shared, bool);

impl StreamProtocol for Greeter {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.write(conn, b"hello, world").ok();
    }
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        let mut h = self.0.borrow_mut();
        h.bytes.extend_from_slice(bytes);
        if self.1 || h.bytes.len() == 12 {
            r.close(conn).ok();
        }
    }
    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, why: Disconnect) {
        self.0.borrow_mut().end = Some(format!("{why:?}"));
        r.stop().ok();
    }
    fn connect_failed(&mut self, r: &mut dyn Reactor, _: ConnId, e: ConnectError) {
        self.0.borrow_mut().end = Some(format!("failed {e:?}"));
        r.stop().ok();
    }
}

/// An echo client that takes its first read for the whole answer.
fn first_read_is_whole(config: SimConfig, buggy: bool) -> Result<(), String> {
    let mut sim = sim(config);
    listen_echo(&mut sim).map_err(|e| e.to_string())?;
    let heard = Shared::default();
    sim.connect_tcp(
        local(7),
        Box::new(Greeter(heard.clone(), buggy)),
        Duration::from_secs(30),
    )
    .map_err(|e| e.to_string())?;
    sim.run().map_err(|e| e.to_string())?;
    let h = heard.borrow();
    match h.end.as_deref() {
        Some("Done") if h.bytes != b"hello, world" => Err(format!(
            "closed cleanly with {:?}",
            String::from_utf8_lossy(&h.bytes)
        )),
        _ => Ok(()),
    }
}

/// Connects until the echo is whole; retries a failed connect, each time waiting twice as
/// long for an answer (buggy: never retries).
struct Persistent {
    heard: Shared,
    buggy: bool,
    timeout: Duration,
}

impl Persistent {
    fn connect(r: &mut dyn Reactor, heard: Shared, buggy: bool, timeout: Duration) {
        heard.borrow_mut().connects += 1;
        let me = Box::new(Persistent {
            heard,
            buggy,
            timeout,
        });
        r.connect_tcp(local(7), me, timeout).ok();
    }
}

impl StreamProtocol for Persistent {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.write(conn, b"ping").ok();
    }
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        let mut h = self.heard.borrow_mut();
        h.bytes.extend_from_slice(bytes);
        if h.bytes.len() >= 4 {
            h.end = Some("answered".into());
            r.close(conn).ok();
            r.stop().ok();
        }
    }
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
    fn connect_failed(&mut self, r: &mut dyn Reactor, _: ConnId, _: ConnectError) {
        if !self.buggy {
            let (heard, buggy) = (self.heard.clone(), self.buggy);
            let timeout = (self.timeout * 2).min(Duration::from_secs(10));
            r.after(Duration::from_millis(10), move |r| {
                Persistent::connect(r, heard, buggy, timeout)
            });
        }
    }
}

/// A client that gives up after one failed connect: a lost SYN or a refusal leaves it
/// without an answer.
fn no_connect_retry(config: SimConfig, buggy: bool) -> Result<(), String> {
    let mut sim = sim(config);
    listen_echo(&mut sim).map_err(|e| e.to_string())?;
    let heard = Shared::default();
    let h = heard.clone();
    sim.after(Duration::ZERO, move |r| {
        Persistent::connect(r, h, buggy, Duration::from_millis(200))
    });
    // The answer is needed within a minute of virtual time.
    sim.after(Duration::from_secs(60), |r| {
        r.stop().ok();
    });
    sim.run().map_err(|e| e.to_string())?;
    let h = heard.borrow();
    if h.end.as_deref() == Some("answered") {
        Ok(())
    } else {
        Err(format!(
            "no answer within a minute after {} connect(s)",
            h.connects
        ))
    }
}

/// Counts datagrams (buggy: every copy; correct: each sequence number once).
struct Counter {
    seen: Rc<RefCell<Vec<u8>>>,
    buggy: bool,
}

impl DatagramProtocol for Counter {
    fn datagram(&mut self, _: &mut dyn Reactor, _: SocketId, data: &[u8], _: SocketAddr) {
        let mut seen = self.seen.borrow_mut();
        if self.buggy || !seen.contains(&data[0]) {
            seen.push(data[0]);
        }
    }
}

/// Does nothing with what it hears.
struct Deaf;

impl DatagramProtocol for Deaf {
    fn datagram(&mut self, _: &mut dyn Reactor, _: SocketId, _: &[u8], _: SocketAddr) {}
}

/// A receiver that counts a duplicated datagram twice.
fn duplicate_counted_twice(config: SimConfig, buggy: bool) -> Result<(), String> {
    let mut sim = sim(config);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let counter = Counter {
        seen: seen.clone(),
        buggy,
    };
    let rx = sim
        .bind_udp(local(9), Box::new(counter), UdpOptions::default())
        .map_err(|e| e.to_string())?;
    let _ = rx;
    let tx = sim
        .bind_udp(local(0), Box::new(Deaf), UdpOptions::default())
        .map_err(|e| e.to_string())?;
    for n in 0..5u8 {
        sim.after(Duration::from_millis(u64::from(n) * 10), move |r| {
            r.send_to(tx, &[n], local(9)).ok();
        });
    }
    sim.after(Duration::from_secs(10), |r| {
        r.stop().ok();
    });
    sim.run().map_err(|e| e.to_string())?;
    let count = seen.borrow().len();
    if count > 5 {
        Err(format!("counted {count} of 5 datagrams"))
    } else {
        Ok(())
    }
}

/// Answers each request with its number.
struct Answer;

impl DatagramProtocol for Answer {
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        r.send_to(socket, data, from).ok();
    }
}

/// The question being asked, and each (question, answer) the asker accepted.
type Questions = Rc<RefCell<(u8, Vec<(u8, u8)>)>>;

/// Asks question after question, one at a time, retrying on a 100 ms timeout with a new
/// number; accepts an answer (buggy: any answer; correct: one that names the question).
struct Asker {
    state: Questions,
    buggy: bool,
}

fn ask(r: &mut dyn Reactor, socket: SocketId, state: Questions) {
    let n = {
        let mut s = state.borrow_mut();
        s.0 += 1;
        s.0
    };
    if n > 8 {
        r.stop().ok();
        return;
    }
    r.send_to(socket, &[n], local(9)).ok();
    r.after(Duration::from_millis(100), move |r| {
        if state.borrow().0 == n {
            ask(r, socket, state);
        }
    });
}

impl DatagramProtocol for Asker {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        ask(r, socket, self.state.clone());
    }
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], _: SocketAddr) {
        let asked = self.state.borrow().0;
        if self.buggy || data[0] == asked {
            self.state.borrow_mut().1.push((asked, data[0]));
            ask(r, socket, self.state.clone());
        }
    }
}

/// A client that matches a late answer to the question it asked after it.
fn late_reply_matched(config: SimConfig, buggy: bool) -> Result<(), String> {
    let mut sim = sim(config);
    sim.bind_udp(local(9), Box::new(Answer), UdpOptions::default())
        .map_err(|e| e.to_string())?;
    let state = Rc::new(RefCell::new((0, Vec::new())));
    let asker = Asker {
        state: state.clone(),
        buggy,
    };
    sim.bind_udp(local(0), Box::new(asker), UdpOptions::default())
        .map_err(|e| e.to_string())?;
    sim.run().map_err(|e| e.to_string())?;
    let matched = &state.borrow().1;
    match matched.iter().find(|(asked, got)| asked != got) {
        Some((asked, got)) => Err(format!("took the answer to {got} for question {asked}")),
        None => Ok(()),
    }
}

/// A child that prints a line and exits at once.
struct Print;

impl Program for Print {
    fn start(&mut self, cx: &mut ProgramCx<'_>) {
        cx.write_stdout(b"result: 42\n");
        cx.exit(0);
    }
}

/// Collects a child's output; stops at `exited` (buggy) or at `ended` (correct).
struct Collect {
    out: Rc<RefCell<Vec<u8>>>,
    buggy: bool,
}

impl ProcessProtocol for Collect {
    fn stdout(&mut self, _: &mut dyn Reactor, _: ProcessId, data: &[u8]) {
        self.out.borrow_mut().extend_from_slice(data);
    }
    fn pipe_closed(&mut self, _: &mut dyn Reactor, _: ProcessId, _: Pipe) {}
    fn exited(&mut self, r: &mut dyn Reactor, _: ProcessId, _: ExitStatus) {
        if self.buggy {
            r.stop().ok();
        }
    }
    fn ended(&mut self, r: &mut dyn Reactor, _: ProcessId, _: ExitStatus) {
        r.stop().ok();
    }
}

/// A parent that takes `exited` for the end of the child's output.
fn output_lost_at_exit(config: SimConfig, buggy: bool) -> Result<(), String> {
    let process = config
        .process
        .clone()
        .with_program("print", || Box::new(Print));
    let mut sim = sim(SimConfig { process, ..config });
    let out = Rc::new(RefCell::new(Vec::new()));
    let collect = Collect {
        out: out.clone(),
        buggy,
    };
    sim.spawn_process(ProcessSpec::new("print"), Box::new(collect))
        .map_err(|e| e.to_string())?;
    sim.run().map_err(|e| e.to_string())?;
    let out = out.borrow();
    if out.as_slice() == b"result: 42\n" {
        Ok(())
    } else {
        Err(format!("collected {:?}", String::from_utf8_lossy(&out)))
    }
}

/// Names each accepted connection by its order (buggy) or by what the client says
/// (correct), and writes the name back.
struct Namer {
    accepted: Rc<Cell<u8>>,
    buggy: bool,
}

impl StreamProtocol for Namer {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        if self.buggy {
            let n = self.accepted.get();
            self.accepted.set(n + 1);
            r.write(conn, &[b'A' + n]).ok();
        }
    }
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        if !self.buggy {
            r.write(conn, &bytes[..1]).ok();
        }
    }
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// Says who it is and checks the name it gets back.
struct Named {
    me: u8,
    wrong: Rc<RefCell<Vec<String>>>,
    done: Rc<Cell<u8>>,
}

impl StreamProtocol for Named {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.write(conn, &[self.me]).ok();
    }
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        if bytes[0] != self.me {
            let (me, got) = (self.me as char, bytes[0] as char);
            self.wrong
                .borrow_mut()
                .push(format!("{me} was named {got}"));
        }
        r.close(conn).ok();
    }
    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, _: Disconnect) {
        self.done.set(self.done.get() + 1);
        if self.done.get() == 2 {
            r.stop().ok();
        }
    }
    fn connect_failed(&mut self, r: &mut dyn Reactor, c: ConnId, _: ConnectError) {
        self.disconnected(r, c, Disconnect::Done);
    }
}

/// A server that takes the first connection it accepts for the first client that
/// connected.
fn accept_order(config: SimConfig, buggy: bool) -> Result<(), String> {
    let mut sim = sim(config);
    let accepted = Rc::new(Cell::new(0));
    sim.listen_tcp(
        local(7),
        Box::new(Accept(move || {
            Box::new(Namer {
                accepted: accepted.clone(),
                buggy,
            }) as Box<dyn StreamProtocol>
        })),
    )
    .map_err(|e| e.to_string())?;
    let (wrong, done) = (Rc::new(RefCell::new(Vec::new())), Rc::new(Cell::new(0)));
    for me in [b'A', b'B'] {
        let client = Named {
            me,
            wrong: wrong.clone(),
            done: done.clone(),
        };
        sim.connect_tcp(local(7), Box::new(client), Duration::from_secs(30))
            .map_err(|e| e.to_string())?;
    }
    sim.run().map_err(|e| e.to_string())?;
    let wrong = wrong.borrow();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join(", "))
    }
}

/// More connects in a row than this is a storm.
const STORM: u32 = 100;

/// Reconnects to a server that is not up yet: at once (buggy) or with a doubling backoff.
struct Reconnect {
    tries: Rc<Cell<u32>>,
    backoff: Option<Duration>,
}

fn reconnect(r: &mut dyn Reactor, tries: Rc<Cell<u32>>, backoff: Option<Duration>) {
    tries.set(tries.get() + 1);
    let me = Box::new(Reconnect { tries, backoff });
    r.connect_tcp(local(7), me, Duration::from_secs(5)).ok();
}

impl StreamProtocol for Reconnect {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.close(conn).ok();
        r.stop().ok();
    }
    fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
    fn connect_failed(&mut self, r: &mut dyn Reactor, _: ConnId, _: ConnectError) {
        let tries = self.tries.clone();
        if tries.get() > STORM {
            // A storm already: no need to watch the rest of it.
            r.stop().ok();
            return;
        }
        match self.backoff {
            None => reconnect(r, tries, None),
            Some(delay) => {
                let next = Some((delay * 2).min(Duration::from_secs(1)));
                r.after(delay, move |r| reconnect(r, tries, next));
            }
        }
    }
}

/// A client that hammers a server that comes up after a second.
fn reconnect_storm(config: SimConfig, buggy: bool) -> Result<(), String> {
    let mut sim = sim(config);
    sim.after(Duration::from_secs(1), |r| {
        listen_echo(r).ok();
    });
    let tries = Rc::new(Cell::new(0));
    let backoff = (!buggy).then_some(Duration::from_millis(10));
    let t = tries.clone();
    sim.after(Duration::ZERO, move |r| reconnect(r, t, backoff));
    sim.after(Duration::from_secs(120), |r| {
        r.stop().ok();
    });
    sim.run().map_err(|e| e.to_string())?;
    match tries.get() {
        n if n > STORM => Err(format!("more than {STORM} connects in a row")),
        _ => Ok(()),
    }
}

/// Counts the members it hears from (buggy: itself too).
struct Member {
    me: Rc<Cell<Option<SocketAddr>>>,
    heard: Rc<RefCell<Vec<SocketAddr>>>,
    buggy: bool,
}

impl DatagramProtocol for Member {
    fn datagram(&mut self, _: &mut dyn Reactor, _: SocketId, _: &[u8], from: SocketAddr) {
        let mine = self.me.get() == Some(from);
        if (self.buggy || !mine) && !self.heard.borrow().contains(&from) {
            self.heard.borrow_mut().push(from);
        }
    }
}

/// A member of a multicast group that counts itself among its peers (loopback is on by
/// default: a member hears its own datagrams).
fn multicast_self(config: SimConfig, buggy: bool) -> Result<(), String> {
    let mut sim = sim(config);
    let group = Ipv4Addr::new(239, 1, 2, 3);
    let host_ip = Ipv4Addr::new(10, 0, 0, 1);
    let (me, heard) = (Rc::new(Cell::new(None)), Rc::new(RefCell::new(Vec::new())));
    let member = Member {
        me: me.clone(),
        heard: heard.clone(),
        buggy,
    };
    let options = UdpOptions {
        reuse_address: true,
        ..UdpOptions::default()
    };
    let any = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 5000);
    let socket = sim
        .bind_udp(any, Box::new(member), options)
        .map_err(|e| e.to_string())?;
    sim.join_multicast(socket, group, host_ip)
        .map_err(|e| e.to_string())?;
    me.set(Some(SocketAddr::new(host_ip.into(), 5000)));
    sim.send_to(socket, b"hello", SocketAddr::new(group.into(), 5000))
        .map_err(|e| e.to_string())?;
    sim.after(Duration::from_secs(1), |r| {
        r.stop().ok();
    });
    sim.run().map_err(|e| e.to_string())?;
    let peers = heard.borrow().len();
    if peers == 0 {
        Ok(())
    } else {
        Err(format!("alone in the group, it counted {peers} peer(s)"))
    }
}

/// How long the lease server grants its lease for, on its own clock.
const LEASE: Duration = Duration::from_secs(1);

/// Who holds the lease, in the order the holders began and stopped (callbacks run in the
/// simulation's time order, so this is the order on one true clock).
type Holders = Rc<RefCell<Vec<(char, bool)>>>;

/// Grants one lease at a time, for [`LEASE`] on its clock, to each connection that asks,
/// in the order they asked. The grant says when the lease ends: as the server's clock reads
/// then (buggy), or as a length (correct).
struct LeaseServer {
    holder: bool,
    waiting: std::collections::VecDeque<ConnId>,
    buggy: bool,
}

type Server = Rc<RefCell<LeaseServer>>;

/// Grants the lease to the next connection waiting, if the lease is free.
fn grant_next(r: &mut dyn Reactor, server: Server) {
    let (conn, buggy) = {
        let mut s = server.borrow_mut();
        if s.holder {
            return;
        }
        let Some(conn) = s.waiting.pop_front() else {
            return;
        };
        s.holder = true;
        (conn, s.buggy)
    };
    let until = if buggy { r.now() + LEASE } else { LEASE };
    let nanos = u64::try_from(until.as_nanos()).unwrap_or(u64::MAX);
    r.write(conn, &nanos.to_be_bytes()).ok();
    r.after(LEASE, move |r| {
        server.borrow_mut().holder = false;
        grant_next(r, server);
    });
}

/// The server's end of one connection: any byte asks for the lease.
struct LeaseConn(Server, bool);

impl StreamProtocol for LeaseConn {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, _: &[u8]) {
        if !std::mem::replace(&mut self.1, true) {
            self.0.borrow_mut().waiting.push_back(conn);
            grant_next(r, self.0.clone());
        }
    }
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// A client that asks for the lease, holds it until it believes it ends, and lets go.
struct LeaseClient {
    name: char,
    asked: Duration,
    grant: Vec<u8>,
    holders: Holders,
    buggy: bool,
}

impl StreamProtocol for LeaseClient {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        self.asked = r.now();
        r.write(conn, b"?").ok();
    }
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        self.grant.extend_from_slice(bytes);
        let Ok(grant) = <[u8; 8]>::try_from(self.grant.as_slice()) else {
            return;
        };
        let grant = Duration::from_nanos(u64::from_be_bytes(grant));
        // Correct: a length, measured on this host's clock from before the request, less a
        // margin for the two clocks' drift (at most 10% each).
        let until = if self.buggy {
            grant
        } else {
            self.asked + grant * 4 / 5
        };
        let (name, holders) = (self.name, self.holders.clone());
        holders.borrow_mut().push((name, true));
        r.after(until.saturating_sub(r.now()), move |r| {
            holders.borrow_mut().push((name, false));
            r.close(conn).ok();
        });
    }
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// Two clients on one host take turns holding a lease from a server on another host. The
/// buggy client takes the server's word for when the lease ends, as the server's clock
/// reads it, and compares that with its own clock: it holds on past the end when the
/// server's clock runs ahead of its own.
fn lease_on_remote_clock(config: SimConfig, buggy: bool) -> Result<(), String> {
    let mut sim = sim(config);
    let (server_host, client_host) = (HostId::FIRST, sim.add_host());
    let server = Rc::new(RefCell::new(LeaseServer {
        holder: false,
        waiting: Default::default(),
        buggy,
    }));
    let addr = SocketAddr::new(Ipv4Addr::new(10, 0, 0, 1).into(), 9);
    let listen = sim.with_host(server_host, |r| {
        let accept = Accept(move || Box::new(LeaseConn(server.clone(), false)) as _);
        r.listen_tcp(addr, Box::new(accept)).map(drop)
    });
    listen
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let holders: Holders = Rc::default();
    for (name, at) in [('A', Duration::ZERO), ('B', Duration::from_millis(10))] {
        let holders = holders.clone();
        sim.with_host(client_host, move |r| {
            r.after(at, move |r| {
                let client = LeaseClient {
                    name,
                    asked: Duration::ZERO,
                    grant: Vec::new(),
                    holders,
                    buggy,
                };
                r.connect_tcp(addr, Box::new(client), Duration::from_secs(5))
                    .ok();
            });
        })
        .map_err(|e| e.to_string())?;
    }
    for host in [server_host, client_host] {
        sim.start(host).map_err(|e| e.to_string())?;
    }
    sim.run_until_idle().map_err(|e| e.to_string())?;
    let mut holding = Vec::new();
    for &(name, begins) in holders.borrow().iter() {
        if begins {
            if let Some(other) = holding.first() {
                return Err(format!("{name} got the lease while {other} still held it"));
            }
            holding.push(name);
        } else {
            holding.retain(|n| *n != name);
        }
    }
    Ok(())
}
