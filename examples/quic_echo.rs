//! A 256 KiB echo over QUIC (quinn-proto, a sans-I/O stack) on both reactors: on the simulator
//! for several seeds with 5% datagram loss and up to 20 ms of jitter, then on the real reactor
//! over 127.0.0.1. The protocol code is in `examples/quic/echo.rs`.
//!
//! ```text
//! cargo run --example quic_echo          # seeds 1..=5
//! cargo run --example quic_echo -- 20    # seeds 1..=20
//! ```

#[path = "quic/echo.rs"]
mod echo;

use std::time::Duration;

use twinreactor_real::RealReactor;
use twinreactor_sim::{Sim, SimConfig, UdpConfig};

const SIZE: usize = 256 * 1024;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seeds: u64 = match std::env::args().nth(1) {
        Some(text) => text
            .parse()
            .map_err(|_| format!("not a seed count: {text:?}"))?,
        None => 5,
    };
    let tls = echo::Tls::new()?;
    println!("QUIC echo of {SIZE} B, simulator: 5% loss, 20 ms jitter");
    for seed in 1..=seeds {
        let mut sim = Sim::with_config(SimConfig {
            udp: UdpConfig {
                loss: 0.05,
                jitter: Duration::from_millis(20),
                ..UdpConfig::default()
            },
            ..SimConfig::exact(seed)
        });
        let report =
            echo::run_echo(&mut sim, &tls, SIZE).map_err(|e| format!("seed {seed}: {e}"))?;
        println!("  seed {seed}: {report} (virtual time)");
    }
    let mut real = RealReactor::new()?;
    let report = echo::run_echo(&mut real, &tls, SIZE).map_err(|e| format!("real reactor: {e}"))?;
    println!("real reactor, 127.0.0.1: {report}");
    Ok(())
}
