//! Counts in numbered slots (a Fenwick tree): the slot of the k-th counted item in
//! O(log slots), so that a uniformly drawn index finds its item without a linear walk.

/// Non-negative counts in slots `0..len`, in slot order.
#[derive(Default)]
pub(crate) struct Counts {
    /// `tree[j - 1]` is the sum of the slots `j - lowbit(j) .. j` (1-based `j`).
    tree: Vec<usize>,
    total: usize,
}

/// The lowest set bit of `j`.
fn lowbit(j: usize) -> usize {
    j & j.wrapping_neg()
}

impl Counts {
    /// Slots holding `counts`, in order (built in O(slots)).
    pub(crate) fn from_counts(counts: impl IntoIterator<Item = usize>) -> Self {
        let mut tree: Vec<usize> = counts.into_iter().collect();
        let total = tree.iter().sum();
        for j in 1..=tree.len() {
            let parent = j + lowbit(j);
            if parent <= tree.len() {
                tree[parent - 1] += tree[j - 1];
            }
        }
        Self { tree, total }
    }

    /// Makes these the slots holding `counts`, in order, keeping the room already had.
    pub(crate) fn refill(&mut self, counts: impl IntoIterator<Item = usize>) {
        let mut tree = std::mem::take(&mut self.tree);
        tree.clear();
        tree.extend(counts);
        *self = Self::from_counts(tree);
    }

    /// The sum of every slot.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// Appends a slot holding `count`.
    pub(crate) fn push(&mut self, count: usize) {
        let j = self.tree.len() + 1;
        let mut sum = count;
        let mut k = 1;
        while k < lowbit(j) {
            sum += self.tree[j - k - 1];
            k <<= 1;
        }
        self.tree.push(sum);
        self.total += count;
    }

    /// Adds one to `slot`.
    pub(crate) fn increment(&mut self, slot: usize) {
        let mut j = slot + 1;
        while j <= self.tree.len() {
            self.tree[j - 1] += 1;
            j += lowbit(j);
        }
        self.total += 1;
    }

    /// Takes one from `slot`, which must hold at least one.
    pub(crate) fn decrement(&mut self, slot: usize) {
        let mut j = slot + 1;
        while j <= self.tree.len() {
            self.tree[j - 1] -= 1;
            j += lowbit(j);
        }
        self.total -= 1;
    }

    /// The slot of item number `k` (`k < total`), counting the items slot by slot.
    pub(crate) fn find(&self, mut k: usize) -> usize {
        debug_assert!(k < self.total, "item {k} of {}", self.total);
        let mut at = 0usize;
        let mut step = if self.tree.is_empty() {
            0
        } else {
            1 << self.tree.len().ilog2()
        };
        while step > 0 {
            // Without a branch on the counts, which a uniformly drawn `k` makes unpredictable.
            let next = at + step;
            let sum = self.tree.get(next - 1).copied().unwrap_or(usize::MAX);
            let take = (next <= self.tree.len()) & (sum <= k);
            at = std::hint::select_unpredictable(take, next, at);
            k -= std::hint::select_unpredictable(take, sum, 0);
            step >>= 1;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot of item `k` found by walking the slots.
    fn walk(counts: &[usize], mut k: usize) -> usize {
        counts
            .iter()
            .position(|&c| {
                if k < c {
                    true
                } else {
                    k -= c;
                    false
                }
            })
            .expect("k < total")
    }

    #[test]
    fn finds_what_a_walk_finds_as_counts_change() {
        let mut counts: Vec<usize> = (0..37).map(|i| (i * 7 + 3) % 5).collect();
        let mut built = Counts::from_counts(counts.iter().copied());
        let mut pushed = Counts::default();
        for &c in &counts {
            pushed.push(c);
        }
        for step in 0..200 {
            assert_eq!(built.total(), counts.iter().sum::<usize>());
            for k in 0..built.total() {
                assert_eq!(built.find(k), walk(&counts, k), "step {step}, item {k}");
                assert_eq!(pushed.find(k), walk(&counts, k), "step {step}, item {k}");
            }
            let slot = (step * 13) % counts.len();
            if step % 3 == 0 || counts[slot] == 0 {
                counts[slot] += 1;
                built.increment(slot);
                pushed.increment(slot);
            } else {
                counts[slot] -= 1;
                built.decrement(slot);
                pushed.decrement(slot);
            }
        }
    }
}
