//! A monotone priority queue of timer entries: a radix heap, with a small binary heap for
//! the rare entry older than the last one taken out.
//!
//! Timer deadlines only move forward with the clock, which is what a radix heap needs: an
//! entry goes into the bucket of the highest bit in which its deadline differs from the last
//! minimum, in O(1); taking the minimum redistributes one bucket into lower ones, so each
//! entry moves a few times over its life, through sequential memory. Entries with equal
//! deadlines always share a bucket and stay in insertion order, which is sequence order, so
//! ties come out first in, first out. An entry whose deadline is below the last minimum
//! (a due timer moved during a pass) goes to the binary heap instead.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// One queued timer: its deadline in nanoseconds, its sequence number and its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    /// Deadline in nanoseconds since the epoch.
    pub deadline: u64,
    /// Sequence number: ties on the deadline go in this order.
    pub seq: u64,
    /// Where the timer's state lives.
    pub slot: u32,
}

/// Entries ordered by (deadline, sequence).
#[derive(Default)]
pub struct DeadlineQueue {
    /// Entries whose deadline equals `last`, in sequence order.
    front: VecDeque<Entry>,
    /// `buckets[b]` holds entries whose deadline differs from `last` first in bit `b`.
    buckets: Vec<Vec<Entry>>,
    /// Bit `b` is set when `buckets[b]` is not empty.
    occupied: u64,
    /// The last minimum deadline taken from the buckets.
    last: u64,
    /// Entries with a deadline below `last`.
    late: BinaryHeap<Reverse<Entry>>,
}

fn bucket_of(deadline: u64, last: u64) -> Option<usize> {
    let diff = deadline ^ last;
    (diff != 0).then(|| 63 - diff.leading_zeros() as usize)
}

impl DeadlineQueue {
    /// Adds an entry. Entries must be pushed in increasing sequence order.
    pub fn push(&mut self, e: Entry) {
        if e.deadline < self.last {
            self.late.push(Reverse(e));
            return;
        }
        match bucket_of(e.deadline, self.last) {
            None => self.front.push_back(e),
            Some(b) => {
                if self.buckets.len() <= b {
                    // Only as many buckets as deadlines so far need: most reactors' timers
                    // fall within a few of them (all 64 would take 1.5 KiB).
                    self.buckets.resize_with(b + 1, Vec::new);
                }
                self.buckets[b].push(e);
                self.occupied |= 1 << b;
            }
        }
    }

    /// The smallest entry.
    pub fn peek(&mut self) -> Option<Entry> {
        if self.front.is_empty() {
            self.refill();
        }
        match (self.front.front(), self.late.peek()) {
            (Some(&f), Some(&Reverse(l))) => Some(f.min(l)),
            (Some(&f), None) => Some(f),
            (None, Some(&Reverse(l))) => Some(l),
            (None, None) => None,
        }
    }

    /// Removes and returns the smallest entry.
    pub fn pop(&mut self) -> Option<Entry> {
        let min = self.peek()?;
        if self.late.peek() == Some(&Reverse(min)) {
            self.late.pop();
        } else {
            self.front.pop_front();
        }
        Some(min)
    }

    /// Moves the lowest non-empty bucket into `front` and lower buckets.
    fn refill(&mut self) {
        if self.occupied == 0 {
            return;
        }
        let b = self.occupied.trailing_zeros() as usize;
        self.occupied &= !(1 << b);
        let mut items = std::mem::take(&mut self.buckets[b]);
        self.last = items.iter().map(|e| e.deadline).min().unwrap_or(self.last);
        for e in items.drain(..) {
            match bucket_of(e.deadline, self.last) {
                None => self.front.push_back(e),
                Some(lower) => {
                    self.buckets[lower].push(e);
                    self.occupied |= 1 << lower;
                }
            }
        }
        self.buckets[b] = items;
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use super::{DeadlineQueue, Entry};

    /// Pops exactly what a plain binary heap pops, including entries pushed below the last
    /// minimum (as a due timer postponed during a pass is).
    #[test]
    fn pops_exactly_like_a_binary_heap() {
        let mut q = DeadlineQueue::default();
        let mut reference = BinaryHeap::new();
        let mut seq = 0;
        let mut x = 0x9e37_79b9_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut last = 0;
        for round in 0..20_000 {
            let r = next();
            if r % 3 != 0 {
                seq += 1;
                // Mostly at or after the last minimum, sometimes before it; many ties.
                let deadline = if r % 11 == 0 {
                    last - last.min(r % 5)
                } else {
                    last + r % 300
                };
                let e = Entry {
                    deadline,
                    seq,
                    slot: round,
                };
                q.push(e);
                reference.push(Reverse(e));
            } else {
                let got = q.pop();
                assert_eq!(got, reference.pop().map(|Reverse(e)| e));
                if let Some(e) = got {
                    last = e.deadline;
                }
            }
        }
        while let Some(Reverse(e)) = reference.pop() {
            assert_eq!(q.pop(), Some(e));
        }
        assert_eq!(q.pop(), None);
    }
}
