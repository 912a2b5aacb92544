//! The greeting exchange that several simulator tests share: an echo server, and a client
//! that sends a greeting and keeps what comes back, with or without a planted bug.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use twinreactor::prelude::*;
use twinreactor::{ConnId, ConnectError, Disconnect, StreamFactory, StreamProtocol};
use twinreactor_sim::{Sim, SimConfig};

const GREETING: &[u8] = b"hello, world";

/// Sends every byte back.
struct Echo;

impl StreamProtocol for Echo {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        // The connection may have been reset meanwhile; then there is nobody to answer.
        r.write(conn, bytes).ok();
    }
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

impl StreamFactory for Echo {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(Echo))
    }
}

/// What the client came to: the bytes it kept, and how the connection ended.
#[derive(Default)]
struct Outcome {
    heard: Vec<u8>,
    end: Option<String>,
}

/// Sends the greeting; closes when it believes the answer is complete.
struct Greeter {
    outcome: Rc<RefCell<Outcome>>,
    /// The planted bug: the first read is taken for the whole answer.
    first_read_is_all: bool,
}

impl StreamProtocol for Greeter {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        r.write(conn, GREETING).unwrap();
    }
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        let mut outcome = self.outcome.borrow_mut();
        outcome.heard.extend_from_slice(bytes);
        if self.first_read_is_all || outcome.heard.len() == GREETING.len() {
            r.close(conn).unwrap();
        }
    }
    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, reason: Disconnect) {
        self.outcome.borrow_mut().end = Some(format!("{reason:?}"));
        r.stop().unwrap();
    }
    fn connect_failed(&mut self, r: &mut dyn Reactor, _: ConnId, error: ConnectError) {
        self.outcome.borrow_mut().end = Some(format!("connect failed: {error:?}"));
        r.stop().unwrap();
    }
}

/// One exchange under the swarm mix of `seed`: an error if a cleanly ended exchange lost
/// part of the answer.
pub fn exchange(seed: u64, first_read_is_all: bool) -> Result<(), String> {
    let mut sim = Sim::with_config(SimConfig::swarm_exact(seed));
    let addr = "127.0.0.1:7".parse().unwrap();
    sim.listen_tcp(addr, Box::new(Echo)).unwrap();
    let outcome = Rc::new(RefCell::new(Outcome::default()));
    let greeter = Greeter {
        outcome: outcome.clone(),
        first_read_is_all,
    };
    sim.connect_tcp(addr, Box::new(greeter), Duration::from_secs(10))
        .unwrap();
    sim.run().map_err(|e| e.to_string())?;
    let outcome = outcome.borrow();
    match outcome.end.as_deref() {
        Some("Done") if outcome.heard != GREETING => Err(format!(
            "the exchange ended cleanly with {:?}",
            String::from_utf8_lossy(&outcome.heard)
        )),
        Some(_) => Ok(()),
        None => Err("the client never ended".to_owned()),
    }
}
