//! # twinreactor-kit: the bookkeeping both reactors share
//!
//! The timer queue, system-event triggers, the lifecycle state machine, the remote-call
//! inbox, the first three steps of an iteration and the TCP/UDP rules are pure bookkeeping
//! with no I/O, so they live here once. The simulator (`twinreactor-sim`) and the real
//! reactor (`twinreactor-real`) each add only what differs: how time passes and how I/O
//! becomes ready. Protocol code never needs this crate: it is written against the contract,
//! `twinreactor`, alone. Its API follows the two reactors' needs and is not stable.

mod child;
mod datagram;
mod deadline_queue;
mod firing;
mod id_table;
mod inbox;
mod lifecycle;
mod objects;
mod ops;
mod run;
mod stream;
mod subsystem;
mod timers;
mod triggers;

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::Instant;

/// The contract crate, for the paths that [`impl_reactor_via_kit!`] expands to.
#[doc(hidden)]
pub use twinreactor as contract;

pub use child::{deliver_child_event, stdin_flow_notice, StdinFlow};
pub use datagram::{check_size, DatagramState};
pub use firing::{complete, fire, fire_lifecycle, resume_stalled};
pub use id_table::IdTable;
pub use inbox::Inbox;
pub use lifecycle::Lifecycle;
pub use objects::Objects;
pub use triggers::{Events, Firing, Role, Stage};

pub use run::{begin_run, end_run, iterate, poison, run_ended, wake_hint, WakeHint};
pub use stream::{
    cancelled_connect, deliver_end, producer_notice, AbortAction, ByteQueue, CloseAction, End,
    PeerFinAction, StreamCall, StreamState, WriteSide,
};
pub use subsystem::Subsystem;
pub use timers::{PassMark, TimerQueue};

use twinreactor::{Reactor, TraceEvent};

/// The state every reactor keeps, whatever drives it.
pub struct Core {
    /// Pending timers.
    pub timers: TimerQueue,
    /// Triggers, completions, firings.
    pub events: Events,
    /// Lifecycle flags.
    pub life: Lifecycle,
    /// Calls from other threads: made with the first `Remote` handle, since until then no
    /// call can come (an iteration then looks at no shared memory for them).
    inbox: OnceCell<Arc<Inbox>>,
    /// What the inbox calls after each queued call.
    wake: Arc<dyn Fn() + Send + Sync>,
    /// How many remote calls have run (numbers them in the trace).
    pub remote_ran: u64,
    /// Objects kept for user code.
    pub objects: Objects,
    /// The `Instant` of the epoch, fixed at creation (see `Reactor::epoch_instant`).
    pub epoch: Instant,
}

impl Core {
    /// A fresh core whose inbox calls `wake` after each remote call is queued.
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            timers: TimerQueue::new(),
            events: Events::new(),
            life: Lifecycle::default(),
            inbox: OnceCell::new(),
            wake: Arc::new(wake),
            remote_ran: 0,
            objects: Objects::default(),
            epoch: Instant::now(),
        }
    }

    /// The inbox of calls from other threads, made on first use (for a `Remote` handle).
    pub fn inbox(&self) -> &Arc<Inbox> {
        self.inbox
            .get_or_init(|| Arc::new(Inbox::new(Arc::clone(&self.wake))))
    }

    /// The inbox, if a `Remote` handle was ever made (else no remote call can be queued).
    pub fn inbox_made(&self) -> Option<&Arc<Inbox>> {
        self.inbox.get()
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        if let Some(inbox) = self.inbox.get() {
            inbox.close();
        }
    }
}

/// Whether the reactor's shutdown has closed its I/O (its `During` phase began): from then
/// on no listener, connection, socket or process is opened, so nothing outlives `run()`.
pub fn io_shut_down<D: Driver>(d: &D) -> bool {
    d.core_ref().life.shutdown_closed
}

/// What a reactor implementation provides so that the kit can drive it.
pub trait Driver: Reactor + Sized {
    /// The reactor's core state.
    fn core(&mut self) -> &mut Core;
    /// The reactor's core state, shared.
    fn core_ref(&self) -> &Core;
    /// Records a delivered event in the trace (a no-op where no trace is kept).
    fn record(&mut self, event: TraceEvent);
    /// Shutdown, after the `Before` phase: closes every connection, listener, socket and
    /// child process, so that nothing outlives `run()`, by calling
    /// [`Subsystem::close_all`] of each of the reactor's subsystems in turn.
    fn close_all(&mut self);
    /// Runs `f`, which may call user code. If user code panics, the reactor is poisoned with
    /// [`poison`] and the panic goes on (with whatever context the reactor adds, such as the
    /// simulator's seed); a panic passing through a second guard is left as it is.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T;
}
