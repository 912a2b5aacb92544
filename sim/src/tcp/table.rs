//! One host's connections by id.

use std::collections::VecDeque;

use super::conn::Conn;

/// Connections by id. A host issues connection ids in increasing order and never reuses
/// one, so slots from the oldest live id on give lookups without a search, and iteration in
/// id order; empty slots at the front are dropped as connections end.
#[derive(Default)]
pub(super) struct ConnTable {
    /// The id of `slots[0]`.
    base: u64,
    slots: VecDeque<Option<Box<Conn>>>,
}

impl ConnTable {
    fn index(&self, id: u64) -> Option<usize> {
        let offset = id.checked_sub(self.base)?;
        usize::try_from(offset)
            .ok()
            .filter(|&i| i < self.slots.len())
    }

    /// Adds the connection `id` (ids come in increasing order; an older one still fits).
    pub(super) fn insert(&mut self, id: u64, conn: Conn) {
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
        self.slots[i] = Some(Box::new(conn));
    }

    /// The connection `id`, if it is live.
    pub(super) fn get(&self, id: &u64) -> Option<&Conn> {
        self.slots[self.index(*id)?].as_deref()
    }

    /// The connection `id`, if it is live.
    pub(super) fn get_mut(&mut self, id: &u64) -> Option<&mut Conn> {
        let i = self.index(*id)?;
        self.slots[i].as_deref_mut()
    }

    /// Removes the connection `id`.
    pub(super) fn remove(&mut self, id: &u64) -> Option<Conn> {
        let i = self.index(*id)?;
        let conn = self.slots[i].take()?;
        while self.slots.front().is_some_and(Option::is_none) {
            self.slots.pop_front();
            self.base += 1;
        }
        Some(*conn)
    }

    /// The live ids, in increasing order.
    pub(super) fn ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(i, _)| self.base + i as u64)
    }

    /// The live connections with their ids, in increasing order.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (u64, &mut Conn)> {
        let base = self.base;
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(move |(i, s)| s.as_deref_mut().map(|c| (base + i as u64, c)))
    }
}
