//! The operating system's readiness queue: one mio `Poll`, its event buffer, and the waker
//! that calls from other threads use to interrupt a wait.

use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use mio::event::Event;
use mio::{Events, Poll, Registry, Token, Waker};

use crate::ignore::{ignore, Why};

/// The token of the waker. I/O sources take tokens from 1 up (see `dispatch::Tokens`).
pub(crate) const WAKER: Token = Token(0);

/// How many readiness events one poll returns at most; more wait for the next poll.
const EVENT_CAPACITY: usize = 256;

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

/// A mio `Poll` with its event buffer and waker.
pub(crate) struct Poller {
    poll: Poll,
    events: Events,
    waker: Arc<Waker>,
}

impl Poller {
    /// A new poll with its waker registered.
    pub(crate) fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        Ok(Self {
            poll,
            events: Events::with_capacity(EVENT_CAPACITY),
            waker,
        })
    }

    /// A function that interrupts the current or next [`Poller::wait`], from any thread.
    pub(crate) fn wake_fn(&self) -> impl Fn() + Send + Sync + 'static {
        let waker = Arc::clone(&self.waker);
        move || ignore(waker.wake(), Why::WakeFailed)
    }

    /// Where I/O sources are registered.
    pub(crate) fn registry(&self) -> &Registry {
        self.poll.registry()
    }

    /// Waits up to `timeout` (`None`: without limit) for readiness or a wake-up, and appends
    /// the readiness of every I/O source to `ready`.
    ///
    /// An interruption by a signal returns `Ok` early: the reactor loop then runs an
    /// iteration and polls again with a timeout computed afresh, which is a retry that
    /// cannot overshoot the next deadline. Readiness of the waker needs no draining.
    pub(crate) fn wait(
        &mut self,
        timeout: Option<Duration>,
        ready: &mut VecDeque<Ready>,
    ) -> io::Result<()> {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        // The waker's event only ends the wait; it needs no draining.
        ready.extend(
            self.events
                .iter()
                .filter(|e| e.token() != WAKER)
                .map(Ready::of),
        );
        Ok(())
    }
}
