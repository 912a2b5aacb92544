//! Several simulated hosts: a client on one host pings a server on another over UDP,
//! retransmitting on timeout, while the test cuts the network between them and heals it.
//!
//! Shows the simulator's multi-host controls: `add_host`, `with_host`, `start`,
//! `partition`, `heal`, `advance` and `run_until`, all in virtual time.
//!
//! ```text
//! cargo run --example partition_heal            # seed 1
//! cargo run --example partition_heal -- 0x2a    # another seed
//! ```

use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::trace::Diagram;
use twinreactor::{DatagramProtocol, Reactor, SocketId, UdpOptions};
use twinreactor_sim::{parse_seed, HostId, Sim};

const PORT: u16 = 7000;
const RETRY: Duration = Duration::from_millis(200);
const PINGS: u32 = 10;

type Log = Rc<RefCell<Vec<String>>>;

/// Answers every datagram with itself.
struct Echo;

impl DatagramProtocol for Echo {
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        r.send_to(socket, data, from)
            .expect("the echo socket is open");
    }
}

/// Pings every 100 ms; a ping not answered within `RETRY` is sent again.
struct Pinger {
    next: u32,
    log: Log,
}

fn ping(r: &mut dyn Reactor, socket: SocketId, n: u32, state: Rc<RefCell<Pinger>>) {
    if state.borrow().next != n {
        return; // answered meanwhile
    }
    r.send(socket, &n.to_be_bytes()).expect("connected");
    let again = state.clone();
    r.call_later(
        RETRY,
        twinreactor::TimerFn::new(move |r| ping(r, socket, n, again)),
    );
}

struct Client(Rc<RefCell<Pinger>>);

impl DatagramProtocol for Client {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        ping(r, socket, 0, self.0.clone());
    }

    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], _: SocketAddr) {
        let n = {
            let mut s = self.0.borrow_mut();
            if data != s.next.to_be_bytes() {
                return; // a duplicate answer to a ping sent again
            }
            let line = format!("{:>8.3} s  pong {}", r.now().as_secs_f64(), s.next);
            s.log.borrow_mut().push(line);
            s.next += 1;
            s.next
        };
        if n < PINGS {
            let state = self.0.clone();
            r.call_later(
                Duration::from_millis(100),
                twinreactor::TimerFn::new(move |r| ping(r, socket, n, state)),
            );
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = match std::env::args().nth(1) {
        Some(text) => parse_seed(&text).ok_or(format!("not a seed: {text:?}"))?,
        None => 1,
    };
    let mut sim = Sim::new(seed);
    let client_host = HostId::FIRST;
    let server_host = sim.add_host();
    let server_ip = sim.host_ip(server_host)?;

    sim.with_host(server_host, |r| {
        let any = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), PORT);
        r.bind_udp(any, Box::new(Echo), UdpOptions::default())
    })??;
    let log = Log::default();
    let pinger = Rc::new(RefCell::new(Pinger {
        next: 0,
        log: log.clone(),
    }));
    sim.with_host(client_host, |r| {
        let any = SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0);
        let socket = r.bind_udp(any, Box::new(Client(pinger.clone())), UdpOptions::default())?;
        r.connect_udp(socket, SocketAddr::new(server_ip, PORT))
    })??;
    sim.start(server_host)?;
    sim.start(client_host)?;

    sim.advance(Duration::from_millis(250))?;
    log.borrow_mut().push("-- partition".into());
    sim.partition(client_host, server_host)?;
    sim.advance(Duration::from_secs(1))?;
    log.borrow_mut().push("-- heal".into());
    sim.heal(client_host, server_host)?;
    let done = sim.run_until(|_| pinger.borrow().next == PINGS, Duration::from_secs(10))?;

    println!("== simulator, seed {}: what the client saw ==", sim.seed());
    log.borrow().iter().for_each(|line| println!("{line}"));
    println!("all {PINGS} pings answered: {done}");
    println!("== the trace around the partition ==");
    sim.trace()
        .render()
        .lines()
        .filter(|l| l.contains("partition") || l.contains("datagram") || l.contains("lost"))
        .take(16)
        .for_each(|l| println!("{l}"));
    // A sequence diagram of the whole run: pings and pongs as arrows, the pings lost to
    // the partition as crossed arrows inside its band.
    let lines = sim.trace().lines();
    let diagram = Diagram::new(&lines).title(format!("partition_heal, seed {}", sim.seed()));
    let dir = std::env::temp_dir().join("twinreactor-examples");
    std::fs::create_dir_all(&dir)?;
    let svg = dir.join("partition_heal.svg");
    std::fs::write(&svg, diagram.svg())?;
    std::fs::write(dir.join("partition_heal.mmd"), diagram.mermaid())?;
    println!(
        "== the sequence diagram ==\n{} (and .mmd, Mermaid)",
        svg.display()
    );
    Ok(())
}
