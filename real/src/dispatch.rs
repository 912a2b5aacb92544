//! The token table and step 4 of the real reactor's iteration (the steps:
//! [`twinreactor_kit::iterate`]): readiness from mio, dispatched by token to the module that
//! owns the registered source, and deliveries deferred to the loop.
//!
//! This module knows every kind of source (TCP, UDP, processes); the kinds do not know it.
//! They allocate tokens with their own key types (each converts into [`Registered`]) and
//! are handed their readiness by [`RealReactor::dispatch`].

use std::collections::VecDeque;

use mio::Token;

use crate::ignore::{ignore, Why};
use crate::poller::Ready;
use crate::{process, tcp, udp, RealReactor};

/// What a token stands for: the kind of source, and that kind's own key for it.
pub(crate) enum Registered {
    /// A TCP listener or connection.
    Tcp(tcp::TokenKey),
    /// A UDP socket.
    Udp(udp::TokenKey),
    /// A child process's pipe or exit notification.
    Process(process::TokenKey),
}

impl From<tcp::TokenKey> for Registered {
    fn from(key: tcp::TokenKey) -> Self {
        Registered::Tcp(key)
    }
}

impl From<udp::TokenKey> for Registered {
    fn from(key: udp::TokenKey) -> Self {
        Registered::Udp(key)
    }
}

impl From<process::TokenKey> for Registered {
    fn from(key: process::TokenKey) -> Self {
        Registered::Process(key)
    }
}

/// A callback deferred to step 4 of the next iteration ("later, never inside the call").
pub(crate) type Deferred = Box<dyn FnOnce(&mut RealReactor)>;

/// Registered sources by token (token `n` is slot `n - 1`; token 0 is the waker), readiness
/// not yet dispatched, and deferred deliveries.
#[derive(Default)]
pub(crate) struct Tokens {
    slots: Vec<Option<Registered>>,
    free: Vec<usize>,
    /// Readiness taken from the last poll and not yet dispatched (mio is edge-triggered: an
    /// event lost here would not come again).
    pub(crate) ready: VecDeque<Ready>,
    /// Deliveries to run in the next step 4.
    deferred: VecDeque<Deferred>,
}

impl Tokens {
    /// Allocates a token for the source that `key` names.
    pub(crate) fn insert(&mut self, key: impl Into<Registered>) -> Token {
        let registered = Some(key.into());
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = registered;
                slot
            }
            None => {
                self.slots.push(registered);
                self.slots.len() - 1
            }
        };
        Token(slot + 1)
    }

    /// Frees `token` (after its source was deregistered). Readiness still queued for it is
    /// then ignored.
    pub(crate) fn remove(&mut self, token: Token) {
        let Some(slot) = token.0.checked_sub(1) else {
            return;
        };
        if self.slots.get_mut(slot).and_then(Option::take).is_some() {
            self.free.push(slot);
            self.ready.retain(|r| r.token != token);
        }
    }

    /// What `token` stands for.
    fn get(&self, token: Token) -> Option<&Registered> {
        self.slots.get(token.0.checked_sub(1)?)?.as_ref()
    }

    /// Whether step 4 has work without polling.
    pub(crate) fn has_work(&self) -> bool {
        !self.ready.is_empty() || !self.deferred.is_empty()
    }
}

impl RealReactor {
    /// Runs `f` in step 4 of the next iteration.
    pub(crate) fn defer(&mut self, f: impl FnOnce(&mut RealReactor) + 'static) {
        self.tokens.deferred.push_back(Box::new(f));
    }

    /// Deregisters `source` from the poll and frees its `token`, before the caller closes
    /// it (by dropping it).
    pub(crate) fn unregister(&mut self, source: &mut impl mio::event::Source, token: Token) {
        ignore(self.poller.registry().deregister(source), Why::Closing);
        self.tokens.remove(token);
    }

    /// Step 4: runs deferred deliveries queued before it began, then dispatches readiness.
    /// Stops early once `crash()` has been called; what did not run stays queued.
    pub(crate) fn dispatch(&mut self) {
        let deferred = self.tokens.deferred.len();
        for _ in 0..deferred {
            if self.crash_requested() {
                return;
            }
            let Some(f) = self.tokens.deferred.pop_front() else {
                break;
            };
            f(self);
        }
        while !self.crash_requested() {
            let Some(ready) = self.tokens.ready.pop_front() else {
                break;
            };
            match self.tokens.get(ready.token) {
                Some(Registered::Tcp(key)) => tcp::ready(self, *key, ready),
                Some(Registered::Udp(key)) => udp::ready(self, *key, ready),
                Some(Registered::Process(key)) => process::ready(self, *key, ready),
                None => {}
            }
        }
    }
}
