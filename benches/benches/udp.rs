//! UDP ping-pong of 64-byte datagrams, one round trip at a time, and round trips per second:
//!
//! * simulated: the twinreactor simulator (trace on, and off) against turmoil;
//! * on loopback: the real reactor (mio) against tokio's current-thread runtime and a
//!   hand-written raw mio loop, with the ratios the real reactor is held to (at least
//!   tokio, within 5% of raw mio).
//!
//! The same protocol code (`Client`, `Echo`) runs on the simulator and the real reactor.
//! Run with `cargo bench -p twinreactor-benches --bench udp`. Set `ROUNDS=n` for another
//! count of simulated round trips (the loopback ones are a tenth of it), and `ONLY=text` to
//! run only the contenders whose name contains `text`.

use std::cell::Cell;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use twinreactor::{DatagramProtocol, Reactor, SocketId, UdpOptions};
use twinreactor_real::RealReactor;
use twinreactor_sim::{Sim, SimConfig};

const SEED: u64 = 0x0d9a;
const SIZE: usize = 64;

/// Sends a datagram to `server` when started, and each answer back until `left` reaches
/// zero; then stops the reactor.
struct Client {
    server: SocketAddr,
    left: Rc<Cell<usize>>,
}

impl DatagramProtocol for Client {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        r.send_to(socket, &[7; SIZE], self.server).expect("send");
    }

    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        let left = self.left.get() - 1;
        self.left.set(left);
        if left == 0 {
            r.stop().expect("running");
        } else {
            r.send_to(socket, data, from).expect("send");
        }
    }
}

/// Answers every datagram with itself.
struct Echo;

impl DatagramProtocol for Echo {
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        r.send_to(socket, data, from).expect("echo");
    }
}

/// Runs `rounds` round trips between two sockets on 127.0.0.1 of `r`; returns the wall
/// time of `run()`.
fn ping_pong(r: &mut dyn Reactor, rounds: usize) -> Duration {
    let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let echo = r
        .bind_udp(lo, Box::new(Echo), UdpOptions::default())
        .expect("bind");
    let server = r.udp_local_addr(echo).expect("open");
    let left = Rc::new(Cell::new(rounds));
    let client = Client {
        server,
        left: left.clone(),
    };
    r.bind_udp(lo, Box::new(client), UdpOptions::default())
        .expect("bind");
    let start = Instant::now();
    r.run().expect("run");
    let took = start.elapsed();
    assert_eq!(left.get(), 0, "every round trip completed");
    took
}

fn sim(rounds: usize, trace: bool) -> Duration {
    let mut sim = Sim::with_config(SimConfig {
        record_trace: trace,
        ..SimConfig::exact(SEED)
    });
    let took = ping_pong(&mut sim, rounds);
    if trace {
        assert!(sim.trace().len() >= 2 * rounds, "every datagram is traced");
    }
    black_box(sim.trace().len());
    took
}

fn real(rounds: usize) -> Duration {
    let mut r = RealReactor::new().expect("reactor");
    ping_pong(&mut r, rounds)
}

fn turmoil(rounds: usize) -> Duration {
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_secs(365 * 24 * 3600))
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::ZERO)
        .rng_seed(SEED)
        .build();
    let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    sim.host("server", move || async move {
        let socket = turmoil::net::UdpSocket::bind((any, 9000)).await?;
        let mut buf = [0u8; SIZE];
        loop {
            let (n, from) = socket.recv_from(&mut buf).await?;
            socket.send_to(&buf[..n], from).await?;
        }
    });
    sim.client("client", async move {
        let socket = turmoil::net::UdpSocket::bind((any, 0)).await?;
        let server = SocketAddr::new(turmoil::lookup("server"), 9000);
        let mut buf = [7u8; SIZE];
        for _ in 0..rounds {
            socket.send_to(&buf, server).await?;
            socket.recv_from(&mut buf).await?;
        }
        Ok(())
    });
    let start = Instant::now();
    sim.run().expect("turmoil run");
    start.elapsed()
}

fn tokio_loopback(rounds: usize) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
        let echo = tokio::net::UdpSocket::bind(lo).await.expect("bind");
        let server = echo.local_addr().expect("addr");
        tokio::spawn(async move {
            let mut buf = [0u8; SIZE];
            loop {
                let Ok((n, from)) = echo.recv_from(&mut buf).await else {
                    return;
                };
                if echo.send_to(&buf[..n], from).await.is_err() {
                    return;
                }
            }
        });
        let client = tokio::net::UdpSocket::bind(lo).await.expect("bind");
        client.connect(server).await.expect("connect");
        let mut buf = [7u8; SIZE];
        let start = Instant::now();
        for _ in 0..rounds {
            client.send(&buf).await.expect("send");
            client.recv(&mut buf).await.expect("recv");
        }
        start.elapsed()
    })
}

/// A hand-written mio loop: both sockets in one poll, edge-triggered, each drained until
/// `WouldBlock`; 64-byte sends assumed whole (one datagram in flight).
fn raw_mio(rounds: usize) -> Duration {
    use mio::net::UdpSocket;
    use mio::{Events, Interest, Poll, Token};
    use std::io::ErrorKind;

    const ECHO: Token = Token(0);
    const CLIENT: Token = Token(1);
    let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let mut poll = Poll::new().expect("poll");
    let mut events = Events::with_capacity(64);
    let mut echo = UdpSocket::bind(lo).expect("bind");
    let mut client = UdpSocket::bind(lo).expect("bind");
    let server = echo.local_addr().expect("addr");
    poll.registry()
        .register(&mut echo, ECHO, Interest::READABLE)
        .expect("register");
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .expect("register");
    let mut buf = [0u8; 2048];
    let mut left = rounds;
    let start = Instant::now();
    client.send_to(&[7; SIZE], server).expect("send");
    while left > 0 {
        poll.poll(&mut events, None).expect("poll");
        for event in events.iter() {
            let (socket, is_echo) = if event.token() == ECHO {
                (&echo, true)
            } else {
                (&client, false)
            };
            loop {
                match socket.recv_from(&mut buf) {
                    Ok((n, from)) if is_echo => {
                        socket.send_to(&buf[..n], from).expect("send");
                    }
                    Ok(_) => {
                        left -= 1;
                        if left > 0 {
                            socket.send_to(&[7; SIZE], server).expect("send");
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("recv: {e}"),
                }
            }
        }
    }
    start.elapsed()
}

fn rate(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64()
}

/// Runs each contender whose name contains `only`, best of three, prints its rate and its
/// ratio to the first one's, and returns the rates by name.
fn table(
    title: &str,
    rounds: usize,
    contenders: &[(&'static str, &dyn Fn() -> Duration)],
    only: &str,
) -> Vec<(&'static str, f64)> {
    println!("{title}: {rounds} round trips of {SIZE}-byte datagrams, best of 3");
    println!(
        "{:<24} {:>14} {:>10}",
        "contender", "round trips/s", "ratio"
    );
    let mut reference = None;
    let mut rates = Vec::new();
    for (name, run) in contenders {
        if !name.contains(only) {
            continue;
        }
        let best = (0..3).map(|_| run()).min().expect("three runs");
        let r = rate(rounds, best);
        let base = *reference.get_or_insert(r);
        println!("{name:<24} {r:>14.0} {:>9.2}x", r / base);
        rates.push((*name, r));
    }
    println!();
    rates
}

fn main() {
    // `cargo test --benches` runs this without `--bench`; keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 2_000 } else { 1_000_000 });
    let loopback = (rounds / 10).max(1);
    let only = std::env::var("ONLY").unwrap_or_default();
    let simulated = table(
        "simulated",
        rounds,
        &[
            ("turmoil", &|| turmoil(rounds)),
            ("sim (trace on)", &|| sim(rounds, true)),
            ("sim (trace off)", &|| sim(rounds, false)),
        ],
        &only,
    );
    let rates = table(
        "loopback",
        loopback,
        &[
            ("tokio current-thread", &|| tokio_loopback(loopback)),
            ("real reactor (mio)", &|| real(loopback)),
            ("raw mio", &|| raw_mio(loopback)),
        ],
        &only,
    );
    let of = |name: &str| rates.iter().find(|(n, _)| *n == name).map(|&(_, r)| r);
    let sim_of = |name: &str| simulated.iter().find(|(n, _)| *n == name).map(|&(_, r)| r);
    if let (Some(on), Some(off)) = (sim_of("sim (trace on)"), sim_of("sim (trace off)")) {
        // What recording the trace costs (the TCP bench holds it to 0.90; no target here).
        println!("sim (trace on) / sim (trace off): {:.2}", on / off);
    }
    if let (Some(real), Some(tokio), Some(raw)) = (
        of("real reactor (mio)"),
        of("tokio current-thread"),
        of("raw mio"),
    ) {
        println!("ratios:");
        println!(
            "  real reactor / tokio current-thread: {:.2} (wanted >= 1)",
            real / tokio
        );
        println!(
            "  real reactor / raw mio: {:.2} (wanted >= 0.95)",
            real / raw
        );
    }
}
