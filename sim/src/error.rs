//! Errors of the simulator's own controls.

use twinreactor::LifecycleError;

use crate::HostId;

/// Errors of [`Sim`](crate::Sim) controls (stepping, hosts, partitions, crashes).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// This simulation has no such host.
    #[error("host {0} is not part of this simulation")]
    UnknownHost(HostId),
    /// A partition (or heal) named one host twice: a host's traffic to itself (loopback,
    /// or its own address) is never partitioned.
    #[error("host {0} cannot be partitioned from itself")]
    SameHost(HostId),
    /// The host is down ([`Sim::crash_host`](crate::Sim::crash_host)): it cannot be used,
    /// started or crashed again until [`Sim::restart_host`](crate::Sim::restart_host).
    #[error("host {0} is down (crashed and not restarted)")]
    HostDown(HostId),
    /// [`Sim::restart_host`](crate::Sim::restart_host) named a host that is up: only a
    /// crashed host restarts.
    #[error("host {0} is up: only a crashed host can be restarted")]
    HostUp(HostId),
    /// A host clock's drift is beyond ±100,000 parts per million.
    #[error("a clock drift of {0} ppm is beyond ±100,000 (10%)")]
    BadClock(i32),
    /// A setting no simulation can follow (see [`ConfigError`](crate::ConfigError)).
    #[error("impossible setting {0}")]
    BadSetting(crate::ConfigError),
    /// The host's lifecycle refused, or the run hit the time limit.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
}
