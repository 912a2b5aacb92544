//! `Reactor::random_u64` on the simulator: a stream of its own, so user code's draws are
//! decided by the seed and change none of the simulator's other choices.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use twinreactor::prelude::*;
use twinreactor::{DatagramProtocol, SocketId, UdpOptions};
use twinreactor_sim::{Sim, SimConfig, UdpConfig};

/// Draws `draws` numbers for each datagram it receives.
struct Sink {
    draws: usize,
}

impl DatagramProtocol for Sink {
    fn datagram(&mut self, r: &mut dyn Reactor, _: SocketId, _: &[u8], _: SocketAddr) {
        for _ in 0..self.draws {
            r.random_u64();
        }
    }
}

/// Sends 40 datagrams over a lossy, jittery network, drawing `draws` user numbers at each
/// send and each arrival; returns the trace and the user numbers drawn at the end.
fn run(seed: u64, draws: usize) -> (String, Vec<u64>) {
    let mut sim = Sim::with_config(SimConfig {
        udp: UdpConfig {
            loss: 0.3,
            jitter: Duration::from_millis(5),
            duplication: 0.1,
            ..UdpConfig::default()
        },
        ..SimConfig::exact(seed)
    });
    let lo = SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0);
    let sink = sim
        .bind_udp(lo, Box::new(Sink { draws }), UdpOptions::default())
        .expect("bind");
    let to = sim.udp_local_addr(sink).expect("open");
    let from = sim
        .bind_udp(lo, Box::new(Sink { draws: 0 }), UdpOptions::default())
        .expect("bind");
    for i in 1..=40u32 {
        sim.after(Duration::from_millis(i.into()), move |r| {
            for _ in 0..draws {
                r.random_u64();
            }
            r.send_to(from, &i.to_le_bytes(), to).expect("open");
        });
    }
    sim.after(Duration::from_secs(1), |r| r.stop().expect("running"));
    sim.run().expect("the run ends");
    let tail = (0..4).map(|_| sim.random_u64()).collect();
    (sim.trace().render(), tail)
}

#[test]
fn user_draws_change_no_other_choice() {
    for seed in [1, 2, 3] {
        let (quiet, _) = run(seed, 0);
        let (drawing, _) = run(seed, 3);
        assert!(
            quiet.contains("lost"),
            "seed {seed}: the network lost nothing"
        );
        assert_eq!(quiet, drawing, "seed {seed}: user draws changed the trace");
    }
}

#[test]
fn user_draws_are_decided_by_the_seed() {
    let (_, a) = run(1, 2);
    let (_, again) = run(1, 2);
    let (_, other) = run(2, 2);
    assert_eq!(a, again);
    assert_ne!(a, other);
}
