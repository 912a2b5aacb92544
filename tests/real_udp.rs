//! Real-reactor-only UDP checks: how the system's refusals reach the protocol.
//!
//! The shared corpus (`tests/corpus/udp.rs`) holds what both reactors guarantee.

use std::cell::Cell;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{DatagramProtocol, Reactor, ReactorExt, SocketId, Udp, UdpOptions};
use twinreactor_real::RealReactor;

/// Counts refusals.
struct Counter(Rc<Cell<usize>>);

impl DatagramProtocol for Counter {
    fn datagram(&mut self, _r: &mut dyn Reactor, _s: SocketId, _d: &[u8], _f: SocketAddr) {}

    fn refused(&mut self, _r: &mut dyn Reactor, _socket: SocketId) {
        self.0.set(self.0.get() + 1);
    }
}

/// On loopback the system's refusal of the first datagram is pending when the second is
/// sent, and fails that send with `ECONNREFUSED`: the reactor reports it as `refused`
/// (later) and sends the datagram anyway, whose own refusal comes by readiness. So two
/// datagrams to a dead port give two refusals, and no send fails.
#[test]
fn real_udp_a_refusal_pending_at_send_is_reported_and_the_datagram_still_sent() {
    let mut r = RealReactor::new().expect("reactor");
    let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let tmp = r
        .bind_udp(lo, Box::new(Counter(Rc::default())), UdpOptions::default())
        .expect("bind");
    let dead = r.udp_local_addr(tmp).expect("open");
    r.close_udp(tmp).expect("close");
    let refused = Rc::new(Cell::new(0));
    let s = r
        .bind_udp(
            lo,
            Box::new(Counter(refused.clone())),
            UdpOptions::default(),
        )
        .expect("bind");
    r.connect_udp(s, dead).expect("connect");
    r.send(s, b"one").expect("send");
    r.send(s, b"two")
        .expect("a pending refusal does not fail the send");
    assert_eq!(refused.get(), 0, "refusals come later");
    let seen = refused.clone();
    r.after(Duration::from_millis(50), move |r| {
        assert_eq!(seen.get(), 2, "one refusal per datagram");
        r.stop().expect("running");
    });
    r.run().expect("run");
    assert_eq!(refused.get(), 2);
}
