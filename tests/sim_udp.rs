//! Simulator-only UDP guarantees: the fault knobs (loss, duplication, reordering through
//! jitter), determinism under faults, several hosts (routing, multicast TTL, loopback and
//! interface, broadcast, refusals across hosts), deterministic ephemeral ports, and a
//! snapshot of a three-host multicast exchange.
//!
//! The shared corpus (`tests/corpus/udp.rs`) holds what both reactors guarantee.
//!
//! To accept a deliberate change of the snapshot: `INSTA_UPDATE=always cargo test --test
//! sim_udp`, then review the diff of `snapshots/udp_*.snap`.

use std::cell::{Cell, RefCell};
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{DatagramProtocol, Reactor, SocketId, Udp, UdpError, UdpOptions};
use twinreactor_sim::{HostId, Sim, SimConfig, UdpConfig};

/// The seed of these tests (`TWINREACTOR_SEED` overrides it; the tolerances below then
/// still hold, except with a vanishing probability).
const SEED: u64 = 0x5eed_0000_0000_0d9a;

/// A multicast group for these tests.
const GROUP: Ipv4Addr = Ipv4Addr::new(239, 255, 7, 7);

/// What a socket heard: each datagram with its source.
type Heard = Rc<RefCell<Vec<(Vec<u8>, SocketAddr)>>>;

/// How an [`Ear`] answers a datagram.
type Answer = Box<dyn FnMut(&mut dyn Reactor, SocketId, &[u8], SocketAddr)>;

/// A protocol that keeps what it hears, counts refusals, and may answer each datagram.
struct Ear {
    heard: Heard,
    refused: Rc<Cell<usize>>,
    answer: Option<Answer>,
}

impl DatagramProtocol for Ear {
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        self.heard.borrow_mut().push((data.to_vec(), from));
        if let Some(answer) = &mut self.answer {
            answer(r, socket, data, from);
        }
    }

    fn refused(&mut self, _r: &mut dyn Reactor, _socket: SocketId) {
        self.refused.set(self.refused.get() + 1);
    }
}

/// A fresh [`Ear`] and what it will hear.
fn ear() -> (Box<Ear>, Heard) {
    let heard = Heard::default();
    let ear = Box::new(Ear {
        heard: heard.clone(),
        refused: Rc::default(),
        answer: None,
    });
    (ear, heard)
}

/// A one-host simulation with these UDP settings.
fn sim_with(udp: UdpConfig) -> Sim {
    Sim::with_config(SimConfig {
        udp,
        ..SimConfig::new(SEED)
    })
}

/// `addr` with another port.
fn at(ip: Ipv4Addr, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

/// Sends `n` datagrams numbered 0 to n-1 (4 bytes, big-endian) from one socket to another
/// on the first host, all at once, runs until nothing is left, and returns the numbers
/// received, in arrival order.
fn blast(sim: &mut Sim, n: u32) -> Vec<u32> {
    let (rx, heard) = ear();
    let rx = sim
        .bind_udp(at(Ipv4Addr::LOCALHOST, 0), rx, UdpOptions::default())
        .expect("bind");
    let to = sim.udp_local_addr(rx).expect("open");
    let (tx, _) = ear();
    let tx = sim
        .bind_udp(at(Ipv4Addr::LOCALHOST, 0), tx, UdpOptions::default())
        .expect("bind");
    for i in 0..n {
        sim.send_to(tx, &i.to_be_bytes(), to).expect("send");
    }
    sim.start(HostId::FIRST).expect("start");
    sim.run_until_idle().expect("run");
    let numbers = heard
        .borrow()
        .iter()
        .map(|(d, _)| u32::from_be_bytes(d[..4].try_into().expect("4 bytes")))
        .collect();
    numbers
}

/// With loss 0.5, about half of 2,000 datagrams arrive: within ±100 (4.5 standard
/// deviations of the binomial), none twice, in order.
#[test]
fn udp_loss_half_about_half_arrive() {
    let mut sim = sim_with(UdpConfig {
        loss: 0.5,
        ..UdpConfig::default()
    });
    let got = blast(&mut sim, 2000);
    assert!(
        (900..=1100).contains(&got.len()),
        "{} of 2,000 arrived with loss 0.5",
        got.len()
    );
    assert!(got.windows(2).all(|w| w[0] < w[1]), "in order, none twice");
}

/// With duplication 0.5, about one datagram in two arrives twice (1,500 ± 100 arrivals
/// for 1,000 sent), and every one arrives at least once.
#[test]
fn udp_duplication_delivers_duplicates() {
    let mut sim = sim_with(UdpConfig {
        duplication: 0.5,
        ..UdpConfig::default()
    });
    let got = blast(&mut sim, 1000);
    assert!(
        (1400..=1600).contains(&got.len()),
        "{} arrivals for 1,000 sent with duplication 0.5",
        got.len()
    );
    let mut counts = vec![0; 1000];
    for &i in &got {
        counts[i as usize] += 1;
    }
    assert!(counts.iter().all(|&c| c == 1 || c == 2), "{counts:?}");
    assert!(counts.contains(&2));
}

/// With jitter, datagrams sent in one order arrive in another (none lost); without it
/// (the default), in the order sent.
#[test]
fn udp_jitter_reorders_and_no_jitter_keeps_order() {
    let mut jittery = sim_with(UdpConfig {
        jitter: Duration::from_millis(1),
        ..UdpConfig::default()
    });
    let got = blast(&mut jittery, 100);
    assert_ne!(got, (0..100).collect::<Vec<_>>(), "jitter reorders");
    let mut sorted = got.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..100).collect::<Vec<_>>(), "and loses nothing");

    let mut calm = sim_with(UdpConfig::default());
    assert_eq!(blast(&mut calm, 100), (0..100).collect::<Vec<_>>());
}

/// The rendered trace of a ping-pong under every fault, with exactly `seed`.
fn faulty_ping_pong(seed: u64) -> String {
    let mut sim = Sim::with_config(SimConfig {
        udp: UdpConfig {
            latency: Duration::from_micros(50),
            jitter: Duration::from_micros(500),
            loss: 0.2,
            duplication: 0.2,
        },
        ..SimConfig::exact(seed)
    });
    let (mut echo, _) = ear();
    echo.answer = Some(Box::new(|r, s, data, from| {
        r.send_to(s, data, from).expect("echo");
    }));
    let echo = sim
        .bind_udp(at(Ipv4Addr::LOCALHOST, 0), echo, UdpOptions::default())
        .expect("bind");
    let to = sim.udp_local_addr(echo).expect("open");
    let (tx, _) = ear();
    let tx = sim
        .bind_udp(at(Ipv4Addr::LOCALHOST, 0), tx, UdpOptions::default())
        .expect("bind");
    for i in 0u8..50 {
        sim.send_to(tx, &[i; 8], to).expect("send");
    }
    sim.start(HostId::FIRST).expect("start");
    sim.run_until_idle().expect("run");
    sim.trace().render()
}

/// The same seed gives the same trace twice, faults and all; another seed another trace.
#[test]
fn udp_same_seed_same_trace_under_faults() {
    let first = faulty_ping_pong(SEED);
    assert_eq!(first, faulty_ping_pong(SEED));
    assert!(first.contains("udp datagram"), "{first}");
    assert_ne!(
        first,
        faulty_ping_pong(SEED ^ 1),
        "the faults come from the seed"
    );
}

/// Three hosts, each started, with a member socket on `0.0.0.0:5000` that joined
/// [`GROUP`] on its own address.
fn three_members(sim: &mut Sim) -> (Vec<HostId>, Vec<Heard>) {
    let hosts = vec![HostId::FIRST, sim.add_host(), sim.add_host()];
    let mut heard = Vec::new();
    for &h in &hosts {
        let ip = match sim.host_ip(h).expect("a host") {
            std::net::IpAddr::V4(ip) => ip,
            other => panic!("{other}"),
        };
        let (member, got) = ear();
        sim.with_host(h, |r| {
            let s = r
                .bind_udp(
                    at(Ipv4Addr::UNSPECIFIED, 5000),
                    member,
                    UdpOptions::default(),
                )
                .expect("bind");
            r.join_multicast(s, GROUP, ip).expect("join");
        })
        .expect("a host");
        heard.push(got);
        sim.start(h).expect("start");
    }
    (hosts, heard)
}

/// What each host's member heard, as text.
fn texts(heard: &[Heard]) -> Vec<Vec<String>> {
    heard
        .iter()
        .map(|h| {
            h.borrow()
                .iter()
                .map(|(d, _)| String::from_utf8_lossy(d).into_owned())
                .collect()
        })
        .collect()
}

/// Group datagrams reach member sockets on every host with TTL 1; with TTL 0 or by the
/// loopback interface they stay on the sending host; with loopback off they reach every
/// host but the sender's.
#[test]
fn udp_multicast_spans_hosts_by_ttl_loopback_and_interface() {
    let mut sim = sim_with(UdpConfig::default());
    let (hosts, heard) = three_members(&mut sim);
    let to = at(GROUP, 5000);
    let send = |sim: &mut Sim, text: &str, setup: &dyn Fn(&mut dyn Reactor, SocketId)| {
        let text = text.to_owned();
        sim.with_host(hosts[0], |r| {
            let (tx, _) = ear();
            let tx = r
                .bind_udp(at(Ipv4Addr::UNSPECIFIED, 0), tx, UdpOptions::default())
                .expect("bind");
            setup(r, tx);
            r.send_to(tx, text.as_bytes(), to).expect("send");
        })
        .expect("a host");
        sim.run_until_idle().expect("run");
    };
    send(&mut sim, "ttl 1", &|_, _| {});
    send(&mut sim, "ttl 0", &|r, s| {
        r.set_multicast_ttl(s, 0).expect("ttl")
    });
    send(&mut sim, "by lo", &|r, s| {
        r.set_multicast_interface(s, Ipv4Addr::LOCALHOST)
            .expect("interface")
    });
    send(&mut sim, "loop off", &|r, s| {
        r.set_multicast_loop(s, false).expect("loop")
    });
    assert_eq!(
        texts(&heard),
        [
            vec!["ttl 1", "ttl 0", "by lo"],
            vec!["ttl 1", "loop off"],
            vec!["ttl 1", "loop off"],
        ]
    );
    let from = heard[1].borrow()[0].1;
    assert_eq!(
        from.ip(),
        Ipv4Addr::new(10, 0, 0, 1),
        "the sender's host address"
    );
}

/// Unicast between hosts goes by their network addresses (the source is the sender's host
/// address); 127.0.0.1 stays on the sending host; an address no host has loses the
/// datagram silently; a socket bound to loopback cannot reach another host.
#[test]
fn udp_unicast_routes_between_hosts() {
    let mut sim = sim_with(UdpConfig::default());
    let h1 = sim.add_host();
    let (rx, heard) = ear();
    sim.with_host(h1, |r| {
        r.bind_udp(at(Ipv4Addr::UNSPECIFIED, 7000), rx, UdpOptions::default())
            .expect("bind");
    })
    .expect("a host");
    sim.start(h1).expect("start");
    let (tx, _) = ear();
    let tx = sim
        .bind_udp(at(Ipv4Addr::UNSPECIFIED, 0), tx, UdpOptions::default())
        .expect("bind");
    let tx_port = sim.udp_local_addr(tx).expect("open").port();
    sim.send_to(tx, b"to h1", at(Ipv4Addr::new(10, 0, 0, 2), 7000))
        .expect("send");
    sim.send_to(tx, b"to myself", at(Ipv4Addr::LOCALHOST, 7000))
        .expect("send");
    sim.send_to(tx, b"to nobody", at(Ipv4Addr::new(10, 0, 0, 99), 7000))
        .expect("an address no host has is not an error");
    let (lo, _) = ear();
    let lo = sim
        .bind_udp(at(Ipv4Addr::LOCALHOST, 0), lo, UdpOptions::default())
        .expect("bind");
    let far = at(Ipv4Addr::new(10, 0, 0, 2), 7000);
    assert_eq!(
        sim.send_to(lo, b"x", far),
        Err(UdpError::BadDestination(far))
    );
    sim.start(HostId::FIRST).expect("start");
    sim.run_until_idle().expect("run");
    assert_eq!(
        *heard.borrow(),
        [(b"to h1".to_vec(), at(Ipv4Addr::new(10, 0, 0, 1), tx_port))]
    );
}

/// A connected socket's datagram to another host's dead port is refused a round trip
/// later (twice the latency).
#[test]
fn udp_refusal_across_hosts_comes_after_a_round_trip() {
    let mut sim = sim_with(UdpConfig::default());
    sim.add_host();
    let refused = Rc::new(Cell::new(0));
    let tx = Box::new(Ear {
        heard: Heard::default(),
        refused: refused.clone(),
        answer: None,
    });
    let tx = sim
        .bind_udp(at(Ipv4Addr::UNSPECIFIED, 0), tx, UdpOptions::default())
        .expect("bind");
    sim.connect_udp(tx, at(Ipv4Addr::new(10, 0, 0, 2), 7777))
        .expect("connect");
    assert_eq!(
        sim.udp_local_addr(tx).expect("open").ip(),
        Ipv4Addr::new(10, 0, 0, 1),
        "connecting fixes the local address"
    );
    sim.send(tx, b"anyone?").expect("send");
    sim.start(HostId::FIRST).expect("start");
    sim.run_until_idle().expect("run");
    assert_eq!(refused.get(), 1);
    assert!(
        sim.trace()
            .render()
            .contains("0.000200000 h0 udp refused udp0\n"),
        "{}",
        sim.trace().render()
    );
}

/// Broadcast needs permission; with it, a datagram to 255.255.255.255 reaches the sockets
/// bound to the wildcard address on its port, on every host.
#[test]
fn udp_broadcast_needs_permission_and_reaches_every_host() {
    let mut sim = sim_with(UdpConfig::default());
    let h1 = sim.add_host();
    let mut heard = Vec::new();
    for h in [HostId::FIRST, h1] {
        let (rx, got) = ear();
        sim.with_host(h, |r| {
            r.bind_udp(at(Ipv4Addr::UNSPECIFIED, 6000), rx, UdpOptions::default())
                .expect("bind");
        })
        .expect("a host");
        heard.push(got);
        sim.start(h).expect("start");
    }
    let (tx, _) = ear();
    let tx = sim
        .bind_udp(at(Ipv4Addr::UNSPECIFIED, 0), tx, UdpOptions::default())
        .expect("bind");
    let all = at(Ipv4Addr::BROADCAST, 6000);
    assert_eq!(
        sim.send_to(tx, b"x", all),
        Err(UdpError::BroadcastNotPermitted(all))
    );
    sim.set_broadcast(tx, true).expect("permit");
    sim.send_to(tx, b"hear ye", all).expect("send");
    sim.run_until_idle().expect("run");
    assert_eq!(texts(&heard), [vec!["hear ye"], vec!["hear ye"]]);
}

/// Port 0 takes ports from 49152 up, in order, per host, never one in use; a unicast
/// datagram to a port several sockets share goes to the one bound last.
#[test]
fn udp_ephemeral_ports_are_deterministic_and_a_shared_port_serves_the_last_bound() {
    let mut sim = sim_with(UdpConfig::default());
    let h1 = sim.add_host();
    let reuse = UdpOptions {
        reuse_address: true,
        ..UdpOptions::default()
    };
    let port = |sim: &mut Sim, h: HostId, options: UdpOptions| -> (SocketId, u16, Heard) {
        let (rx, heard) = ear();
        sim.with_host(h, |r| {
            let s = r
                .bind_udp(at(Ipv4Addr::LOCALHOST, 0), rx, options)
                .expect("bind");
            (s, r.udp_local_addr(s).expect("open").port(), heard)
        })
        .expect("a host")
    };
    let (a, pa, _) = port(&mut sim, HostId::FIRST, reuse);
    let (_, pb, _) = port(&mut sim, HostId::FIRST, reuse);
    let (_, p1, _) = port(&mut sim, h1, reuse);
    assert_eq!((pa, pb, p1), (49152, 49153, 49152));
    sim.close_udp(a).expect("close");
    let (_, pc, _) = port(&mut sim, HostId::FIRST, reuse);
    assert_eq!(pc, 49154, "the search goes on from where it ended");

    let shared = at(Ipv4Addr::LOCALHOST, pb);
    let (first, first_heard) = ear();
    let (last, last_heard) = ear();
    sim.bind_udp(shared, first, reuse).expect("shared");
    sim.bind_udp(shared, last, reuse).expect("shared");
    let (tx, _) = ear();
    let tx = sim
        .bind_udp(at(Ipv4Addr::LOCALHOST, 0), tx, UdpOptions::default())
        .expect("bind");
    sim.send_to(tx, b"one of you", shared).expect("send");
    sim.start(HostId::FIRST).expect("start");
    sim.run_until_idle().expect("run");
    assert!(first_heard.borrow().is_empty());
    assert_eq!(last_heard.borrow().len(), 1);
}

/// Snapshot: three hosts with a member socket each; host 0 greets the group (TTL 1), the
/// other hosts answer by unicast, host 0 then says goodbye with TTL 0 (only it hears), and
/// every host stops.
#[test]
fn udp_snapshot_three_host_multicast_exchange() {
    let mut sim = Sim::with_config(SimConfig::exact(2026));
    let hosts = [HostId::FIRST, sim.add_host(), sim.add_host()];
    for &h in &hosts {
        let ip = match sim.host_ip(h).expect("a host") {
            std::net::IpAddr::V4(ip) => ip,
            other => panic!("{other}"),
        };
        let (mut member, _) = ear();
        let me = h.index();
        member.answer = Some(Box::new(move |r, s, data, from| {
            if data.starts_with(b"hello") && me != 0 {
                let ack = format!("ack from h{me}");
                r.send_to(s, ack.as_bytes(), from).expect("answer");
            } else if data.starts_with(b"ack from h2") {
                r.set_multicast_ttl(s, 0).expect("ttl");
                r.send_to(s, b"bye", at(GROUP, 5000)).expect("bye");
            }
        }));
        sim.with_host(h, |r| {
            let s = r
                .bind_udp(
                    at(Ipv4Addr::UNSPECIFIED, 5000),
                    member,
                    UdpOptions::default(),
                )
                .expect("bind");
            r.join_multicast(s, GROUP, ip).expect("join");
        })
        .expect("a host");
        sim.start(h).expect("start");
    }
    sim.with_host(hosts[0], |r| {
        let member = SocketId::from_raw(0);
        r.send_to(member, b"hello group", at(GROUP, 5000))
            .expect("greet");
    })
    .expect("a host");
    sim.run_until_idle().expect("run");
    for &h in &hosts {
        sim.with_host(h, |r| r.stop().expect("running"))
            .expect("a host");
    }
    sim.run_until_idle().expect("shutdown");
    twinreactor_sim::assert_trace_snapshot!("udp_multicast_three_hosts", sim.trace());
}

/// Every datagram's send is in the trace with a message id, and so is each way it can fail
/// to arrive: the loss fault, a partition, a host that is down, no host at the address, no
/// socket at the port; a duplicate is marked too. Each delivery names the message it was.
#[test]
fn udp_trace_shows_every_send_loss_and_duplicate() {
    let mut sim = Sim::with_config(SimConfig {
        udp: UdpConfig {
            loss: 0.3,
            duplication: 0.3,
            ..UdpConfig::default()
        },
        ..SimConfig::exact(SEED)
    });
    let (h1, h2) = (sim.add_host(), sim.add_host());
    for h in [h1, h2] {
        let (rx, _) = ear();
        sim.with_host(h, |r| {
            r.bind_udp(at(Ipv4Addr::UNSPECIFIED, 7000), rx, UdpOptions::default())
                .expect("bind");
        })
        .expect("a host");
        sim.start(h).expect("start");
    }
    let (tx, _) = ear();
    let tx = sim
        .bind_udp(at(Ipv4Addr::UNSPECIFIED, 0), tx, UdpOptions::default())
        .expect("bind");
    sim.start(HostId::FIRST).expect("start");
    let to_h1 = at(Ipv4Addr::new(10, 0, 0, 2), 7000);
    for _ in 0..20 {
        sim.send_to(tx, b"ping", to_h1).expect("send");
    }
    sim.send_to(tx, b"nobody", at(Ipv4Addr::new(10, 0, 0, 99), 7000))
        .expect("send");
    sim.send_to(tx, b"no port", at(Ipv4Addr::new(10, 0, 0, 2), 7001))
        .expect("send");
    sim.partition(HostId::FIRST, h1).expect("partition");
    sim.send_to(tx, b"cut", to_h1).expect("send");
    sim.crash_host(h2).expect("crash");
    sim.send_to(tx, b"down", at(Ipv4Addr::new(10, 0, 0, 3), 7000))
        .expect("send");
    sim.run_until_idle().expect("run");
    let trace = sim.trace().render();
    for part in [
        "h0 udp sent udp0 to 10.0.0.2:7000 4B m0",
        "(loss)",
        "udp duplicated m",
        "udp lost m20 (no-host)",
        "udp lost m21 to h1 (no-listener)",
        "udp lost m22 to h1 (partition)",
        "udp lost m23 to h2 (host-down)",
    ] {
        assert!(trace.contains(part), "{part:?} missing in:\n{trace}");
    }
    // Every delivery names a message that was sent.
    for line in trace.lines().filter(|l| l.contains(" udp datagram ")) {
        let msg = line.rsplit(' ').next().expect("a message id");
        let sent = trace
            .lines()
            .any(|l| l.contains(" udp sent ") && l.ends_with(&format!(" {msg}")));
        assert!(sent, "{line} names no message that was sent");
    }
}
