//! A line echo protocol, written once against the contract and driven by both reactors.
//!
//! The server answers every line with the same line; the client sends a few lines, checks
//! each answer, closes when all are back, and stops the reactor. On the simulator it runs in
//! virtual time and prints the trace; on the real reactor it runs over loopback.
//!
//! ```text
//! cargo run --example tcp_echo            # seed 1
//! cargo run --example tcp_echo -- 0x2a    # another seed: other read splits, same answers
//! ```

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{ConnId, Disconnect, Reactor, StreamFactory, StreamProtocol};
use twinreactor_real::RealReactor;
use twinreactor_sim::{parse_seed, Sim};

const LINES: [&str; 3] = ["hello", "how are you?", "goodbye"];

type Log = Rc<RefCell<Vec<String>>>;

/// Splits a byte stream into lines: reads may end anywhere, even inside a line.
#[derive(Default)]
struct Lines(Vec<u8>);

impl Lines {
    /// Adds `bytes` and returns every line they completed (without the newline).
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.0.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.0.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.0.drain(..=end).collect();
            out.push(String::from_utf8_lossy(&line[..end]).into_owned());
        }
        out
    }
}

/// The server side: echoes each complete line.
struct EchoLines(Lines);

impl StreamProtocol for EchoLines {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        for line in self.0.push(bytes) {
            r.write_vectored(conn, &[line.as_bytes(), b"\n"])
                .expect("the connection is open");
        }
    }

    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// Accepts every connection with an echo.
struct EchoServer;

impl StreamFactory for EchoServer {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(EchoLines(Lines::default())))
    }
}

/// The client side: sends the lines, logs each answer, closes when all came back.
struct Client {
    lines: Lines,
    answers: usize,
    log: Log,
}

impl StreamProtocol for Client {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        for line in LINES {
            r.write_vectored(conn, &[line.as_bytes(), b"\n"])
                .expect("the connection is open");
        }
    }

    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        self.log
            .borrow_mut()
            .push(format!("{:?} read {} bytes", r.now(), bytes.len()));
        for line in self.lines.push(bytes) {
            assert_eq!(line, LINES[self.answers], "answers come back in order");
            self.answers += 1;
            self.log
                .borrow_mut()
                .push(format!("{:?} echo: {line}", r.now()));
        }
        if self.answers == LINES.len() {
            r.close(conn).expect("the connection is open");
        }
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, reason: Disconnect) {
        self.log
            .borrow_mut()
            .push(format!("{:?} disconnected: {reason:?}", r.now()));
        r.stop().expect("the reactor is running");
    }
}

/// The protocol's set-up: only `&mut dyn Reactor`, so it runs on either reactor.
fn install(r: &mut dyn Reactor, log: &Log) -> Result<(), Box<dyn std::error::Error>> {
    let listener = r.listen_tcp("127.0.0.1:0".parse()?, Box::new(EchoServer))?;
    let addr = r.listener_addr(listener)?;
    log.borrow_mut().push(format!("listening on {addr}"));
    let client = Client {
        lines: Lines::default(),
        answers: 0,
        log: log.clone(),
    };
    r.connect_tcp(addr, Box::new(client), Duration::from_secs(5))?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = match std::env::args().nth(1) {
        Some(text) => parse_seed(&text).ok_or(format!("not a seed: {text:?}"))?,
        None => 1,
    };

    let sim_log = Log::default();
    let mut sim = Sim::new(seed);
    install(&mut sim, &sim_log)?;
    sim.run()?;
    println!("== simulator, seed {}: its trace ==", sim.seed());
    print!("{}", sim.trace().render());
    println!("== simulator: what the client saw ==");
    sim_log.borrow().iter().for_each(|line| println!("{line}"));

    let real_log = Log::default();
    let mut real = RealReactor::new()?;
    install(&mut real, &real_log)?;
    real.run()?;
    println!("== real reactor: what the client saw (times and splits vary) ==");
    real_log.borrow().iter().for_each(|line| println!("{line}"));
    Ok(())
}
