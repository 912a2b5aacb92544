//! proptest strategies for simulated tests (feature `proptest`): seeds, and fault plans that
//! shrink toward "no faults".
//!
//! A property over [`fault_plans`] runs the same protocol under many seeds and network
//! conditions. When it fails, proptest shrinks the plan (toward seed 0, no loss, no jitter)
//! and prints the smallest one that still fails; it also records it in a
//! `proptest-regressions` file, so the next `cargo test` replays it first. A plan's
//! [`FaultPlan::sim`] is exact: `TWINREACTOR_SEED` does not override it.
//!
//! ```
//! use proptest::prelude::*;
//! use twinreactor::Reactor;
//! use twinreactor_sim::strategy::fault_plans;
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig::with_cases(8))]
//!     // In a test file this function would carry #[test].
//!     fn an_idle_reactor_is_quiescent_under_any_plan(plan in fault_plans()) {
//!         let mut sim = plan.sim();
//!         prop_assert!(sim.run().is_err());
//!     }
//! }
//! # an_idle_reactor_is_quiescent_under_any_plan();
//! ```

use std::time::Duration;

use proptest::prelude::*;

use crate::{Sim, SimConfig, TcpConfig, UdpConfig};

/// Any seed; shrinks toward 0.
pub fn seeds() -> impl Strategy<Value = u64> {
    any::<u64>()
}

/// A duration below `max`, in whole microseconds; shrinks toward zero.
fn micros_below(max: Duration) -> impl Strategy<Value = Duration> {
    (0..=max.as_micros() as u64).prop_map(Duration::from_micros)
}

/// UDP conditions: latency up to 5 ms, jitter up to 20 ms (which reorders), loss up to
/// `max_loss` and duplication up to 20%. Shrinks toward a perfect network.
pub fn udp_faults(max_loss: f64) -> impl Strategy<Value = UdpConfig> {
    (
        micros_below(Duration::from_millis(5)),
        micros_below(Duration::from_millis(20)),
        0.0..=max_loss,
        0.0..=0.2f64,
    )
        .prop_map(|(latency, jitter, loss, duplication)| UdpConfig {
            latency,
            jitter,
            loss,
            duplication,
        })
}

/// TCP conditions every correct protocol must live with: latency up to 5 ms, and reads
/// split at any frequency (0: never, 1: every read). Nothing fails. Shrinks toward zero
/// latency and unsplit reads.
pub fn tcp_conditions() -> impl Strategy<Value = TcpConfig> {
    (micros_below(Duration::from_millis(5)), 0.0..=1.0f64).prop_map(|(latency, read_split)| {
        TcpConfig {
            latency,
            read_split,
            ..TcpConfig::default()
        }
    })
}

/// [`tcp_conditions`] plus failures: SYN loss (connects time out), refusals and resets,
/// each with a probability up to `max`. Shrinks toward no failures.
pub fn tcp_faults(max: f64) -> impl Strategy<Value = TcpConfig> {
    (tcp_conditions(), 0.0..=max, 0.0..=max, 0.0..=max).prop_map(
        |(conditions, syn_drop, refuse, reset)| TcpConfig {
            syn_drop,
            refuse,
            reset,
            ..conditions
        },
    )
}

/// A seed and the network conditions a simulation runs under.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultPlan {
    /// The seed of every random choice.
    pub seed: u64,
    /// UDP latency and faults.
    pub udp: UdpConfig,
    /// TCP latency, read splitting and faults.
    pub tcp: TcpConfig,
}

impl FaultPlan {
    /// Simulator settings for this plan (the seed exactly as given).
    pub fn config(&self) -> SimConfig {
        SimConfig {
            udp: self.udp.clone(),
            tcp: self.tcp.clone(),
            ..SimConfig::exact(self.seed)
        }
    }

    /// A single-host simulation under this plan.
    pub fn sim(&self) -> Sim {
        Sim::with_config(self.config())
    }
}

/// Fault plans a protocol that retransmits and tolerates any read boundaries must survive:
/// UDP loss up to 50%, duplication and jitter; TCP latency and read splitting (no TCP
/// failures: combine [`seeds`], [`udp_faults`] and [`tcp_faults`] for those). Shrinks
/// toward seed 0 on a perfect network.
pub fn fault_plans() -> impl Strategy<Value = FaultPlan> {
    (seeds(), udp_faults(0.5), tcp_conditions()).prop_map(|(seed, udp, tcp)| FaultPlan {
        seed,
        udp,
        tcp,
    })
}
