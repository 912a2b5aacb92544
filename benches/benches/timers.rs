//! Fires 1,000,000 timers with seeded random deadlines and prints firings per second:
//! the simulator, the real reactor, and tokio's paused clock side by side.
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

fn sim(delays: &[Duration], max: Duration, trace: bool) -> Duration {
    let mut sim = Sim::with_config(SimConfig {
        record_trace: trace,
        ..SimConfig::exact(SEED)
    });
    let took = fire_all(&mut sim, delays, max);
    black_box(sim.trace().len());
    took
}

fn real(delays: &[Duration], max: Duration) -> Duration {
    let mut r = RealReactor::new().expect("reactor");
    fire_all(&mut r, delays, max)
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

    let contenders: [(&str, &dyn Fn() -> Duration); 4] = [
        ("tokio paused clock", &|| tokio_paused(&sim_delays)),
        ("sim (trace on)", &|| sim(&sim_delays, virtual_max, true)),
        ("sim (trace off)", &|| sim(&sim_delays, virtual_max, false)),
        ("real reactor (mio)", &|| real(&real_delays, real_max)),
    ];
    let only = std::env::var("ONLY").unwrap_or_default();
    println!("{count} timers, seeded random deadlines, best of 3 (schedule + fire):");
    println!("{:<22} {:>16} {:>12}", "contender", "firings/s", "vs tokio");
    let mut reference = None;
    for (name, run) in contenders {
        if !name.contains(only.as_str()) {
            continue;
        }
        let r = rate(count, best(run));
        let base = *reference.get_or_insert(if name.starts_with("tokio") {
            r
        } else {
            f64::NAN
        });
        println!("{name:<22} {r:>16.0} {:>11.2}x", r / base);
    }
}
