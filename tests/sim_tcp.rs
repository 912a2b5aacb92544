//! Simulator-only TCP guarantees: seeded read splits, exact virtual times of the handshake
//! and of data, addressing between hosts, deterministic ephemeral ports, the fault knobs,
//! and a snapshot of a short connection's trace.
//!
//! To accept a deliberate change of the snapshot: `INSTA_UPDATE=always cargo test --test
//! sim_tcp`, then review the diff of `snapshots/tcp_*.snap`.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{
    ConnId, ConnectError, Disconnect, Reactor, ReactorExt, StreamFactory, StreamProtocol, Tcp,
    TcpError,
};
use twinreactor_sim::{Sim, SimConfig, TcpConfig};

/// What a [`Recorder`] saw, shared with the test.
type Seen = Rc<RefCell<Vec<String>>>;

/// Logs every callback with the virtual time, the sizes of reads, and the bytes received.
struct Recorder {
    name: &'static str,
    seen: Seen,
    bytes: Rc<RefCell<Vec<u8>>>,
    /// Written on `connected`.
    greeting: &'static [u8],
    /// Shut down writing right after the greeting.
    half_close_after_greeting: bool,
    /// Accepts half-close; on `read_closed` writes this, then closes.
    farewell: Option<&'static [u8]>,
    /// Closes once this many bytes came.
    close_after: Option<usize>,
    /// Stops the reactor at its end.
    stop_at_end: bool,
}

impl Recorder {
    fn new(name: &'static str, seen: &Seen) -> Self {
        Self {
            name,
            seen: seen.clone(),
            bytes: Rc::default(),
            greeting: b"",
            half_close_after_greeting: false,
            farewell: None,
            close_after: None,
            stop_at_end: false,
        }
    }

    fn note(&self, r: &dyn Reactor, what: String) {
        let t = r.now().as_micros();
        self.seen
            .borrow_mut()
            .push(format!("{t}us {} {what}", self.name));
    }
}

impl StreamProtocol for Recorder {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        let (local, peer) = (r.local_addr(conn).unwrap(), r.peer_addr(conn).unwrap());
        self.note(r, format!("connected {local} -> {peer}"));
        if !self.greeting.is_empty() {
            r.write(conn, self.greeting).unwrap();
        }
        if self.half_close_after_greeting {
            r.shutdown_write(conn).unwrap();
        }
    }

    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        self.note(r, format!("data {}", bytes.len()));
        self.bytes.borrow_mut().extend_from_slice(bytes);
        if self.close_after == Some(self.bytes.borrow().len()) {
            r.close(conn).unwrap();
        }
    }

    fn accepts_half_close(&self) -> bool {
        self.farewell.is_some()
    }

    fn read_closed(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        self.note(r, "read-closed".into());
        r.write(conn, self.farewell.unwrap_or_default()).unwrap();
        r.close(conn).unwrap();
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, reason: Disconnect) {
        self.note(r, format!("disconnected {reason:?}"));
        if self.stop_at_end {
            r.stop()
                .unwrap_or_else(|e| panic!("{e}: {:?}", self.seen.borrow()));
        }
    }

    fn connect_failed(&mut self, r: &mut dyn Reactor, _: ConnId, error: ConnectError) {
        self.note(r, format!("connect-failed {error:?}"));
        if self.stop_at_end {
            r.stop().unwrap();
        }
    }
}

/// A factory of recorders built by a closure.
struct Make<F>(F);

impl<F: FnMut() -> Recorder> StreamFactory for Make<F> {
    fn accept(&mut self, r: &mut dyn Reactor, peer: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        let t = r.now().as_micros();
        let rec = (self.0)();
        rec.seen
            .borrow_mut()
            .push(format!("{t}us factory sees {peer}"));
        Some(Box::new(rec))
    }
}

fn sim_with(seed: u64, tcp: TcpConfig) -> Sim {
    Sim::with_config(SimConfig {
        tcp,
        ..SimConfig::exact(seed)
    })
}

/// One KiB sent in one write arrives whole in content, but split at different points under
/// different seeds; with splitting off it arrives in one read.
#[test]
fn sim_tcp_reads_split_at_seeded_points() {
    fn splits(seed: u64, read_split: f64) -> Vec<usize> {
        let mut sim = sim_with(
            seed,
            TcpConfig {
                read_split,
                ..TcpConfig::default()
            },
        );
        let seen = Seen::default();
        let message: Vec<u8> = (0..1024u32).map(|i| (i * 7) as u8).collect();
        let s = seen.clone();
        let got = Rc::new(RefCell::new(Vec::new()));
        let g = got.clone();
        let l = sim
            .listen_tcp(
                "127.0.0.1:0".parse().unwrap(),
                Box::new(Make(move || {
                    let mut rec = Recorder::new("server", &s);
                    rec.bytes = g.clone();
                    rec.close_after = Some(1024);
                    rec
                })),
            )
            .unwrap();
        let addr = sim.listener_addr(l).unwrap();
        let mut client = Recorder::new("client", &seen);
        client.greeting = Box::leak(message.clone().into_boxed_slice());
        client.stop_at_end = true;
        sim.connect_tcp(addr, Box::new(client), Duration::from_secs(1))
            .unwrap();
        sim.run().unwrap();
        assert_eq!(*got.borrow(), message, "content and order are kept");
        // The trace marks each split read with what it left waiting.
        let trace = sim.trace().render();
        let mut left = 1024;
        for line in trace.lines().filter(|l| l.contains(" tcp data conn1 ")) {
            let len: usize = line
                .split(' ')
                .nth(5)
                .unwrap()
                .trim_end_matches('B')
                .parse()
                .unwrap();
            left -= len;
            if left > 0 {
                assert!(
                    line.ends_with(&format!("(split: {left}B still waiting)")),
                    "{line}"
                );
            } else {
                assert!(line.ends_with(&format!(" {len}B")), "{line}");
            }
        }
        let sizes: Vec<usize> = seen
            .borrow()
            .iter()
            .filter(|l| l.contains("server data"))
            .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
            .collect();
        sizes
    }
    let by_seed: Vec<Vec<usize>> = (1..=6).map(|seed| splits(seed, 0.25)).collect();
    assert!(
        by_seed.iter().any(|s| s.len() > 1),
        "some seed splits the read: {by_seed:?}"
    );
    assert!(
        by_seed.windows(2).any(|w| w[0] != w[1]),
        "different seeds split differently: {by_seed:?}"
    );
    assert_eq!(splits(1, 0.25), by_seed[0], "one seed, one split");
    assert_eq!(splits(1, 0.0), vec![1024]);
    // Every read split: each delivers a strict prefix, until one byte is left.
    let always = splits(1, 1.0);
    assert!(always.len() > 2, "{always:?}");
    assert_eq!(always.last(), Some(&1), "{always:?}");
    assert_eq!(always.iter().sum::<usize>(), 1024);
}

/// Each segment takes the configured latency: connected after a round trip, accepted after
/// one and a half, data one latency after it is written, FIN likewise.
#[test]
fn sim_tcp_handshake_data_and_fin_take_virtual_time() {
    let latency = Duration::from_millis(10);
    let mut sim = sim_with(
        9,
        TcpConfig {
            latency,
            read_split: 0.0,
            late_connect: 0.0,
            ..TcpConfig::default()
        },
    );
    let seen = Seen::default();
    let s = seen.clone();
    let l = sim
        .listen_tcp(
            "127.0.0.1:7".parse().unwrap(),
            Box::new(Make(move || {
                let mut rec = Recorder::new("server", &s);
                rec.farewell = Some(b"bye");
                rec
            })),
        )
        .unwrap();
    let addr = sim.listener_addr(l).unwrap();
    let mut client = Recorder::new("client", &seen);
    client.greeting = b"hi";
    client.half_close_after_greeting = true;
    client.stop_at_end = true;
    sim.connect_tcp(addr, Box::new(client), Duration::from_secs(1))
        .unwrap();
    sim.run().unwrap();
    assert_eq!(
        *seen.borrow(),
        [
            "20000us client connected 127.0.0.1:49152 -> 127.0.0.1:7",
            "30000us factory sees 127.0.0.1:49152",
            "30000us server connected 127.0.0.1:7 -> 127.0.0.1:49152",
            "30000us server data 2",
            "30000us server read-closed",
            "30000us server disconnected Done",
            "40000us client data 3",
            "40000us client disconnected Done",
        ]
    );
}

/// Two hosts: a connect to another host's 10.0.0.x address goes there; a listener on
/// 0.0.0.0 accepts it; 127.0.0.1 stays on the host that uses it (refused there); a
/// host that is not running never answers (the connect times out).
#[test]
fn sim_tcp_hosts_reach_each_other_by_address() {
    let mut sim = sim_with(5, TcpConfig::default());
    let server = sim.add_host();
    let silent = sim.add_host();
    let seen = Seen::default();
    let s = seen.clone();
    let listener = sim
        .with_host(server, |r| {
            r.listen_tcp(
                "0.0.0.0:80".parse().unwrap(),
                Box::new(Make(move || Recorder::new("server", &s))),
            )
        })
        .unwrap()
        .unwrap();
    sim.start(server).unwrap();
    assert_eq!(
        sim.with_host(server, |r| r.listener_addr(listener))
            .unwrap(),
        Ok("0.0.0.0:80".parse().unwrap())
    );
    let server_ip = sim.host_ip(server).unwrap();
    let silent_ip = sim.host_ip(silent).unwrap();
    assert_eq!(server_ip.to_string(), "10.0.0.2");
    let mut a = Recorder::new("a", &seen);
    a.greeting = b"x";
    sim.connect_tcp(
        SocketAddr::new(server_ip, 80),
        Box::new(a),
        Duration::from_secs(1),
    )
    .unwrap();
    sim.connect_tcp(
        "127.0.0.1:80".parse().unwrap(),
        Box::new(Recorder::new("b", &seen)),
        Duration::from_secs(1),
    )
    .unwrap();
    let mut c = Recorder::new("c", &seen);
    c.stop_at_end = true;
    sim.connect_tcp(
        SocketAddr::new(silent_ip, 80),
        Box::new(c),
        Duration::from_secs(1),
    )
    .unwrap();
    sim.run().unwrap();
    let seen = seen.borrow();
    let has = |line: &str| seen.iter().any(|l| l.ends_with(line));
    assert!(has("a connected 10.0.0.1:49152 -> 10.0.0.2:80"), "{seen:?}");
    assert!(has("factory sees 10.0.0.1:49152"), "{seen:?}");
    assert!(
        has("server connected 10.0.0.2:80 -> 10.0.0.1:49152"),
        "{seen:?}"
    );
    assert!(has("b connect-failed Refused"), "{seen:?}");
    assert!(
        seen.contains(&"1000000us c connect-failed TimedOut".to_owned()),
        "{seen:?}"
    );
    // The other host's view of its connection.
    let server_trace = sim.trace().render();
    assert!(server_trace.contains("h1 tcp accepted lis0 conn0 from 10.0.0.1:49152"));
}

/// The fault knobs: every SYN dropped (timeouts), every SYN refused, every data segment
/// resetting the connection (both sides see `Reset`).
#[test]
fn sim_tcp_fault_knobs_drop_refuse_and_reset() {
    fn outcome(tcp: TcpConfig) -> Vec<String> {
        let mut sim = sim_with(11, tcp);
        let seen = Seen::default();
        let s = seen.clone();
        let l = sim
            .listen_tcp(
                "127.0.0.1:0".parse().unwrap(),
                Box::new(Make(move || Recorder::new("server", &s))),
            )
            .unwrap();
        let addr = sim.listener_addr(l).unwrap();
        let mut client = Recorder::new("client", &seen);
        client.greeting = b"data";
        sim.connect_tcp(addr, Box::new(client), Duration::from_millis(30))
            .unwrap();
        sim.after(Duration::from_secs(1), |r| r.stop().unwrap());
        sim.run().unwrap();
        let lines = seen.borrow().clone();
        lines
    }
    let dropped = outcome(TcpConfig {
        syn_drop: 1.0,
        ..TcpConfig::default()
    });
    assert_eq!(dropped, ["30000us client connect-failed TimedOut"]);
    let refused = outcome(TcpConfig {
        refuse: 1.0,
        ..TcpConfig::default()
    });
    assert_eq!(refused, ["100us client connect-failed Refused"]);
    let reset = outcome(TcpConfig {
        reset: 1.0,
        ..TcpConfig::default()
    });
    assert_eq!(
        reset,
        [
            "100us client connected 127.0.0.1:49153 -> 127.0.0.1:49152",
            "100us client disconnected Reset",
            "150us factory sees 127.0.0.1:49153",
            "150us server connected 127.0.0.1:49152 -> 127.0.0.1:49153",
            "150us server disconnected Reset",
        ]
    );
}

/// Ephemeral ports are handed out in order from 49152, on each host, skipping ports in use.
#[test]
fn sim_tcp_ephemeral_ports_are_sequential() {
    let mut sim = Sim::new(1);
    let seen = Seen::default();
    let s = seen.clone();
    let l = sim
        .listen_tcp(
            "127.0.0.1:49153".parse().unwrap(),
            Box::new(Make(move || Recorder::new("server", &s))),
        )
        .unwrap();
    let addr = sim.listener_addr(l).unwrap();
    let ids: Vec<ConnId> = (0..3)
        .map(|_| {
            sim.connect_tcp(
                addr,
                Box::new(Recorder::new("c", &seen)),
                Duration::from_secs(1),
            )
            .unwrap()
        })
        .collect();
    let ports: Vec<u16> = ids
        .iter()
        .map(|&c| sim.local_addr(c).unwrap().port())
        .collect();
    assert_eq!(ports, [49152, 49154, 49155]);
    sim.after(Duration::from_millis(1), |r| r.stop().unwrap());
    sim.run().unwrap();
}

/// Every ephemeral port in use: the next connect is `Io(AddrNotAvailable)` at once and starts
/// nothing; once the connects have ended (refused), their ports serve again.
#[test]
fn sim_tcp_connect_with_every_ephemeral_port_in_use_is_addr_not_available() {
    let mut sim = Sim::new(1);
    let seen = Seen::default();
    let to: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let mut started = Vec::new();
    let refused = loop {
        let client = Box::new(Recorder::new("c", &seen));
        match sim.connect_tcp(to, client, Duration::from_secs(1)) {
            Ok(id) => started.push(id),
            Err(e) => break e,
        }
        assert!(
            started.len() <= 1 << 14,
            "more connects than ephemeral ports"
        );
    };
    assert_eq!(refused, TcpError::Io(std::io::ErrorKind::AddrNotAvailable));
    assert_eq!(started.len(), 65535 - 49152 + 1);
    // Nothing listens on port 9: the refusals end every connect, and free their ports.
    sim.after(Duration::from_millis(1), |r| r.crash().unwrap());
    sim.run().unwrap();
    let again = sim.connect_tcp(
        to,
        Box::new(Recorder::new("c", &seen)),
        Duration::from_secs(1),
    );
    assert!(again.is_ok(), "{again:?}");
}

/// A connection's trace: connect, exchange, half-close and close, with a fixed seed.
#[test]
fn sim_tcp_snapshot_connect_exchange_half_close_close() {
    let mut sim = Sim::with_config(SimConfig::exact(2024));
    let seen = Seen::default();
    let s = seen.clone();
    let l = sim
        .listen_tcp(
            "127.0.0.1:8080".parse().unwrap(),
            Box::new(Make(move || {
                let mut rec = Recorder::new("server", &s);
                rec.greeting = b"welcome";
                rec.farewell = Some(b"goodbye");
                rec
            })),
        )
        .unwrap();
    let addr = sim.listener_addr(l).unwrap();
    let mut client = Recorder::new("client", &seen);
    client.greeting = b"hello, server";
    client.half_close_after_greeting = true;
    client.stop_at_end = true;
    let got = client.bytes.clone();
    sim.connect_tcp(addr, Box::new(client), Duration::from_secs(1))
        .unwrap();
    sim.run().unwrap();
    assert_eq!(got.borrow().as_slice(), b"welcomegoodbye");
    twinreactor_sim::assert_trace_snapshot!("tcp_connect_exchange_half_close_close", sim.trace());
}

/// A server that aborts a connection inside `connected`: the client sees `connected` then
/// `Reset`, or (noticing its connect late, as a loopback OS reports it)
/// `connect_failed(Io(ConnectionReset))`. Both outcomes appear across seeds.
#[test]
fn sim_tcp_abort_at_accept_shows_both_outcomes_across_seeds() {
    use std::collections::BTreeSet;
    use twinreactor::{ConnId, ConnectError, Disconnect, StreamFactory, StreamProtocol};

    struct Abort;
    impl StreamProtocol for Abort {
        fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
            r.abort(conn).unwrap();
        }
        fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}
        fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
    }
    struct AbortAll;
    impl StreamFactory for AbortAll {
        fn accept(
            &mut self,
            _: &mut dyn Reactor,
            _: SocketAddr,
        ) -> Option<Box<dyn StreamProtocol>> {
            Some(Box::new(Abort))
        }
    }
    struct Client(Rc<RefCell<Vec<String>>>);
    impl StreamProtocol for Client {
        fn connected(&mut self, _: &mut dyn Reactor, _: ConnId) {
            self.0.borrow_mut().push("connected".into());
        }
        fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}
        fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, why: Disconnect) {
            self.0.borrow_mut().push(format!("disconnected {why:?}"));
            r.stop().unwrap();
        }
        fn connect_failed(&mut self, r: &mut dyn Reactor, _: ConnId, e: ConnectError) {
            self.0.borrow_mut().push(format!("connect-failed {e:?}"));
            r.stop().unwrap();
        }
    }

    let mut outcomes = BTreeSet::new();
    for seed in 0..40 {
        let mut sim = sim_with(
            seed,
            TcpConfig {
                late_connect: 0.25,
                ..TcpConfig::default()
            },
        );
        let l = sim
            .listen_tcp("127.0.0.1:7".parse().unwrap(), Box::new(AbortAll))
            .unwrap();
        let addr = sim.listener_addr(l).unwrap();
        let seen = Rc::new(RefCell::new(Vec::new()));
        sim.connect_tcp(addr, Box::new(Client(seen.clone())), Duration::from_secs(1))
            .unwrap();
        sim.run().unwrap();
        outcomes.insert(seen.borrow().join(", "));
    }
    assert_eq!(
        outcomes.into_iter().collect::<Vec<_>>(),
        [
            "connect-failed Io(ConnectionReset)",
            "connected, disconnected Reset",
        ]
    );
}

/// TCP jitter (`TcpConfig::jitter`): a segment sent a millisecond after another, on another
/// connection, sometimes arrives first; without jitter, never. Each connection's bytes stay
/// in order (the property tests echo whole streams under jitter).
#[test]
fn sim_tcp_jitter_lets_connections_overtake_each_other() {
    use twinreactor::{ConnId, Disconnect, StreamFactory, StreamProtocol};

    struct Log(Rc<RefCell<String>>);
    impl StreamProtocol for Log {
        fn data(&mut self, _: &mut dyn Reactor, _: ConnId, bytes: &[u8]) {
            self.0
                .borrow_mut()
                .push_str(&String::from_utf8_lossy(bytes));
        }
        fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
    }
    struct Logs(Rc<RefCell<String>>);
    impl StreamFactory for Logs {
        fn accept(
            &mut self,
            _: &mut dyn Reactor,
            _: SocketAddr,
        ) -> Option<Box<dyn StreamProtocol>> {
            Some(Box::new(Log(self.0.clone())))
        }
    }
    struct Send(&'static [u8], Duration);
    impl StreamProtocol for Send {
        fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
            let bytes = self.0;
            r.after(self.1, move |r| {
                r.write(conn, bytes).unwrap();
            });
        }
        fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}
        fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
    }
    let orders = |jitter: Duration| {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..30 {
            let mut sim = sim_with(
                seed,
                TcpConfig {
                    jitter,
                    late_connect: 0.0,
                    ..TcpConfig::default()
                },
            );
            let got = Rc::new(RefCell::new(String::new()));
            let l = sim
                .listen_tcp("127.0.0.1:7".parse().unwrap(), Box::new(Logs(got.clone())))
                .unwrap();
            let addr = sim.listener_addr(l).unwrap();
            // Both connections are up long before the writes: 10 ms and 11 ms after connect.
            for (bytes, after) in [(b"a", 10), (b"b", 11)] {
                let send = Send(bytes, Duration::from_millis(after));
                sim.connect_tcp(addr, Box::new(send), Duration::from_secs(1))
                    .unwrap();
            }
            sim.after(Duration::from_secs(1), |r| r.stop().unwrap());
            sim.run().unwrap();
            seen.insert(got.borrow().clone());
        }
        seen.into_iter().collect::<Vec<_>>()
    };
    assert_eq!(orders(Duration::ZERO), ["ab"]);
    assert_eq!(orders(Duration::from_millis(5)), ["ab", "ba"]);
}

/// With a link bandwidth, a mebibyte takes about a second at a mebibyte a second; without
/// one it takes a few latencies.
#[test]
fn sim_tcp_bandwidth_makes_a_large_transfer_take_time() {
    use std::num::NonZeroU64;
    use twinreactor::{ConnId, Disconnect, StreamFactory, StreamProtocol};

    const SIZE: usize = 1 << 20;
    struct Sink(Rc<RefCell<usize>>);
    impl StreamProtocol for Sink {
        fn data(&mut self, r: &mut dyn Reactor, _: ConnId, bytes: &[u8]) {
            *self.0.borrow_mut() += bytes.len();
            if *self.0.borrow() == SIZE {
                r.stop().unwrap();
            }
        }
        fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
    }
    struct Sinks(Rc<RefCell<usize>>);
    impl StreamFactory for Sinks {
        fn accept(
            &mut self,
            _: &mut dyn Reactor,
            _: SocketAddr,
        ) -> Option<Box<dyn StreamProtocol>> {
            Some(Box::new(Sink(self.0.clone())))
        }
    }
    struct Source;
    impl StreamProtocol for Source {
        fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
            r.write(conn, &vec![7u8; SIZE]).unwrap();
        }
        fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}
        fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
    }
    let took = |bandwidth: Option<NonZeroU64>| {
        let mut sim = sim_with(
            1,
            TcpConfig {
                bandwidth,
                ..TcpConfig::default()
            },
        );
        let got = Rc::new(RefCell::new(0));
        let l = sim
            .listen_tcp("127.0.0.1:7".parse().unwrap(), Box::new(Sinks(got.clone())))
            .unwrap();
        let addr = sim.listener_addr(l).unwrap();
        sim.connect_tcp(addr, Box::new(Source), Duration::from_secs(1))
            .unwrap();
        sim.run().unwrap();
        sim.now()
    };
    assert!(took(None) < Duration::from_millis(50), "{:?}", took(None));
    let slow = took(NonZeroU64::new(1 << 20));
    assert!(
        slow >= Duration::from_secs(1) && slow < Duration::from_millis(1100),
        "{slow:?}"
    );
}
