//! A min-queue for items that mostly arrive in order: an item no smaller than the last one
//! queued in order goes to a FIFO (pushed and taken in O(1), never moved again), any other to
//! a binary heap. With a fixed latency every delivery and every host's next deadline arrives
//! in order, so the heap stays empty; jitter's overtakers and timers go to it.
//!
//! Items come out smallest first whichever part holds them, so with unique keys the order
//! out is the keys' order, and never depends on which part an item went to.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// Items, smallest first (see the module notes).
pub(crate) struct FifoHeap<T> {
    fifo: VecDeque<T>,
    heap: BinaryHeap<Reverse<T>>,
}

impl<T> Default for FifoHeap<T> {
    fn default() -> Self {
        Self {
            fifo: VecDeque::new(),
            heap: BinaryHeap::new(),
        }
    }
}

impl<T: Ord> FifoHeap<T> {
    /// Queues `item`.
    pub(crate) fn push(&mut self, item: T) {
        if self.fifo.back().is_none_or(|last| *last <= item) {
            if self.fifo.capacity() == 0 {
                // Room for one at first: most hosts of a large simulation rarely hold more.
                self.fifo.reserve_exact(1);
            }
            self.fifo.push_back(item);
        } else {
            self.heap.push(Reverse(item));
        }
    }

    /// The smallest item.
    pub(crate) fn peek(&self) -> Option<&T> {
        match (self.fifo.front(), self.heap.peek()) {
            (Some(a), Some(Reverse(b))) => Some(a.min(b)),
            (a, b) => a.or(b.map(|Reverse(b)| b)),
        }
    }

    /// Takes the smallest item.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let from_fifo = match (self.fifo.front(), self.heap.peek()) {
            (Some(a), Some(Reverse(b))) => a <= b,
            (a, _) => a.is_some(),
        };
        if from_fifo {
            self.fifo.pop_front()
        } else {
            self.heap.pop().map(|Reverse(b)| b)
        }
    }

    /// Takes the smallest item if `take` says so.
    pub(crate) fn pop_if(&mut self, take: impl FnOnce(&T) -> bool) -> Option<T> {
        if self.peek().is_some_and(take) {
            self.pop()
        } else {
            None
        }
    }

    /// Takes, smallest first, every item `due` says yes to, up to the first it says no to
    /// (`due` must say yes to a prefix of the items in order).
    pub(crate) fn pop_while(&mut self, due: impl Fn(&T) -> bool, mut out: impl FnMut(T)) {
        if self.heap.is_empty() {
            // In order already: one range.
            let n = self.fifo.partition_point(due);
            self.fifo.drain(..n).for_each(out);
        } else {
            while let Some(item) = self.pop_if(&due) {
                out(item);
            }
        }
    }

    /// Keeps only the items `keep` says yes to. Linear: for rare events.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        self.fifo.retain(&mut keep);
        self.heap.retain(|Reverse(item)| keep(item));
    }

    /// How many items are queued.
    pub(crate) fn len(&self) -> usize {
        self.fifo.len() + self.heap.len()
    }

    /// Frees the room a burst left once nothing is queued, if more than `keep` items' worth.
    pub(crate) fn release_if_empty(&mut self, keep: usize) {
        if self.fifo.is_empty() && self.fifo.capacity() > keep {
            self.fifo = VecDeque::new();
        }
        if self.heap.is_empty() && self.heap.capacity() > keep {
            self.heap = BinaryHeap::new();
        }
    }
}

impl<T: Ord> FromIterator<T> for FifoHeap<T> {
    /// The items, sorted into the FIFO.
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut sorted: Vec<T> = items.into_iter().collect();
        sorted.sort_unstable();
        Self {
            fifo: sorted.into(),
            heap: BinaryHeap::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_come_out_smallest_first_in_or_out_of_order() {
        let mut x: u64 = 11;
        let mut q = FifoHeap::default();
        let mut model = Vec::new();
        for step in 0..5_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Mostly rising, sometimes back, sometimes a pop.
            let item = (step / 3 + (x >> 60) * (x >> 59 & 1), step);
            if x >> 62 == 0 {
                model.sort();
                let want = (!model.is_empty()).then(|| model.remove(0));
                assert_eq!(q.peek().copied(), want);
                assert_eq!(q.pop(), want);
            } else {
                q.push(item);
                model.push(item);
            }
            assert_eq!(q.len(), model.len());
        }
        model.sort();
        let cut = model.len() / 2;
        let limit = model[cut];
        let mut got = Vec::new();
        q.pop_while(|i| *i < limit, |i| got.push(i));
        assert_eq!(got, model[..cut]);
        q.retain(|i| i.1 % 2 == 0);
        let rest: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        let want: Vec<_> = model[cut..]
            .iter()
            .copied()
            .filter(|i| i.1 % 2 == 0)
            .collect();
        assert_eq!(rest, want);
        assert_eq!(q.len(), 0);
        let built: FifoHeap<u32> = [5, 1, 3].into_iter().collect();
        assert_eq!(built.peek(), Some(&1));
    }
}
