//! QUIC (quinn-proto) over both reactors: the echo of `examples/quic/echo.rs`, 256 KiB, on the
//! simulator for 20 seeds with 5% loss and 20 ms jitter, and once on the real reactor.

#[path = "../examples/quic/echo.rs"]
mod echo;

use std::time::Duration;

use twinreactor_real::RealReactor;
use twinreactor_sim::{Sim, SimConfig, UdpConfig};

const SIZE: usize = 256 * 1024;

/// A simulator with 5% datagram loss and up to 20 ms of jitter.
fn lossy(seed: u64) -> Sim {
    Sim::with_config(SimConfig {
        udp: UdpConfig {
            loss: 0.05,
            jitter: Duration::from_millis(20),
            ..UdpConfig::default()
        },
        ..SimConfig::exact(seed)
    })
}

#[test]
fn quic_echo_survives_loss_and_jitter_on_20_seeds() {
    let tls = echo::Tls::new().expect("a certificate");
    for seed in 1..=20 {
        let mut sim = lossy(seed);
        let report =
            echo::run_echo(&mut sim, &tls, SIZE).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(report.bytes, SIZE);
        assert!(
            report.client_lost_packets + report.server_lost_packets > 0,
            "seed {seed}: 5% loss lost nothing: {report}"
        );
    }
}

/// The seed decides the whole run, QUIC's own randomness included (its RNG is seeded from
/// `Reactor::random_u64`): the same seed gives the same trace.
#[test]
fn quic_echo_replays_from_its_seed() {
    let tls = echo::Tls::new().expect("a certificate");
    let run = |seed| {
        let mut sim = lossy(seed);
        let report = echo::run_echo(&mut sim, &tls, SIZE).expect("the echo completes");
        (report, sim.trace().render())
    };
    let (first, trace) = run(7);
    let (again, trace_again) = run(7);
    assert_eq!(first, again);
    assert!(trace == trace_again, "seed 7 gave two different traces");
    let (other, _) = run(8);
    assert_ne!(first, other, "two seeds gave the same run");
}

#[test]
fn quic_echo_on_the_real_reactor() {
    let tls = echo::Tls::new().expect("a certificate");
    let mut real = RealReactor::new().expect("a reactor");
    let report = echo::run_echo(&mut real, &tls, SIZE).expect("the echo completes");
    assert_eq!(report.bytes, SIZE);
}
