//! Simulator-only guarantees: exact virtual time, quiescence and time-limit errors, the replay
//! message of a panic, and a property test of timer order against a model.
//!
//! The shared corpus (`tests/corpus/`) holds everything both reactors guarantee; this file
//! holds what only the simulator can promise.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::Duration;

use proptest::prelude::*;
use twinreactor::{LifecycleError, Reactor, ReactorExt, TimerId, TimerState};
use twinreactor_sim::{Sim, SimConfig, SEED_ENV};

/// The seed of these tests (`TWINREACTOR_SEED` overrides it, as everywhere).
const SEED: u64 = 0x5eed_0000_0000_002a;

/// A panic in a callback names the seed and the variable that replays it, keeps the original
/// message, and poisons the simulator.
#[test]
fn sim_panic_message_names_the_seed_and_the_replay_variable() {
    let mut sim = Sim::new(SEED);
    let seed = sim.seed();
    sim.after(Duration::from_secs(2), |_| panic!("boom in a timer"));
    let payload = catch_unwind(AssertUnwindSafe(|| sim.run())).expect_err("the panic propagates");
    let message = payload
        .downcast_ref::<String>()
        .expect("the simulator's panic payload is a String");
    assert!(message.contains("boom in a timer"), "{message}");
    assert!(message.contains("seed"), "{message}");
    assert!(message.contains(SEED_ENV), "{message}");
    assert_eq!(SEED_ENV, "TWINREACTOR_SEED");
    assert!(
        message.contains(&format!("{SEED_ENV}={seed}")),
        "the message gives the replay assignment: {message}"
    );
    assert!(
        message.contains("2.000000000"),
        "the virtual time: {message}"
    );
    assert_eq!(sim.run(), Err(LifecycleError::Poisoned));
    assert!(sim.trace().render().ends_with("2.000000000 h0 panicked\n"));
}

/// A run with nothing left that could ever happen returns `Quiescent` (never hangs), with the
/// trace tail; state is kept as after a crash, and a later run with work runs normally.
#[test]
fn sim_run_with_nothing_to_do_is_quiescent() {
    let mut sim = Sim::new(SEED);
    sim.after(Duration::from_secs(5), |_| {});
    match sim.run() {
        Err(LifecycleError::Quiescent { at, trace_tail }) => {
            assert_eq!(at, Duration::from_secs(5));
            assert!(
                trace_tail.contains("5.000000000 h0 timer-fired t0"),
                "{trace_tail}"
            );
        }
        other => panic!("expected Quiescent, got {other:?}"),
    }
    assert!(!sim.is_running());
    assert!(sim.trace().render().ends_with("run-ended failed\n"));
    sim.after(Duration::ZERO, |r| r.stop().expect("running"));
    assert_eq!(sim.run(), Ok(()));
}

/// A run whose next event lies past the time limit returns `TimeLimit` without moving the
/// clock past the limit; the far timer stays pending.
#[test]
fn sim_run_past_the_time_limit_is_time_limit() {
    let limit = Duration::from_secs(3600);
    let mut sim = Sim::with_config(SimConfig {
        time_limit: limit,
        ..SimConfig::new(SEED)
    });
    sim.after(Duration::from_secs(60), |_| {});
    let far = sim.after(limit * 2, |_| panic!("past the limit"));
    match sim.run() {
        Err(LifecycleError::TimeLimit {
            limit: reported, ..
        }) => assert_eq!(reported, limit),
        other => panic!("expected TimeLimit, got {other:?}"),
    }
    assert_eq!(sim.now(), Duration::from_secs(60));
    assert_eq!(sim.timer_state(far), Ok(TimerState::Pending));
}

/// Virtual time jumps straight to each deadline and stands still within a callback: a timer
/// fires at exactly its deadline.
#[test]
fn sim_timers_fire_at_exactly_their_deadline() {
    let mut sim = Sim::new(SEED);
    let seen: Rc<RefCell<Vec<Duration>>> = Rc::default();
    let s = seen.clone();
    sim.after(Duration::from_millis(1500), move |r| {
        s.borrow_mut().push(r.now());
        let s2 = s.clone();
        r.after(Duration::from_secs(3600), move |r| {
            s2.borrow_mut().push(r.now());
            r.stop().expect("running");
        });
        s.borrow_mut().push(r.now());
    });
    assert_eq!(sim.now(), Duration::ZERO);
    assert_eq!(sim.run(), Ok(()));
    let h = Duration::from_secs(3600);
    let ms1500 = Duration::from_millis(1500);
    assert_eq!(*seen.borrow(), [ms1500, ms1500, ms1500 + h]);
    assert_eq!(sim.now(), ms1500 + h);
}

/// `SimConfig::exact` ignores the environment; two simulations with one seed give one trace.
#[test]
fn sim_same_seed_gives_the_same_trace() {
    let trace = || {
        let mut sim = Sim::with_config(SimConfig::exact(7));
        assert_eq!(sim.seed(), 7);
        for i in 0..5u64 {
            sim.after(Duration::from_millis(10 * (i % 3)), |_| {});
        }
        sim.after(Duration::from_millis(50), |r| r.stop().expect("running"));
        sim.run().expect("stops");
        sim.trace().render()
    };
    let first = trace();
    assert!(first.contains("0.050000000 h0 stop-requested"), "{first}");
    assert_eq!(first, trace());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Against a model: timers with random delays (many equal), some cancelled, fire in
    /// (deadline, scheduling order), each at exactly its deadline; cancelled ones never fire.
    #[test]
    fn sim_timers_fire_in_deadline_then_fifo_order(
        delays in prop::collection::vec(0u64..8, 1..40),
        cancel_mask in prop::collection::vec(any::<bool>(), 40),
    ) {
        let mut sim = Sim::with_config(SimConfig::exact(SEED));
        let fired: Rc<RefCell<Vec<(usize, Duration)>>> = Rc::default();
        let mut ids: Vec<TimerId> = Vec::new();
        for (i, &d) in delays.iter().enumerate() {
            let f = fired.clone();
            ids.push(sim.after(Duration::from_millis(d), move |r| {
                f.borrow_mut().push((i, r.now()));
            }));
        }
        let mut expected: Vec<(u64, usize)> = Vec::new();
        for (i, &d) in delays.iter().enumerate() {
            if cancel_mask[i] && i % 3 == 0 {
                sim.cancel(ids[i]).expect("pending");
            } else {
                expected.push((d, i));
            }
        }
        expected.sort();
        sim.after(Duration::from_millis(100), |r| r.stop().expect("running"));
        prop_assert_eq!(sim.run(), Ok(()));
        let expected: Vec<(usize, Duration)> = expected
            .into_iter()
            .map(|(d, i)| (i, Duration::from_millis(d)))
            .collect();
        prop_assert_eq!(&*fired.borrow(), &expected);
    }
}

/// What a timer callback does in [`sim_timer_passes_match_a_model`].
#[derive(Clone, Copy, Debug)]
enum Action {
    Schedule(u64),
    Cancel(usize),
    Postpone(usize, u64),
    Reschedule(usize, u64),
    Nothing,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0u64..6).prop_map(Action::Schedule),
        any::<usize>().prop_map(Action::Cancel),
        (any::<usize>(), 0u64..4).prop_map(|(i, by)| Action::Postpone(i, by)),
        (any::<usize>(), 0u64..6).prop_map(|(i, d)| Action::Reschedule(i, d)),
        Just(Action::Nothing),
    ]
}

/// The simulator side of the model test: which timer fired when, and what each action
/// returned.
#[derive(Default)]
struct Script {
    ids: Vec<TimerId>,
    actions: Vec<Action>,
    next_action: usize,
    log: Vec<String>,
}

fn outcome(r: Result<(), twinreactor::TimerError>) -> &'static str {
    match r {
        Ok(()) => "ok",
        Err(twinreactor::TimerError::AlreadyFired(_)) => "fired",
        Err(twinreactor::TimerError::AlreadyCancelled(_)) => "cancelled",
        Err(twinreactor::TimerError::Unknown(_)) => "unknown",
    }
}

fn scripted(script: Rc<RefCell<Script>>, index: usize) -> impl FnOnce(&mut dyn Reactor) {
    move |r| {
        let ms = Duration::from_millis;
        let mut s = script.borrow_mut();
        s.log.push(format!("t{index} fired at {:?}", r.now()));
        let act = s
            .actions
            .get(s.next_action)
            .copied()
            .unwrap_or(Action::Nothing);
        s.next_action += 1;
        let n = s.ids.len();
        let line = match act {
            Action::Schedule(d) => {
                let id = r.call_later(
                    ms(d),
                    twinreactor::TimerFn::new(scripted(script.clone(), n)),
                );
                s.ids.push(id);
                format!("schedule t{n} +{d}")
            }
            Action::Cancel(j) => format!("cancel t{}: {}", j % n, outcome(r.cancel(s.ids[j % n]))),
            Action::Postpone(j, by) => format!(
                "postpone t{} +{by}: {}",
                j % n,
                outcome(r.postpone(s.ids[j % n], ms(by)))
            ),
            Action::Reschedule(j, d) => format!(
                "reschedule t{} +{d}: {}",
                j % n,
                outcome(r.reschedule(s.ids[j % n], ms(d)))
            ),
            Action::Nothing => return,
        };
        s.log.push(line);
    }
}

/// The model: the contract's timer rules written plainly. Each iteration takes a pass mark;
/// a pass fires, in (deadline, sequence) order, the pending timers due at the pass's time
/// whose sequence number is older than the mark; scheduling, postponing and rescheduling all
/// take a new sequence number; time jumps to the next deadline once nothing is due.
fn model(delays: &[u64], actions: &[Action]) -> Vec<String> {
    #[derive(PartialEq)]
    enum St {
        Pending,
        Fired,
        Cancelled,
    }
    struct T {
        deadline: u64,
        seq: u64,
        st: St,
    }
    let mut timers: Vec<T> = Vec::new();
    let mut next_seq = 0;
    let mut now = 0;
    let mut log = Vec::new();
    let mut next_action = 0;
    for &d in delays {
        timers.push(T {
            deadline: d,
            seq: next_seq,
            st: St::Pending,
        });
        next_seq += 1;
    }
    let state = |t: &T| match t.st {
        St::Pending => "ok",
        St::Fired => "fired",
        St::Cancelled => "cancelled",
    };
    loop {
        let limit = next_seq;
        loop {
            let due = timers
                .iter()
                .enumerate()
                .filter(|(_, t)| t.st == St::Pending && t.deadline <= now && t.seq < limit)
                .min_by_key(|(_, t)| (t.deadline, t.seq))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            timers[i].st = St::Fired;
            log.push(format!("t{i} fired at {:?}", Duration::from_millis(now)));
            let act = actions.get(next_action).copied().unwrap_or(Action::Nothing);
            next_action += 1;
            let n = timers.len();
            let line = match act {
                Action::Schedule(d) => {
                    timers.push(T {
                        deadline: now + d,
                        seq: next_seq,
                        st: St::Pending,
                    });
                    next_seq += 1;
                    format!("schedule t{n} +{d}")
                }
                Action::Cancel(j) => {
                    let t = &mut timers[j % n];
                    let out = state(t);
                    if t.st == St::Pending {
                        t.st = St::Cancelled;
                    }
                    format!("cancel t{}: {out}", j % n)
                }
                Action::Postpone(j, by) | Action::Reschedule(j, by) => {
                    let t = &mut timers[j % n];
                    let out = state(t);
                    if t.st == St::Pending {
                        t.deadline = match act {
                            Action::Postpone(..) => t.deadline + by,
                            _ => now + by,
                        };
                        t.seq = next_seq;
                        next_seq += 1;
                    }
                    let verb = match act {
                        Action::Postpone(..) => "postpone",
                        _ => "reschedule",
                    };
                    format!("{verb} t{} +{by}: {out}", j % n)
                }
                Action::Nothing => continue,
            };
            log.push(line);
        }
        let next = timers
            .iter()
            .filter(|t| t.st == St::Pending)
            .map(|t| t.deadline)
            .min();
        match next {
            Some(d) => now = now.max(d),
            None => return log,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Against a model of passes: timers that schedule, cancel, postpone and reschedule
    /// others (including due ones, during a pass) fire in exactly the order and at exactly the
    /// virtual times the contract's rules give, and every operation returns what the model
    /// says. This checks the shared timer queue both reactors use.
    #[test]
    fn sim_timer_passes_match_a_model(
        delays in prop::collection::vec(0u64..6, 1..8),
        actions in prop::collection::vec(action(), 0..48),
    ) {
        let mut sim = Sim::with_config(SimConfig::exact(SEED));
        let script = Rc::new(RefCell::new(Script { actions: actions.clone(), ..Script::default() }));
        for (i, &d) in delays.iter().enumerate() {
            let id = sim.call_later(Duration::from_millis(d), twinreactor::TimerFn::new(scripted(script.clone(), i)));
            script.borrow_mut().ids.push(id);
        }
        // Nothing ever stops this reactor: it ends quiescent once no timer is left.
        let end = sim.run();
        prop_assert!(matches!(end, Err(LifecycleError::Quiescent { .. })), "{:?}", end);
        let got = std::mem::take(&mut script.borrow_mut().log);
        prop_assert_eq!(got, model(&delays, &actions));
    }
}

/// A chain of zero-delay timers that never ends freezes virtual time: after
/// `livelock_iterations` iterations at one instant, `run()` returns `Livelock` with the seed
/// and the trace tail, never a hang.
#[test]
fn sim_a_zero_delay_loop_is_a_livelock_not_a_hang() {
    fn forever(r: &mut dyn Reactor) {
        r.after(Duration::ZERO, forever);
    }
    let mut sim = Sim::with_config(SimConfig {
        livelock_iterations: 1_000,
        ..SimConfig::exact(SEED)
    });
    sim.after(Duration::from_millis(5), forever);
    match sim.run() {
        Err(LifecycleError::Livelock {
            at,
            iterations,
            seed,
            trace_tail,
        }) => {
            assert_eq!(
                (at, iterations, seed),
                (Duration::from_millis(5), 1_000, SEED)
            );
            assert!(
                trace_tail.contains("0.005000000 h0 timer-fired"),
                "{trace_tail}"
            );
        }
        other => panic!("expected Livelock, got {other:?}"),
    }
}

/// With a virtual CPU cost per iteration, time moves while a zero-delay chain works, so a
/// datagram sent before the chain lands while it runs (as on an OS); without one, virtual
/// time stands still until the chain ends.
#[test]
fn sim_cpu_cost_lets_io_land_during_a_zero_delay_chain() {
    use std::net::SocketAddr;
    use twinreactor::{DatagramProtocol, SocketId, Udp, UdpOptions};
    use twinreactor_sim::CpuCost;

    struct Note(Rc<Cell<u32>>, Rc<Cell<Option<u32>>>);
    impl DatagramProtocol for Note {
        fn datagram(&mut self, _: &mut dyn Reactor, _: SocketId, _: &[u8], _: SocketAddr) {
            self.1.set(Some(self.0.get()));
        }
    }
    fn chain(r: &mut dyn Reactor, done: Rc<Cell<u32>>) {
        done.set(done.get() + 1);
        if done.get() < 20_000 {
            r.after(Duration::ZERO, move |r| chain(r, done));
        } else {
            r.stop().unwrap();
        }
    }
    let arrival = |cpu: Option<CpuCost>| {
        let mut sim = Sim::with_config(SimConfig {
            cpu,
            ..SimConfig::exact(SEED)
        });
        let (done, at) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(None)));
        let rx = sim
            .bind_udp(
                "127.0.0.1:0".parse().unwrap(),
                Box::new(Note(done.clone(), at.clone())),
                UdpOptions::default(),
            )
            .unwrap();
        let to = sim.udp_local_addr(rx).unwrap();
        sim.send_to(rx, b"x", to).unwrap();
        let d = done.clone();
        sim.after(Duration::ZERO, move |r| chain(r, d));
        sim.run().unwrap();
        at.get()
    };
    assert_eq!(
        arrival(None),
        None,
        "frozen time: the chain ends (and stops the reactor) before the datagram can land"
    );
    let cost = CpuCost::new(Duration::from_micros(1), Duration::from_micros(5)).unwrap();
    let landed = arrival(Some(cost)).expect("the datagram lands during the chain");
    assert!(
        landed < 200,
        "moving time: within the first iterations, at {landed}"
    );
}

/// Hosts with clocks of their own (`Sim::set_clock`): a host whose clock runs 10% fast
/// fires its ten-second timer before a host with a true clock fires its own, and each host's
/// `now()` reads its own clock.
#[test]
fn sim_host_clocks_drift_and_timers_follow_them() {
    use twinreactor_sim::{HostClock, HostId};
    let mut sim = Sim::with_config(SimConfig::exact(SEED));
    let fast = sim.add_host();
    sim.set_clock(
        fast,
        HostClock::new(Duration::from_secs(100), 100_000).unwrap(),
    )
    .unwrap();
    let order = Rc::new(RefCell::new(Vec::new()));
    for host in [HostId::FIRST, fast] {
        let o = order.clone();
        sim.with_host(host, |r| {
            r.after(Duration::from_secs(10), move |r| {
                o.borrow_mut().push((host, r.now()));
            });
        })
        .unwrap();
        sim.start(host).unwrap();
    }
    sim.run_until_idle().unwrap();
    let order = order.borrow();
    assert_eq!(order[0].0, fast, "the fast clock's timer first: {order:?}");
    assert_eq!(order[1], (HostId::FIRST, Duration::from_secs(10)));
    // The fast host started at its 100 s, and its timer fired at its 110 s.
    assert_eq!(order[0].1, Duration::from_secs(110));
    let trace = sim.trace().render();
    assert!(trace.contains("9.090909091 h1 timer-fired"), "{trace}");
    assert!(
        trace.contains("0.000000000 h0 clock h1 offset 100.000000000 drift +100000ppm"),
        "{trace}"
    );
    assert_eq!(
        HostClock::new(Duration::ZERO, -200_000),
        Err(twinreactor_sim::SimError::BadClock(-200_000))
    );
}

/// Clocks drawn from the seed (`SimConfig::clocks`): each host added draws its own, within the
/// bounds; the trace says which; the same seed draws the same clocks; off, nothing is drawn
/// and nothing traced.
#[test]
fn sim_clocks_drawn_from_the_seed_are_traced_and_repeat() {
    use twinreactor_sim::ClockSkew;
    let skew = ClockSkew {
        max_offset: Duration::from_millis(500),
        max_drift_ppm: 2_000,
    };
    let draw = |seed| {
        let mut sim = Sim::with_config(SimConfig {
            clocks: skew,
            ..SimConfig::exact(seed)
        });
        let hosts: Vec<_> = (0..4).map(|_| sim.add_host()).collect();
        let clocks: Vec<_> = hosts.iter().map(|h| sim.clock(*h).unwrap()).collect();
        (clocks, sim.trace().render())
    };
    let (clocks, trace) = draw(SEED);
    assert_eq!(draw(SEED).0, clocks);
    assert_ne!(draw(SEED + 1).0, clocks, "another seed, other clocks");
    for c in &clocks {
        assert!(c.offset() <= skew.max_offset && c.drift_ppm().unsigned_abs() <= 2_000);
    }
    assert!(clocks.iter().any(|c| c.drift_ppm() != 0), "{clocks:?}");
    assert_eq!(trace.matches(" clock h").count(), 5, "h0 too:\n{trace}");
    let plain = Sim::with_config(SimConfig::exact(SEED));
    assert!(!plain.trace().render().contains("clock"));
}
