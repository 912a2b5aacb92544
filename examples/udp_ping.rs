//! A UDP ping with retransmission, written once against the contract and driven by both
//! reactors.
//!
//! An echo socket answers every datagram; a client sends five pings, one at a time, and
//! sends a ping again when its answer does not come within 50 ms. The simulator runs it on a
//! lossy network (30% of datagrams lost, drawn from the seed) and prints its trace; the real
//! reactor runs it on loopback. Both print what the client saw.
//!
//! ```text
//! cargo run --example udp_ping            # seed 1
//! cargo run --example udp_ping -- 0x2a    # another seed
//! ```

use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{DatagramProtocol, Reactor, SocketId, TimerId, UdpOptions};
use twinreactor_real::RealReactor;
use twinreactor_sim::{parse_seed, Sim, SimConfig, UdpConfig};

const PINGS: u32 = 5;
const TIMEOUT: Duration = Duration::from_millis(50);

type Log = Rc<RefCell<Vec<String>>>;

/// Answers every datagram with itself.
struct Echo;

impl DatagramProtocol for Echo {
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        r.send_to(socket, data, from)
            .expect("the echo socket is open");
    }
}

/// The client's state, shared by its protocol and its retransmission timer.
struct State {
    next: u32,
    timer: Option<TimerId>,
    log: Log,
}

/// Sends the current ping, and arms a timer that sends it again if no answer comes.
fn ping(r: &mut dyn Reactor, socket: SocketId, state: &Rc<RefCell<State>>) {
    let mut s = state.borrow_mut();
    let line = format!("{:?} ping {}", r.now(), s.next);
    s.log.borrow_mut().push(line);
    r.send(socket, format!("ping {}", s.next).as_bytes())
        .expect("the client is connected");
    let again = state.clone();
    s.timer = Some(r.call_later(
        TIMEOUT,
        twinreactor::TimerFn::new(move |r| {
            let line = format!("{:?} timeout", r.now());
            again.borrow().log.borrow_mut().push(line);
            ping(r, socket, &again);
        }),
    ));
}

/// Sends the pings one at a time, retransmitting on timeout, and stops after the last.
struct Client(Rc<RefCell<State>>);

impl DatagramProtocol for Client {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        ping(r, socket, &self.0);
    }

    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], _from: SocketAddr) {
        let done = {
            let mut s = self.0.borrow_mut();
            if data != format!("ping {}", s.next).as_bytes() {
                return; // a late answer to a ping sent again
            }
            if let Some(timer) = s.timer.take() {
                r.cancel(timer).expect("pending until the answer");
            }
            let line = format!("{:?} pong {}", r.now(), s.next);
            s.log.borrow_mut().push(line);
            s.next += 1;
            s.next > PINGS
        };
        if done {
            r.stop().expect("the reactor is running");
        } else {
            ping(r, socket, &self.0);
        }
    }
}

/// The program: only `&mut dyn Reactor`, so it runs on either reactor.
fn install(r: &mut dyn Reactor, log: &Log) {
    let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let echo = r
        .bind_udp(lo, Box::new(Echo), UdpOptions::default())
        .expect("bind the echo socket");
    let echo_at = r.udp_local_addr(echo).expect("open");
    let client = Client(Rc::new(RefCell::new(State {
        next: 1,
        timer: None,
        log: log.clone(),
    })));
    let client = r
        .bind_udp(lo, Box::new(client), UdpOptions::default())
        .expect("bind the client");
    r.connect_udp(client, echo_at).expect("connect the client");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = match std::env::args().nth(1) {
        Some(text) => parse_seed(&text).ok_or(format!("not a seed: {text:?}"))?,
        None => 1,
    };

    let sim_log = Log::default();
    let mut sim = Sim::with_config(SimConfig {
        udp: UdpConfig {
            loss: 0.3,
            ..UdpConfig::default()
        },
        ..SimConfig::new(seed)
    });
    install(&mut sim, &sim_log);
    sim.run()?;
    println!("== simulator, seed {}, 30% loss: its trace ==", sim.seed());
    print!("{}", sim.trace().render());
    println!("== simulator: what the client saw ==");
    sim_log.borrow().iter().for_each(|line| println!("{line}"));

    let real_log = Log::default();
    let mut real = RealReactor::new()?;
    install(&mut real, &real_log);
    real.run()?;
    println!("== real reactor, loopback: what the client saw ==");
    real_log.borrow().iter().for_each(|line| println!("{line}"));
    Ok(())
}
