//! Real-reactor-only TCP checks: its trace records every TCP event it delivers, as the
//! simulator's does.

use std::net::SocketAddr;
use std::time::Duration;

use twinreactor::trace::render;
use twinreactor::{ConnId, Disconnect, Reactor, StreamFactory, StreamProtocol, Tcp};
use twinreactor_real::RealReactor;

/// Echoes, and closes once the peer closed.
struct Echo;

impl StreamProtocol for Echo {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        r.write(conn, bytes).unwrap();
    }

    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

struct Accept;

impl StreamFactory for Accept {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(Echo))
    }
}

/// Says hello, closes when the echo is back, stops at its end.
struct Hello(usize);

impl StreamProtocol for Hello {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.write(conn, b"hello").unwrap();
    }

    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        self.0 += bytes.len();
        if self.0 == 5 {
            r.close(conn).unwrap();
        }
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, _: Disconnect) {
        r.stop().unwrap();
    }
}

#[test]
fn real_tcp_trace_records_every_tcp_event() {
    let mut r = RealReactor::new().unwrap();
    r.enable_trace();
    let l = r
        .listen_tcp("127.0.0.1:0".parse().unwrap(), Box::new(Accept))
        .unwrap();
    let addr = r.listener_addr(l).unwrap();
    r.connect_tcp(addr, Box::new(Hello(0)), Duration::from_secs(10))
        .unwrap();
    r.run().unwrap();
    let trace = render(r.trace());
    for needle in [
        format!("tcp listening lis0 {addr}"),
        "tcp connected conn0".to_owned(),
        "tcp accepted lis0 conn1 from 127.0.0.1:".to_owned(),
        "tcp data conn1 ".to_owned(),
        "tcp disconnected conn0 Done".to_owned(),
    ] {
        assert!(trace.contains(&needle), "{needle:?} missing from:\n{trace}");
    }
    assert!(trace.contains("tcp data conn0 "), "{trace}");
}
