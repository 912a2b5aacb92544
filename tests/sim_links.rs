//! Simulator-only per-link settings (`Sim::set_link`): one direction between two hosts with
//! its own latency, jitter, bandwidth and loss; the other directions keep the simulation's
//! settings; impossible settings are typed errors naming the setting.

use std::num::NonZeroU64;
use std::time::Duration;

use twinreactor::Reactor;
use twinreactor_sim::{HostId, Link, Sim, SimError, TcpConfig};

mod multihost;

use multihost::*;

const SEED: u64 = 0x11_4c;

/// A link of 80 ms one way from h0 to h1 (1 ms back): the connect takes the slow way once
/// (the SYN), data from h0 takes 80 ms, data back takes 1 ms.
#[test]
fn links_tcp_latency_is_per_direction() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let slow = Link {
        latency: Duration::from_millis(80),
        ..Link::default()
    };
    sim.set_link(h0, h1, slow).expect("link");
    let (client, server) = established(&mut sim, h0, h1);
    assert_eq!(
        client.events()[0],
        "81ms connected",
        "SYN 80 ms, SYN-ACK 1 ms"
    );
    let sent = sim.now();
    write(&mut sim, h0, &client, b"there");
    write(&mut sim, h1, &server, b"back");
    sim.run_until(
        |_| server.bytes.borrow().len() == 5 && client.bytes.borrow().len() == 4,
        sent + Duration::from_secs(1),
    )
    .expect("run");
    let trace = sim.trace().render();
    let arrival = |host: &str| {
        let line = trace
            .lines()
            .rev()
            .find(|l| l.contains(&format!(" {host} tcp data ")))
            .unwrap_or_else(|| panic!("data on {host}\n{trace}"));
        let secs: f64 = line.split(' ').next().unwrap().parse().unwrap();
        Duration::from_secs_f64(secs) - sent
    };
    let there = arrival("h1");
    let back = arrival("h0");
    assert!(there >= Duration::from_millis(80), "{there:?}");
    assert!(back < Duration::from_millis(2), "{back:?}");
    sim.clear_link(h0, h1).expect("clear");
    let again = sim.now();
    write(&mut sim, h0, &client, b"!");
    sim.run_until(
        |_| server.bytes.borrow().len() == 6,
        again + Duration::from_secs(1),
    )
    .expect("run");
    assert!(sim.now() - again < Duration::from_millis(2));
}

/// A link's bandwidth: 1 MB over a 1 MB/s link takes a second of virtual time, while the
/// other direction stays unlimited.
#[test]
fn links_tcp_bandwidth_makes_a_large_transfer_take_time() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let narrow = Link {
        latency: Duration::from_millis(1),
        bandwidth: NonZeroU64::new(1_000_000),
        ..Link::default()
    };
    sim.set_link(h0, h1, narrow).expect("link");
    let (client, server) = established(&mut sim, h0, h1);
    let start = sim.now();
    write(&mut sim, h0, &client, &vec![7u8; 1_000_000]);
    let all = sim
        .run_until(
            |_| server.bytes.borrow().len() == 1_000_000,
            start + Duration::from_secs(10),
        )
        .expect("run");
    assert!(all);
    let took = sim.now() - start;
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_millis(1100),
        "{took:?}"
    );
}

/// A link that loses every datagram: h1 hears nothing of h0, while h0 hears all of h1's;
/// the trace says each loss is a fault.
#[test]
fn links_udp_loss_is_per_direction() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let dead = Link {
        loss: 1.0,
        ..Link::default()
    };
    sim.set_link(h0, h1, dead).expect("link");
    let (s0, heard0) = udp_socket(&mut sim, h0);
    let (s1, heard1) = udp_socket(&mut sim, h1);
    for _ in 0..10 {
        udp_send(&mut sim, h0, s0, "x", addr(H1, PORT));
        udp_send(&mut sim, h1, s1, "y", addr(H0, PORT));
    }
    sim.advance(Duration::from_millis(100)).expect("run");
    assert_eq!(heard1.borrow().len(), 0);
    assert_eq!(heard0.borrow().len(), 10);
    let lost = sim.trace().render().matches("lost").count();
    assert_eq!(lost, 10, "{}", sim.trace().render());
}

/// Impossible link settings and unknown hosts are typed errors; nothing is changed.
#[test]
fn links_bad_settings_are_errors_naming_the_setting() {
    let mut sim = Sim::new(SEED);
    let h1 = sim.add_host();
    let bad = Link {
        loss: -0.1,
        ..Link::default()
    };
    match sim.set_link(HostId::FIRST, h1, bad) {
        Err(SimError::BadSetting(e)) => assert_eq!(e.setting, "link.loss"),
        other => panic!("{other:?}"),
    }
    let bad = Link {
        jitter: Duration::from_secs(100_000),
        ..Link::default()
    };
    match sim.set_link(h1, HostId::FIRST, bad) {
        Err(SimError::BadSetting(e)) => assert_eq!(e.setting, "link.jitter"),
        other => panic!("{other:?}"),
    }
    // A host of another simulation is unknown to one with a single host.
    let mut lone = Sim::new(SEED);
    assert!(matches!(
        lone.set_link(HostId::FIRST, h1, Link::default()),
        Err(SimError::UnknownHost(_))
    ));
}
