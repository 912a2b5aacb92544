//! Network partitions: directions of traffic between two hosts that the virtual network
//! blocks until they heal.
//!
//! A partition blocks one direction, from one host to another; [`Sim::partition`] blocks
//! both. Whether a packet crosses a blocked direction is decided when it is sent:
//!
//! * UDP: the datagram is lost, silently, as by the `loss` fault (nothing is drawn from the
//!   seed for it, and a refusal that would come back across a blocked direction is lost
//!   too).
//! * TCP: the segment is held, as a real stack keeps retransmitting it, and arrives, in
//!   order, one latency after the direction heals. An endpoint whose segments stay held
//!   longer than [`TcpConfig::give_up`](crate::TcpConfig::give_up) gives up (see
//!   `tcp/hold.rs`).
//!
//! A host's traffic to itself (127.0.0.1, or its own address) is never partitioned.
//! Partitions draw nothing from the seed, and every change is traced
//! (`partition h0->h1 blocked`, `partition h0->h1 healed`), on the sending host's line.

use std::collections::BTreeSet;

use twinreactor::TraceEvent;
use twinreactor_kit::Driver;

use crate::{tcp, HostId, Sim, SimError};

/// The blocked directions, as (sender, receiver) host numbers.
#[derive(Default)]
pub(crate) struct Partitions {
    blocked: BTreeSet<(usize, usize)>,
}

impl Partitions {
    /// Whether traffic from host `from` to host `to` is blocked now (nearly free when no
    /// partition exists, which is the common case on every send).
    #[inline]
    pub(crate) fn blocks(&self, from: usize, to: usize) -> bool {
        !self.blocked.is_empty() && self.blocked.contains(&(from, to))
    }
}

impl Sim {
    /// Blocks traffic between `a` and `b`, both ways (see [`Sim::partition_one_way`]).
    pub fn partition(&mut self, a: HostId, b: HostId) -> Result<(), SimError> {
        let (a, b) = self.partition_pair(a, b)?;
        self.partition_set(a, b, true);
        self.partition_set(b, a, true);
        Ok(())
    }

    /// Blocks traffic from `from` to `to` (the other way still flows). From now on, UDP
    /// datagrams sent that way are lost and TCP segments sent that way are held until the
    /// direction heals; what is already on its way arrives. Blocking a direction that is
    /// blocked already does nothing. [`SimError::SameHost`] if `from` is `to`.
    pub fn partition_one_way(&mut self, from: HostId, to: HostId) -> Result<(), SimError> {
        let (from, to) = self.partition_pair(from, to)?;
        self.partition_set(from, to, true);
        Ok(())
    }

    /// Unblocks traffic between `a` and `b`, both ways: the TCP segments held in each
    /// direction leave now, in the order they were sent (`a` to `b` first), and arrive one
    /// latency later. Healing a direction that is not blocked does nothing.
    pub fn heal(&mut self, a: HostId, b: HostId) -> Result<(), SimError> {
        let (a, b) = self.partition_pair(a, b)?;
        self.partition_set(a, b, false);
        self.partition_set(b, a, false);
        Ok(())
    }

    /// Heals every blocked direction, in the order of (sender, receiver) host numbers.
    pub fn heal_all(&mut self) {
        while let Some(&(from, to)) = self.partitions.blocked.first() {
            self.partition_set(from, to, false);
        }
    }

    /// Whether traffic from `from` to `to` is blocked now (never for a host to itself).
    pub fn is_partitioned(&self, from: HostId, to: HostId) -> Result<bool, SimError> {
        let from = self.check_host(from)?;
        let to = self.check_host(to)?;
        Ok(self.partitions.blocks(from, to))
    }

    /// The numbers of two distinct hosts of this simulation.
    fn partition_pair(&self, a: HostId, b: HostId) -> Result<(usize, usize), SimError> {
        let (i, j) = (self.check_host(a)?, self.check_host(b)?);
        if i == j {
            return Err(SimError::SameHost(a));
        }
        Ok((i, j))
    }

    /// Blocks or heals the direction `from` → `to`; a change is traced, on `from`'s line,
    /// and a heal releases the TCP segments held that way.
    fn partition_set(&mut self, from: usize, to: usize, blocked: bool) {
        let changed = if blocked {
            self.partitions.blocked.insert((from, to))
        } else {
            self.partitions.blocked.remove(&(from, to))
        };
        if !changed {
            return;
        }
        let before = self.current_index();
        self.current_set(from);
        self.record(TraceEvent::Partition {
            from: from as u32,
            to: to as u32,
            blocked,
        });
        self.current_set(before);
        if !blocked {
            tcp::release_held(self, from, to);
        }
    }
}
