//! Fires 1,000,000 timers with seeded random deadlines and prints firings per second:
//! the simulator beside tokio's paused clock (virtual time), and the real reactor beside
//! tokio's current-thread runtime and a hand-written raw mio loop (wall-clock time, with
//! the ratios the real reactor is held to: at least tokio, within 5% of raw mio), in two
//! shapes:
//!
//! * all at once: every timer is pending before the first fires (a million-entry queue,
//!   firing in an order unrelated to scheduling: memory-bound);
//! * in chains: 1,000 chains, each timer scheduling the next of its chain when it fires
//!   (a thousand pending at a time: how protocols re-arm timeouts).
//!
//! Run with `cargo bench -p twinreactor-benches --bench timers`. Set `TIMERS=n` for another
//! count, and `ONLY=text` to run only the contenders whose name contains `text`.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
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

thread_local! {
    /// What [`fire_all_unboxed`]'s callbacks count.
    static FIRED: Cell<usize> = const { Cell::new(0) };
}

/// [`fire_all`] with callbacks that capture nothing: a zero-sized closure's box allocates
/// nothing, so the difference between the two is what the allocation per timer costs.
fn fire_all_unboxed(r: &mut dyn Reactor, delays: &[Duration], max: Duration) -> Duration {
    FIRED.with(|f| f.set(0));
    let start = Instant::now();
    for &d in delays {
        r.after(d, |_| FIRED.with(|f| f.set(f.get() + 1)));
    }
    r.after(max, |r| r.stop().expect("running"));
    r.run().expect("run");
    let took = start.elapsed();
    assert_eq!(FIRED.with(Cell::get), delays.len(), "every timer fired");
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

/// A hand-written timer loop on mio: a heap of (deadline, sequence) over boxed callbacks,
/// and a poll (with no sources) that sleeps until the earliest deadline.
struct RawTimers {
    heap: BinaryHeap<Reverse<(Instant, usize)>>,
    callbacks: Vec<Option<RawCallback>>,
}

/// A callback of [`RawTimers`].
type RawCallback = Box<dyn FnOnce(&mut RawTimers)>;

impl RawTimers {
    fn new() -> Self {
        Self {
            heap: BinaryHeap::new(),
            callbacks: Vec::new(),
        }
    }

    fn after(&mut self, delay: Duration, f: impl FnOnce(&mut RawTimers) + 'static) {
        self.callbacks.push(Some(Box::new(f)));
        let seq = self.callbacks.len() - 1;
        self.heap.push(Reverse((Instant::now() + delay, seq)));
    }

    /// Fires timers as they fall due until none is left and `until` has passed.
    fn run(&mut self, until: Instant) {
        let mut poll = mio::Poll::new().expect("poll");
        let mut events = mio::Events::with_capacity(16);
        loop {
            let now = Instant::now();
            while let Some(&Reverse((at, seq))) = self.heap.peek() {
                if at > now {
                    break;
                }
                self.heap.pop();
                let f = self.callbacks[seq].take().expect("fires once");
                f(self);
            }
            if self.heap.is_empty() && now >= until {
                return;
            }
            let next = self.heap.peek().map_or(until, |&Reverse((at, _))| at);
            // From the time after this pass: its callbacks took time.
            let wait = next.saturating_duration_since(Instant::now());
            poll.poll(&mut events, Some(wait)).expect("poll");
        }
    }
}

fn raw_mio(delays: &[Duration], max: Duration) -> Duration {
    let fired = Rc::new(Cell::new(0usize));
    let start = Instant::now();
    let mut timers = RawTimers::new();
    for &d in delays {
        let fired = fired.clone();
        timers.after(d, move |_| fired.set(fired.get() + 1));
    }
    timers.run(start + max);
    let took = start.elapsed();
    assert_eq!(fired.get(), delays.len(), "every raw timer fired");
    took
}

fn raw_mio_chained(delays: &Rc<Vec<Duration>>) -> Duration {
    fn link(t: &mut RawTimers, delays: Rc<Vec<Duration>>, next: Rc<Cell<usize>>) {
        let i = next.get();
        next.set(i + 1);
        if let Some(&d) = delays.get(i) {
            t.after(d, move |t| link(t, delays, next));
        }
    }
    let next = Rc::new(Cell::new(0));
    let start = Instant::now();
    let mut timers = RawTimers::new();
    for _ in 0..CHAINS.min(delays.len()) {
        link(&mut timers, delays.clone(), next.clone());
    }
    timers.run(start);
    let took = start.elapsed();
    assert_eq!(next.get(), delays.len() + CHAINS, "every raw chain ran");
    took
}

/// tokio's current-thread runtime: one task per timer, on the paused clock or the real one
/// (then also waiting out `max`, as the reactors' runs do).
fn tokio_timers(delays: &[Duration], paused: bool, max: Duration) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(paused)
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
        if !paused {
            tokio::time::sleep(max).await;
        }
        for task in tasks {
            task.await.expect("timer task");
        }
    });
    let took = start.elapsed();
    assert_eq!(fired.get(), delays.len(), "every tokio timer fired");
    took
}

fn tokio_chained(delays: &Rc<Vec<Duration>>, paused: bool) -> Duration {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(paused)
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
    let contenders: [(&str, &dyn Fn() -> Duration); 13] = [
        ("tokio paused clock", &|| {
            tokio_timers(&sim_delays, true, virtual_max)
        }),
        ("sim (trace on)", &|| sim(&sim_delays, virtual_max, true)),
        ("sim (trace off)", &|| sim(&sim_delays, virtual_max, false)),
        ("sim (trace on, no allocation)", &|| {
            let mut sim = Sim::with_config(sim_config(true));
            fire_all_unboxed(&mut sim, &sim_delays, virtual_max)
        }),
        ("tokio current-thread", &|| {
            tokio_timers(&real_delays, false, real_max)
        }),
        ("real reactor (mio)", &|| real(&real_delays, real_max)),
        ("raw mio", &|| raw_mio(&real_delays, real_max)),
        ("chained: tokio paused", &|| {
            tokio_chained(&chained_sim, true)
        }),
        ("chained: sim (trace on)", &|| {
            sim_chained(&chained_sim, true)
        }),
        ("chained: sim (trace off)", &|| {
            sim_chained(&chained_sim, false)
        }),
        ("chained: tokio current-thread", &|| {
            tokio_chained(&chained_real, false)
        }),
        ("chained: real reactor", &|| real_chained(&chained_real)),
        ("chained: raw mio", &|| raw_mio_chained(&chained_real)),
    ];
    let only = std::env::var("ONLY").unwrap_or_default();
    println!("{count} timers, seeded random deadlines, best of 3 (schedule + fire):");
    println!("{:<30} {:>16} {:>12}", "contender", "firings/s", "vs tokio");
    // Each shape is compared with tokio's run of the same shape, listed just before it.
    let mut reference = f64::NAN;
    let mut rates = Vec::new();
    for (name, run) in contenders {
        if !name.contains(only.as_str()) {
            continue;
        }
        let r = rate(count, best(run));
        if name.contains("tokio") {
            reference = r;
        }
        println!("{name:<30} {r:>16.0} {:>11.2}x", r / reference);
        rates.push((name, r));
    }
    let of = |name: &str| rates.iter().find(|(n, _)| *n == name).map(|&(_, r)| r);
    println!("ratios:");
    if let (Some(s), Some(t)) = (of("sim (trace on)"), of("tokio paused clock")) {
        println!(
            "  sim (trace on) / tokio paused clock: {:.2} (wanted >= 3)",
            s / t
        );
    }
    if let (Some(s), Some(u)) = (of("sim (trace on)"), of("sim (trace on, no allocation)")) {
        println!(
            "  the allocation per timer: {:.0} ns of {:.0} ns per timer",
            1e9 / s - 1e9 / u,
            1e9 / s
        );
    }
    for (real, tokio, raw) in [
        ("real reactor (mio)", "tokio current-thread", "raw mio"),
        (
            "chained: real reactor",
            "chained: tokio current-thread",
            "chained: raw mio",
        ),
    ] {
        if let (Some(x), Some(t), Some(m)) = (of(real), of(tokio), of(raw)) {
            println!("  {real} / {tokio}: {:.2} (wanted >= 1)", x / t);
            println!("  {real} / {raw}: {:.2} (wanted >= 0.95)", x / m);
        }
    }
}
