//! The model of triggers, completions and firings (the phase machine of `docs/contract.md`,
//! section 2).

use std::collections::{BTreeMap, BTreeSet};

use twinreactor::{CompletionId, Phase, TriggerError, TriggerId};

use crate::ops::Event;

/// What became of a trigger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrigState {
    /// Not run, not removed.
    Pending,
    /// Its callback has run (or is running).
    Ran,
    /// Removed before it ran.
    Removed,
}

/// One trigger the reactor issued.
#[derive(Clone, Debug)]
pub struct Trigger {
    /// Its event.
    pub event: Event,
    /// Its phase.
    pub phase: Phase,
    /// Pending, ran or removed.
    pub state: TrigState,
}

/// Who fires an event: the user, or the reactor's own startup or shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `fire_system_event`.
    Plain,
    /// The reactor's own `startup`.
    Startup,
    /// The reactor's own `shutdown`.
    Shutdown,
}

/// A firing in progress.
#[derive(Clone, Debug)]
pub struct Firing {
    /// Who fires it.
    pub role: Role,
    /// The phase it is in or waits to enter; `None` once After is over.
    pub stage: Option<Phase>,
    /// Whether `stage` has been entered.
    pub entered: bool,
    /// A trigger of it is running.
    pub busy: bool,
    /// Open completions that hold its next stage.
    pub holds: BTreeSet<u64>,
}

/// Triggers, completions and firings.
#[derive(Clone, Debug, Default)]
pub struct Events {
    /// Triggers by raw id (ids count up from `g0`).
    pub triggers: Vec<Trigger>,
    /// Completions by raw id (ids count up from `c0`): completed or not.
    pub completed: Vec<bool>,
    /// Firings in progress.
    pub firings: BTreeMap<Event, Firing>,
}

/// The phase after `p`, or `None` after After.
pub fn next_phase(p: Phase) -> Option<Phase> {
    match p {
        Phase::Before => Some(Phase::During),
        Phase::During => Some(Phase::After),
        Phase::After => None,
    }
}

impl Events {
    /// Records a new trigger; checks its id.
    pub fn added(&mut self, id: TriggerId, event: Event, phase: Phase) {
        assert_eq!(
            id.raw(),
            self.triggers.len() as u64,
            "trigger ids count up from g0"
        );
        self.triggers.push(Trigger {
            event,
            phase,
            state: TrigState::Pending,
        });
    }

    /// `remove_trigger`: the expected answer, applied.
    pub fn remove(&mut self, id: TriggerId) -> Result<(), TriggerError> {
        let t = self
            .triggers
            .get_mut(id.raw() as usize)
            .ok_or(TriggerError::UnknownTrigger(id))?;
        match t.state {
            TrigState::Pending => {
                t.state = TrigState::Removed;
                Ok(())
            }
            TrigState::Ran => Err(TriggerError::AlreadyRun(id)),
            TrigState::Removed => Err(TriggerError::AlreadyRemoved(id)),
        }
    }

    /// The first pending trigger of `event` in `phase` (FIFO = id order).
    pub fn next_pending(&self, event: Event, phase: Phase) -> Option<usize> {
        self.triggers
            .iter()
            .position(|t| t.event == event && t.phase == phase && t.state == TrigState::Pending)
    }

    /// Whether `event` has a pending trigger in any phase.
    pub fn has_pending(&self, event: Event) -> bool {
        self.triggers
            .iter()
            .any(|t| t.event == event && t.state == TrigState::Pending)
    }

    /// Starts a firing.
    pub fn begin(&mut self, event: Event, role: Role) {
        let fresh = Firing {
            role,
            stage: Some(Phase::Before),
            entered: false,
            busy: false,
            holds: BTreeSet::new(),
        };
        assert!(self.firings.insert(event, fresh).is_none());
    }

    /// Records a new completion; checks its id.
    pub fn new_completion(&mut self, id: CompletionId) {
        assert_eq!(
            id.raw(),
            self.completed.len() as u64,
            "completion ids count up from c0"
        );
        self.completed.push(false);
    }

    /// `complete`: the expected answer, applied; on success, the events it released.
    pub fn complete(&mut self, id: CompletionId) -> Result<Vec<Event>, TriggerError> {
        let done = self
            .completed
            .get_mut(id.raw() as usize)
            .ok_or(TriggerError::UnknownCompletion(id))?;
        if std::mem::replace(done, true) {
            return Err(TriggerError::AlreadyCompleted(id));
        }
        let mut released = Vec::new();
        for (event, f) in &mut self.firings {
            if f.holds.remove(&id.raw()) {
                released.push(*event);
            }
        }
        Ok(released)
    }

    /// The open completions.
    pub fn open_completions(&self) -> Vec<CompletionId> {
        (0..self.completed.len())
            .filter(|&i| !self.completed[i])
            .map(|i| CompletionId::from_raw(i as u64))
            .collect()
    }
}
