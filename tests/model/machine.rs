//! The state machine proptest-state-machine drives: transitions are top-level operations and
//! runs; each reactor ("lane") follows them with its own model.
//!
//! The reference state only carries the simulator's seed: what a sequence may do next never
//! depends on what came before (every operation is legal, and an illegal one is checked for
//! its typed error), and the model that checks answers lives beside each lane, because the
//! real reactor decides, as it runs, when I/O callbacks come.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use twinreactor::Reactor;
use twinreactor_real::RealReactor;
use twinreactor_sim::{Sim, SimConfig, TraceHandle};

use crate::exec::{complete, lock, run_body, schedule, Ctx};
use crate::helper_stubs::corpus_stubs;
use crate::ops::{op, Op, Place};
use crate::shadow::timers::Class;
use crate::shadow::Shadow;

/// How long after `run()` begins the harness's guard timer ends the run; the backup guard
/// crashes it twice as late. Short, so sequences are fast; I/O on loopback gets there first
/// or carries over to the next run.
const GUARD: Duration = Duration::from_millis(4);

/// One step of a sequence, made from outside `run()`.
#[derive(Clone, Debug)]
pub enum Step {
    /// An operation.
    Op(Op),
    /// `run()`, ended by a guard timer that calls `stop()` (or else `crash()`).
    Run {
        /// Whether the guard calls `stop()` rather than `crash()`.
        stop: bool,
    },
}

/// The reference machine: a seed, and steps drawn independently of one another.
pub struct Sequences;

impl ReferenceStateMachine for Sequences {
    type State = u64;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<u64> {
        any::<u64>().boxed()
    }

    fn transitions(_: &u64) -> BoxedStrategy<Step> {
        prop_oneof![
            4 => op(2, Place::Top).prop_map(Step::Op),
            1 => prop::bool::weighted(0.2).prop_map(|stop| Step::Run { stop }),
        ]
        .boxed()
    }

    fn apply(seed: u64, _: &Step) -> u64 {
        seed
    }
}

/// One reactor and its model.
pub struct Lane {
    reactor: Box<dyn Reactor>,
    ctx: Ctx,
    trace: Option<TraceHandle>,
}

impl Lane {
    fn new(reactor: Box<dyn Reactor>, trace: Option<TraceHandle>) -> Self {
        let ctx = Arc::new(Mutex::new(Shadow::default()));
        Self {
            reactor,
            ctx,
            trace,
        }
    }

    fn step(&mut self, step: &Step) {
        let r = &mut *self.reactor;
        match step {
            Step::Op(op) => run_body(r, &self.ctx, std::slice::from_ref(op)),
            Step::Run { stop } => self.run(*stop),
        }
    }

    /// Runs once, guarded; then cancels the guards that did not fire.
    fn run(&mut self, stop: bool) {
        let (r, ctx) = (&mut *self.reactor, &self.ctx);
        let expected = lock(ctx).check_run();
        if expected.is_err() {
            assert_eq!(r.run(), expected, "run()");
            return;
        }
        let end = if stop { Op::Stop } else { Op::Crash };
        schedule(r, ctx, GUARD, Class::Guard, vec![end]);
        schedule(r, ctx, 2 * GUARD, Class::Guard, vec![Op::Crash]);
        lock(ctx).begin_run();
        assert_eq!(r.run(), Ok(()), "run()");
        lock(ctx).end_run();
        let guards = lock(ctx).timers.pending_guards();
        for id in guards {
            let expected = lock(ctx).timers.cancel(id);
            assert_eq!(r.cancel(id), expected, "cancel({id})");
        }
    }

    /// Shuts the reactor down if it still can (completing what holds it), then checks that
    /// every I/O object had its final callback.
    fn finish(&mut self) {
        for _ in 0..3 {
            if lock(&self.ctx).check_run().is_err() {
                break;
            }
            let open = lock(&self.ctx).events.open_completions();
            for c in open {
                complete(&mut *self.reactor, &self.ctx, c);
            }
            self.run(true);
        }
        let m = lock(&self.ctx);
        if m.life.stopped {
            m.io.check_all_ended();
        }
    }
}

/// The model test on the simulator: two simulators with one seed, traces compared.
pub struct OnSim;

impl StateMachineTest for OnSim {
    type SystemUnderTest = Vec<Lane>;
    type Reference = Sequences;

    fn init_test(seed: &u64) -> Vec<Lane> {
        let lane = || {
            let sim = Sim::with_config(SimConfig {
                process: corpus_stubs(),
                ..SimConfig::exact(*seed)
            });
            let trace = sim.trace();
            Lane::new(Box::new(sim), Some(trace))
        };
        vec![lane(), lane()]
    }

    fn apply(mut lanes: Vec<Lane>, _: &u64, step: Step) -> Vec<Lane> {
        for lane in &mut lanes {
            lane.step(&step);
        }
        lanes
    }

    fn teardown(mut lanes: Vec<Lane>, _: u64) {
        for lane in &mut lanes {
            lane.finish();
        }
        let traces: Vec<String> = lanes
            .iter()
            .filter_map(|l| l.trace.as_ref().map(TraceHandle::render))
            .collect();
        assert_eq!(traces[0], traces[1], "one seed gave two traces");
    }
}

/// The model test on the real reactor.
pub struct OnReal;

impl StateMachineTest for OnReal {
    type SystemUnderTest = Lane;
    type Reference = Sequences;

    fn init_test(_: &u64) -> Lane {
        let real = RealReactor::new().expect("the OS gives a poll instance and a waker");
        Lane::new(Box::new(real), None)
    }

    fn apply(mut lane: Lane, _: &u64, step: Step) -> Lane {
        lane.step(&step);
        lane
    }

    fn teardown(mut lane: Lane, _: u64) {
        lane.finish();
    }
}
