//! Deliveries to a socket's protocol, with the protocol taken out of the table while it is
//! called. Each runs from step 4 (readiness, or a deferred delivery; the steps:
//! [`twinreactor_kit::iterate`]), never inside a call.

use std::net::SocketAddr;

use twinreactor::trace::UdpTrace;
use twinreactor::{DatagramProtocol, Reactor, SocketId, TraceEvent};
use twinreactor_kit::Driver;

use crate::RealReactor;

/// Calls `f` on socket `id`'s protocol, recording `trace` first, then puts the protocol
/// back if the socket is still in the table, or delivers the `stopped` that a shutdown
/// closing the socket meanwhile left due.
fn call(
    r: &mut RealReactor,
    id: u64,
    trace: UdpTrace,
    f: impl FnOnce(&mut dyn DatagramProtocol, &mut dyn Reactor, SocketId),
) {
    let Some(mut protocol) = r.udp.sockets.get_mut(&id).and_then(|s| s.protocol.take()) else {
        return;
    };
    r.record(TraceEvent::Udp(trace));
    let socket = SocketId::from_raw(id);
    f(&mut *protocol, r, socket);
    if let Some(s) = r.udp.sockets.get_mut(&id) {
        s.protocol = Some(protocol);
    } else if r.udp.stop_due.remove(&id) {
        r.record(TraceEvent::Udp(UdpTrace::Stopped { socket }));
        protocol.stopped(r, socket);
    }
}

/// `started`, once, before anything else (also for a socket closed before it ran, so that
/// every `stopped` follows a `started`).
pub(crate) fn started(r: &mut RealReactor, id: u64) {
    let Some(s) = r.udp.sockets.get_mut(&id) else {
        return;
    };
    if !s.state.start() {
        return;
    }
    let addr = s.state.local;
    let socket = SocketId::from_raw(id);
    call(r, id, UdpTrace::Started { socket, addr }, |p, r, s| {
        p.started(r, s)
    });
}

/// One datagram.
pub(crate) fn datagram(r: &mut RealReactor, id: u64, data: &[u8], from: SocketAddr) {
    let socket = SocketId::from_raw(id);
    let trace = UdpTrace::Datagram {
        socket,
        from,
        len: data.len(),
        msg: None,
    };
    call(r, id, trace, |p, r, s| p.datagram(r, s, data, from));
}

/// A refusal on a connected socket, unless it was closed since.
pub(crate) fn refused(r: &mut RealReactor, id: u64) {
    match r.udp.sockets.get(&id) {
        Some(s) if s.io.is_some() && s.state.peer.is_some() => {}
        _ => return,
    }
    let socket = SocketId::from_raw(id);
    call(r, id, UdpTrace::Refused { socket }, |p, r, s| {
        p.refused(r, s)
    });
}

/// `stopped`, the last callback: the socket leaves the table and its protocol is dropped
/// once the callback returns.
pub(crate) fn stopped(r: &mut RealReactor, id: u64) {
    let Some(s) = r.udp.sockets.remove(&id) else {
        return;
    };
    let Some(mut protocol) = s.protocol else {
        // Closed from inside one of its own callbacks: `stopped` follows when it returns.
        r.udp.stop_due.insert(id);
        return;
    };
    let socket = SocketId::from_raw(id);
    r.record(TraceEvent::Udp(UdpTrace::Stopped { socket }));
    protocol.stopped(r, socket);
}
