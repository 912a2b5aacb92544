//! Building blocks of the TCP cases: a scriptable protocol that logs what it sees, a
//! factory from a closure, a byte pattern to check transfers against, and addresses that
//! drop SYNs on each reactor.

use std::cell::{Cell, RefCell};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{ConnId, ConnectError, Disconnect, Reactor, StreamFactory, StreamProtocol};

use crate::harness::Log;

/// 127.0.0.1, port 0.
pub const LOOPBACK: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
/// A connect timeout that never fires in these cases.
pub const NO_TIMEOUT: Duration = Duration::from_secs(60);

/// A hook on a connection event.
pub type Hook = Box<dyn FnMut(&mut dyn Reactor, ConnId)>;
/// A hook on data.
pub type DataHook = Box<dyn FnMut(&mut dyn Reactor, ConnId, &[u8])>;
/// A hook on a failed connect.
pub type FailHook = Box<dyn FnMut(&mut dyn Reactor, ConnId, ConnectError)>;
/// A hook on the end of a connection.
pub type EndHook = Box<dyn FnMut(&mut dyn Reactor, ConnId, Disconnect)>;

/// A protocol that logs `<name> <event>` for every callback but `data` (whose splits vary)
/// and runs the hooks it was given. Bytes received are kept in `received`.
pub struct Probe {
    name: &'static str,
    log: Log,
    /// Whether it accepts half-close.
    pub half_close: bool,
    /// Whether pause / resume notifications are logged.
    pub log_producing: bool,
    /// Every byte received, in order.
    pub received: Rc<RefCell<Vec<u8>>>,
    /// Runs on `connected`.
    pub on_connected: Option<Hook>,
    /// Runs on `data`.
    pub on_data: Option<DataHook>,
    /// Runs on `read_closed`.
    pub on_read_closed: Option<Hook>,
    /// Runs on `pause_producing`.
    pub on_pause: Option<Hook>,
    /// Runs on `resume_producing`.
    pub on_resume: Option<Hook>,
    /// Runs on `disconnected`.
    pub on_disconnected: Option<EndHook>,
    /// Runs on `connect_failed`.
    pub on_failed: Option<FailHook>,
}

impl Probe {
    /// A probe logging under `name`.
    pub fn new(name: &'static str, log: &Log) -> Self {
        Self {
            name,
            log: log.clone(),
            half_close: false,
            log_producing: true,
            received: Rc::default(),
            on_connected: None,
            on_data: None,
            on_read_closed: None,
            on_pause: None,
            on_resume: None,
            on_disconnected: None,
            on_failed: None,
        }
    }

    /// Sets the `connected` hook.
    pub fn connected(mut self, f: impl FnMut(&mut dyn Reactor, ConnId) + 'static) -> Self {
        self.on_connected = Some(Box::new(f));
        self
    }

    /// Sets the `data` hook.
    pub fn data(mut self, f: impl FnMut(&mut dyn Reactor, ConnId, &[u8]) + 'static) -> Self {
        self.on_data = Some(Box::new(f));
        self
    }

    /// Accepts half-close, with a `read_closed` hook.
    pub fn read_closed(mut self, f: impl FnMut(&mut dyn Reactor, ConnId) + 'static) -> Self {
        self.half_close = true;
        self.on_read_closed = Some(Box::new(f));
        self
    }

    /// Sets the `pause_producing` hook.
    pub fn paused(mut self, f: impl FnMut(&mut dyn Reactor, ConnId) + 'static) -> Self {
        self.on_pause = Some(Box::new(f));
        self
    }

    /// Sets the `resume_producing` hook.
    pub fn resumed(mut self, f: impl FnMut(&mut dyn Reactor, ConnId) + 'static) -> Self {
        self.on_resume = Some(Box::new(f));
        self
    }

    /// Sets the `disconnected` hook.
    pub fn ended(mut self, f: impl FnMut(&mut dyn Reactor, ConnId, Disconnect) + 'static) -> Self {
        self.on_disconnected = Some(Box::new(f));
        self
    }

    /// Sets the `connect_failed` hook.
    pub fn failed(
        mut self,
        f: impl FnMut(&mut dyn Reactor, ConnId, ConnectError) + 'static,
    ) -> Self {
        self.on_failed = Some(Box::new(f));
        self
    }

    /// Does not log pause / resume notifications (their number depends on buffer sizes).
    pub fn quiet_producing(mut self) -> Self {
        self.log_producing = false;
        self
    }

    /// Boxed.
    pub fn boxed(self) -> Box<dyn StreamProtocol> {
        Box::new(self)
    }

    fn note(&self, what: &str) {
        self.log.push(format!("{} {what}", self.name));
    }
}

impl StreamProtocol for Probe {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        self.note("connected");
        if let Some(f) = &mut self.on_connected {
            f(r, conn);
        }
    }

    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        assert!(!bytes.is_empty(), "data() with no bytes");
        self.received.borrow_mut().extend_from_slice(bytes);
        if let Some(f) = &mut self.on_data {
            f(r, conn, bytes);
        }
    }

    fn accepts_half_close(&self) -> bool {
        self.half_close
    }

    fn read_closed(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        self.note("read-closed");
        if let Some(f) = &mut self.on_read_closed {
            f(r, conn);
        }
    }

    fn pause_producing(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        if self.log_producing {
            self.note("pause-producing");
        }
        if let Some(f) = &mut self.on_pause {
            f(r, conn);
        }
    }

    fn resume_producing(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        if self.log_producing {
            self.note("resume-producing");
        }
        if let Some(f) = &mut self.on_resume {
            f(r, conn);
        }
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, conn: ConnId, reason: Disconnect) {
        self.note(&format!("disconnected {reason:?}"));
        if let Some(f) = &mut self.on_disconnected {
            f(r, conn, reason);
        }
    }

    fn connect_failed(&mut self, r: &mut dyn Reactor, conn: ConnId, error: ConnectError) {
        self.note(&format!("connect-failed {error:?}"));
        if let Some(f) = &mut self.on_failed {
            f(r, conn, error);
        }
    }
}

/// A factory from a closure.
pub struct Factory<F>(pub F);

impl<F> StreamFactory for Factory<F>
where
    F: FnMut(&mut dyn Reactor, SocketAddr) -> Option<Box<dyn StreamProtocol>>,
{
    fn accept(&mut self, r: &mut dyn Reactor, peer: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        (self.0)(r, peer)
    }
}

/// A boxed factory from a closure.
pub fn factory(
    f: impl FnMut(&mut dyn Reactor, SocketAddr) -> Option<Box<dyn StreamProtocol>> + 'static,
) -> Box<dyn StreamFactory> {
    Box::new(Factory(f))
}

/// A protocol that writes back whatever it receives, and when its own buffer is high stops
/// reading until it drains (so echoing a large stream keeps memory bounded).
pub struct Echo;

impl StreamProtocol for Echo {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        r.write(conn, bytes).expect("the echo connection is open");
    }

    fn pause_producing(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.pause_reading(conn).expect("open");
    }

    fn resume_producing(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.resume_reading(conn).expect("open");
    }

    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// A listener on 127.0.0.1 whose connections echo. Returns its address.
pub fn echo_server(r: &mut dyn Reactor) -> SocketAddr {
    let l = r
        .listen_tcp(LOOPBACK, factory(|_, _| Some(Box::new(Echo))))
        .expect("listen on loopback");
    r.listener_addr(l).expect("the listener exists")
}

/// The period of [`pattern`]: a prime, so chunk sizes never line up with it.
const PERIOD: usize = 65_521;

/// The byte at `offset` of an endless test stream.
fn pattern_byte(offset: usize) -> u8 {
    let x = (offset % PERIOD) as u64;
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8
}

/// The test stream's bytes `offset..offset + len` (`len` at most 64 KiB), sliced out of one
/// precomputed buffer, so writing and checking cost a `memcpy` / `memcmp` even in debug.
pub struct Pattern(Vec<u8>);

impl Pattern {
    /// The precomputed buffer.
    pub fn new() -> Self {
        Self((0..PERIOD + 64 * 1024).map(pattern_byte).collect())
    }

    /// The stream's bytes at `offset`, `len` of them (at most 64 KiB).
    pub fn at(&self, offset: usize, len: usize) -> &[u8] {
        let start = offset % PERIOD;
        &self.0[start..start + len]
    }

    /// Whether `bytes` are the stream's bytes at `offset`.
    pub fn matches(&self, offset: usize, bytes: &[u8]) -> bool {
        bytes
            .chunks(64 * 1024)
            .enumerate()
            .all(|(i, chunk)| self.at(offset + i * 64 * 1024, chunk.len()) == chunk)
    }
}

/// Counts bytes received and checks each against the pattern as it comes.
#[derive(Clone, Default)]
pub struct Tally {
    /// Bytes received so far.
    pub count: Rc<Cell<usize>>,
    /// Whether every byte so far matched.
    pub intact: Rc<Cell<bool>>,
}

impl Tally {
    /// A fresh tally (intact so far).
    pub fn new() -> Self {
        let t = Self::default();
        t.intact.set(true);
        t
    }

    /// Checks `bytes` as the next ones.
    pub fn add(&self, pattern: &Pattern, bytes: &[u8]) {
        if !pattern.matches(self.count.get(), bytes) {
            self.intact.set(false);
        }
        self.count.set(self.count.get() + bytes.len());
    }
}

/// An address whose SYNs are dropped, and what keeps it that way.
pub struct Blackhole {
    /// Connect here.
    pub addr: SocketAddr,
    _keep: Option<(TcpListener, Vec<TcpStream>)>,
}

/// The simulator's: an address that no simulated host has (10.0.0.0/8 beyond the hosts), so
/// the SYN goes nowhere. Nothing real is touched.
pub fn sim_blackhole() -> Blackhole {
    Blackhole {
        addr: "10.255.255.1:80".parse().expect("an address"),
        _keep: None,
    }
}

/// The real reactor's: a loopback listener (std's backlog, 128) that never accepts, with its
/// accept queue filled, so the kernel drops further SYNs. Nothing leaves this machine.
pub fn real_blackhole() -> Blackhole {
    let listener = TcpListener::bind(LOOPBACK).expect("bind a loopback listener");
    let addr = listener.local_addr().expect("its address");
    let mut filled = Vec::new();
    for _ in 0..1024 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            Ok(stream) => filled.push(stream),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
                ) =>
            {
                return Blackhole {
                    addr,
                    _keep: Some((listener, filled)),
                };
            }
            Err(e) => panic!("filling the accept queue of {addr}: {e}"),
        }
    }
    panic!("the accept queue of {addr} took 1024 connections and never dropped a SYN");
}
