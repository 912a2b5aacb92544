//! Properties over seeds and fault plans (the `twinreactor_sim::strategy` strategies): a
//! protocol that retransmits gets through any plan, and a plan replays exactly.

use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use proptest::prelude::*;
use twinreactor::{DatagramProtocol, Reactor, SocketId, TimerId, Udp, UdpOptions};
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
    let retry = r.call_later(RETRY, Box::new(move |r| send(r, socket, again)));
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
    sim.call_later(DEADLINE, Box::new(|r| r.stop().expect("running")));
    sim.run().expect("the run stops by itself");
    let answered = answered.borrow().clone();
    (answered, sim.trace().render())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

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
