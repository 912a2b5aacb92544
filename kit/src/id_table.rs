//! Objects by id, for ids issued in increasing order and never reused (connections).

use std::collections::VecDeque;

/// Objects by id. A reactor issues connection ids in increasing order and never reuses one,
/// so slots from the oldest live id on give lookups without a search or a hash, and
/// iteration in id order; empty slots at the front are dropped as objects go. Each object is
/// boxed, so that a slot is one word and a hole costs little.
pub struct IdTable<T> {
    /// The id of `slots[0]`.
    base: u64,
    slots: VecDeque<Option<Box<T>>>,
}

impl<T> Default for IdTable<T> {
    fn default() -> Self {
        Self {
            base: 0,
            slots: VecDeque::new(),
        }
    }
}

impl<T> IdTable<T> {
    fn index(&self, id: u64) -> Option<usize> {
        let offset = id.checked_sub(self.base)?;
        usize::try_from(offset)
            .ok()
            .filter(|&i| i < self.slots.len())
    }

    /// Adds object `id` (ids come in increasing order; an older one still fits).
    pub fn insert(&mut self, id: u64, object: T) {
        if self.slots.is_empty() {
            self.base = id;
        }
        while id < self.base {
            self.slots.push_front(None);
            self.base -= 1;
        }
        let i = (id - self.base) as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i] = Some(Box::new(object));
    }

    /// Object `id`, if it is live.
    pub fn get(&self, id: &u64) -> Option<&T> {
        self.slots[self.index(*id)?].as_deref()
    }

    /// Object `id`, if it is live.
    pub fn get_mut(&mut self, id: &u64) -> Option<&mut T> {
        let i = self.index(*id)?;
        self.slots[i].as_deref_mut()
    }

    /// Removes object `id`.
    pub fn remove(&mut self, id: &u64) -> Option<T> {
        let i = self.index(*id)?;
        let object = self.slots[i].take()?;
        while self.slots.front().is_some_and(Option::is_none) {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(*object)
    }

    /// The live ids, in increasing order.
    pub fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| self.base + i as u64)
    }

    /// The live objects with their ids, in increasing order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut T)> {
        let base = self.base;
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(move |(i, s)| s.as_deref_mut().map(|o| (base + i as u64, o)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(table: &IdTable<u16>, id: u64) -> Option<u16> {
        table.get(&id).copied()
    }

    #[test]
    fn lookups_find_live_ids_only() {
        let mut t = IdTable::default();
        assert!(t.get(&0).is_none(), "empty");
        t.insert(3, 3);
        t.insert(5, 5);
        assert_eq!(value(&t, 3), Some(3));
        assert_eq!(value(&t, 5), Some(5));
        for missing in [0, 2, 4, 6, u64::MAX] {
            assert!(t.get(&missing).is_none(), "id {missing}");
        }
        *t.get_mut(&5).expect("live") = 9;
        assert_eq!(value(&t, 5), Some(9));
    }

    #[test]
    fn ids_iterate_in_increasing_order_whatever_the_insertion_order() {
        let mut t = IdTable::default();
        for id in [7, 9, 8, 4] {
            t.insert(id, id as u16);
        }
        assert_eq!(t.ids().collect::<Vec<_>>(), [4, 7, 8, 9]);
        let seen: Vec<(u64, u16)> = t.iter_mut().map(|(id, v)| (id, *v)).collect();
        assert_eq!(seen, [(4, 4), (7, 7), (8, 8), (9, 9)]);
    }

    #[test]
    fn removing_drops_empty_slots_at_the_front_only() {
        let mut t = IdTable::default();
        for id in 0..4 {
            t.insert(id, id as u16);
        }
        assert!(t.remove(&1).is_some());
        assert_eq!(
            (t.base, t.slots.len()),
            (0, 4),
            "a hole in the middle stays"
        );
        assert!(t.remove(&1).is_none(), "a second remove finds nothing");
        assert!(t.remove(&0).is_some());
        assert_eq!(
            (t.base, t.slots.len()),
            (2, 2),
            "the front is compacted past the hole"
        );
        assert_eq!(t.ids().collect::<Vec<_>>(), [2, 3]);
        assert!(t.remove(&3).is_some() && t.remove(&2).is_some());
        assert_eq!(t.ids().count(), 0);
        t.insert(10, 10);
        assert_eq!(
            (t.base, value(&t, 10)),
            (10, Some(10)),
            "an empty table starts afresh"
        );
    }

    #[test]
    fn an_older_id_still_fits_in_front() {
        let mut t = IdTable::default();
        t.insert(6, 6);
        t.insert(2, 2);
        assert_eq!(t.ids().collect::<Vec<_>>(), [2, 6]);
        assert_eq!(value(&t, 2), Some(2));
        assert_eq!(value(&t, 6), Some(6));
    }
}
