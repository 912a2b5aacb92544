//! Simulated hosts.

use std::fmt;

use twinreactor_kit::Core;

use crate::io::IoQueue;
use crate::process::HostProcesses;
use crate::tcp::HostTcp;
use crate::udp::HostUdp;

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
    pub(crate) io: IoQueue,
    pub(crate) tcp: HostTcp,
    pub(crate) udp: HostUdp,
    pub(crate) processes: HostProcesses,
}

impl Host {
    pub(crate) fn new() -> Self {
        // The simulator never waits for other threads: it checks the inbox at every
        // iteration boundary, so a queued call needs no wake-up.
        Self {
            core: Core::new(|| {}),
            io: IoQueue::default(),
            tcp: HostTcp::default(),
            udp: HostUdp::default(),
            processes: HostProcesses::default(),
        }
    }

    /// A fresh host in place of this one, which lost power: only what a real machine keeps
    /// on disk carries over (its registered program stubs), and its count of connection
    /// ids, so that segments still addressed to the old connections never reach new ones.
    pub(crate) fn reborn(&self) -> Self {
        let mut host = Self::new();
        host.tcp = self.tcp.reborn();
        host.processes = self.processes.reborn();
        host
    }
}
