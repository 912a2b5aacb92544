//! Reading a readable socket until `WouldBlock` (mio is edge-triggered), a bounded number
//! of datagrams per pass so that one busy socket cannot starve timers or other sockets.

use std::io::ErrorKind;
use std::net::SocketAddr;

use super::deliver;
use crate::RealReactor;

/// The size of the receive buffer: any UDP payload fits.
pub(crate) const BUFFER: usize = 65_536;

/// How many datagrams one socket delivers per pass before the rest waits for the next.
const BUDGET: usize = 64;

/// Reads socket `id` until the system has no more for it, or the budget is spent (the rest
/// then continues in the next iteration, after timers).
pub(crate) fn drain(r: &mut RealReactor, id: u64) {
    let mut buf = std::mem::take(&mut r.udp.buffer);
    buf.resize(BUFFER, 0);
    let finished = drain_with(r, id, &mut buf);
    r.udp.buffer = buf;
    if !finished {
        r.defer(move |r| drain(r, id));
    }
}

/// The loop of [`drain`]; true when the socket is drained (or gone).
fn drain_with(r: &mut RealReactor, id: u64, buf: &mut [u8]) -> bool {
    for _ in 0..BUDGET {
        if r.crash_requested() {
            return false;
        }
        let Some(io) = r.udp.sockets.get(&id).and_then(|s| s.io.as_ref()) else {
            return true;
        };
        match io.recv_from(buf) {
            Ok((n, from)) => {
                if accepts(r, id, from) {
                    deliver::datagram(r, id, &buf[..n], from);
                }
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => deliver::refused(r, id),
            // Other ICMP reports on a connected socket, already cleared by this read.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Interrupted
                        | ErrorKind::ConnectionReset
                        | ErrorKind::HostUnreachable
                        | ErrorKind::NetworkUnreachable
                ) => {}
            // Nothing else is expected; the next readiness tries again.
            Err(_) => return true,
        }
    }
    false
}

/// Whether socket `id` takes a datagram from `from`: a connected socket only its peer's
/// (datagrams queued before the connect are dropped, as the simulator does), and a member
/// socket none of the group datagrams sent with loopback off by a socket of this reactor.
fn accepts(r: &RealReactor, id: u64, from: SocketAddr) -> bool {
    let Some(s) = r.udp.sockets.get(&id) else {
        return false;
    };
    if !s.state.takes_from(&from) {
        return false;
    }
    !(s.is_member()
        && r.udp.sockets.values().any(|sender| {
            sender.io.is_some()
                && !sender.state.multicast_loop
                && sender.loopback_group_source() == Some(from)
        }))
}
