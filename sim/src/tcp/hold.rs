//! Segments sent across a partition, or to a crashed host: held, as a real stack keeps
//! retransmitting them, and sent, in order, when the direction heals or the host restarts
//! (each then takes one latency).
//!
//! * Every segment (SYN, SYN-ACK, ACK, data, FIN, RST) leaves through
//!   [`Sim::tcp_transmit`], which checks the partition and the receiver's power when the
//!   segment is sent. A host that is down sends nothing.
//! * Held segments wait in the sending host's table, in the order sent, each with the
//!   endpoint that sent it (its *owner*). They outlive their endpoint: a FIN held after a
//!   clean close still reaches the peer once the partition heals.
//! * Give-up: when an endpoint that exists and is past connecting has its first segment
//!   held, a check is scheduled `TcpConfig::give_up` later on its host. If its segments are
//!   still held then, they are discarded and the endpoint ends with
//!   `Disconnect::Io(TimedOut)` (unless its end was already decided). A heal (or the
//!   receiver's restart) that sends them cancels the check, so nothing of it is left to wake
//!   the host or keep the simulation from going idle.
//!   A SYN is governed by the connect's own timeout instead: a held SYN whose connect has
//!   ended by the heal is never sent.
//! * The peer of an endpoint that gave up learns nothing from it: the next data it sends
//!   (or sent, and was held) reaches an endpoint that is gone, which answers with RST, so
//!   the peer sees `Reset` once that crosses the network.
//! * A crash ([`host_crashed`]): the data and FIN segments on their way to the crashed
//!   host's connections are lost with it, and their senders retransmit them: they are held
//!   at the sender, as if sent across a partition, until the host restarts (they then reach
//!   no connection, and data is answered with RST) or the sender gives up. Senders waiting
//!   for a crashed receiver's window try again one latency later (and are held in turn).

use std::io::ErrorKind;
use std::time::Duration;

use twinreactor::Disconnect;
use twinreactor_kit::End;

use super::conn::{Peer, Phase};
use super::{HostTcp, Segment, TAG_CONN};
use crate::deliveries::{Key, Lane};
use crate::Sim;

/// The owner of a segment no endpoint sent (a listener's refusal): never gives up.
pub(super) const NO_OWNER: u64 = u64::MAX;

/// A segment waiting for its direction to heal.
pub(super) struct Held {
    /// The receiving host.
    to: usize,
    /// The raw id of the sending endpoint on the sending host.
    owner: u64,
    /// Sends the segment: schedules its arrival one latency after the moment it runs.
    send: Box<dyn FnOnce(&mut Sim)>,
}

/// An endpoint with segments held: since when, and its give-up check (none without
/// [`TcpConfig::give_up`](crate::TcpConfig::give_up)).
pub(super) struct Holding {
    since: Duration,
    check: Option<Key>,
}

/// Sends every segment held from host `from` to host `to`, in the order they were held
/// (the direction has healed, or `to` has restarted); their endpoints' give-up checks are
/// cancelled. Nothing leaves for a host that is down: it stays held until its restart.
pub(crate) fn release_held(sim: &mut Sim, from: usize, to: usize) {
    if sim.down.contains(to) {
        return;
    }
    let tcp = &mut sim.host_mut(from).tcp;
    if tcp.held.is_empty() {
        return;
    }
    let (go, stay): (Vec<Held>, Vec<Held>) = std::mem::take(&mut tcp.held)
        .into_iter()
        .partition(|h| h.to == to);
    tcp.held = stay;
    let held = &tcp.held;
    let mut checks = Vec::new();
    tcp.holding.retain(|owner, holding| {
        let keep = held.iter().any(|h| h.owner == *owner);
        if !keep {
            checks.extend(holding.check);
        }
        keep
    });
    for key in checks {
        sim.cancel_io(from, key);
    }
    for h in go {
        (h.send)(sim);
    }
}

/// Host `host` has crashed, and `old` is the TCP state it lost (taken out of the
/// simulation, the host marked down): the data and FIN segments on their way to its
/// connections are held at their senders, in the order they were to arrive, and senders
/// waiting for one of its windows try again. No callback runs here.
pub(crate) fn host_crashed(sim: &mut Sim, host: usize, old: &mut HostTcp) {
    for (id, c) in old.conns.iter_mut() {
        let Some(peer) = c.peer.filter(|p| p.host != host) else {
            continue;
        };
        let to = Peer { host, conn: id };
        for (_, segment, msgs) in std::mem::take(&mut c.incoming) {
            if matches!(segment, Segment::Rst) {
                // Never retransmitted.
                continue;
            }
            sim.tcp_hold(
                peer.host,
                host,
                peer.conn,
                Box::new(move |sim| sim.tcp_deliver(peer, to, segment, msgs)),
            );
        }
        if c.sender_blocked {
            sim.tcp_schedule_send(peer);
        }
    }
}

impl Sim {
    /// Sends a segment from endpoint `owner` of host `from` to host `to`: `send` schedules
    /// its arrival one latency after the moment it runs, which is now, or, if the direction
    /// `from` → `to` is blocked or `to` is down, when it heals or `to` restarts.
    #[inline]
    pub(super) fn tcp_transmit(
        &mut self,
        from: usize,
        to: usize,
        owner: u64,
        send: impl FnOnce(&mut Sim) + 'static,
    ) {
        if from != to && (self.partitions.blocks(from, to) || self.down.any()) {
            self.tcp_transmit_blocked(from, to, owner, Box::new(send));
        } else {
            send(self);
        }
    }

    /// [`Sim::tcp_transmit`] between two hosts when some partition or some crash exists: a
    /// host that is down sends nothing; a segment to a host that is down, or across a
    /// partition, is held.
    #[cold]
    fn tcp_transmit_blocked(
        &mut self,
        from: usize,
        to: usize,
        owner: u64,
        send: Box<dyn FnOnce(&mut Sim)>,
    ) {
        if self.down.contains(from) {
            return;
        }
        if self.down.contains(to) || self.partitions.blocks(from, to) {
            self.tcp_hold(from, to, owner, send);
        } else {
            send(self);
        }
    }

    /// Holds a segment sent across a partition or to a host that is down, and schedules its owner's give-up check if
    /// this is the owner's first segment held (and the owner is past connecting).
    #[cold]
    fn tcp_hold(&mut self, from: usize, to: usize, owner: u64, send: Box<dyn FnOnce(&mut Sim)>) {
        let now = self.now_virtual();
        let give_up = self.config().tcp.give_up;
        let tcp = &mut self.host_mut(from).tcp;
        tcp.held.push(Held { to, owner, send });
        let counts = !tcp.holding.contains_key(&owner)
            && tcp
                .conns
                .get(&owner)
                .is_some_and(|c| c.phase != Phase::Connecting);
        if !counts {
            return;
        }
        let check = give_up.map(|after| {
            let at = now.saturating_add(after);
            self.schedule_io(from, at, Lane::Tcp(TAG_CONN, owner), move |sim| {
                sim.tcp_give_up(owner, now);
            })
        });
        let tcp = &mut self.host_mut(from).tcp;
        tcp.holding.insert(owner, Holding { since: now, check });
    }

    /// The give-up check of endpoint `owner` of the current host, whose first segment still
    /// held (if any) was held at `since`.
    fn tcp_give_up(&mut self, owner: u64, since: Duration) {
        let host = self.current_index();
        let tcp = &mut self.host_mut(host).tcp;
        if tcp.holding.get(&owner).is_none_or(|h| h.since != since) {
            // Healed in this same step 4, after the check was taken out to run (perhaps
            // partitioned again since: a later check decides).
            return;
        }
        tcp.holding.remove(&owner);
        tcp.held.retain(|h| h.owner != owner);
        self.tcp_end(owner, End::Disconnect(Disconnect::Io(ErrorKind::TimedOut)));
    }
}
