//! Properties over seeds and fault plans (the `twinreactor_sim::strategy` strategies): a
//! protocol that retransmits gets through any plan, a byte stream arrives intact however its
//! reads are split, and a plan replays exactly.

use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use proptest::prelude::*;
use twinreactor::{
    ConnId, DatagramProtocol, Disconnect, Reactor, SocketId, StreamFactory, StreamProtocol, Tcp,
    TimerId, Udp, UdpOptions,
};
use twinreactor_sim::strategy::{fault_plans, FaultPlan};

const PINGS: u32 = 5;
const RETRY: Duration = Duration::from_millis(100);
/// Far more than five pings need at 50% loss (each try fails with probability < 0.75).
const DEADLINE: Duration = Duration::from_secs(600);

/// Answers every datagram with itself.
struct Echo;

impl DatagramProtocol for Echo {
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        r.send_to(socket, data, from).expect("echo socket open");
    }
}

#[derive(Default)]
struct Pinger {
    next: u32,
    retry: Option<TimerId>,
    answered: Rc<RefCell<Vec<u32>>>,
}

/// Sends ping `n` now and again every `RETRY` until it is answered.
fn send(r: &mut dyn Reactor, socket: SocketId, state: Rc<RefCell<Pinger>>) {
    let n = state.borrow().next;
    r.send(socket, &n.to_be_bytes()).expect("client connected");
    let again = state.clone();
    let retry = r.call_later(
        RETRY,
        twinreactor::TimerFn::new(move |r| send(r, socket, again)),
    );
    state.borrow_mut().retry = Some(retry);
}

struct Client(Rc<RefCell<Pinger>>);

impl DatagramProtocol for Client {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        send(r, socket, self.0.clone());
    }

    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], _: SocketAddr) {
        let mut s = self.0.borrow_mut();
        if data != s.next.to_be_bytes() {
            return; // a duplicate, or a late answer to an earlier try
        }
        if let Some(retry) = s.retry.take() {
            r.cancel(retry).expect("pending until answered");
        }
        s.answered.borrow_mut().push(s.next);
        s.next += 1;
        let done = s.next == PINGS;
        drop(s);
        if done {
            r.stop().expect("running");
        } else {
            send(r, socket, self.0.clone());
        }
    }
}

/// Runs the pinger under `plan`; returns the pings answered, in order, and the trace.
fn ping_under(plan: &FaultPlan) -> (Vec<u32>, String) {
    let mut sim = plan.sim();
    let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let echo = sim
        .bind_udp(lo, Box::new(Echo), UdpOptions::default())
        .expect("bind echo");
    let echo_at = sim.udp_local_addr(echo).expect("bound");
    let answered = Rc::new(RefCell::new(Vec::new()));
    let client = Client(Rc::new(RefCell::new(Pinger {
        answered: answered.clone(),
        ..Pinger::default()
    })));
    let client = sim
        .bind_udp(lo, Box::new(client), UdpOptions::default())
        .expect("bind client");
    sim.connect_udp(client, echo_at).expect("connect");
    sim.call_later(
        DEADLINE,
        twinreactor::TimerFn::new(|r| r.stop().expect("running")),
    );
    sim.run().expect("the run stops by itself");
    let answered = answered.borrow().clone();
    (answered, sim.trace().render())
}

/// Echoes every byte back.
struct EchoBytes;

impl StreamProtocol for EchoBytes {
    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        r.write(conn, bytes).expect("open");
    }

    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

struct EchoFactory;

impl StreamFactory for EchoFactory {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(EchoBytes))
    }
}

/// Sends `payload` in pieces and collects the echo; closes once all of it is back.
struct Sender {
    payload: Vec<u8>,
    echoed: Rc<RefCell<Vec<u8>>>,
}

impl StreamProtocol for Sender {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        for piece in self.payload.chunks(700) {
            r.write(conn, piece).expect("open");
        }
    }

    fn data(&mut self, r: &mut dyn Reactor, conn: ConnId, bytes: &[u8]) {
        let mut echoed = self.echoed.borrow_mut();
        echoed.extend_from_slice(bytes);
        if echoed.len() == self.payload.len() {
            r.close(conn).expect("open");
        }
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, _: ConnId, _: Disconnect) {
        r.stop().expect("running");
    }
}

/// Echoes `payload` over TCP under `plan`; returns what came back.
fn echo_under(plan: &FaultPlan, payload: Vec<u8>) -> Vec<u8> {
    let mut sim = plan.sim();
    let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let listener = sim.listen_tcp(lo, Box::new(EchoFactory)).expect("listen");
    let at = sim.listener_addr(listener).expect("listening");
    let echoed = Rc::new(RefCell::new(Vec::new()));
    let sender = Sender {
        payload,
        echoed: echoed.clone(),
    };
    sim.connect_tcp(at, Box::new(sender), Duration::from_secs(5))
        .expect("connect");
    sim.run().expect("the exchange ends by itself");
    let echoed = echoed.borrow().clone();
    echoed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// However the simulator splits reads (and whatever the latency), a byte stream comes
    /// back intact and in order.
    #[test]
    fn sim_tcp_echo_is_intact_under_any_read_splitting(
        plan in fault_plans(),
        payload in prop::collection::vec(any::<u8>(), 1..20_000),
    ) {
        prop_assert_eq!(echo_under(&plan, payload.clone()), payload);
    }


    /// Under any plan (up to 50% loss, duplication, jitter), retransmission gets every ping
    /// answered, in order, long before the deadline.
    #[test]
    fn sim_retransmitting_pinger_gets_through_any_fault_plan(plan in fault_plans()) {
        let (answered, _) = ping_under(&plan);
        prop_assert_eq!(answered, (0..PINGS).collect::<Vec<_>>());
    }

    /// A plan replays exactly: the same plan gives the same trace, line for line.
    #[test]
    fn sim_a_fault_plan_replays_exactly(plan in fault_plans()) {
        prop_assert_eq!(ping_under(&plan).1, ping_under(&plan).1);
    }
}
