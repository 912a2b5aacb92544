//! # twinreactor-async: async protocol code on any twinreactor reactor
//!
//! An executor, timers and I/O types built only on the `twinreactor` contract, so the same
//! async code runs on the deterministic simulator and on the real reactor. Tasks are polled
//! from reactor callbacks (timers, remote calls, events delivered to this crate's protocols),
//! so on the simulator the order of every poll, like everything else, follows from the seed;
//! a panic in a task leaves `run()` like a panic in any callback. `docs/async.md` says what
//! is deterministic and what is left open.
//!
//! ```
//! use std::time::Duration;
//! use twinreactor_async::{block_on, sleep, spawn, timeout, TimeoutError};
//! # use twinreactor_sim::Sim;
//! let mut sim = Sim::new(42);
//! let result = block_on(&mut sim, async {
//!     let slow = spawn(async { sleep(Duration::from_secs(10)).await })?;
//!     let waited = timeout(Duration::from_secs(1), slow).await;
//!     Ok::<_, twinreactor_async::ContextError>(waited.is_err())
//! });
//! assert_eq!(result, Ok(Ok(true)));
//! ```
//!
//! Every future of this crate must be polled by a task of its own executor: polled
//! elsewhere it returns a [`ContextError`] (inside an `io::Error` for the I/O types) instead
//! of waiting forever.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod bytes;
mod call;
mod context;
mod core;
mod error;
mod executor;
pub mod process;
mod task;
pub mod tcp;
mod time;
#[cfg(feature = "tokio")]
mod tokio_io;
pub mod udp;
mod waiters;

pub use error::{ContextError, JoinError, RunError, TimeoutError};
pub use executor::{block_on, spawn, spawn_named, Executor};
pub use process::{Child, ChildStderr, ChildStdin, ChildStdout};
pub use task::JoinHandle;
pub use tcp::{TcpListener, TcpStream};
pub use time::{now, sleep, sleep_until, timeout, yield_now, Sleep, Timeout, YieldNow};
pub use udp::UdpSocket;

/// The code samples in this crate's README.md, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
