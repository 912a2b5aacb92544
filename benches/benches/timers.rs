//! Fires 1,000,000 timers with seeded random deadlines and prints firings per second:
//! the simulator, the real reactor, and tokio's paused clock side by side, in two shapes:
//!
//! * all at once: every timer is pending before the first fires (a million-entry queue,
//!   firing in an order unrelated to scheduling: memory-bound);
//! * in chains: 1,000 chains, each timer scheduling the next of its chain when it fires
//!   (a thousand pending at a time: how protocols re-arm timeouts).
//!
//! Run with `cargo bench -p twinreactor-benches --bench timers`. Set `TIMERS=n` for another
//! count, and `ONLY=text` to run only the contenders whose name contains `text`.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};
use twinreactor::{Reactor, ReactorExt};
use twinreactor_real::RealReactor;
use twinreactor_sim::{Sim, SimConfig};

const SEED: u64 = 0x7417;

/// `count` delays below `max`, from a fixed seed, so every contender gets the same ones.
fn delays(count: usize, max: Duration) -> Vec<Duration> {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let max = max.as_nanos() as u64;
    (0..count)
        .map(|_| Duration::from_nanos(rng.next_u64() % max))
        .collect()
}

/// Schedules one timer per delay and a last one that stops the reactor, runs, and returns
/// the wall time of schedule + run.
fn fire_all(r: &mut dyn Reactor, delays: &[Duration], max: Duration) -> Duration {
    let fired = Rc::new(Cell::new(0usize));
    let start = Instant::now();
    for &d in delays {
        let fired = fired.clone();
        r.after(d, move |_| fired.set(fired.get() + 1));
    }
    r.after(max, |r| r.stop().expect("running"));
    r.run().expect("run");
    let took = start.elapsed();
    assert_eq!(fired.get(), delays.len(), "every timer fired");
    took
}

/// How many chains the chained shape runs.
const CHAINS: usize = 1_000;

/// Runs `CHAINS` chains through `delays` (each timer, when it fires, schedules the next
/// delay of the shared list), stops after the last, and returns the wall time.
fn fire_chained(r: &mut dyn Reactor, delays: Rc<Vec<Duration>>) -> Duration {
    fn link(r: &mut dyn Reactor, delays: Rc<Vec<Duration>>, next: Rc<Cell<usize>>) {
        let i = next.get();
        if i >= delays.len() {
            if i == delays.len() + CHAINS - 1 {
                r.stop().expect("running");
            }
            next.set(i + 1);
            return;
        }
        next.set(i + 1);
        let d = delays[i];
        r.after(d, move |r| link(r, delays, next));
    }
    let next = Rc::new(Cell::new(0));
    let start = Instant::now();
    for _ in 0..CHAINS.min(delays.len()) {
        link(r, delays.clone(), next.clone());
    }
    r.run().expect("run");
    let took = start.elapsed();
    assert_eq!(
        next.get(),
        delays.len() + CHAINS,
        "every chain ran to its end"
    );
    took
}

fn sim_config(trace: bool) -> SimConfig {
    SimConfig {
        record_trace: trace,
        ..SimConfig::exact(SEED)
    }
}

fn sim(delays: &[Duration], max: Duration, trace: bool) -> Duration {
    let mut sim = Sim::with_config(sim_config(trace));
    let took = fire_all(&mut sim, delays, max);
    black_box(sim.trace().len());
    took
}

fn sim_chained(delays: &Rc<Vec<Duration>>, trace: bool) -> Duration {
    let mut sim = Sim::with_config(sim_config(trace));
    let took = fire_chained(&mut sim, delays.clone());
    black_box(sim.trace().len());
    took
}

fn real(delays: &[Duration], max: Duration) -> Duration {
    let mut r = RealReactor::new().expect("reactor");
    fire_all(&mut r, delays, max)
}

fn real_chained(delays: &Rc<Vec<Duration>>) -> Duration {
    let mut r = RealReactor::new().expect("reactor");
    fire_chained(&mut r, delays.clone())
}

fn tokio_paused(delays: &[Duration]) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let fired = Rc::new(Cell::new(0usize));
    let start = Instant::now();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let tasks: Vec<_> = delays
            .iter()
            .map(|&d| {
                let fired = fired.clone();
                tokio::task::spawn_local(async move {
                    tokio::time::sleep(d).await;
                    fired.set(fired.get() + 1);
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("timer task");
        }
    });
    let took = start.elapsed();
    assert_eq!(fired.get(), delays.len(), "every tokio timer fired");
    took
}

fn tokio_paused_chained(delays: &Rc<Vec<Duration>>) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    let next = Rc::new(Cell::new(0usize));
    let start = Instant::now();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async {
        let chains: Vec<_> = (0..CHAINS)
            .map(|_| {
                let (delays, next) = (delays.clone(), next.clone());
                tokio::task::spawn_local(async move {
                    loop {
                        let i = next.get();
                        next.set(i + 1);
                        let Some(&d) = delays.get(i) else { break };
                        tokio::time::sleep(d).await;
                    }
                })
            })
            .collect();
        for chain in chains {
            chain.await.expect("chain task");
        }
    });
    let took = start.elapsed();
    assert_eq!(
        next.get(),
        delays.len() + CHAINS,
        "every tokio chain ran to its end"
    );
    took
}

fn rate(count: usize, took: Duration) -> f64 {
    count as f64 / took.as_secs_f64()
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent; keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let count: usize = std::env::var("TIMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 10_000 } else { 1_000_000 });
    let virtual_max = Duration::from_secs(10);
    let real_max = Duration::from_millis(50);

    let sim_delays = delays(count, virtual_max);
    let real_delays = delays(count, real_max);
    let best = |f: &dyn Fn() -> Duration| (0..3).map(|_| f()).min().expect("three runs");

    // Chained timers are short on the real reactor so that the run takes little wall time.
    let chained_sim = Rc::new(delays(count, Duration::from_millis(10)));
    let chained_real = Rc::new(delays(count, Duration::from_micros(10)));
    let contenders: [(&str, &dyn Fn() -> Duration); 8] = [
        ("tokio paused clock", &|| tokio_paused(&sim_delays)),
        ("sim (trace on)", &|| sim(&sim_delays, virtual_max, true)),
        ("sim (trace off)", &|| sim(&sim_delays, virtual_max, false)),
        ("real reactor (mio)", &|| real(&real_delays, real_max)),
        ("chained: tokio paused", &|| {
            tokio_paused_chained(&chained_sim)
        }),
        ("chained: sim (trace on)", &|| {
            sim_chained(&chained_sim, true)
        }),
        ("chained: sim (trace off)", &|| {
            sim_chained(&chained_sim, false)
        }),
        ("chained: real reactor", &|| real_chained(&chained_real)),
    ];
    let only = std::env::var("ONLY").unwrap_or_default();
    println!("{count} timers, seeded random deadlines, best of 3 (schedule + fire):");
    println!("{:<26} {:>16} {:>12}", "contender", "firings/s", "vs tokio");
    // Each shape is compared with tokio's run of the same shape, listed just before it.
    let mut reference = f64::NAN;
    for (name, run) in contenders {
        if !name.contains(only.as_str()) {
            continue;
        }
        let r = rate(count, best(run));
        if name.contains("tokio") {
            reference = r;
        }
        println!("{name:<26} {r:>16.0} {:>11.2}x", r / reference);
    }
}
