//! What a stream shares with its protocol: bytes received and to send, and how it stands.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::task::Waker;

use twinreactor::{ConnId, ConnectError, Disconnect, Reactor, StreamProtocol};

use super::listener::Backlog;
use crate::core::Core;

/// Above this many unread bytes the stream pauses reading from the reactor.
pub(crate) const READ_HIGH: usize = 64 * 1024;
/// Once unread bytes fall to this many or fewer, reading resumes.
pub(crate) const READ_LOW: usize = 16 * 1024;

/// Where a connection stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// `connect_tcp` is queued or pending.
    Connecting,
    /// Established.
    Open,
    /// The connect failed.
    Failed(ConnectError),
    /// The connection ended; the reactor forgot it.
    Ended(Disconnect),
}

/// One connection's state.
pub(crate) struct Conn {
    pub(crate) owner: u64,
    pub(crate) core: Weak<Core>,
    pub(crate) id: Option<ConnId>,
    pub(crate) phase: Phase,
    pub(crate) local: Option<SocketAddr>,
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) inbox: VecDeque<u8>,
    /// The peer's FIN arrived.
    pub(crate) eof: bool,
    pub(crate) reading_paused: bool,
    /// The reactor told this side to pause producing.
    pub(crate) producing_paused: bool,
    /// Nobody holds the connection any more (its connect was dropped): close it as soon as
    /// it is established.
    pub(crate) abandoned: bool,
    /// This side shut down writing (or closed or aborted).
    pub(crate) write_shut: bool,
    /// Bytes written and not yet handed to the reactor (a flush operation is queued).
    pub(crate) outbox: Vec<u8>,
    /// A `connect_tcp` or `write` failed at once.
    pub(crate) error: Option<std::io::ErrorKind>,
    pub(crate) reader: Option<Waker>,
    pub(crate) writer: Option<Waker>,
}

/// A connection's shared state.
pub(crate) type Shared = Rc<RefCell<Conn>>;

impl Conn {
    /// A connection of executor `core`, not yet established.
    pub(crate) fn new(core: &Rc<Core>) -> Shared {
        Rc::new(RefCell::new(Self {
            owner: core.id(),
            core: Rc::downgrade(core),
            id: None,
            phase: Phase::Connecting,
            local: None,
            peer: None,
            inbox: VecDeque::new(),
            eof: false,
            reading_paused: false,
            producing_paused: false,
            abandoned: false,
            write_shut: false,
            outbox: Vec::new(),
            error: None,
            reader: None,
            writer: None,
        }))
    }

    /// Wakes the reader and the writer.
    pub(crate) fn wake_all(&mut self) {
        for w in [self.reader.take(), self.writer.take()]
            .into_iter()
            .flatten()
        {
            w.wake();
        }
    }
}

/// The protocol the reactor drives for one connection; it fills the shared state and wakes
/// the tasks waiting on it.
pub(crate) struct Protocol {
    pub(crate) conn: Shared,
    /// For an accepted connection: where it goes once established.
    pub(crate) backlog: Option<Weak<Backlog>>,
}

impl Protocol {
    fn deliver(&self, r: &mut dyn Reactor, f: impl FnOnce(&mut Conn)) {
        let core = self.conn.borrow().core.clone();
        Core::deliver(&core, r, || f(&mut self.conn.borrow_mut()));
    }
}

impl StreamProtocol for Protocol {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        let backlog = self.backlog.take().map(|b| b.upgrade());
        // Its connect future was dropped before the outcome arrived, or its listener was.
        if self.conn.borrow().abandoned || matches!(backlog, Some(None)) {
            let _ = r.close(conn);
            return;
        }
        let backlog = backlog.flatten();
        let local = r.local_addr(conn).ok();
        let peer = r.peer_addr(conn).ok();
        let shared = Rc::clone(&self.conn);
        let core = shared.borrow().core.clone();
        Core::deliver(&core, r, || {
            {
                let mut c = shared.borrow_mut();
                c.id = Some(conn);
                c.phase = Phase::Open;
                c.local = local;
                c.peer = peer;
                c.wake_all();
            }
            if let Some(backlog) = backlog {
                backlog.push(Rc::clone(&shared));
            }
        });
    }

    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        let pause = {
            let mut c = self.conn.borrow_mut();
            c.inbox.extend(bytes);
            c.inbox.len() > READ_HIGH && !std::mem::replace(&mut c.reading_paused, true)
        };
        if pause {
            // Paused before any task reads, so a resume it queues comes after this pause.
            // The connection is open: it just delivered data.
            let _ = r.pause_reading(conn);
        }
        self.deliver(r, |c| {
            if let Some(w) = c.reader.take() {
                w.wake();
            }
        });
    }

    fn accepts_half_close(&self) -> bool {
        true
    }

    fn read_closed(&mut self, r: &mut dyn Reactor, _conn: ConnId) {
        self.deliver(r, |c| {
            c.eof = true;
            c.wake_all();
        });
    }

    fn pause_producing(&mut self, r: &mut dyn Reactor, _conn: ConnId) {
        self.deliver(r, |c| c.producing_paused = true);
    }

    fn resume_producing(&mut self, r: &mut dyn Reactor, _conn: ConnId) {
        self.deliver(r, |c| {
            c.producing_paused = false;
            if let Some(w) = c.writer.take() {
                w.wake();
            }
        });
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, _conn: ConnId, reason: Disconnect) {
        self.deliver(r, |c| {
            c.phase = Phase::Ended(reason);
            c.wake_all();
        });
    }

    fn connect_failed(&mut self, r: &mut dyn Reactor, _conn: ConnId, error: ConnectError) {
        self.deliver(r, |c| {
            c.phase = Phase::Failed(error);
            c.wake_all();
        });
    }
}
