//! The reference model: plain data that says what the contract lets a reactor answer and
//! call next. It follows the reactor online (the real reactor decides when I/O arrives), so
//! each answer and each callback is checked at the moment it happens.

pub mod events;
pub mod io;
pub mod timers;

use std::collections::VecDeque;

use twinreactor::{LifecycleError, Phase};

use crate::ops::Event;
use events::{next_phase, Events, Role, TrigState};
use io::Io;
use timers::Timers;

/// The lifecycle flags of `docs/contract.md`, section 1.
#[derive(Clone, Debug, Default)]
pub struct Life {
    /// Inside `run()`.
    pub in_run: bool,
    /// What `is_running()` answers.
    pub running: bool,
    /// `stop()` was accepted.
    pub stop_called: bool,
    /// The reactor's own shutdown firing has begun.
    pub shutdown_begun: bool,
    /// Shutdown has closed everything.
    pub shutdown_closed: bool,
    /// The reactor's own shutdown firing has ended.
    pub stopped: bool,
    /// `crash()` was accepted in this run.
    pub crash_requested: bool,
    /// Shutdown is closing everything: the final callbacks it delivers still see
    /// `is_running()` true; it turns false once the close is over.
    pub closing: bool,
}

/// The whole model of one reactor.
#[derive(Clone, Debug, Default)]
pub struct Shadow {
    /// Timers.
    pub timers: Timers,
    /// Triggers, completions, firings.
    pub events: Events,
    /// Lifecycle flags.
    pub life: Life,
    /// Remote calls queued and not yet run, by number.
    pub remote: VecDeque<u64>,
    /// Remote calls queued so far.
    pub remote_count: u64,
    /// I/O objects.
    pub io: Io,
    /// Final I/O callbacks running now (nested).
    pub finals: u32,
}

impl Shadow {
    /// Ends a close that shutdown began, once no final callback of it is running.
    fn settle(&mut self) {
        if self.life.closing && self.finals == 0 {
            self.life.closing = false;
            self.life.running = false;
            self.advance(Event::Shutdown);
        }
    }

    /// What `is_running()` answers now.
    pub fn running(&mut self) -> bool {
        self.settle();
        self.life.running
    }

    /// What `run()` answers now.
    pub fn check_run(&mut self) -> Result<(), LifecycleError> {
        self.settle();
        let l = &self.life;
        if l.running {
            Err(LifecycleError::AlreadyRunning)
        } else if l.stop_called && (l.in_run || l.stopped) {
            Err(LifecycleError::NotRestartable)
        } else if l.in_run {
            Err(LifecycleError::AlreadyRunning)
        } else {
            Ok(())
        }
    }

    /// What `stop()` answers now, applied.
    pub fn stop(&mut self) -> Result<(), LifecycleError> {
        if !self.running() || self.life.stop_called {
            return Err(LifecycleError::NotRunning);
        }
        self.life.stop_called = true;
        Ok(())
    }

    /// What `crash()` answers now, applied.
    pub fn crash(&mut self) -> Result<(), LifecycleError> {
        if !self.life.in_run {
            return Err(LifecycleError::NotRunning);
        }
        self.life.crash_requested = true;
        Ok(())
    }

    /// `run()` was accepted: fire startup, or go on with a shutdown a crash interrupted.
    pub fn begin_run(&mut self) {
        self.life.in_run = true;
        self.life.crash_requested = false;
        if self.life.stop_called {
            self.life.running = !self.life.shutdown_closed;
        } else {
            self.fire_lifecycle(Event::Startup, Role::Startup);
        }
    }

    /// `run()` returned `Ok`: checks it had a reason to.
    pub fn end_run(&mut self) {
        if !self.life.crash_requested {
            self.shutdown_evidence();
            self.settle();
            assert!(
                self.life.stopped,
                "run() returned, but neither crash() nor a finished shutdown ended it: {:?}",
                self.events.firings
            );
        }
        if !self.life.stopped || self.life.crash_requested {
            self.life.running = false;
        }
        self.life.in_run = false;
        self.life.crash_requested = false;
    }

    /// Checks that a callback that only `run()` makes (timer, remote call, I/O) may come now.
    pub fn gate(&mut self, what: &str) {
        self.settle();
        assert!(self.life.in_run, "{what} ran outside run()");
        assert!(
            !self.life.crash_requested,
            "{what} ran after crash() in the same run"
        );
    }

    /// Checks that a final I/O callback (`stopped`, `disconnected`, `connect_failed`) may come
    /// now: inside `run()`, or while shutdown closes everything within a `complete()` made
    /// outside it (a shutdown held by a completion goes on inside that call).
    pub fn gate_final(&mut self, what: &str) {
        if self.life.in_run {
            assert!(
                !self.life.crash_requested,
                "{what} ran after crash() in the same run"
            );
        } else {
            assert!(self.life.shutdown_closed, "{what} ran outside run()");
        }
    }

    /// Something showed that the reactor's own shutdown has begun, if `stop()` was accepted:
    /// the model begins it too (the reactor begins it at an iteration boundary the model
    /// cannot see).
    pub fn shutdown_evidence(&mut self) {
        let l = &self.life;
        if l.stop_called && l.in_run && !l.shutdown_begun {
            self.life.shutdown_begun = true;
            self.fire_lifecycle(Event::Shutdown, Role::Shutdown);
        }
    }

    /// The reactor fires its own startup or shutdown, adopting a firing in progress.
    fn fire_lifecycle(&mut self, event: Event, role: Role) {
        if let Some(f) = self.events.firings.get_mut(&event) {
            f.role = role;
            let during_begun = match f.stage {
                Some(Phase::Before) => false,
                Some(Phase::During) => f.entered,
                Some(Phase::After) | None => true,
            };
            if during_begun {
                self.enter_phase(role, Phase::During);
            }
        } else {
            self.events.begin(event, role);
        }
        self.advance(event);
    }

    /// `fire_system_event` from the user: the expected answer, applied.
    pub fn fire(&mut self, event: Event) -> Result<(), twinreactor::TriggerError> {
        if self.events.firings.contains_key(&event) {
            return Err(twinreactor::TriggerError::AlreadyFiring(
                event.name().to_owned(),
            ));
        }
        if self.events.has_pending(event) {
            self.events.begin(event, Role::Plain);
            self.advance(event);
        }
        Ok(())
    }

    /// Checks, once a call that runs triggers has returned, that each firing it touched ran
    /// every trigger it could.
    pub fn check_settled(&mut self, event: Event) {
        self.settle();
        if let Some(f) = self.events.firings.get(&event) {
            if !f.busy && (f.entered || f.holds.is_empty()) {
                panic!(
                    "{} stopped firing with nothing holding it: {f:?}",
                    event.name()
                );
            }
        }
    }

    /// Runs `event`'s firing as far as it goes without a trigger or a completion. A phase
    /// whose triggers have all run is over even while completions hold the next one.
    pub fn advance(&mut self, event: Event) {
        loop {
            let Some(f) = self.events.firings.get_mut(&event) else {
                return;
            };
            if f.busy {
                return;
            }
            if f.entered {
                let phase = f.stage.expect("an entered stage is a phase");
                // Shutdown's close may add During triggers from its final callbacks.
                let closing = f.role == Role::Shutdown && self.life.closing;
                if closing || self.events.next_pending(event, phase).is_some() {
                    return;
                }
                let f = self.events.firings.get_mut(&event).expect("still firing");
                f.entered = false;
                f.stage = next_phase(phase);
                continue;
            }
            if !f.holds.is_empty() {
                return;
            }
            let role = f.role;
            match f.stage {
                None => {
                    self.events.firings.remove(&event);
                    if role == Role::Shutdown {
                        self.life.stopped = true;
                    }
                    return;
                }
                Some(phase) => {
                    f.entered = true;
                    self.enter_phase(role, phase);
                }
            }
        }
    }

    fn enter_phase(&mut self, role: Role, phase: Phase) {
        match (role, phase) {
            (Role::Startup, Phase::During) => self.life.running = true,
            (Role::Shutdown, Phase::During) if !self.life.shutdown_closed => {
                self.life.shutdown_closed = true;
                self.io.close_all();
                self.life.closing = true;
            }
            _ => {}
        }
    }

    /// Connect `conn` ended (connected or failed): its timeout timer is pending no more.
    pub fn connect_ended(&mut self, conn: twinreactor::ConnId) {
        if let Some(t) = self.io.connect_timers.remove(&conn.raw()) {
            self.timers.connect_ended(t);
        }
    }

    /// Checks that trigger `raw` may run now, and marks it running.
    pub fn trigger_runs(&mut self, raw: usize) {
        self.settle();
        let t = self.events.triggers[raw].clone();
        assert_eq!(
            t.state,
            TrigState::Pending,
            "g{raw} ran but is {:?}",
            t.state
        );
        if t.event == Event::Shutdown {
            self.shutdown_evidence();
            self.settle();
        }
        assert_eq!(
            self.events.next_pending(t.event, t.phase),
            Some(raw),
            "g{raw} ran before an earlier trigger of its phase"
        );
        let f = self.events.firings.get_mut(&t.event);
        let f = f.unwrap_or_else(|| panic!("g{raw} ran but {} is not firing", t.event.name()));
        assert!(
            f.stage == Some(t.phase) && f.entered && !f.busy,
            "g{raw} ({:?}) ran out of phase: {f:?}",
            t.phase
        );
        f.busy = true;
        self.events.triggers[raw].state = TrigState::Ran;
    }

    /// Trigger `raw` returned, holding `hold` (a completion made for it).
    pub fn trigger_returned(&mut self, raw: usize, hold: Option<u64>) {
        let event = self.events.triggers[raw].event;
        let f = self.events.firings.get_mut(&event).expect("firing");
        f.busy = false;
        if let Some(c) = hold {
            if !self.events.completed[c as usize] {
                f.holds.insert(c);
            }
        }
        self.advance(event);
    }
}
