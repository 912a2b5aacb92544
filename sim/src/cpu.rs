//! Time that moves with work: a virtual CPU cost per iteration (off by default).

use std::time::Duration;

/// Why a [`CpuCost`] cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CpuCostError {
    /// The range's least cost is above its greatest.
    #[error("cpu cost: the least cost {least:?} is above the greatest {greatest:?}")]
    Inverted {
        /// The least cost given.
        least: Duration,
        /// The greatest cost given.
        greatest: Duration,
    },
    /// The greatest cost is zero: nothing would ever be charged.
    #[error("cpu cost: the greatest cost is zero; leave `SimConfig::cpu` at None instead")]
    Zero,
}

/// The virtual CPU time charged to each iteration of a host, drawn uniformly from a range
/// with the seed ([`SimConfig::cpu`](crate::SimConfig::cpu)). With it, time passes while
/// callbacks work: a chain of zero-delay timers no longer freezes the clock, so I/O lands
/// while it runs, as on an operating system.
///
/// ```
/// use std::time::Duration;
/// use twinreactor_sim::CpuCost;
///
/// let cost = CpuCost::new(Duration::from_micros(1), Duration::from_micros(20)).unwrap();
/// assert!(CpuCost::new(Duration::from_micros(5), Duration::from_micros(1)).is_err());
/// # let _ = cost;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuCost {
    least: Duration,
    greatest: Duration,
}

impl CpuCost {
    /// A cost between `least` and `greatest`, both included.
    pub fn new(least: Duration, greatest: Duration) -> Result<Self, CpuCostError> {
        if least > greatest {
            return Err(CpuCostError::Inverted { least, greatest });
        }
        if greatest.is_zero() {
            return Err(CpuCostError::Zero);
        }
        Ok(Self { least, greatest })
    }

    /// The cost for the raw draw `raw`.
    pub(crate) fn cost(&self, raw: u64) -> Duration {
        let span = u64::try_from((self.greatest - self.least).as_nanos()).unwrap_or(u64::MAX);
        let extra = ((u128::from(raw) * (u128::from(span) + 1)) >> 64) as u64;
        self.least.saturating_add(Duration::from_nanos(extra))
    }
}
