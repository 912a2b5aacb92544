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

use std::num::NonZeroU64;
use std::time::Duration;

use proptest::prelude::*;

use crate::{ClockSkew, CpuCost, Link, Sim, SimConfig, TcpConfig, UdpConfig};

/// Any seed; shrinks toward 0.
pub fn seeds() -> impl Strategy<Value = u64> {
    any::<u64>()
}

/// A duration up to `max`: zero, a round value, or any whole number of microseconds.
/// Shrinks toward zero, then toward the round values, so a minimal plan reads plainly.
fn micros_below(max: Duration) -> impl Strategy<Value = Duration> {
    let rounds = [100, 1_000, 5_000, 20_000]
        .map(Duration::from_micros)
        .into_iter()
        .filter(|d| *d <= max)
        .collect::<Vec<_>>();
    let rounds = if rounds.is_empty() { vec![max] } else { rounds };
    prop_oneof![
        1 => Just(Duration::ZERO),
        1 => proptest::sample::select(rounds),
        2 => (0..=max.as_micros() as u64).prop_map(Duration::from_micros),
    ]
}

/// A probability up to `max`: zero, a round value (1%, 5%, 10%, 25%, 50%, 100%), or any.
/// Shrinks toward zero, then toward the round values: a failing plan shrinks to "loss 0.1",
/// not "loss 0.4953".
fn probability(max: f64) -> impl Strategy<Value = f64> {
    let max = if max.is_finite() {
        max.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let rounds = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0]
        .into_iter()
        .filter(|p| *p <= max)
        .collect::<Vec<_>>();
    let rounds = if rounds.is_empty() { vec![max] } else { rounds };
    prop_oneof![
        1 => Just(0.0),
        1 => proptest::sample::select(rounds),
        2 => 0.0..=max,
    ]
}

/// UDP conditions: latency up to 5 ms, jitter up to 20 ms (which reorders), loss up to
/// `max_loss` and duplication up to 20%. Shrinks toward a perfect network.
pub fn udp_faults(max_loss: f64) -> impl Strategy<Value = UdpConfig> {
    (
        micros_below(Duration::from_millis(5)),
        micros_below(Duration::from_millis(20)),
        probability(max_loss),
        probability(0.2),
    )
        .prop_map(|(latency, jitter, loss, duplication)| UdpConfig {
            latency,
            jitter,
            loss,
            duplication,
        })
}

/// A link bandwidth: unlimited, or from 10 KB/s to 1 GB/s. Shrinks toward unlimited.
fn bandwidths() -> impl Strategy<Value = Option<NonZeroU64>> {
    prop_oneof![
        1 => Just(None),
        1 => (10_000u64..=1_000_000_000).prop_map(NonZeroU64::new),
    ]
}

/// TCP conditions every correct protocol must live with: latency up to 5 ms, jitter up to
/// 20 ms (connections overtake one another; each keeps its order), reads split at any
/// frequency (0: never, 1: every read), and a link bandwidth (large transfers take time).
/// Nothing fails. Shrinks toward zero latency, unsplit reads and unlimited bandwidth.
pub fn tcp_conditions() -> impl Strategy<Value = TcpConfig> {
    (
        micros_below(Duration::from_millis(5)),
        micros_below(Duration::from_millis(20)),
        probability(1.0),
        bandwidths(),
    )
        .prop_map(|(latency, jitter, read_split, bandwidth)| TcpConfig {
            latency,
            jitter,
            read_split,
            bandwidth,
            ..TcpConfig::default()
        })
}

/// Settings for one link ([`Sim::set_link`]): latency up to 50 ms, jitter up to 20 ms, a
/// bandwidth, and loss up to `max_loss`. Shrinks toward a fast, perfect link.
pub fn links(max_loss: f64) -> impl Strategy<Value = Link> {
    (
        micros_below(Duration::from_millis(50)),
        micros_below(Duration::from_millis(20)),
        bandwidths(),
        probability(max_loss),
    )
        .prop_map(|(latency, jitter, bandwidth, loss)| Link {
            latency,
            jitter,
            bandwidth,
            loss,
        })
}

/// Virtual CPU time per callback ([`SimConfig::cpu`]): none, or a range within 1 µs to
/// 1 ms. Shrinks toward none.
pub fn cpu_costs() -> impl Strategy<Value = Option<CpuCost>> {
    let range = (1u64..=1_000, 0u64..=1_000).prop_map(|(least, extra)| {
        let least = Duration::from_micros(least);
        CpuCost::new(least, least + Duration::from_micros(extra)).ok()
    });
    prop_oneof![1 => Just(None), 1 => range]
}

/// [`tcp_conditions`] plus failures: SYN loss (connects time out), refusals and resets,
/// each with a probability up to `max`. Shrinks toward no failures.
pub fn tcp_faults(max: f64) -> impl Strategy<Value = TcpConfig> {
    (
        tcp_conditions(),
        probability(max),
        probability(max),
        probability(max),
    )
        .prop_map(|(conditions, syn_drop, refuse, reset)| TcpConfig {
            syn_drop,
            refuse,
            reset,
            ..conditions
        })
}

/// Host clock skew: offsets up to 1 s and drifts up to 10% either way, each host drawing
/// its own from the seed. Shrinks toward clocks that all read the same.
pub fn clock_skews() -> impl Strategy<Value = ClockSkew> {
    let drift = prop_oneof![
        1 => Just(0u32),
        1 => proptest::sample::select(vec![100u32, 1_000, 10_000, 100_000]),
        2 => 0..=100_000u32,
    ];
    (micros_below(Duration::from_secs(1)), drift).prop_map(|(max_offset, max_drift_ppm)| {
        ClockSkew {
            max_offset,
            max_drift_ppm,
        }
    })
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
    /// How far each host's clock may be off.
    pub clocks: ClockSkew,
    /// Virtual CPU time per callback.
    pub cpu: Option<CpuCost>,
}

impl FaultPlan {
    /// Simulator settings for this plan (the seed exactly as given).
    pub fn config(&self) -> SimConfig {
        SimConfig {
            udp: self.udp.clone(),
            tcp: self.tcp.clone(),
            clocks: self.clocks,
            cpu: self.cpu,
            ..SimConfig::exact(self.seed)
        }
    }

    /// A single-host simulation under this plan.
    pub fn sim(&self) -> Sim {
        Sim::with_config(self.config())
    }
}

/// Fault plans a protocol that retransmits, tolerates any read boundaries and measures
/// time on its own host's clock must survive: UDP loss up to 50%, duplication and jitter;
/// TCP latency, jitter, bandwidth and read splitting (no TCP failures: combine [`seeds`],
/// [`udp_faults`] and [`tcp_faults`] for those); [`clock_skews`]; [`cpu_costs`]. Shrinks
/// toward seed 0 on a perfect network with true clocks and free callbacks.
pub fn fault_plans() -> impl Strategy<Value = FaultPlan> {
    (
        seeds(),
        udp_faults(0.5),
        tcp_conditions(),
        clock_skews(),
        cpu_costs(),
    )
        .prop_map(|(seed, udp, tcp, clocks, cpu)| FaultPlan {
            seed,
            udp,
            tcp,
            clocks,
            cpu,
        })
}

#[cfg(test)]
mod tests {
    use proptest::test_runner::{Config, TestError, TestRunner};

    use super::fault_plans;

    /// A property that fails whenever there is any loss shrinks to the smallest round loss,
    /// and every other knob to zero.
    #[test]
    fn a_failing_plan_shrinks_to_round_values() {
        let mut runner = TestRunner::new_with_rng(
            Config::default(),
            proptest::test_runner::TestRng::deterministic_rng(
                proptest::test_runner::RngAlgorithm::ChaCha,
            ),
        );
        let result = runner.run(&fault_plans(), |plan| {
            proptest::prop_assert!(plan.udp.loss == 0.0);
            Ok(())
        });
        let Err(TestError::Fail(_, plan)) = result else {
            panic!("the property fails: {result:?}");
        };
        assert_eq!(plan.udp.loss, 0.01, "{plan:?}");
        assert_eq!(plan.udp.duplication, 0.0, "{plan:?}");
        assert_eq!(plan.udp.jitter, std::time::Duration::ZERO, "{plan:?}");
        assert_eq!(plan.tcp.read_split, 0.0, "{plan:?}");
        assert!(!plan.clocks.is_on(), "{plan:?}");
        assert_eq!(plan.cpu, None, "{plan:?}");
        assert_eq!(plan.tcp.bandwidth, None, "{plan:?}");
        assert_eq!(plan.seed, 0, "{plan:?}");
    }
}
