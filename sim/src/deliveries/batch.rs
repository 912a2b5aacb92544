//! The deliveries one step 4 runs: taken out of the queue in key order, grouped by lane, and
//! handed out one at a time as the seed's draws pick them.

use super::{Delivery, Key, Lane};
use crate::counts::{select_bit, Counts};

/// The most deliveries a batch's buffers keep room for between steps.
const KEEP: usize = 1024;

/// One lane's deliveries in a [`DueBatch`]: those of `order[next..end]` are still to run.
/// (Places in a batch fit in 32 bits, and a small run keeps a large batch's runs in cache.)
struct LaneRun {
    next: u32,
    end: u32,
}

/// Which deliveries are left, for finding the one a draw picks.
enum Left {
    /// A batch of at most 64: bit `p` is set while `order[p]` has not run.
    Few(u64),
    /// A larger batch: how many deliveries each lane has left.
    Many(Counts),
}

/// The deliveries taken out for one step 4, by lane, each lane in order. Kept between steps
/// (empty) so that its buffers are reused.
pub(crate) struct DueBatch<D = Delivery> {
    /// The deliveries, in key order; `None` once run.
    due: Vec<(Lane, Key, Option<D>)>,
    /// The places in `due`, by lane then key.
    order: Vec<u32>,
    /// By place in `order`: the index of its lane in `lanes`.
    lane_at: Vec<u32>,
    /// The lanes, in their order.
    lanes: Vec<LaneRun>,
    left: Left,
    /// Sort keys (lane rank, then place in `due`), kept for their buffers.
    short_keys: Vec<u64>,
    wide_keys: Vec<u128>,
}

impl<D> Default for DueBatch<D> {
    fn default() -> Self {
        Self {
            due: Vec::new(),
            order: Vec::new(),
            lane_at: Vec::new(),
            lanes: Vec::new(),
            left: Left::Few(0),
            short_keys: Vec::new(),
            wide_keys: Vec::new(),
        }
    }
}

impl<D> DueBatch<D> {
    /// Adds the next delivery, in key order ([`DueBatch::arrange`] then readies the batch).
    pub(super) fn push(&mut self, lane: Lane, key: Key, deliver: D) {
        self.due.push((lane, key, Some(deliver)));
    }

    /// Groups the deliveries pushed by lane, each lane in key order, lanes in their order.
    pub(super) fn arrange(&mut self) {
        // Each delivery is sorted as one number (its lane's rank, then its place), not moved;
        // in 64 bits when every lane's rank fits in 32 (it nearly always does).
        self.order.clear();
        let n = self.due.len();
        let shorts = self.due.iter().enumerate().map(|(i, (lane, _, _))| {
            lane.short_rank()
                .map(|rank| u64::from(rank) << 32 | i as u64)
        });
        self.short_keys.clear();
        self.short_keys.extend(shorts.map_while(|k| k));
        if self.short_keys.len() == n {
            sort_places(&mut self.short_keys, &mut self.order, |k| k as u32);
        } else {
            self.wide_keys.clear();
            let wide = self.due.iter().enumerate();
            self.wide_keys
                .extend(wide.map(|(i, (lane, _, _))| lane.rank() << 32 | i as u128));
            sort_places(&mut self.wide_keys, &mut self.order, |k| k as u32);
        }
        self.lanes.clear();
        self.lane_at.clear();
        let mut previous = None;
        for at in 0..n as u32 {
            let lane = self.due[self.order[at as usize] as usize].0;
            if previous != Some(lane) {
                previous = Some(lane);
                self.lanes.push(LaneRun { next: at, end: at });
            }
            self.lanes.last_mut().expect("pushed above").end = at + 1;
            self.lane_at.push((self.lanes.len() - 1) as u32);
        }
        self.left = if n <= 64 {
            Left::Few(u64::MAX.checked_shr(64 - n as u32).unwrap_or(0))
        } else {
            let mut counts = match std::mem::replace(&mut self.left, Left::Few(0)) {
                Left::Many(counts) => counts,
                Left::Few(_) => Counts::default(),
            };
            counts.refill(self.lanes.iter().map(|l| (l.end - l.next) as usize));
            Left::Many(counts)
        };
    }

    /// How many deliveries are left, over all lanes.
    pub(super) fn left(&self) -> usize {
        match &self.left {
            Left::Few(bits) => bits.count_ones() as usize,
            Left::Many(counts) => counts.total(),
        }
    }

    /// Takes delivery number `pick` (`pick < self.left()`), counting through the lanes in
    /// their order, and returns the first delivery of its lane. A uniformly random `pick`
    /// gives every interleaving that keeps per-lane order its fair share.
    pub(super) fn take(&mut self, pick: usize) -> D {
        let lane = match &mut self.left {
            // The lanes' places are in lane order, each lane's left ones a suffix of its
            // run: the `pick`-th left place is in the lane the count through lanes finds.
            Left::Few(bits) => {
                let lane = self.lane_at[select_bit(*bits, pick)] as usize;
                *bits &= !(1 << self.lanes[lane].next);
                lane
            }
            Left::Many(counts) => {
                let lane = counts.find(pick);
                counts.decrement(lane);
                lane
            }
        };
        let run = &mut self.lanes[lane];
        let at = self.order[run.next as usize] as usize;
        run.next += 1;
        self.due[at].2.take().expect("each delivery runs once")
    }

    /// The deliveries that did not run, in key order, leaving the batch empty.
    pub(super) fn drain_left(&mut self) -> impl Iterator<Item = (Lane, Key, D)> + '_ {
        self.left = Left::Few(0);
        self.due
            .drain(..)
            .filter_map(|(lane, key, deliver)| Some((lane, key, deliver?)))
    }

    /// Empties the batch once every delivery has run, keeping its buffers unless a burst
    /// made them large (they would stay as long as the simulation).
    pub(super) fn clear(&mut self) {
        if self.due.capacity() > KEEP {
            *self = Self::default();
        } else {
            self.due.clear();
        }
    }
}

/// Sorts `keys` (each ending in a place) and appends the places, in order, to `order`.
fn sort_places<K: Ord + Copy>(keys: &mut [K], order: &mut Vec<u32>, place: impl Fn(K) -> u32) {
    if !keys.is_sorted() {
        keys.sort_unstable();
    }
    order.extend(keys.iter().map(|&k| place(k)));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order a naive walk gives: pick `k` counts through the lanes in their order, by
    /// what each has left, and takes the first left in that lane.
    fn walked(lanes_of: &[Lane], picks: &mut impl FnMut(usize) -> usize) -> Vec<usize> {
        let mut lanes: Vec<Lane> = lanes_of.to_vec();
        lanes.sort();
        lanes.dedup();
        let mut left: Vec<Vec<usize>> = lanes
            .iter()
            .map(|l| (0..lanes_of.len()).filter(|&i| lanes_of[i] == *l).collect())
            .collect();
        let mut out = Vec::new();
        while out.len() < lanes_of.len() {
            let mut k = picks(lanes_of.len() - out.len());
            let lane = left
                .iter()
                .position(|l| {
                    let here = k < l.len();
                    if !here {
                        k -= l.len();
                    }
                    here
                })
                .expect("k < left");
            out.push(left[lane].remove(0));
        }
        out
    }

    #[test]
    fn small_and_large_batches_pick_as_a_walk_through_the_lanes() {
        let mut x: u64 = 7;
        let mut next = move |below: usize| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((u128::from(x) * below as u128) >> 64) as usize
        };
        for n in [1, 2, 5, 63, 64, 65, 200] {
            for spread in [1, 3, n as u64] {
                let lanes_of: Vec<Lane> = (0..n)
                    .map(|i| match next(3) {
                        0 => Lane::Tcp(1, (i as u64 * 7) % spread),
                        1 => Lane::Udp((i as u64 * 5) % spread),
                        // Beyond the short ranks' 22 bits: sorted in 128.
                        _ => Lane::Process(((i as u64 * 3) % spread) << (40 * (n % 2))),
                    })
                    .collect();
                let picks: Vec<usize> = (0..n).map(|i| next(n - i)).collect();
                let mut batch = DueBatch::default();
                for (i, &lane) in lanes_of.iter().enumerate() {
                    batch.push(lane, (0, i as u64), i);
                }
                batch.arrange();
                let mut got = Vec::new();
                for &pick in &picks {
                    assert!(pick < batch.left());
                    got.push(batch.take(pick));
                }
                assert_eq!(batch.left(), 0);
                let mut replay = picks.iter().copied();
                let want = walked(&lanes_of, &mut |_| replay.next().expect("a pick each"));
                assert_eq!(got, want, "{n} deliveries over {spread} ids");
            }
        }
    }
}
