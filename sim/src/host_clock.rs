//! A host's own clock: an offset and a drift from the simulation's clock (off by default),
//! set by a test ([`Sim::set_clock`](crate::Sim::set_clock)) or drawn from the seed for each
//! host ([`ClockSkew`]).

use std::time::Duration;

use twinreactor_kit::Driver;

use crate::{ConfigError, Sim, SimError, Site};

/// The largest drift a clock may have, in parts per million (10%).
const MAX_DRIFT_PPM: i32 = 100_000;

/// The largest offset [`ClockSkew::max_offset`] may ask for.
const MAX_OFFSET: Duration = Duration::from_secs(24 * 3600);

/// Clock skew drawn from the seed: when on, every host added draws its own [`HostClock`],
/// an offset from zero to `max_offset` and a drift from `-max_drift_ppm` to
/// `+max_drift_ppm`, both uniform (a tape's "nothing happens" is no skew). Off (the
/// default) when both are zero; nothing is drawn then. [`Sim::set_clock`] replaces a drawn
/// clock.
///
/// ```
/// use std::time::Duration;
/// use twinreactor_sim::{ClockSkew, Sim, SimConfig};
///
/// let skew = ClockSkew { max_offset: Duration::from_millis(50), max_drift_ppm: 1_000 };
/// let config = SimConfig { clocks: skew, ..SimConfig::exact(7) };
/// let mut sim = Sim::with_config(config);
/// let h1 = sim.add_host();
/// let clock = sim.clock(h1).unwrap();
/// assert!(clock.offset() <= Duration::from_millis(50));
/// assert!(clock.drift_ppm().abs() <= 1_000);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClockSkew {
    /// The largest offset a host's clock draws (at most a day).
    pub max_offset: Duration,
    /// The largest drift, either way, in parts per million (at most 100,000: 10%).
    pub max_drift_ppm: u32,
}

impl ClockSkew {
    /// Whether hosts draw clocks at all.
    pub fn is_on(&self) -> bool {
        *self != Self::default()
    }

    /// The setting that is out of bounds, if one is.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_drift_ppm > MAX_DRIFT_PPM.unsigned_abs() {
            return Err(ConfigError {
                setting: "clocks.max_drift_ppm",
                value: self.max_drift_ppm.to_string(),
                why: "a drift beyond 100,000 ppm (10%) is not a clock",
            });
        }
        if self.max_offset > MAX_OFFSET {
            return Err(ConfigError {
                setting: "clocks.max_offset",
                value: format!("{:?}", self.max_offset),
                why: "an offset above a day is not a skewed clock but a wrong one",
            });
        }
        Ok(())
    }
}

impl Sim {
    /// Traces that host `index` now has `clock`.
    pub(crate) fn record_clock(&mut self, index: usize, clock: HostClock) {
        self.record(twinreactor::TraceEvent::HostClock {
            host: index as u32,
            offset: clock.offset,
            drift_ppm: clock.drift_ppm,
        });
    }

    /// The clock a new host draws under [`SimConfig::clocks`](crate::SimConfig::clocks)
    /// (the simulation's own clock when that is off).
    pub(crate) fn draw_clock(&mut self) -> HostClock {
        let skew = self.config().clocks;
        if !skew.is_on() {
            return HostClock::default();
        }
        let offset = self.draw_delay(Duration::ZERO, skew.max_offset, Site::ClockOffset);
        // 0, +1, -1, +2, -2, ...: the canonical draw (0) is no drift.
        let span = u64::from(skew.max_drift_ppm) * 2 + 1;
        let v = ((u128::from(self.draw(Site::ClockDrift)) * u128::from(span)) >> 64) as i64;
        let drift = if v % 2 == 0 { v / 2 } else { -(v + 1) / 2 };
        HostClock {
            offset,
            drift_ppm: drift as i32,
        }
    }
}

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

    /// How far ahead this clock starts.
    pub fn offset(&self) -> Duration {
        self.offset
    }

    /// How fast it runs, in parts per million (negative: slow).
    pub fn drift_ppm(&self) -> i32 {
        self.drift_ppm
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
