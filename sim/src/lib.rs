//! # twinreactor-sim: the deterministic simulator
//!
//! [`Sim`] implements the [`twinreactor::Reactor`] contract in virtual time. The clock jumps
//! straight to the next deadline, and every choice the contract leaves open is drawn from
//! ChaCha streams derived from one `u64` seed: the same seed gives the same trace, line for
//! line. Nothing here reads the wall clock, the operating system's randomness or thread
//! timing, and no randomly seeded hash map is iterated.
//!
//! * A failure replays from its seed: `TWINREACTOR_SEED=<seed>` overrides the seed of every
//!   [`Sim::new`], and a panic in a callback names the seed and the command to replay it.
//! * When nothing can happen any more and `run()` has not ended, `run()` returns
//!   [`twinreactor::LifecycleError::Quiescent`] with the end of the trace: never a hang.
//! * Calls through a [`twinreactor::Remote`] run at the next iteration boundary after they
//!   were queued; the simulator never waits for another thread.
//! * Faults beyond each protocol's own: partitions ([`Sim::partition`]) and host crashes
//!   and restarts ([`Sim::crash_host`], [`Sim::restart_host`]).

mod config;
mod deliveries;
mod error;
mod host;
mod host_crash;
mod panic;
mod partition;
mod process;
mod rng;
mod routing;
mod sim;
#[cfg(feature = "proptest")]
pub mod strategy;
mod tcp;
mod trace_log;
mod udp;

pub use config::{parse_seed, seed_override, SimConfig, SEED_ENV};
pub use error::SimError;
pub use host::HostId;
pub use process::{ProcessConfig, Program, ProgramCx, ProgramFactory};
pub use sim::{Sim, Step};
pub use tcp::TcpConfig;
pub use trace_log::TraceHandle;
pub use udp::UdpConfig;
