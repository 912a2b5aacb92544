//! # twinreactor-sim: the deterministic simulator
//!
//! [`Sim`] implements the [`twinreactor::Reactor`] contract in virtual time. The clock jumps
//! straight to the next deadline, and every choice the contract leaves open is drawn from
//! ChaCha streams derived from one `u64` seed: the same seed gives the same trace, line for
//! line. Nothing here reads the wall clock, the operating system's randomness or thread
//! timing, and no randomly seeded hash map is iterated.
//!
//! * A failure replays from its seed: `TWINREACTOR_SEED=<seed>` overrides the seed of every
//!   [`Sim::new`], and a failure (a callback's panic, or a panic in the test while a `Sim`
//!   is alive) prints the seed, the commands that replay it and the end of the trace.
//! * [`Sweep`] runs one scenario over many seeds on all cores and reports the lowest
//!   failing seed.
//! * When nothing can happen any more and `run()` has not ended, `run()` returns
//!   [`twinreactor::LifecycleError::Quiescent`] with the end of the trace: never a hang.
//! * Calls through a [`twinreactor::Remote`] run at the next iteration boundary after they
//!   were queued; the simulator never waits for another thread.
//! * Faults beyond each protocol's own: partitions ([`Sim::partition`]) and host crashes
//!   and restarts ([`Sim::crash_host`], [`Sim::restart_host`]).

#![cfg_attr(docsrs, feature(doc_cfg))]

mod agenda;
mod choice;
mod config;
mod counts;
mod cpu;
mod deliveries;
mod error;
mod fifo_heap;
mod host;
mod host_clock;
mod host_crash;
mod link;
mod partition;
mod process;
mod report;
mod rng;
mod routing;
mod sim;
#[cfg(feature = "insta")]
mod snapshot;
#[cfg(feature = "proptest")]
pub mod strategy;
mod swarm;
mod sweep;
mod tcp;
mod trace_log;
#[cfg(feature = "tracing")]
mod tracing_bridge;
mod udp;

pub use choice::{Choice, Site, Tape, TapeError};
pub use config::{parse_seed, seed_override, ConfigError, SimConfig, SEED_ENV};
pub use cpu::{CpuCost, CpuCostError};
pub use error::SimError;
pub use host::HostId;
pub use host_clock::{ClockSkew, HostClock};
pub use link::Link;
pub use process::{ProcessConfig, Program, ProgramCx, ProgramFactory};
pub use sim::{Sim, Step};
#[cfg(feature = "insta")]
pub use snapshot::TraceText;
pub use sweep::{
    MinimalRun, Outcome, Summary, Sweep, SweepError, SweepFailed, MINIMISE_ENV, SEEDS_ENV,
    SHARD_ENV, TAPE_ENV,
};
pub use tcp::TcpConfig;
pub use trace_log::TraceHandle;
#[cfg(feature = "tracing")]
pub use tracing_bridge::{tracing_layer, SimLayer};

/// insta, for the expansion of [`assert_trace_snapshot!`].
#[cfg(feature = "insta")]
#[doc(hidden)]
pub use insta as __insta;
pub use udp::UdpConfig;

/// The code samples in this crate's README.md, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
