//! # twinreactor-real: the twinreactor contract on the operating system
//!
//! [`RealReactor`] implements [`twinreactor::Reactor`] on mio: time is the monotonic clock,
//! waiting is one `poll` call per iteration, and calls from other threads wake the poll
//! through a mio `Waker`. The bookkeeping (timers, system events, lifecycle, the remote
//! inbox) is the shared kit (`twinreactor-kit`), so the same protocol code behaves the same way
//! here as on the simulator wherever the contract says it must.
//!
//! ```
//! use std::time::Duration;
//! use twinreactor::{Reactor, ReactorExt};
//! use twinreactor_real::RealReactor;
//!
//! let mut reactor = RealReactor::new()?;
//! reactor.after(Duration::from_millis(5), |r| r.stop().expect("running"));
//! reactor.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod clock;
mod dispatch;
mod ignore;
mod poller;
mod process;
mod reactor;
mod tcp;
mod udp;

pub use reactor::RealReactor;

/// The code samples in this crate's README.md, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
