//! Deliveries to a socket's protocol: each one runs later, from the host's I/O step, with
//! the protocol taken out of the table while it is called.

use std::net::SocketAddr;

use twinreactor::trace::{LossCause, UdpTrace};
use twinreactor::{DatagramProtocol, Reactor, SocketId, TraceEvent};
use twinreactor_kit::Driver;

use crate::Sim;

/// Calls `f` on socket `id`'s protocol (on the current host), recording `trace` first, then
/// puts the protocol back if the socket is still in the table.
fn call(
    sim: &mut Sim,
    id: u64,
    trace: UdpTrace,
    f: impl FnOnce(&mut dyn DatagramProtocol, &mut dyn Reactor, SocketId),
) {
    let host = sim.current_index();
    let Some(mut protocol) = sim
        .host_mut(host)
        .udp
        .get_mut(id)
        .and_then(|s| s.protocol.take())
    else {
        return;
    };
    sim.record(TraceEvent::Udp(trace));
    f(&mut *protocol, sim, SocketId::from_raw(id));
    put_back(sim, host, id, protocol);
}

/// Puts a protocol back after its callback, if its socket is still in the table; else
/// delivers the `stopped` that a shutdown closing the socket meanwhile left due, or drops
/// the protocol here.
fn put_back(sim: &mut Sim, host: usize, id: u64, mut protocol: Box<dyn DatagramProtocol>) {
    let udp = &mut sim.host_mut(host).udp;
    if let Some(s) = udp.get_mut(id) {
        s.protocol = Some(protocol);
    } else if udp.stop_due.remove(&id) {
        let socket = SocketId::from_raw(id);
        sim.record(TraceEvent::Udp(UdpTrace::Stopped { socket }));
        protocol.stopped(sim, socket);
    }
}

/// `started`, once, before anything else (also for a socket closed before it ran, so that
/// every `stopped` follows a `started`).
pub(crate) fn started(sim: &mut Sim, id: u64) {
    let host = sim.current_index();
    let Some(s) = sim.host_mut(host).udp.get_mut(id) else {
        return;
    };
    if !s.state.start() {
        return;
    }
    let addr = s.state.local;
    let socket = SocketId::from_raw(id);
    call(sim, id, UdpTrace::Started { socket, addr }, |p, r, s| {
        p.started(r, s)
    });
}

/// One datagram from `from`, unless the socket was closed, or connected to another peer,
/// since it was sent.
pub(crate) fn datagram(sim: &mut Sim, id: u64, data: &[u8], from: SocketAddr, msg: u64) {
    let host = sim.current_index();
    // One lookup to check and take the protocol: this is the simulator's busiest path.
    let Some(mut protocol) = sim
        .host_mut(host)
        .udp
        .get_mut(id)
        .filter(|s| s.open && s.state.takes_from(&from))
        .and_then(|s| s.protocol.take())
    else {
        sim.record(TraceEvent::Udp(UdpTrace::Lost {
            msg,
            to_host: Some(host as u32),
            cause: LossCause::NoListener,
        }));
        return;
    };
    let socket = SocketId::from_raw(id);
    sim.record_udp(false, socket, from, data.len(), msg);
    protocol.datagram(sim, socket, data, from);
    put_back(sim, host, id, protocol);
}

/// A refusal of a datagram sent to the connected peer, unless the socket was closed since.
pub(crate) fn refused(sim: &mut Sim, id: u64) {
    let host = sim.current_index();
    match sim.host_ref(host).udp.get(id) {
        Some(s) if s.open => {}
        _ => return,
    }
    let socket = SocketId::from_raw(id);
    call(sim, id, UdpTrace::Refused { socket }, |p, r, s| {
        p.refused(r, s)
    });
}

/// `stopped`, the last callback: the socket leaves the table and its protocol is dropped
/// once the callback returns.
pub(crate) fn stopped(sim: &mut Sim, id: u64) {
    let host = sim.current_index();
    let Some(s) = sim.host_mut(host).udp.remove(id) else {
        return;
    };
    let Some(mut protocol) = s.protocol else {
        // Closed from inside one of its own callbacks: `stopped` follows when it returns.
        sim.host_mut(host).udp.stop_due.insert(id);
        return;
    };
    let socket = SocketId::from_raw(id);
    sim.record(TraceEvent::Udp(UdpTrace::Stopped { socket }));
    protocol.stopped(sim, socket);
}
