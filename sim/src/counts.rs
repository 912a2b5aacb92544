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

/// The place of the `k`-th set bit of `bits` (`k < bits.count_ones()`), lowest first: the
/// slot of item `k` when 64 slots hold at most one each. Branch-free (Vigna's broadword
/// select): the byte holding the bit is found from the bytes' running counts, the bit within
/// it from a table.
pub(crate) fn select_bit(bits: u64, k: usize) -> usize {
    debug_assert!(k < bits.count_ones() as usize, "bit {k} of {bits:#x}");
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Each byte's count of set bits, then the count up to and including each byte.
    let mut counts = bits - ((bits >> 1) & 0x5555_5555_5555_5555);
    counts = (counts & 0x3333_3333_3333_3333) + ((counts >> 2) & 0x3333_3333_3333_3333);
    counts = (counts + (counts >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    let running = counts.wrapping_mul(ONES);
    // A byte's high bit survives the subtraction where its running count exceeds `k` (no
    // count reaches 128, so no byte borrows from the next).
    let above = ((running | HIGHS) - (k as u64 + 1) * ONES) & HIGHS;
    let byte = (above.trailing_zeros() / 8) as usize;
    let before = (running << 8 >> (8 * byte)) & 0xff;
    let rest = k - before as usize;
    8 * byte + usize::from(SELECT_IN_BYTE[((bits >> (8 * byte)) & 0xff) as usize][rest & 7])
}

/// `SELECT_IN_BYTE[b][r]`: the place of the `r`-th set bit of the byte `b`.
static SELECT_IN_BYTE: [[u8; 8]; 256] = {
    let mut table = [[0u8; 8]; 256];
    let mut b = 0;
    while b < 256 {
        let (mut bit, mut r) = (0, 0);
        while bit < 8 {
            if b >> bit & 1 == 1 {
                table[b][r] = bit as u8;
                r += 1;
            }
            bit += 1;
        }
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_bit_finds_what_a_walk_finds() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for bits in [x, x & x >> 3, u64::MAX, 1, 1 << 63, x | 1 << 63] {
                let places: Vec<usize> = (0..64).filter(|&p| bits >> p & 1 == 1).collect();
                for (k, &p) in places.iter().enumerate() {
                    assert_eq!(select_bit(bits, k), p, "bit {k} of {bits:#x}");
                }
            }
        }
    }

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
