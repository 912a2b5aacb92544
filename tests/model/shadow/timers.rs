//! The model of timers: states, classes and firing order.

use std::collections::BTreeMap;

use twinreactor::{TimerError, TimerId, TimerState};

/// When a timer is due, as far as the model can tell on both reactors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Delay 0: due at once, ordered by sequence number among themselves.
    Zero,
    /// An hour or more: never due within a sequence.
    Far,
    /// The harness's own timers that end a run after a few milliseconds.
    Guard,
    /// A pending connect's timeout: a reactor timer too (`docs/contract/tcp.md`), made
    /// inside `connect_tcp` and ended with the connect; never named by a sequence.
    Connect,
}

/// One timer the reactor issued.
#[derive(Clone, Debug)]
pub struct Timer {
    /// Pending, fired or cancelled.
    pub state: TimerState,
    /// When it is due.
    pub class: Class,
    /// Its sequence number: from when it was scheduled or last moved.
    pub seq: u64,
}

/// Every timer the reactor issued, by raw id.
#[derive(Clone, Debug, Default)]
pub struct Timers {
    /// The timers, by raw id.
    pub all: BTreeMap<u64, Timer>,
    next_seq: u64,
}

impl Timers {
    /// Records a new timer; checks its id is new and above every earlier one.
    pub fn scheduled(&mut self, id: TimerId, class: Class) {
        let last = self.all.keys().next_back();
        assert!(
            last.is_none_or(|&l| l < id.raw()),
            "{id} reused or out of order"
        );
        let seq = self.bump();
        let state = TimerState::Pending;
        self.all.insert(id.raw(), Timer { state, class, seq });
    }

    /// Records a connect's timeout timer found in `pending` (the reactor's list right after
    /// `connect_tcp`): the pending timer the model did not know, if any.
    pub fn connect_timer(&mut self, pending: &[TimerId]) -> Option<TimerId> {
        let new: Vec<TimerId> = pending
            .iter()
            .copied()
            .filter(|t| !self.all.contains_key(&t.raw()))
            .collect();
        assert!(new.len() <= 1, "connect_tcp made several timers: {new:?}");
        let id = *new.first()?;
        self.scheduled(id, Class::Connect);
        Some(id)
    }

    /// A connect ended: its timeout timer is pending no more.
    pub fn connect_ended(&mut self, id: TimerId) {
        if let Some(t) = self.all.get_mut(&id.raw()) {
            t.state = TimerState::Cancelled;
        }
    }

    fn bump(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// What an operation that needs a pending timer answers for `id`.
    pub fn check_pending(&self, id: TimerId) -> Result<(), TimerError> {
        match self.all.get(&id.raw()).map(|t| t.state) {
            None => Err(TimerError::Unknown(id)),
            Some(TimerState::Pending) => Ok(()),
            Some(TimerState::Fired) => Err(TimerError::AlreadyFired(id)),
            Some(TimerState::Cancelled) => Err(TimerError::AlreadyCancelled(id)),
        }
    }

    /// `cancel`: the expected answer, applied.
    pub fn cancel(&mut self, id: TimerId) -> Result<(), TimerError> {
        self.check_pending(id)?;
        self.timer(id).state = TimerState::Cancelled;
        Ok(())
    }

    /// `reschedule` or `postpone`: the expected answer, applied.
    pub fn moved(&mut self, id: TimerId, class: Class) -> Result<(), TimerError> {
        self.check_pending(id)?;
        let seq = self.bump();
        let t = self.timer(id);
        t.class = class;
        t.seq = seq;
        Ok(())
    }

    /// `timer_state`: the expected answer.
    pub fn state(&self, id: TimerId) -> Result<TimerState, TimerError> {
        self.all
            .get(&id.raw())
            .map(|t| t.state)
            .ok_or(TimerError::Unknown(id))
    }

    /// Checks that `id` may fire now, and marks it fired.
    pub fn fires(&mut self, id: TimerId) {
        let t = self.timer(id);
        assert_eq!(
            t.state,
            TimerState::Pending,
            "{id} fired but is not pending"
        );
        assert_ne!(t.class, Class::Far, "{id} fired an hour early");
        let seq = t.seq;
        let earlier = self
            .all
            .iter()
            .find(|(_, o)| o.state == TimerState::Pending && o.class == Class::Zero && o.seq < seq);
        if let Some((raw, _)) = earlier {
            panic!("{id} fired before t{raw}, which was due earlier (deadline, then FIFO)");
        }
        self.timer(id).state = TimerState::Fired;
    }

    fn timer(&mut self, id: TimerId) -> &mut Timer {
        self.all
            .get_mut(&id.raw())
            .expect("a timer the model knows")
    }

    /// Checks `pending_timers()`: exactly the pending timers; zero-delay ones in sequence
    /// order; far ones last. Connect timeouts end when the OS says, so they are left out.
    pub fn check_pending_list(&self, list: &[TimerId]) {
        let class = |t: &TimerId| self.all.get(&t.raw()).map(|t| t.class);
        let mut got: Vec<TimerId> = list
            .iter()
            .copied()
            .filter(|t| class(t) != Some(Class::Connect))
            .collect();
        let zero: Vec<TimerId> = got
            .iter()
            .copied()
            .filter(|t| class(t) == Some(Class::Zero))
            .collect();
        let mut sorted = zero.clone();
        sorted.sort_by_key(|t| self.all[&t.raw()].seq);
        assert_eq!(
            zero, sorted,
            "pending_timers lists zero-delay timers out of order"
        );
        let first_far = got
            .iter()
            .position(|t| class(t) == Some(Class::Far))
            .unwrap_or(got.len());
        assert!(
            got[first_far..]
                .iter()
                .all(|t| class(t) == Some(Class::Far)),
            "pending_timers lists a far timer before a near one: {list:?}"
        );
        got.sort_unstable();
        let want = self.ids(|t| t.state == TimerState::Pending && t.class != Class::Connect);
        assert_eq!(
            got, want,
            "pending_timers lists other timers than the pending ones"
        );
    }

    /// The pending guard timers.
    pub fn pending_guards(&self) -> Vec<TimerId> {
        self.ids(|t| t.state == TimerState::Pending && t.class == Class::Guard)
    }

    /// The ids of the timers a sequence may name (not the guards, nor connect timeouts).
    pub fn nameable(&self) -> Vec<TimerId> {
        self.ids(|t| !matches!(t.class, Class::Guard | Class::Connect))
    }

    fn ids(&self, keep: impl Fn(&Timer) -> bool) -> Vec<TimerId> {
        self.all
            .iter()
            .filter(|(_, t)| keep(t))
            .map(|(&raw, _)| TimerId::from_raw(raw))
            .collect()
    }
}
