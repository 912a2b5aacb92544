//! Step 4 of the real reactor's iteration: readiness from mio, dispatched to the module that
//! owns each registered source, and deliveries deferred to the loop.

use std::collections::VecDeque;

use mio::event::Event;
use mio::Token;

use crate::{process, tcp, udp, RealReactor};

/// What a token stands for. Each module keeps its own key type.
pub(crate) enum Source {
    /// A TCP listener or connection.
    Tcp(tcp::SourceKey),
    /// A UDP socket.
    Udp(udp::SourceKey),
    /// A child process's pipe or exit notification.
    Process(process::SourceKey),
}

/// The readiness of one token, copied out of mio's event buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ready {
    /// The token registered with the source.
    pub(crate) token: Token,
    /// Readable (or a listener has a connection to accept).
    pub(crate) readable: bool,
    /// Writable (or a non-blocking connect finished).
    pub(crate) writable: bool,
    /// The read side is closed (peer FIN, or a pipe's writer closed).
    pub(crate) read_closed: bool,
    /// The write side is closed.
    pub(crate) write_closed: bool,
    /// The source reports an error (read it with `take_error`).
    pub(crate) error: bool,
}

impl Ready {
    /// Copies what matters of a mio event.
    pub(crate) fn of(event: &Event) -> Self {
        Self {
            token: event.token(),
            readable: event.is_readable(),
            writable: event.is_writable(),
            read_closed: event.is_read_closed(),
            write_closed: event.is_write_closed(),
            error: event.is_error(),
        }
    }
}

/// A callback deferred to step 4 of the next iteration ("later, never inside the call").
pub(crate) type Deferred = Box<dyn FnOnce(&mut RealReactor)>;

/// Registered sources by token (token `n` is slot `n - 1`; token 0 is the waker), readiness
/// not yet dispatched, and deferred deliveries.
#[derive(Default)]
pub(crate) struct Sources {
    slots: Vec<Option<Source>>,
    free: Vec<usize>,
    /// Readiness taken from the last poll and not yet dispatched (mio is edge-triggered: an
    /// event lost here would not come again).
    pub(crate) ready: VecDeque<Ready>,
    /// Deliveries to run in the next step 4.
    pub(crate) deferred: VecDeque<Deferred>,
}

impl Sources {
    /// Allocates a token for `source`.
    pub(crate) fn insert(&mut self, source: Source) -> Token {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(source);
                slot
            }
            None => {
                self.slots.push(Some(source));
                self.slots.len() - 1
            }
        };
        Token(slot + 1)
    }

    /// Frees `token` (after its source was deregistered). Readiness still queued for it is
    /// then ignored.
    pub(crate) fn remove(&mut self, token: Token) -> Option<Source> {
        let slot = token.0.checked_sub(1)?;
        let source = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        self.ready.retain(|r| r.token != token);
        Some(source)
    }

    /// What `token` stands for.
    pub(crate) fn get(&self, token: Token) -> Option<&Source> {
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
        self.sources.deferred.push_back(Box::new(f));
    }

    /// Step 4: runs deferred deliveries queued before it began, then dispatches readiness.
    /// Stops early once `crash()` has been called; what did not run stays queued.
    pub(crate) fn dispatch(&mut self) {
        let deferred = self.sources.deferred.len();
        for _ in 0..deferred {
            if self.crash_requested() {
                return;
            }
            let Some(f) = self.sources.deferred.pop_front() else {
                break;
            };
            f(self);
        }
        while !self.crash_requested() {
            let Some(ready) = self.sources.ready.pop_front() else {
                break;
            };
            match self.sources.get(ready.token) {
                Some(Source::Tcp(key)) => tcp::ready(self, *key, ready),
                Some(Source::Udp(key)) => udp::ready(self, *key, ready),
                Some(Source::Process(key)) => process::ready(self, *key, ready),
                None => {}
            }
        }
    }
}
