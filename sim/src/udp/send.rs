//! Sending: where a datagram goes (one socket, a group's members, or a broadcast's
//! listeners), and the deliveries it schedules, faults drawn per receiver.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;

use twinreactor::trace::{LossCause, UdpTrace};
use twinreactor::udp::{check_destination, is_broadcast};
use twinreactor::{SocketId, TraceEvent, UdpError};
use twinreactor_kit::{check_size, DatagramState, Driver};

use super::deliver;
use super::socket::SimSocket;
use crate::deliveries::Lane;
use crate::routing::host_ip;
use crate::Sim;

/// The source IP of a unicast datagram from a socket bound to `local` on `host` to `to`:
/// the bound address if it is a unicast one, else the address of the way out.
pub(crate) fn unicast_source(host: usize, local: IpAddr, to: IpAddr) -> IpAddr {
    if !local.is_unspecified() && !local.is_multicast() {
        return local;
    }
    match to {
        IpAddr::V4(ip) if ip.is_loopback() => Ipv4Addr::LOCALHOST.into(),
        IpAddr::V6(ip) if ip.is_loopback() => Ipv6Addr::LOCALHOST.into(),
        IpAddr::V4(_) => host_ip(host),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    }
}

/// The source IP of a group or broadcast datagram: the bound address if it is a unicast
/// one, else the outgoing multicast interface if set, else the host's network address.
fn group_source(host: usize, socket: &DatagramState) -> IpAddr {
    let ip = socket.group_source_ip();
    if ip.is_unspecified() {
        host_ip(host)
    } else {
        ip
    }
}

/// Where a datagram goes.
enum Route {
    /// To one socket at most.
    Unicast,
    /// To the members of a group on the hosts it reaches.
    Group(Ipv4Addr),
    /// To every socket listening for broadcasts on the hosts it reaches.
    Broadcast,
}

impl Sim {
    /// Sends `data` as one datagram from `socket` (of the current host) to `to`.
    pub(crate) fn udp_send(
        &mut self,
        socket: SocketId,
        data: &[u8],
        to: SocketAddr,
    ) -> Result<(), UdpError> {
        let host = self.current_index();
        let s = &self.host_ref(host).udp.open(socket)?.state;
        // `DatagramState::check_send`'s checks, in its order, split so that the broadcast
        // check runs on the broadcast route only: this is the simulator's busiest path.
        check_size(data.len())?;
        let to = check_destination(s.local, to)?;
        let route = match to.ip() {
            IpAddr::V4(ip) if ip.is_multicast() => Route::Group(ip),
            ip if is_broadcast(ip) => {
                s.check_broadcast(to)?;
                Route::Broadcast
            }
            _ => Route::Unicast,
        };
        let msg = self.next_message();
        self.record_udp(true, socket, to, data.len(), msg);
        let s = &self.host_ref(host).udp.open(socket)?.state;
        match route {
            Route::Unicast => {
                let from =
                    SocketAddr::new(unicast_source(host, s.local.ip(), to.ip()), s.local.port());
                let connected_to_it = s.peer == Some(to);
                let Some(dst) = self.route(host, to.ip()) else {
                    // No such host: the datagram is lost, and nothing comes back.
                    self.udp_lost(msg, None, LossCause::NoHost);
                    return Ok(());
                };
                // Across a partition, or to or from a host that is down: lost, and nothing
                // comes back (a host's traffic to itself is never partitioned, and that
                // test spares loopback the lookups).
                if dst != host {
                    if let Some(cause) = self.blocked(host, dst) {
                        self.udp_lost(msg, Some(dst), cause);
                        return Ok(());
                    }
                }
                match self.host_ref(dst).udp.unicast_receiver(to, from) {
                    Some(receiver) => self.udp_transmit(dst, receiver, from, Rc::from(data), msg),
                    None => {
                        self.udp_lost(msg, Some(dst), LossCause::NoListener);
                        if connected_to_it {
                            self.udp_refuse(host, dst, socket.raw());
                        }
                    }
                }
            }
            Route::Group(group) => {
                let from = SocketAddr::new(group_source(host, s), s.local.port());
                let (ttl, hear_own) = (s.multicast_ttl, s.multicast_loop);
                let stays = ttl == 0 || from.ip().is_loopback();
                self.udp_fan_out(to.port(), from, data, msg, |h, sock| {
                    (if h == host { hear_own } else { !stays })
                        && sock.takes_group(group, to.port(), from)
                });
            }
            Route::Broadcast => {
                let from = SocketAddr::new(group_source(host, s), s.local.port());
                let stays = from.ip().is_loopback();
                self.udp_fan_out(to.port(), from, data, msg, |h, sock| {
                    (h == host || !stays) && sock.takes_broadcast(to.port(), from)
                });
            }
        }
        Ok(())
    }

    /// Schedules `data` for every socket bound to `port`, on every host the current host's
    /// traffic reaches, that `takes` accepts (by host number, then in bind order); the
    /// copies for sockets across a partition, or on a host that is down, are lost.
    fn udp_fan_out(
        &mut self,
        port: u16,
        from: SocketAddr,
        data: &[u8],
        msg: u64,
        takes: impl Fn(usize, &SimSocket) -> bool,
    ) {
        let sender = self.current_index();
        let mut receivers = Vec::new();
        for h in 0..self.host_count() {
            let udp = &self.host_ref(h).udp;
            let takers = udp
                .ids_on_port(port)
                .iter()
                .filter(|&&id| udp.get(id).is_some_and(|s| takes(h, s)))
                .count();
            if takers == 0 {
                continue;
            }
            if let Some(cause) = self.blocked(sender, h) {
                for _ in 0..takers {
                    self.udp_lost(msg, Some(h), cause);
                }
                continue;
            }
            let udp = &self.host_ref(h).udp;
            receivers.extend(
                udp.ids_on_port(port)
                    .iter()
                    .filter(|&&id| udp.get(id).is_some_and(|s| takes(h, s)))
                    .map(|&id| (h, id)),
            );
        }
        if receivers.is_empty() {
            return;
        }
        let data: Rc<[u8]> = Rc::from(data);
        for (h, id) in receivers {
            self.udp_transmit(h, id, from, data.clone(), msg);
        }
    }

    /// Why traffic from `from` cannot reach `to` now, if it cannot.
    fn blocked(&self, from: usize, to: usize) -> Option<LossCause> {
        if self.down.blocks(from, to) {
            Some(LossCause::HostDown)
        } else if self.partitions.blocks(from, to) {
            Some(LossCause::Partition)
        } else {
            None
        }
    }

    /// Records that message `msg` (or its copy for `to_host`) will not arrive.
    fn udp_lost(&mut self, msg: u64, to_host: Option<usize>, cause: LossCause) {
        self.record(TraceEvent::Udp(UdpTrace::Lost {
            msg,
            to_host: to_host.map(|h| h as u32),
            cause,
        }));
    }

    /// Schedules the copies of a datagram that reach socket `id` of `host` (faults drawn).
    fn udp_transmit(&mut self, host: usize, id: u64, from: SocketAddr, data: Rc<[u8]>, msg: u64) {
        let copies = self.udp_copies(self.current_index(), host);
        match copies {
            0 => self.udp_lost(msg, Some(host), LossCause::Fault),
            2 => {
                self.record(TraceEvent::Udp(UdpTrace::Duplicated {
                    msg,
                    to_host: host as u32,
                }));
                self.udp_schedule(host, id, from, data.clone(), msg);
            }
            _ => {}
        }
        if copies >= 1 {
            self.udp_schedule(host, id, from, data, msg);
        }
    }

    /// Schedules one copy of a datagram for socket `id` of `host`, after a drawn delay.
    fn udp_schedule(&mut self, host: usize, id: u64, from: SocketAddr, data: Rc<[u8]>, msg: u64) {
        let at = self
            .now_virtual()
            .saturating_add(self.udp_delay(self.current_index(), host));
        self.schedule_io(host, at, Lane::Udp(id), move |sim| {
            deliver::datagram(sim, id, &data, from, msg)
        });
    }

    /// Schedules a refusal for the connected socket `id` of `host`, a round trip from now,
    /// unless the datagram was lost on its way to `dst` (then nothing comes back) or the
    /// way back from `dst` is partitioned now (then the refusal is lost).
    fn udp_refuse(&mut self, host: usize, dst: usize, id: u64) {
        if self.partitions.blocks(dst, host) || self.udp_copies(host, dst) == 0 {
            return;
        }
        let there = self.udp_delay(host, dst);
        let back = self.udp_delay(dst, host);
        let at = self
            .now_virtual()
            .saturating_add(there)
            .saturating_add(back);
        self.schedule_io(host, at, Lane::Udp(id), move |sim| {
            deliver::refused(sim, id)
        });
    }
}
