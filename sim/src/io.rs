//! Step 4 of a simulated host's iteration: I/O readiness, in virtual time.
//!
//! The network and process modules schedule *deliveries*: a closure that runs on one host at
//! a virtual time, on behalf of one I/O source (a connection, a socket, a process). When a
//! host's iteration reaches step 4, every delivery due by then runs. Deliveries of one source
//! keep the order they were scheduled in; among sources, the order is drawn from the seed,
//! because the contract leaves the order of simultaneously ready events open.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::time::Duration;

use crate::Sim;

/// An I/O source, so that deliveries of one source stay in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Source {
    /// A TCP listener or connection (by its raw id; listeners and connections use
    /// disjoint ranges of the tag).
    Tcp(u8, u64),
    /// A UDP socket (by its raw id).
    Udp(u64),
    /// A child process (by its raw id).
    Process(u64),
}

/// A delivery: runs with the simulation acting as the host it was scheduled for.
pub(crate) type Delivery = Box<dyn FnOnce(&mut Sim)>;

/// When a delivery is due, and its place among deliveries due at the same time.
type Key = (Duration, u64);

/// Deliveries taken out for one step 4: by source, each in order, with their keys.
type Groups = BTreeMap<Source, VecDeque<(Key, Delivery)>>;

/// A scheduled delivery, ordered by its key alone.
struct Pending {
    key: Key,
    source: Source,
    deliver: Delivery,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// One host's scheduled deliveries, by (time, sequence): a min-heap, since a host rarely
/// has more than a few pending and keys are unique.
#[derive(Default)]
pub(crate) struct IoQueue {
    pending: BinaryHeap<Reverse<Pending>>,
    next_seq: u64,
}

impl IoQueue {
    /// The time of the earliest delivery.
    pub(crate) fn front(&self) -> Option<Duration> {
        self.pending.peek().map(|Reverse(p)| p.key.0)
    }

    fn push(&mut self, at: Duration, source: Source, deliver: Delivery) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.insert((at, seq), source, deliver);
    }

    fn insert(&mut self, key: Key, source: Source, deliver: Delivery) {
        self.pending.push(Reverse(Pending {
            key,
            source,
            deliver,
        }));
    }

    /// Takes the earliest delivery if it is due at `now`.
    fn pop_due(&mut self, now: Duration) -> Option<Pending> {
        if self.front()? > now {
            return None;
        }
        self.pending.pop().map(|Reverse(p)| p)
    }

    /// Takes the delivery due at `now` if it is the only one.
    fn take_single_due(&mut self, now: Duration) -> Option<Delivery> {
        let first = self.pop_due(now)?;
        if self.front().is_some_and(|second| second <= now) {
            self.pending.push(Reverse(first));
            return None;
        }
        Some(first.deliver)
    }

    /// Takes every delivery due at `now`, grouped by source, each group in order.
    fn take_due(&mut self, now: Duration) -> (Groups, usize) {
        let mut groups = Groups::new();
        let mut count = 0;
        while let Some(p) = self.pop_due(now) {
            groups
                .entry(p.source)
                .or_default()
                .push_back((p.key, p.deliver));
            count += 1;
        }
        (groups, count)
    }

    /// Puts back deliveries taken by `take_due` that did not run, under their own keys, so
    /// they stay ahead of anything scheduled since.
    fn put_back(&mut self, groups: Groups) {
        for (source, queue) in groups {
            for (key, deliver) in queue {
                self.insert(key, source, deliver);
            }
        }
    }
}

impl Sim {
    /// Schedules `deliver` to run on `host` at virtual time `at` (no earlier than now), for
    /// `source`. It runs in step 4 of the first iteration of `host` at or after `at`.
    pub(crate) fn schedule_io(
        &mut self,
        host: usize,
        at: Duration,
        source: Source,
        deliver: impl FnOnce(&mut Sim) + 'static,
    ) {
        let at = at.max(self.now_virtual());
        self.host_mut(host).io.push(at, source, Box::new(deliver));
    }

    /// Step 4 for the current host: runs the deliveries due now, sources interleaved at
    /// random (a uniformly random merge that keeps each source's order). Stops early,
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
            let _ = self.draw_scheduling(1);
            self.current_set(host);
            deliver(self);
            return;
        }
        let (mut groups, mut left) = self.host_mut(host).io.take_due(now);
        while left > 0 {
            if self.crash_requested() {
                self.host_mut(host).io.put_back(groups);
                return;
            }
            // Picking a random remaining delivery and running its source's first one gives
            // every interleaving that keeps per-source order its fair share.
            let mut pick = self.draw_scheduling(left);
            let source = *groups
                .iter()
                .find(|(_, q)| {
                    if pick < q.len() {
                        true
                    } else {
                        pick -= q.len();
                        false
                    }
                })
                .map(|(s, _)| s)
                .expect("pick < left, the number of deliveries left");
            let queue = groups.get_mut(&source).expect("found above");
            let (_, deliver) = queue.pop_front().expect("groups are never empty");
            if queue.is_empty() {
                groups.remove(&source);
            }
            left -= 1;
            self.current_set(host);
            deliver(self);
        }
    }
}
