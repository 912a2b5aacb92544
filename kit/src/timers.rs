//! The timer queue: timers ordered by (deadline, sequence), with lazy deletion.

use std::time::Duration;

use super::deadline_queue::{DeadlineQueue, Entry};
use twinreactor::{TimerError, TimerFn, TimerId, TimerState};

/// Deadlines are kept as whole nanoseconds; later ones saturate at `u64::MAX` (about 584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

const FIRED: u32 = 0;
const CANCELLED: u32 = 1;
const PENDING_BASE: u32 = 2;

struct Slot {
    id: u64,
    seq: u64,
    deadline: u64,
    f: Option<TimerFn>,
}

/// Marks the start of a timer pass: timers scheduled or moved after it do not fire in it.
#[derive(Clone, Copy, Debug)]
pub struct PassMark {
    now: u64,
    seq_limit: u64,
}

/// Pending timers ordered by deadline, then by the order they were scheduled (FIFO).
///
/// Cancelled and moved timers leave stale entries in the queue, skipped when they surface.
///
/// Every id ever issued keeps four bytes of state so that `cancel` on a fired timer says
/// `AlreadyFired` rather than "unknown"; callbacks are dropped as soon as a timer ends.
#[derive(Default)]
pub struct TimerQueue {
    queue: DeadlineQueue,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Per id: `FIRED`, `CANCELLED`, or `PENDING_BASE + slot`.
    states: Vec<u32>,
    next_seq: u64,
}

impl TimerQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `f` at `now + delay` (saturating).
    pub fn schedule(&mut self, now: Duration, delay: Duration, f: TimerFn) -> TimerId {
        self.schedule_at(now.saturating_add(delay), f)
    }

    /// Schedules `f` at the absolute `deadline` (a past one is due at once, in the next pass).
    pub fn schedule_at(&mut self, deadline: Duration, f: TimerFn) -> TimerId {
        let id = self.states.len() as u64;
        let deadline = nanos(deadline);
        let seq = self.bump_seq();
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Slot {
                    id,
                    seq,
                    deadline,
                    f: Some(f),
                };
                s
            }
            None => {
                self.slots.push(Slot {
                    id,
                    seq,
                    deadline,
                    f: Some(f),
                });
                (self.slots.len() - 1) as u32
            }
        };
        self.states.push(PENDING_BASE + slot);
        self.queue.push(Entry {
            deadline,
            seq,
            slot,
        });
        TimerId::from_raw(id)
    }

    /// The state of `id`.
    pub fn state(&self, id: TimerId) -> Result<TimerState, TimerError> {
        match self.raw_state(id)? {
            FIRED => Ok(TimerState::Fired),
            CANCELLED => Ok(TimerState::Cancelled),
            _ => Ok(TimerState::Pending),
        }
    }

    /// The deadline of a pending timer.
    pub fn deadline(&self, id: TimerId) -> Result<Duration, TimerError> {
        let slot = self.pending_slot(id)?;
        Ok(Duration::from_nanos(self.slots[slot].deadline))
    }

    /// Cancels a pending timer and drops its callback.
    pub fn cancel(&mut self, id: TimerId) -> Result<(), TimerError> {
        let slot = self.pending_slot(id)?;
        drop(self.release(slot, CANCELLED));
        Ok(())
    }

    /// Moves a pending timer to `now + delay`, behind timers already at that deadline.
    pub fn reschedule(
        &mut self,
        id: TimerId,
        now: Duration,
        delay: Duration,
    ) -> Result<(), TimerError> {
        let slot = self.pending_slot(id)?;
        self.requeue(slot, nanos(now.saturating_add(delay)));
        Ok(())
    }

    /// Adds `by` to a pending timer's deadline, behind timers already at the new deadline.
    pub fn postpone(&mut self, id: TimerId, by: Duration) -> Result<(), TimerError> {
        let slot = self.pending_slot(id)?;
        let deadline = self.slots[slot].deadline.saturating_add(nanos(by));
        self.requeue(slot, deadline);
        Ok(())
    }

    /// Pending timers in firing order.
    pub fn pending(&self) -> Vec<TimerId> {
        let mut live: Vec<(u64, u64, u64)> = self
            .slots
            .iter()
            .filter(|s| s.f.is_some())
            .map(|s| (s.deadline, s.seq, s.id))
            .collect();
        live.sort_unstable();
        live.into_iter()
            .map(|(_, _, id)| TimerId::from_raw(id))
            .collect()
    }

    /// How many timers are pending.
    pub fn pending_count(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// The earliest pending deadline.
    pub fn next_deadline(&mut self) -> Option<Duration> {
        self.drop_stale();
        self.queue.peek().map(|e| Duration::from_nanos(e.deadline))
    }

    /// Begins a pass at `now`.
    pub fn mark(&self, now: Duration) -> PassMark {
        PassMark {
            now: nanos(now),
            seq_limit: self.next_seq,
        }
    }

    /// Takes the next timer due in the pass `mark`, marking it fired.
    pub fn pop_due(&mut self, mark: PassMark) -> Option<(TimerId, TimerFn)> {
        self.drop_stale();
        let top = self.queue.peek()?;
        if top.deadline > mark.now {
            return None;
        }
        if top.seq >= mark.seq_limit {
            // Scheduled or moved during this pass. Everything due behind it that is older
            // must still fire in this pass, so set it aside for a moment.
            return self.pop_due_behind_new(mark);
        }
        self.queue.pop();
        Some(self.fire(top.slot))
    }

    /// Slow path of `pop_due`: the first due entry is new in this pass, but an older due
    /// timer may sit behind it (a due timer postponed by less than the gap to the next).
    fn pop_due_behind_new(&mut self, mark: PassMark) -> Option<(TimerId, TimerFn)> {
        let mut aside = Vec::new();
        let mut found = None;
        while let Some(top) = self.queue.peek() {
            if top.deadline > mark.now {
                break;
            }
            self.queue.pop();
            if !self.is_live(top) {
                continue;
            }
            if top.seq >= mark.seq_limit {
                aside.push(top);
                continue;
            }
            found = Some(self.fire(top.slot));
            break;
        }
        for e in aside {
            self.queue.push(e);
        }
        found
    }

    fn fire(&mut self, slot: u32) -> (TimerId, TimerFn) {
        let slot = slot as usize;
        let id = self.slots[slot].id;
        (TimerId::from_raw(id), self.release(slot, FIRED))
    }

    fn bump_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    fn requeue(&mut self, slot: usize, deadline: u64) {
        let seq = self.bump_seq();
        let s = &mut self.slots[slot];
        s.deadline = deadline;
        s.seq = seq;
        self.queue.push(Entry {
            deadline,
            seq,
            slot: slot as u32,
        });
    }

    fn release(&mut self, slot: usize, end: u32) -> TimerFn {
        let s = &mut self.slots[slot];
        let f = s.f.take().expect("released slot holds a pending timer");
        self.states[s.id as usize] = end;
        self.free.push(slot as u32);
        if self.free.len() == self.slots.len() && self.slots.len() > 64 {
            // Nothing pending: the room a burst of timers left (slots, and queue entries
            // that can only be stale now) is freed.
            self.slots = Vec::new();
            self.free = Vec::new();
            self.queue = DeadlineQueue::default();
        }
        f
    }

    fn is_live(&self, e: Entry) -> bool {
        let s = &self.slots[e.slot as usize];
        s.f.is_some() && s.seq == e.seq
    }

    fn drop_stale(&mut self) {
        while let Some(top) = self.queue.peek() {
            if self.is_live(top) {
                return;
            }
            self.queue.pop();
        }
    }

    fn raw_state(&self, id: TimerId) -> Result<u32, TimerError> {
        usize::try_from(id.raw())
            .ok()
            .and_then(|i| self.states.get(i).copied())
            .ok_or(TimerError::Unknown(id))
    }

    fn pending_slot(&self, id: TimerId) -> Result<usize, TimerError> {
        match self.raw_state(id)? {
            FIRED => Err(TimerError::AlreadyFired(id)),
            CANCELLED => Err(TimerError::AlreadyCancelled(id)),
            p => Ok((p - PENDING_BASE) as usize),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use twinreactor::{TimerError, TimerState};

    use super::TimerQueue;

    #[test]
    fn a_drained_burst_frees_its_room_and_later_timers_keep_their_order() {
        let mut q = TimerQueue::new();
        let at = |ms| Duration::from_millis(ms);
        let burst: Vec<_> = (0..100)
            .map(|i| q.schedule_at(at(1_000 + i), twinreactor::TimerFn::new(|_| {})))
            .collect();
        for &id in &burst {
            q.cancel(id).expect("pending");
        }
        assert_eq!(q.pending_count(), 0);
        assert!(
            q.slots.capacity() == 0 && q.free.capacity() == 0,
            "the room is freed"
        );
        assert_eq!(q.state(burst[7]), Ok(TimerState::Cancelled));
        assert_eq!(
            q.cancel(burst[7]),
            Err(TimerError::AlreadyCancelled(burst[7]))
        );
        let late = q.schedule_at(at(30), twinreactor::TimerFn::new(|_| {}));
        let early = q.schedule_at(at(20), twinreactor::TimerFn::new(|_| {}));
        assert_eq!(q.next_deadline(), Some(at(20)));
        let mark = q.mark(at(40));
        let fired: Vec<_> = std::iter::from_fn(|| q.pop_due(mark).map(|(id, _)| id)).collect();
        assert_eq!(fired, [early, late]);
    }
}
