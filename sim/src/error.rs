//! Errors of the simulator's own controls.

use twinreactor::LifecycleError;

use crate::HostId;

/// Errors of [`Sim`](crate::Sim) controls (stepping, hosts).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// This simulation has no such host.
    #[error("host {0} is not part of this simulation")]
    UnknownHost(HostId),
    /// The host's lifecycle refused, or the run hit the time limit.
    #[error(transparent)]
    Lifecycle(#[from] LifecycleError),
}
