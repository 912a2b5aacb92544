//! Simulated hosts.

use std::fmt;

use twinreactor_kit::{Core, Subsystem};

use crate::deliveries::DeliveryQueue;
use crate::process::{HostProcesses, ProcessSubsystem};
use crate::tcp::{HostTcp, TcpSubsystem};
use crate::udp::{HostUdp, UdpSubsystem};
use crate::Sim;

/// A host of a simulation. Issued by [`Sim::add_host`](crate::Sim::add_host); the host a
/// simulation starts with is [`HostId::FIRST`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub(crate) u32);

impl HostId {
    /// The host every simulation starts with.
    pub const FIRST: HostId = HostId(0);

    /// The host's number, as printed in the trace (`h0`, `h1`, ...).
    pub const fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "h{}", self.0)
    }
}

/// One host's state: its own reactor core, its pending I/O deliveries, and its TCP, UDP
/// and process tables.
pub(crate) struct Host {
    pub(crate) core: Core,
    pub(crate) io: DeliveryQueue,
    pub(crate) tcp: HostTcp,
    pub(crate) udp: HostUdp,
    pub(crate) processes: HostProcesses,
}

impl Host {
    /// A host with nothing installed, whose inbox calls `wake` after each queued call (the
    /// simulator never waits for other threads: the wake-up only tells it to look at this
    /// host's inbox at the next iteration boundary).
    pub(crate) fn new(wake: impl Fn() + Send + Sync + 'static) -> Self {
        Self {
            core: Core::new(wake),
            io: DeliveryQueue::default(),
            tcp: HostTcp::default(),
            udp: HostUdp::default(),
            processes: HostProcesses::default(),
        }
    }

    /// `host`, a blank host, in place of this one, which lost power: only what a real
    /// machine keeps on disk carries over (its registered program stubs), and its count of
    /// connection ids, so that segments still addressed to the old connections never reach
    /// new ones.
    pub(crate) fn reborn(&self, mut host: Self) -> Self {
        for subsystem in SUBSYSTEMS {
            subsystem.reborn(self, &mut host);
        }
        host
    }
}

/// A per-host subsystem of the simulation: what becomes of its part of a host when the host
/// shuts down ([`Subsystem::close_all`]), crashes, and restarts. The simulation iterates over
/// [`SUBSYSTEMS`] at each of these, as madsim's plugin simulators get `create_node` and
/// `reset_node`. Timers and triggers are the host's [`Core`], which a crash drops whole.
pub(crate) trait HostSubsystem: Subsystem<Sim> {
    /// Carries over from `old`, a host that lost power, into `fresh`, the blank host that
    /// replaces it, what a real machine keeps (on disk, or to stay unambiguous on the wire).
    fn reborn(&self, old: &Host, fresh: &mut Host);

    /// Host number `host` has crashed, and `old` is what it had: tells the other hosts
    /// what a real network would show them. Nothing, unless the subsystem says otherwise.
    fn crashed(&self, _sim: &mut Sim, _host: usize, _old: &mut Host) {}

    /// Host number `host` has just restarted. Nothing, unless the subsystem says otherwise.
    fn restarted(&self, _sim: &mut Sim, _host: usize) {}
}

/// The subsystems of every simulated host, in the order their hooks run (shutdown closes
/// TCP, then UDP, then processes: that order is in every trace).
pub(crate) const SUBSYSTEMS: [&dyn HostSubsystem; 3] =
    [&TcpSubsystem, &UdpSubsystem, &ProcessSubsystem];
