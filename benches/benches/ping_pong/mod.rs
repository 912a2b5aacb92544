//! The TCP ping-pong that the `tcp` and `seeds` benches share: a pinger that makes 64-byte
//! round trips, an echo server, and the same exchange in turmoil.

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

/// turmoil: a tokio-based network simulator, zero latency, both sides as turmoil hosts;
/// the wall time of its run.
pub fn turmoil_sim(conns: usize, rts: usize, seed: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_secs(1_000_000))
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::ZERO)
        .rng_seed(seed)
        .build();
    sim.host("server", || async {
        let listener = turmoil::net::TcpListener::bind("0.0.0.0:7000").await?;
        loop {
            let (mut s, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    sim.client("client", async move {
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                tokio::spawn(async move {
                    let mut s = turmoil::net::TcpStream::connect("server:7000")
                        .await
                        .expect("connect");
                    let mut buf = [0u8; MSG];
                    for _ in 0..rts {
                        s.write_all(&[7; MSG]).await.expect("write");
                        s.read_exact(&mut buf).await.expect("read");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await?;
        }
        Ok(())
    });
    let start = Instant::now();
    sim.run().expect("turmoil run");
    start.elapsed()
}
