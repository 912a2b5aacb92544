//! Step 4 of a simulated host's iteration (the steps: [`twinreactor_kit::iterate`]): I/O
//! readiness, in virtual time, as deliveries.
//!
//! The network and process modules schedule *deliveries*: a closure that runs on one host at
//! a virtual time, in one [`Lane`] (a connection, a socket, a process pipe). When a host's
//! iteration reaches step 4, every delivery due by then runs. Deliveries of one lane keep
//! the order they were scheduled in; among lanes, the order is drawn from the seed, because
//! the contract leaves the order of simultaneously ready events open.
//!
//! Determinism rests on three things here, each pinned by a test below: the queue orders by
//! (time, scheduling sequence), never by anything else; lanes are counted through in their
//! derived order (`Tcp` before `Udp` before `Process`, then by their fields); and step 4
//! draws exactly once per delivery it runs, one draw even when only one is due.

use std::cmp::Ordering;
use std::time::Duration;

mod batch;

pub(crate) use batch::DueBatch;

use crate::fifo_heap::FifoHeap;
use crate::Sim;
use crate::Site;

/// The lane of a delivery: deliveries of one lane run in the order they were scheduled.
/// The derived order is the order in which step 4 counts through lanes, so it is part of
/// every trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Lane {
    /// A TCP listener or connection (a tag, then a raw id; see `tcp/mod.rs`).
    Tcp(u8, u64),
    /// A UDP socket (by its raw id).
    Udp(u64),
    /// One channel of a child process (see `process/pipes.rs`).
    Process(u64),
}

impl Lane {
    /// The lane's place in the derived order, as one number (below 2^74).
    fn rank(self) -> u128 {
        match self {
            Lane::Tcp(tag, id) => u128::from(tag) << 64 | u128::from(id),
            Lane::Udp(id) => 1 << 72 | u128::from(id),
            Lane::Process(id) => 2 << 72 | u128::from(id),
        }
    }

    /// [`Lane::rank`] in 32 bits, for a lane whose id is below 2^22 (almost every one):
    /// the variant in 2 bits, the tag in 8, the id in 22.
    fn short_rank(self) -> Option<u32> {
        let (variant, tag, id) = match self {
            Lane::Tcp(tag, id) => (0, tag, id),
            Lane::Udp(id) => (1, 0, id),
            Lane::Process(id) => (2, 0, id),
        };
        let id = u32::try_from(id).ok().filter(|&id| id < 1 << 22)?;
        Some(variant << 30 | u32::from(tag) << 22 | id)
    }
}

/// What a [`Delivery::Call`] is given: a few words (ids, host numbers).
pub(crate) type Args = [u64; 3];

/// A delivery: runs with the simulation acting as the host it was scheduled for.
pub(crate) enum Delivery {
    /// A plain function and its arguments, kept without an allocation (the most frequent
    /// deliveries, such as a TCP segment's arrival, are these).
    Call(fn(&mut Sim, Args), Args),
    /// Any other work.
    Boxed(Box<dyn FnOnce(&mut Sim)>),
}

impl Delivery {
    fn run(self, sim: &mut Sim) {
        match self {
            Delivery::Call(f, args) => f(sim, args),
            Delivery::Boxed(f) => f(sim),
        }
    }
}

/// When a delivery is due, and its place among deliveries due at the same time: names one
/// scheduled delivery, so that it can be cancelled.
/// The time is in nanoseconds (a simulation never reaches 584 years), which keeps a
/// pending delivery, moved on every heap operation, 8 bytes smaller.
pub(crate) type Key = (u64, u64);

/// `at` in a [`Key`]'s nanoseconds.
fn nanos(at: Duration) -> u64 {
    u64::try_from(at.as_nanos()).unwrap_or(u64::MAX)
}

/// A scheduled delivery, ordered by its key alone.
struct Pending<D> {
    key: Key,
    lane: Lane,
    deliver: D,
}

impl<D> PartialEq for Pending<D> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<D> Eq for Pending<D> {}

impl<D> PartialOrd for Pending<D> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<D> Ord for Pending<D> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// One host's scheduled deliveries, by (time, sequence): keys are unique, so they come out
/// in the keys' order (a [`FifoHeap`]: with a fixed latency, every delivery is scheduled in
/// order and never moved). Generic over what a delivery is only so that tests can schedule
/// labels; the simulator holds [`Delivery`]s.
pub(crate) struct DeliveryQueue<D = Delivery> {
    pending: FifoHeap<Pending<D>>,
    next_seq: u64,
}

impl<D> Default for DeliveryQueue<D> {
    fn default() -> Self {
        Self {
            pending: FifoHeap::default(),
            next_seq: 0,
        }
    }
}

impl<D> DeliveryQueue<D> {
    /// The time of the earliest delivery.
    pub(crate) fn front(&self) -> Option<Duration> {
        self.pending.peek().map(|p| Duration::from_nanos(p.key.0))
    }

    /// Schedules `deliver` in `lane` at `at`, after everything already scheduled at `at`.
    fn push(&mut self, at: Duration, lane: Lane, deliver: D) -> Key {
        let seq = self.next_seq;
        self.next_seq += 1;
        let key = (nanos(at), seq);
        self.pending.push(Pending { key, lane, deliver });
        key
    }

    /// Removes the delivery scheduled under `key`, if it has not been taken out to run.
    /// Linear in the queue's length: for rare events (a partition healing).
    fn cancel(&mut self, key: Key) {
        self.pending.retain(|p| p.key != key);
    }

    /// Frees the room a burst left once nothing is pending (100,000 connections opened at
    /// once leave their host's queue that large, and idle).
    fn release_if_drained(&mut self) {
        self.pending.release_if_empty(64);
    }

    /// Takes the delivery due at `now` if it is the only one.
    fn take_single_due(&mut self, now: Duration) -> Option<D> {
        let now = nanos(now);
        let first = self.pending.pop_if(|p| p.key.0 <= now)?;
        if self
            .pending
            .peek()
            .is_some_and(|second| second.key.0 <= now)
        {
            self.pending.push(first);
            return None;
        }
        self.release_if_drained();
        Some(first.deliver)
    }

    /// Takes every delivery due at `now` into `batch` (empty; its buffers are reused), by
    /// lane, each lane in order.
    fn take_due(&mut self, now: Duration, batch: &mut DueBatch<D>) {
        let now = nanos(now);
        self.pending
            .pop_while(|p| p.key.0 <= now, |p| batch.push(p.lane, p.key, p.deliver));
        self.release_if_drained();
        batch.arrange();
    }

    /// Puts back the deliveries of `batch` that did not run, under their own keys, so they
    /// stay ahead of anything scheduled since, and leaves `batch` empty.
    fn put_back(&mut self, batch: &mut DueBatch<D>) {
        for (lane, key, deliver) in batch.drain_left() {
            self.pending.push(Pending { key, lane, deliver });
        }
    }
}

impl Sim {
    /// Schedules `deliver` to run on `host` at virtual time `at` (no earlier than now), in
    /// `lane`. It runs in step 4 of the first iteration of `host` at or after `at`, unless
    /// [`Sim::cancel_io`] is given the key returned.
    pub(crate) fn schedule_io(
        &mut self,
        host: usize,
        at: Duration,
        lane: Lane,
        deliver: impl FnOnce(&mut Sim) + 'static,
    ) -> Key {
        self.schedule_delivery(host, at, lane, Delivery::Boxed(Box::new(deliver)))
    }

    /// [`Sim::schedule_io`] of `f(sim, args)`, without allocating.
    pub(crate) fn schedule_call(
        &mut self,
        host: usize,
        at: Duration,
        lane: Lane,
        f: fn(&mut Sim, Args),
        args: Args,
    ) {
        self.schedule_delivery(host, at, lane, Delivery::Call(f, args));
    }

    fn schedule_delivery(
        &mut self,
        host: usize,
        at: Duration,
        lane: Lane,
        deliver: Delivery,
    ) -> Key {
        let at = at.max(self.now_virtual());
        let key = self.host_mut(host).io.push(at, lane, deliver);
        self.host_changed(host);
        key
    }

    /// Cancels the delivery scheduled on `host` under `key`. One already taken out to run
    /// (in the step 4 running now) still runs.
    pub(crate) fn cancel_io(&mut self, host: usize, key: Key) {
        self.host_mut(host).io.cancel(key);
        self.host_changed(host);
    }

    /// Step 4 for the current host: runs the deliveries due now, lanes interleaved at
    /// random (a uniformly random merge that keeps each lane's order). Stops early,
    /// keeping the rest for the next iteration, once `crash()` has been called.
    pub(crate) fn deliver_io(&mut self) {
        let host = self.current_index();
        let now = self.now_virtual();
        if self.host_ref(host).io.front().is_none_or(|at| at > now) {
            return;
        }
        if let Some(deliver) = self.host_mut(host).io.take_single_due(now) {
            // The same draw as the general path makes for one delivery, so that traces
            // do not depend on which path ran.
            let _ = self.draw_below(Site::ReadyOrder, 1);
            self.current_set(host);
            deliver.run(self);
            return;
        }
        // The spare batch's buffers, unless a delivery of another step 4 holds them.
        let mut batch = std::mem::take(&mut self.due_batch);
        self.host_mut(host).io.take_due(now, &mut batch);
        while batch.left() > 0 {
            if self.crash_requested() {
                self.host_mut(host).io.put_back(&mut batch);
                self.host_changed(host);
                break;
            }
            let pick = self.draw_below(Site::ReadyOrder, batch.left());
            let deliver = batch.take(pick);
            self.current_set(host);
            deliver.run(self);
        }
        batch.clear();
        self.due_batch = batch;
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    fn at(micros: u64) -> Duration {
        Duration::from_micros(micros)
    }

    /// Every delivery due at `now` in `q`, in a fresh batch.
    fn take_due(q: &mut DeliveryQueue<&'static str>, now: Duration) -> DueBatch<&'static str> {
        let mut batch = DueBatch::default();
        q.take_due(now, &mut batch);
        batch
    }

    /// Drains `batch` with the picks `picks` (each taken modulo what is left).
    fn drain(mut batch: DueBatch<&'static str>, picks: &[usize]) -> Vec<&'static str> {
        let mut out = Vec::new();
        for &pick in picks.iter().cycle() {
            if batch.left() == 0 {
                break;
            }
            out.push(batch.take(pick % batch.left()));
        }
        out
    }

    #[test]
    fn the_queue_orders_by_time_then_by_scheduling_order() {
        let mut q = DeliveryQueue::default();
        q.push(at(20), Lane::Udp(1), "late");
        q.push(at(10), Lane::Process(0), "first at 10");
        q.push(at(10), Lane::Tcp(1, 0), "second at 10");
        assert_eq!(q.front(), Some(at(10)));
        assert!(q.take_single_due(at(5)).is_none(), "nothing due yet");
        let batch = take_due(&mut q, at(10));
        assert_eq!(batch.left(), 2);
        assert_eq!(q.front(), Some(at(20)), "the later one stays queued");
        assert_eq!(q.take_single_due(at(20)), Some("late"));
        assert_eq!(q.front(), None);
    }

    #[test]
    fn a_single_delivery_is_taken_alone_only_when_it_is_the_only_one_due() {
        let mut q = DeliveryQueue::default();
        q.push(at(1), Lane::Udp(0), "a");
        q.push(at(1), Lane::Udp(0), "b");
        assert_eq!(q.take_single_due(at(1)), None, "two are due");
        assert_eq!(take_due(&mut q, at(1)).left(), 2, "and neither was lost");
    }

    #[test]
    fn picks_count_through_lanes_in_their_order() {
        // Lanes order as Tcp < Udp < Process whatever the scheduling order, so pick 0 is
        // the TCP lane's first delivery and pick 2 the UDP lane's.
        let mut q = DeliveryQueue::default();
        q.push(at(0), Lane::Process(3), "process");
        q.push(at(0), Lane::Udp(7), "udp");
        q.push(at(0), Lane::Tcp(1, 9), "tcp 1");
        q.push(at(0), Lane::Tcp(1, 9), "tcp 2");
        let batch = take_due(&mut q, at(0));
        assert_eq!(drain(batch, &[2, 0]), ["udp", "tcp 1", "tcp 2", "process"]);
        assert!(Lane::Tcp(2, 0) > Lane::Tcp(1, u64::MAX));
        assert!(Lane::Tcp(u8::MAX, u64::MAX) < Lane::Udp(0));
        assert!(Lane::Udp(u64::MAX) < Lane::Process(0));
        let lanes = [
            Lane::Tcp(0, 5),
            Lane::Tcp(1, 0),
            Lane::Tcp(u8::MAX, u64::MAX),
            Lane::Udp(0),
            Lane::Udp(u64::MAX),
            Lane::Process(0),
            Lane::Process(u64::MAX),
        ];
        for a in lanes {
            for b in lanes {
                assert_eq!(a.rank().cmp(&b.rank()), a.cmp(&b), "{a:?} against {b:?}");
                if let (Some(x), Some(y)) = (a.short_rank(), b.short_rank()) {
                    assert_eq!(x.cmp(&y), a.cmp(&b), "{a:?} against {b:?}, short");
                }
            }
        }
        assert_eq!(
            Lane::Udp((1 << 22) - 1).short_rank(),
            Some((1 << 30) | ((1 << 22) - 1))
        );
        assert_eq!(Lane::Udp(1 << 22).short_rank(), None);
    }

    #[test]
    fn every_pick_keeps_each_lanes_order() {
        for picks in [[0, 0, 0], [1, 2, 0], [5, 5, 5], [2, 1, 3]] {
            let mut q = DeliveryQueue::default();
            for (lane, label) in [
                (Lane::Udp(0), "u1"),
                (Lane::Tcp(1, 0), "t1"),
                (Lane::Udp(0), "u2"),
                (Lane::Tcp(1, 0), "t2"),
                (Lane::Udp(0), "u3"),
            ] {
                q.push(at(3), lane, label);
            }
            let out = drain(take_due(&mut q, at(3)), &picks);
            let order = |prefix: char| -> Vec<&str> {
                out.iter()
                    .copied()
                    .filter(|l| l.starts_with(prefix))
                    .collect()
            };
            assert_eq!(order('u'), ["u1", "u2", "u3"], "picks {picks:?}");
            assert_eq!(order('t'), ["t1", "t2"], "picks {picks:?}");
        }
    }

    #[test]
    fn put_back_keeps_deliveries_ahead_of_later_ones_due_at_the_same_time() {
        let mut q = DeliveryQueue::default();
        q.push(at(4), Lane::Udp(0), "a");
        q.push(at(4), Lane::Udp(0), "b");
        let mut batch = take_due(&mut q, at(4));
        assert_eq!(batch.take(0), "a");
        q.push(at(4), Lane::Udp(0), "c");
        q.put_back(&mut batch);
        assert_eq!(drain(take_due(&mut q, at(4)), &[0]), ["b", "c"]);
    }

    #[test]
    fn step_4_runs_lanes_in_a_seeded_order_that_repeats() {
        fn run(seed: u64) -> Vec<u64> {
            let mut sim = Sim::new(seed);
            let seen = Rc::new(RefCell::new(Vec::new()));
            for lane in 0..6 {
                for n in 0..2 {
                    let seen = Rc::clone(&seen);
                    let lane_of = Lane::Udp(lane);
                    sim.schedule_io(0, Duration::ZERO, lane_of, move |_| {
                        seen.borrow_mut().push(lane * 10 + n)
                    });
                }
            }
            sim.deliver_io();
            let out = seen.borrow().clone();
            out
        }
        let first = run(7);
        assert_eq!(first.len(), 12);
        assert_eq!(first, run(7), "same seed, same order");
        for lane in 0..6 {
            let mine: Vec<u64> = first.iter().copied().filter(|v| v / 10 == lane).collect();
            assert_eq!(
                mine,
                [lane * 10, lane * 10 + 1],
                "lane {lane} keeps its order"
            );
        }
        assert!(
            (0..16).any(|seed| run(seed) != first),
            "the order depends on the seed"
        );
    }
}
