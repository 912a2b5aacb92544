//! System-event bookkeeping: registered triggers, completions and firings in progress.
//!
//! This module only keeps state; [`super::firing`] calls the triggers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use twinreactor::{CompletionId, Phase, TriggerError, TriggerFn, TriggerId};

/// What a firing means to the reactor's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Fired by the user; only its triggers run.
    Plain,
    /// The reactor's own `startup`: `During` sets `is_running`.
    Startup,
    /// The reactor's own `shutdown`: after `Before`, everything is closed and `is_running`
    /// turns false; the end of the firing ends `run()`.
    Shutdown,
}

/// Where a firing is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The phase whose triggers run next (or run now, if `busy`).
    Phase(Phase),
    /// Every phase has run; the firing ends once nothing holds it.
    End,
}

/// A firing of one event in progress.
pub struct Firing {
    /// The event's shared name.
    pub name: Arc<str>,
    /// Where it is.
    pub stage: Stage,
    /// True while a phase's triggers are being called (a completion completed then does
    /// not advance the firing: the phase in progress does, when it ends).
    pub busy: bool,
    /// True once the phase in `stage` has begun (its lifecycle effect applied, its start
    /// traced). A firing stalled by `crash()` resumes without beginning the phase again.
    pub entered: bool,
    /// Completions that hold the next stage.
    pub waiting: BTreeSet<CompletionId>,
    /// What the firing means to the lifecycle.
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum CompletionState {
    Open,
    Holding(Vec<Arc<str>>),
    Done,
}

#[derive(Default)]
struct EventTriggers {
    phases: [VecDeque<(TriggerId, TriggerFn)>; 3],
}

/// Triggers, completions and firings of one reactor.
#[derive(Default)]
pub struct Events {
    next_trigger: u64,
    registered: BTreeMap<Arc<str>, EventTriggers>,
    /// Pending triggers: where each one is registered.
    pending: BTreeMap<TriggerId, (Arc<str>, Phase)>,
    removed: BTreeSet<TriggerId>,
    completions: Vec<CompletionState>,
    /// Firings in progress (rarely more than one; empty and unallocated between firings).
    firings: Vec<Firing>,
}

fn phase_index(p: Phase) -> usize {
    match p {
        Phase::Before => 0,
        Phase::During => 1,
        Phase::After => 2,
    }
}

impl Events {
    /// No triggers, no firings.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a trigger.
    pub fn add(&mut self, phase: Phase, event: &str, f: TriggerFn) -> TriggerId {
        let id = TriggerId::from_raw(self.next_trigger);
        self.next_trigger += 1;
        let name = self.intern(event);
        self.registered.entry(name.clone()).or_default().phases[phase_index(phase)]
            .push_back((id, f));
        self.pending.insert(id, (name, phase));
        id
    }

    /// Removes a trigger that has not run, dropping its callback.
    pub fn remove(&mut self, id: TriggerId) -> Result<(), TriggerError> {
        let Some((name, phase)) = self.pending.remove(&id) else {
            return Err(if id.raw() >= self.next_trigger {
                TriggerError::UnknownTrigger(id)
            } else if self.removed.contains(&id) {
                TriggerError::AlreadyRemoved(id)
            } else {
                TriggerError::AlreadyRun(id)
            });
        };
        if let Some(t) = self.registered.get_mut(&name) {
            t.phases[phase_index(phase)].retain(|(tid, _)| *tid != id);
        }
        self.removed.insert(id);
        Ok(())
    }

    /// Takes the next trigger registered for `phase` of `event`, marking it run.
    pub fn take_next(&mut self, event: &str, phase: Phase) -> Option<(TriggerId, TriggerFn)> {
        let queue = &mut self.registered.get_mut(event)?.phases[phase_index(phase)];
        let (id, f) = queue.pop_front()?;
        self.pending.remove(&id);
        Some((id, f))
    }

    /// Whether `event` has any trigger registered in any phase.
    pub fn has_triggers(&self, event: &str) -> bool {
        self.registered
            .get(event)
            .is_some_and(|t| t.phases.iter().any(|q| !q.is_empty()))
    }

    /// Starts a firing of `event`, or returns `AlreadyFiring`.
    pub fn begin_firing(&mut self, event: &str, role: Role) -> Result<Arc<str>, TriggerError> {
        if self.is_firing(event) {
            return Err(TriggerError::AlreadyFiring(event.to_owned()));
        }
        let name = self.intern(event);
        self.firings.push(Firing {
            name: name.clone(),
            stage: Stage::Phase(Phase::Before),
            busy: false,
            entered: false,
            waiting: BTreeSet::new(),
            role,
        });
        Ok(name)
    }

    /// The firing of `event` in progress, if any.
    pub fn firing_mut(&mut self, event: &str) -> Option<&mut Firing> {
        self.firings.iter_mut().find(|f| &*f.name == event)
    }

    /// Whether `event` is firing now.
    pub fn is_firing(&self, event: &str) -> bool {
        self.firings.iter().any(|f| &*f.name == event)
    }

    /// Firings that are neither running a phase nor waiting: stalled by `crash()`, by name.
    pub fn stalled(&self) -> Vec<Arc<str>> {
        let mut stalled: Vec<Arc<str>> = self
            .firings
            .iter()
            .filter(|f| !f.busy && f.waiting.is_empty())
            .map(|f| f.name.clone())
            .collect();
        stalled.sort();
        stalled
    }

    /// Ends the firing of `event`.
    pub fn end_firing(&mut self, event: &str) -> Option<Firing> {
        let at = self.firings.iter().position(|f| &*f.name == event)?;
        let firing = self.firings.swap_remove(at);
        if self.firings.is_empty() {
            // A host between firings holds no memory for them.
            self.firings = Vec::new();
        }
        Some(firing)
    }

    /// Makes an open completion.
    pub fn new_completion(&mut self) -> CompletionId {
        self.completions.push(CompletionState::Open);
        CompletionId::from_raw((self.completions.len() - 1) as u64)
    }

    /// Makes `completion` hold the next stage of `event`'s firing. Returns false (and holds
    /// nothing) if it is unknown or already done.
    pub fn hold(&mut self, event: &Arc<str>, completion: CompletionId) -> bool {
        let Some(state) = self.completion_state(completion) else {
            return false;
        };
        match state {
            CompletionState::Done => return false,
            CompletionState::Open => *state = CompletionState::Holding(vec![event.clone()]),
            CompletionState::Holding(events) => events.push(event.clone()),
        }
        if let Some(f) = self.firing_mut(event) {
            f.waiting.insert(completion);
        }
        true
    }

    /// Completes `completion`; returns the events it was holding.
    pub fn complete(&mut self, completion: CompletionId) -> Result<Vec<Arc<str>>, TriggerError> {
        let state = self
            .completion_state(completion)
            .ok_or(TriggerError::UnknownCompletion(completion))?;
        match std::mem::replace(state, CompletionState::Done) {
            CompletionState::Done => Err(TriggerError::AlreadyCompleted(completion)),
            CompletionState::Open => Ok(Vec::new()),
            CompletionState::Holding(events) => {
                for event in &events {
                    if let Some(f) = self.firing_mut(event) {
                        f.waiting.remove(&completion);
                    }
                }
                Ok(events)
            }
        }
    }

    fn completion_state(&mut self, c: CompletionId) -> Option<&mut CompletionState> {
        usize::try_from(c.raw())
            .ok()
            .and_then(|i| self.completions.get_mut(i))
    }

    /// `event`'s shared name: the registered one if it has triggers registered, else a new
    /// one (an event fired without triggers keeps no entry).
    fn intern(&self, event: &str) -> Arc<str> {
        match self.registered.get_key_value(event) {
            Some((k, _)) => k.clone(),
            None => Arc::from(event),
        }
    }
}
