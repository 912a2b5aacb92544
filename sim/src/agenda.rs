//! Which hosts have work, and when: hosts indexed by their next deadline, so that finding
//! the next event and picking among the hosts due now cost O(log hosts), not a visit to
//! every host.
//!
//! A host's entry is what it last said (see `Sim::next`); a host whose timers, lifecycle,
//! inbox or deliveries may have changed since is marked stale and asked again before the
//! next event is chosen. Entries never go stale by themselves: they are absolute times,
//! and the clock only moves forward.
//!
//! The hosts whose work is later sit in a min-queue with lazy deletion: a changed entry
//! pushes its new time and leaves the old one, which is dropped when it surfaces (it no
//! longer matches the host's entry), so that a change costs one cheap push (with a fixed
//! latency, an O(1) one: see [`FifoHeap`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::counts::Counts;
use crate::fifo_heap::FifoHeap;

/// A host's entry in [`Agenda::later`]: when it has work, and the host. Ordered by the time
/// alone: entries of one time all become due together, so their order does not matter, and
/// entries of one time pushed in any host order all stay in the FIFO.
#[derive(Clone, Copy)]
struct Later(Duration, usize);

impl PartialEq for Later {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Later {}

impl PartialOrd for Later {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Later {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// The hosts, by when they next have work.
#[derive(Default)]
pub(crate) struct Agenda {
    /// When each host next has work, as it last said (`None`: never, or not running).
    at: Vec<Option<Duration>>,
    /// The hosts whose work is after `clock`, by (time, host number), and entries that no
    /// longer match `at` (dropped when they surface).
    later: FifoHeap<Later>,
    /// The hosts whose work is at or before `clock`: one count each, by host number.
    due: Counts,
    /// Whether each host is counted in `due`.
    in_due: Vec<bool>,
    /// The time that splits `later` from `due`.
    clock: Duration,
    /// The hosts to ask again, each once (`marked`).
    stale: Vec<usize>,
    marked: Vec<bool>,
}

impl Agenda {
    /// Adds a host with nothing to do.
    pub(crate) fn add_host(&mut self) {
        self.at.push(None);
        self.due.push(0);
        self.in_due.push(false);
        self.marked.push(false);
    }

    /// Marks `host`'s entry as possibly out of date (nothing, for a host not added: the
    /// agenda is not kept while a scan finds the next event).
    pub(crate) fn mark(&mut self, host: usize) {
        if let Some(marked) = self.marked.get_mut(host) {
            if !std::mem::replace(marked, true) {
                self.stale.push(host);
            }
        }
    }

    /// Marks every host.
    pub(crate) fn mark_all(&mut self) {
        for host in 0..self.at.len() {
            self.mark(host);
        }
    }

    /// How many hosts have been added.
    pub(crate) fn hosts(&self) -> usize {
        self.at.len()
    }

    /// A host marked stale, unmarked now (its entry must be [`Agenda::set`] next).
    pub(crate) fn pop_stale(&mut self) -> Option<usize> {
        let host = self.stale.pop()?;
        self.marked[host] = false;
        Some(host)
    }

    /// Moves the clock to `clock` (never back): hosts whose work has come become due.
    pub(crate) fn advance(&mut self, clock: Duration) {
        self.clock = self.clock.max(clock);
        while let Some(Later(t, host)) = self.later.pop_if(|l| l.0 <= self.clock) {
            if self.at[host] == Some(t) && !self.in_due[host] {
                self.in_due[host] = true;
                self.due.increment(host);
            }
        }
    }

    /// Sets when `host` next has work.
    pub(crate) fn set(&mut self, host: usize, at: Option<Duration>) {
        if self.at[host] == at {
            return;
        }
        self.at[host] = at;
        if std::mem::replace(&mut self.in_due[host], false) {
            self.due.decrement(host);
        }
        match at {
            Some(t) if t <= self.clock => {
                self.in_due[host] = true;
                self.due.increment(host);
            }
            Some(t) => {
                if self.later.len() > 2 * self.at.len() + 16 {
                    self.compact();
                }
                self.later.push(Later(t, host));
            }
            None => {}
        }
    }

    /// Rebuilds `later` from the entries, without the ones that no longer match.
    fn compact(&mut self) {
        let clock = self.clock;
        let live = self
            .at
            .iter()
            .enumerate()
            .filter_map(|(host, at)| match at {
                Some(t) if *t > clock => Some(Later(*t, host)),
                _ => None,
            });
        self.later = live.collect();
    }

    /// How many hosts have work now.
    pub(crate) fn due_count(&self) -> usize {
        self.due.total()
    }

    /// Due host number `k` (`k < due_count()`), counting by host number.
    pub(crate) fn due_nth(&self, k: usize) -> usize {
        self.due.find(k)
    }

    /// The earliest time a host has work after the clock.
    pub(crate) fn earliest_later(&mut self) -> Option<Duration> {
        while let Some(&Later(t, host)) = self.later.peek() {
            if self.at[host] == Some(t) {
                return Some(t);
            }
            self.later.pop();
        }
        None
    }
}

/// The hosts whose inbox got a remote call (from any thread) since they were last asked:
/// the simulator's wake-up for its hosts' inboxes.
#[derive(Default)]
pub(crate) struct Knocks {
    any: AtomicBool,
    hosts: Mutex<Vec<usize>>,
}

impl Knocks {
    /// The wake-up for host number `host`'s inbox.
    pub(crate) fn waker(self: &Arc<Self>, host: usize) -> impl Fn() + Send + Sync + 'static {
        let knocks = Arc::clone(self);
        move || {
            knocks
                .hosts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(host);
            knocks.any.store(true, Ordering::Release);
        }
    }

    /// Marks stale in `agenda` every host knocked at since the last call.
    pub(crate) fn mark(&self, agenda: &mut Agenda) {
        if !self.any.load(Ordering::Acquire) || !self.any.swap(false, Ordering::Acquire) {
            return;
        }
        let knocked =
            std::mem::take(&mut *self.hosts.lock().unwrap_or_else(PoisonError::into_inner));
        for host in knocked {
            agenda.mark(host);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    #[test]
    fn hosts_become_due_as_the_clock_reaches_them_and_count_by_number() {
        let mut agenda = Agenda::default();
        for _ in 0..5 {
            agenda.add_host();
        }
        agenda.set(3, Some(s(2)));
        agenda.set(1, Some(s(2)));
        agenda.set(4, Some(s(0)));
        agenda.set(0, Some(s(5)));
        assert_eq!(agenda.due_count(), 1);
        assert_eq!(agenda.due_nth(0), 4);
        assert_eq!(agenda.earliest_later(), Some(s(2)));
        agenda.advance(s(2));
        assert_eq!(agenda.due_count(), 3);
        assert_eq!([0, 1, 2].map(|k| agenda.due_nth(k)), [1, 3, 4]);
        agenda.set(3, None);
        agenda.set(4, Some(s(9)));
        assert_eq!(agenda.due_count(), 1);
        assert_eq!(agenda.earliest_later(), Some(s(5)));
        agenda.advance(s(1));
        assert_eq!(agenda.due_count(), 1, "the clock never goes back");
    }

    #[test]
    fn an_entry_changed_back_and_forth_counts_once() {
        let mut agenda = Agenda::default();
        agenda.add_host();
        agenda.add_host();
        for _ in 0..100 {
            agenda.set(0, Some(s(3)));
            agenda.set(0, Some(s(4)));
        }
        agenda.set(0, Some(s(3)));
        agenda.set(1, Some(s(4)));
        assert_eq!(agenda.earliest_later(), Some(s(3)));
        agenda.advance(s(4));
        assert_eq!(agenda.due_count(), 2);
        agenda.set(0, None);
        assert_eq!(agenda.due_count(), 1);
        assert_eq!(agenda.due_nth(0), 1);
        assert_eq!(agenda.earliest_later(), None);
    }

    #[test]
    fn stale_hosts_are_asked_once_and_knocks_mark_them() {
        let mut agenda = Agenda::default();
        for _ in 0..3 {
            agenda.add_host();
        }
        let knocks = Arc::new(Knocks::default());
        let wake = knocks.waker(2);
        agenda.mark(1);
        agenda.mark(1);
        wake();
        wake();
        knocks.mark(&mut agenda);
        let mut asked = std::iter::from_fn(|| agenda.pop_stale()).collect::<Vec<_>>();
        asked.sort();
        assert_eq!(asked, [1, 2]);
    }
}
