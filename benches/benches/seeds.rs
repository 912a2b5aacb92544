//! Whole simulations per second: the scenario a seed sweep runs over and over. Two hosts, an
//! echo server and a client making 100 round trips of 64 bytes, then stop; built, run and
//! dropped once per seed. Measured on one thread, through `Sweep` on one thread and on all
//! cores, and in turmoil (one thread; it has no sweep), with the ratios the seed-workflow
//! issue asks about: the sweep on all cores against one thread (at least 1.7x on 2 cores)
//! and the simulator against turmoil.
//!
//! Run with `cargo bench -p twinreactor-benches --bench seeds`. `SCALE=x` multiplies every
//! seed count by `x` (default 1).

#[path = "shared/callbacks.rs"]
mod callbacks;
#[path = "shared/turmoil_peer.rs"]
mod turmoil_peer;

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use callbacks::{drive, EchoFactory};
use turmoil_peer::turmoil_sim;
use twinreactor_sim::{Sim, SimConfig, Sweep};

/// Round trips per simulation.
const ROUND_TRIPS: usize = 100;

/// One whole simulation of `seed`: build, run, drop; the length of its trace.
fn scenario(seed: u64) -> usize {
    let mut sim = Sim::with_config(SimConfig::exact(seed));
    let server = sim.add_host();
    sim.with_host(server, |r| {
        r.listen_tcp("0.0.0.0:7000".parse().unwrap(), Box::new(EchoFactory))
    })
    .expect("host")
    .expect("listen");
    sim.start(server).expect("start the server host");
    let addr = SocketAddr::new(sim.host_ip(server).expect("host"), 7000);
    drive(&mut sim, addr, 1, ROUND_TRIPS);
    sim.trace().len()
}

/// Simulations per second over `seeds` seeds, and what it took.
fn rate(seeds: u64, run: impl FnOnce(u64)) -> (f64, Duration) {
    let start = Instant::now();
    run(seeds);
    let took = start.elapsed();
    (seeds as f64 / took.as_secs_f64(), took)
}

fn main() {
    let scale: u64 = std::env::var("SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let seeds = 10_000 * scale;
    // Warm up allocators and caches once.
    for seed in 0..50 {
        black_box(scenario(seed));
    }
    println!("whole simulations per second: 2 hosts, {ROUND_TRIPS} round trips of 64 bytes each");
    let show = |name: &str, seeds: u64, run: &dyn Fn(u64)| {
        let (per_second, took) = rate(seeds, run);
        println!(
            "{name:<34} {seeds:>7} seeds: {:>7.3} s {per_second:>10.0} sims/s",
            took.as_secs_f64()
        );
        per_second
    };
    let plain = show("sim, a loop on one thread", seeds, &|n| {
        for seed in 0..n {
            black_box(scenario(seed));
        }
    });
    let sweep_one = show("sim, Sweep on 1 thread", seeds, &|n| {
        Sweep::new(n).threads(1).run(|seed| {
            black_box(scenario(seed));
        });
    });
    let sweep_all = show(&format!("sim, Sweep on {cores} threads"), seeds, &|n| {
        Sweep::new(n).threads(cores).run(|seed| {
            black_box(scenario(seed));
        });
    });
    let turmoil = show("turmoil, a loop on one thread", seeds / 4, &|n| {
        for seed in 0..n {
            black_box(turmoil_sim(1, ROUND_TRIPS, seed));
        }
    });
    println!("ratios:");
    println!(
        "  Sweep on {cores} threads / a loop on one thread: {:.2} (wanted >= 1.7 on 2 cores)",
        sweep_all / plain
    );
    println!(
        "  Sweep on 1 thread / a loop on one thread: {:.2} (the sweep's own cost)",
        sweep_one / plain
    );
    println!(
        "  sim / turmoil, one thread: {:.2} (wanted >= 10)",
        plain / turmoil
    );
}
