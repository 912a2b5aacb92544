//! The callback TCP ping-pong the benches share: a pinger that makes 64-byte round trips,
//! and an echo server.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use twinreactor::{ConnId, Disconnect, Reactor, StreamFactory, StreamProtocol};

/// The message size.
pub const MSG: usize = 64;
/// A connect timeout that never fires.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Sends a message, waits until as many bytes came back, `left` times, then closes; the
/// reactor stops when the last connection has ended.
pub struct Pinger {
    /// Round trips still to make.
    pub left: usize,
    /// Bytes of the current answer received so far.
    pub got: usize,
    /// Connections still open (shared by all the pingers of a run).
    pub open: Rc<Cell<usize>>,
}

impl StreamProtocol for Pinger {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.write(conn, &[7; MSG]).expect("open");
    }

    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        self.got += bytes.len();
        while self.got >= MSG {
            self.got -= MSG;
            self.left -= 1;
            if self.left == 0 {
                r.close(conn).expect("open");
                return;
            }
            r.write(conn, &[7; MSG]).expect("open");
        }
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, reason: Disconnect) {
        assert_eq!(reason, Disconnect::Done);
        self.open.set(self.open.get() - 1);
        if self.open.get() == 0 {
            r.stop().expect("running");
        }
    }
}

/// Writes back what it reads.
pub struct Echo;

impl StreamProtocol for Echo {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        r.write(conn, bytes).expect("open");
    }

    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// Accepts with [`Echo`].
pub struct EchoFactory;

impl StreamFactory for EchoFactory {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(Echo))
    }
}

/// Connects `conns` pingers to `addr`, each doing `rts` round trips, runs, and returns the
/// wall time of the run.
pub fn drive(r: &mut dyn Reactor, addr: SocketAddr, conns: usize, rts: usize) -> Duration {
    let open = Rc::new(Cell::new(conns));
    for _ in 0..conns {
        let pinger = Pinger {
            left: rts,
            got: 0,
            open: open.clone(),
        };
        r.connect_tcp(addr, Box::new(pinger), TIMEOUT)
            .expect("connect");
    }
    let start = Instant::now();
    r.run().expect("run");
    start.elapsed()
}
