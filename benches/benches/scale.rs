//! Scale: whether the cost of one event stays flat as a simulation grows (trace on).
//!
//! * a ring of N hosts, each sending one UDP datagram to the next and stopping when one
//!   arrives;
//! * N idle TCP connections opened at once from 8 client hosts to one server host;
//! * TCP ping-pong from 50 client hosts (one connection each) to one server host, and over
//!   one connection, each beside the same exchange in turmoil.
//!
//! An event is a trace line. For the first two shapes the bench prints the wall time per
//! event at each size and the ratio of the largest size's to the smallest's (wanted: at most
//! 2). Then memory, counted by this binary's global allocator: the heap one simulation holds
//! per host (10,000 blank hosts, then 10,000 with one UDP socket each) and per idle
//! connection (100,000 of them, both ends), with the trace off (the simulation's state) and
//! on (the trace's lines added).
//!
//! Run with `cargo bench -p twinreactor-benches --bench scale`; `SIZES=1000,10000`
//! (the default) lists the sizes (hosts for the ring, connections for TCP), `ROUNDS=n` the
//! round trips per client of the ping-pongs (default 200), `ONLY=ring`, `ONLY=idle`,
//! `ONLY=ping-pong` or `ONLY=memory` runs one shape.

#[path = "shared/callbacks.rs"]
mod callbacks;
#[path = "shared/turmoil_peer.rs"]
mod turmoil_peer;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use callbacks::{drive, EchoFactory, Pinger, MSG, TIMEOUT};
use turmoil_peer::turmoil_sim;
use twinreactor::{
    ConnId, DatagramProtocol, Disconnect, Reactor, SocketId, StreamFactory, StreamProtocol,
    UdpOptions,
};
use twinreactor_sim::{HostId, Sim, SimConfig};

const SEED: u64 = 0x5ca1e;
const PORT: u16 = 9000;

/// The system allocator, counting the bytes live (this bench binary only).
struct Counting;

/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);

// The one unsafe block of the benches: a global allocator must be an `unsafe impl`; each
// method passes its arguments through to `System` unchanged, under the same contract.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Sends one datagram to `next` when started; stops its host when a datagram arrives.
struct RingMember {
    next: SocketAddr,
}

impl DatagramProtocol for RingMember {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        r.send_to(socket, &[1; 32], self.next).expect("send");
    }

    fn datagram(&mut self, r: &mut dyn Reactor, _: SocketId, _: &[u8], _: SocketAddr) {
        r.stop().expect("running");
    }
}

/// A connection that does nothing.
struct Idle;

impl StreamProtocol for Idle {
    fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}

    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// Accepts with [`Idle`].
struct IdleFactory;

impl StreamFactory for IdleFactory {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(Idle))
    }
}

/// A simulation of `hosts` hosts (the first one included), and their ids.
fn sim_with_hosts(hosts: usize) -> (Sim, Vec<HostId>) {
    sim_traced(hosts, true)
}

/// A simulation of `hosts` hosts, recording its trace or not, and their ids.
fn sim_traced(hosts: usize, trace: bool) -> (Sim, Vec<HostId>) {
    let mut sim = Sim::with_config(SimConfig {
        record_trace: trace,
        ..SimConfig::exact(SEED)
    });
    let mut ids = vec![HostId::FIRST];
    ids.extend((1..hosts).map(|_| sim.add_host()));
    (sim, ids)
}

/// The wall time of `run_until_idle`, and the events (trace lines) it added.
fn timed_run(sim: &mut Sim) -> (Duration, usize) {
    let before = sim.trace().len();
    let start = Instant::now();
    sim.run_until_idle().expect("run");
    (start.elapsed(), sim.trace().len() - before)
}

/// The ring of `n` hosts: (wall time of the run, events).
fn ring(n: usize) -> (Duration, usize) {
    let mut sim = ring_sim(n, true);
    timed_run(&mut sim)
}

/// The ring of `n` hosts, built and started, not run.
fn ring_sim(n: usize, trace: bool) -> Sim {
    let (mut sim, ids) = sim_traced(n, trace);
    let ips: Vec<_> = ids.iter().map(|&h| sim.host_ip(h).expect("host")).collect();
    for (i, &host) in ids.iter().enumerate() {
        let next = SocketAddr::new(ips[(i + 1) % n], PORT);
        sim.with_host(host, |r| {
            let at = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), PORT);
            r.bind_udp(at, Box::new(RingMember { next }), UdpOptions::default())
        })
        .expect("host")
        .expect("bind");
    }
    for &host in &ids {
        sim.start(host).expect("start");
    }
    sim
}

/// `n` idle connections from 8 client hosts to one server host: (wall time, events).
fn idle_tcp(n: usize) -> (Duration, usize) {
    let mut sim = idle_tcp_sim(n, true);
    timed_run(&mut sim)
}

/// `n` idle connections from 8 client hosts to one server host, asked for and not yet run.
fn idle_tcp_sim(n: usize, trace: bool) -> Sim {
    const CLIENTS: usize = 8;
    let (mut sim, ids) = sim_traced(1 + CLIENTS, trace);
    let server = SocketAddr::new(sim.host_ip(ids[0]).expect("host"), PORT);
    sim.with_host(ids[0], |r| {
        let at = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), PORT);
        r.listen_tcp(at, Box::new(IdleFactory))
    })
    .expect("host")
    .expect("listen");
    for (c, &host) in ids[1..].iter().enumerate() {
        let mine = n / CLIENTS + usize::from(c < n % CLIENTS);
        sim.with_host(host, |r| {
            for _ in 0..mine {
                r.connect_tcp(server, Box::new(Idle), TIMEOUT)
                    .expect("connect");
            }
        })
        .expect("host");
    }
    for &host in &ids {
        sim.start(host).expect("start");
    }
    sim
}

/// The heap `build` leaves live (what it returns holds), per one of `n` things.
fn bytes_each<T>(n: usize, build: impl FnOnce() -> T) -> f64 {
    let before = LIVE.load(Ordering::Relaxed);
    let held = build();
    let bytes = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    drop(held);
    bytes as f64 / n as f64
}

/// Prints the heap held per host and per idle connection, trace off and on.
fn memory() {
    const HOSTS: usize = 10_000;
    const CONNS: usize = 100_000;
    println!("memory (heap held by one simulation, counted by the global allocator)");
    for trace in [false, true] {
        let label = if trace { "trace on" } else { "trace off" };
        let blank = bytes_each(HOSTS, || sim_traced(HOSTS, trace));
        let udp = bytes_each(HOSTS, || ring_sim(HOSTS, trace));
        let conns = bytes_each(CONNS, || {
            let mut sim = idle_tcp_sim(CONNS, trace);
            sim.run_until_idle().expect("run");
            sim
        });
        println!("  {label}: {HOSTS} blank hosts: {blank:>7.0} B per host");
        println!("  {label}: {HOSTS} hosts with one UDP socket, started: {udp:>7.0} B per host");
        println!(
            "  {label}: {CONNS} idle TCP connections (both ends), established: {conns:>7.0} B per connection"
        );
    }
}

/// Ping-pong from `clients` client hosts, `rounds` round trips each: the wall time.
fn many_hosts_sim(clients: usize, rounds: usize) -> Duration {
    let (mut sim, ids) = sim_with_hosts(1 + clients);
    let server = SocketAddr::new(sim.host_ip(ids[0]).expect("host"), PORT);
    sim.with_host(ids[0], |r| {
        let at = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), PORT);
        r.listen_tcp(at, Box::new(EchoFactory))
    })
    .expect("host")
    .expect("listen");
    for &host in &ids[1..] {
        sim.with_host(host, |r| {
            let pinger = Pinger {
                left: rounds,
                got: 0,
                open: Default::default(),
            };
            pinger.open.set(1);
            r.connect_tcp(server, Box::new(pinger), TIMEOUT)
        })
        .expect("host")
        .expect("connect");
    }
    for &host in &ids {
        sim.start(host).expect("start");
    }
    timed_run(&mut sim).0
}

/// The same ping-pong in turmoil, one turmoil client host per client: the wall time.
fn many_hosts_turmoil(clients: usize, rounds: usize) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_secs(1_000_000))
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::ZERO)
        .rng_seed(SEED)
        .build();
    sim.host("server", || async {
        let listener = turmoil::net::TcpListener::bind(("0.0.0.0", PORT)).await?;
        loop {
            let (mut s, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    for c in 0..clients {
        sim.client(format!("client{c}"), async move {
            let mut s = turmoil::net::TcpStream::connect(("server", PORT)).await?;
            let mut buf = [0u8; MSG];
            for _ in 0..rounds {
                s.write_all(&[7; MSG]).await?;
                s.read_exact(&mut buf).await?;
            }
            Ok(())
        });
    }
    let start = Instant::now();
    sim.run().expect("turmoil run");
    start.elapsed()
}

/// The median of several runs of `shape` at size `n` (at least 5, and at least half a
/// second in all): wall time, events, and how many runs.
fn median_of(n: usize, shape: fn(usize) -> (Duration, usize)) -> (Duration, usize, usize) {
    let mut runs = Vec::new();
    let mut spent = Duration::ZERO;
    while runs.len() < 5 || spent < Duration::from_millis(500) {
        let run = shape(n);
        spent += run.0;
        runs.push(run);
    }
    runs.sort();
    let (took, events) = runs[runs.len() / 2];
    (took, events, runs.len())
}

/// Runs `shape` at every size, prints each size's cost per event, and the ratio of the
/// largest size's to the smallest's.
fn scaling(name: &str, unit: &str, sizes: &[usize], shape: fn(usize) -> (Duration, usize)) {
    println!("{name}");
    let mut per_event = Vec::new();
    for &n in sizes {
        let (took, events, runs) = median_of(n, shape);
        let ns = took.as_nanos() as f64 / events as f64;
        println!(
            "  {n:>7} {unit}: {:>9.3} s, {events:>9} events, {ns:>8.0} ns/event (median of {runs})",
            took.as_secs_f64()
        );
        per_event.push(ns);
    }
    if let (Some(first), Some(last)) = (per_event.first(), per_event.last()) {
        println!(
            "  ratio {} / {} {unit}: {:.2} (wanted <= 2)",
            sizes[sizes.len() - 1],
            sizes[0],
            last / first
        );
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SIZES")
        .ok()
        .map(|s| {
            s.split(',')
                .map(|n| n.trim().parse().expect("SIZES"))
                .collect()
        })
        .unwrap_or_else(|| vec![1_000, 10_000]);
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let only = std::env::var("ONLY").unwrap_or_default();
    // Warm up allocators and caches once.
    ring(100);
    idle_tcp(100);
    if "ring".contains(&only) {
        scaling(
            "ring of N hosts, one UDP datagram each (sim, trace on)",
            "hosts",
            &sizes,
            ring,
        );
    }
    if "idle".contains(&only) {
        scaling(
            "N idle TCP connections opened at once from 8 hosts (sim, trace on)",
            "connections",
            &sizes,
            idle_tcp,
        );
    }
    if "memory".contains(&only) {
        memory();
    }
    if !"ping-pong".contains(&only) {
        return;
    }
    const CLIENTS: usize = 50;
    println!("TCP ping-pong, {rounds} round trips of {MSG} bytes per client");
    let one_sim = {
        let (mut sim, ids) = sim_with_hosts(2);
        sim.with_host(ids[1], |r| {
            let at = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), PORT);
            r.listen_tcp(at, Box::new(EchoFactory))
        })
        .expect("host")
        .expect("listen");
        sim.start(ids[1]).expect("start");
        let server = SocketAddr::new(sim.host_ip(ids[1]).expect("host"), PORT);
        drive(&mut sim, server, 1, rounds * CLIENTS)
    };
    let one_turmoil = turmoil_sim(1, rounds * CLIENTS, SEED);
    let many_sim = many_hosts_sim(CLIENTS, rounds);
    let many_turmoil = many_hosts_turmoil(CLIENTS, rounds);
    let total = (CLIENTS * rounds) as f64;
    let per_second = |took: Duration| total / took.as_secs_f64();
    for (name, took) in [
        ("sim, 1 connection", one_sim),
        ("turmoil, 1 connection", one_turmoil),
        (&format!("sim, {CLIENTS} client hosts"), many_sim),
        (&format!("turmoil, {CLIENTS} client hosts"), many_turmoil),
    ] {
        println!(
            "  {name:<28} {:>8.3} s {:>12.0} round trips/s",
            took.as_secs_f64(),
            per_second(took)
        );
    }
    println!("ratios:");
    println!(
        "  sim / turmoil, {CLIENTS} client hosts: {:.2} (wanted >= 10)",
        per_second(many_sim) / per_second(many_turmoil)
    );
    println!(
        "  sim / turmoil, 1 connection: {:.2} (wanted >= 10)",
        per_second(one_sim) / per_second(one_turmoil)
    );
    println!(
        "  sim cost per round trip, {CLIENTS} client hosts / 1 connection: {:.2} (wanted <= 1.2)",
        per_second(one_sim) / per_second(many_sim)
    );
}
