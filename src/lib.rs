//! # twinreactor: one reactor contract, two reactors
//!
//! Protocol code is written once against [`Reactor`]: time and timers, system-event
//! triggers, run / stop / crash, calls from other threads, TCP, UDP and multicast, and child
//! processes. It then runs unchanged on
//! the deterministic simulator (`twinreactor-sim`), where every choice the contract leaves
//! open is drawn from one seed, and on the operating system (`twinreactor-real`, on mio).
//! `docs/contract.md` says what every method guarantees and what it leaves open.
//!
//! ```
//! use std::time::Duration;
//! use twinreactor::{Phase, Reactor, ReactorExt};
//!
//! /// Counts three ticks a second apart, then stops the reactor.
//! fn ticker(r: &mut dyn Reactor, left: u32) {
//!     if left == 0 {
//!         r.stop().expect("the reactor is running");
//!         return;
//!     }
//!     r.after(Duration::from_secs(1), move |r| ticker(r, left - 1));
//! }
//!
//! fn install(r: &mut dyn Reactor) {
//!     r.on_event(Phase::During, twinreactor::STARTUP, |r| ticker(r, 3));
//! }
//! # let _ = install;
//! ```

mod error;
mod events;
mod ids;
mod objects;
pub mod prelude;
pub mod process;
mod reactor;
mod remote;
pub mod tcp;
mod time;
pub mod trace;
pub mod udp;

pub use error::{LifecycleError, RemoteError, TimerError, TriggerError};
pub use events::{Phase, SHUTDOWN, STARTUP};
pub use ids::{CompletionId, TimerId, TriggerId};
pub use objects::{ObjectError, ObjectId, Owned};
pub use process::{
    Environment, ExitStatus, Pipe, ProcessError, ProcessId, ProcessProtocol, ProcessSpec,
    Processes, Signal, SpecProblem,
};
pub use reactor::{Reactor, ReactorExt, TimerFn, TriggerFn};
pub use remote::{Remote, RemoteFn, RemoteQueue};
pub use tcp::{
    ConnId, ConnectError, Disconnect, ListenerId, StreamFactory, StreamProtocol, Tcp, TcpError,
};
pub use time::TimerState;
pub use trace::{RunEnd, TraceEvent, TraceLine};
pub use udp::{DatagramProtocol, SocketId, Udp, UdpError, UdpOptions};

/// The code samples in README.md, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
