//! A host's own clock: an offset and a drift from the simulation's clock (off by default).

use std::time::Duration;

use crate::SimError;

/// The largest drift a clock may have, in parts per million (10%).
const MAX_DRIFT_PPM: i32 = 100_000;

/// How a host's clock differs from the simulation's: it reads `offset` more, and runs
/// `drift_ppm` parts per million fast (or slow, when negative). The host's `now()` and its
/// timers follow its own clock, so a protocol that trusts another host's clock (a lease
/// measured on one host and checked on another) breaks as it does between real machines.
/// Traces keep the simulation's time.
///
/// ```
/// use std::time::Duration;
/// use twinreactor::prelude::*;
/// use twinreactor_sim::{HostClock, HostId, Sim};
///
/// let mut sim = Sim::new(1);
/// let fast = HostClock::new(Duration::from_secs(5), 100_000).unwrap(); // +5 s, 10% fast
/// sim.set_clock(HostId::FIRST, fast).unwrap();
/// sim.after(Duration::from_secs(11), |r| r.stop().unwrap());
/// sim.run().unwrap();
/// assert_eq!(sim.now(), Duration::from_secs(16)); // its own clock: 5 + 11
/// assert!(sim.trace().render().contains("10.000000000 h0 timer-fired")); // 11 s of its time
/// assert!(HostClock::new(Duration::ZERO, 200_000).is_err());
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostClock {
    offset: Duration,
    drift_ppm: i32,
}

impl HostClock {
    /// A clock `offset` ahead, running `drift_ppm` parts per million fast (negative: slow);
    /// [`SimError::BadClock`] beyond ±100,000 (10%).
    pub fn new(offset: Duration, drift_ppm: i32) -> Result<Self, SimError> {
        if drift_ppm.unsigned_abs() > MAX_DRIFT_PPM.unsigned_abs() {
            return Err(SimError::BadClock(drift_ppm));
        }
        Ok(Self { offset, drift_ppm })
    }

    /// What this clock reads when the simulation's reads `global`.
    pub(crate) fn local(&self, global: Duration) -> Duration {
        if *self == Self::default() {
            return global;
        }
        let g = global.as_nanos() as i128;
        let drifted = g + g * i128::from(self.drift_ppm) / 1_000_000;
        let nanos = drifted + self.offset.as_nanos() as i128;
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// The first simulation time at which this clock reads `local` or more.
    pub(crate) fn global(&self, local: Duration) -> Duration {
        if *self == Self::default() {
            return local;
        }
        let Some(x) = local.checked_sub(self.offset) else {
            return Duration::ZERO;
        };
        let rate = 1_000_000 + i128::from(self.drift_ppm);
        let g = (x.as_nanos() as i128 * 1_000_000 + rate - 1) / rate;
        let mut g = Duration::from_nanos(u64::try_from(g).unwrap_or(u64::MAX));
        // Integer division may land a nanosecond or so off either way.
        let one = Duration::from_nanos(1);
        while self.local(g) < local {
            g += one;
        }
        while g >= one && self.local(g - one) >= local {
            g -= one;
        }
        g
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::HostClock;

    #[test]
    fn global_is_the_first_instant_the_local_clock_reaches() {
        for drift in [-100_000, -1, 0, 7, 100_000] {
            let c = HostClock::new(Duration::from_millis(3), drift).unwrap();
            for ms in [0u64, 2, 3, 4, 1_000, 86_400_000] {
                let local = Duration::from_millis(ms);
                let g = c.global(local);
                assert!(c.local(g) >= local, "{drift} {ms}");
                if let Some(before) = g.checked_sub(Duration::from_nanos(1)) {
                    assert!(c.local(before) < local || g.is_zero(), "{drift} {ms}");
                }
            }
        }
    }
}
