//! Swarm configuration: the fault mix itself drawn from the seed.
//!
//! A plain seed sweep with [`SimConfig::new`] explores only what the default configuration
//! draws (ready order, read splits). With [`SimConfig::swarm`] every seed also draws which
//! fault kinds are on and how strong, as FoundationDB's buggify and swarm testing do, so a
//! sweep explores mixes nobody chose. Each kind is off in a good share of seeds, so runs with
//! few faults are common, and the strength of one that is on has a long tail.
//!
//! The mix is drawn from a stream of its own, apart from the streams the simulation draws
//! from while it runs: the same seed gives the same mix and the same run.

use std::time::Duration;

use crate::rng::{SimRng, Stream};
use crate::{ClockSkew, ProcessConfig, SimConfig, TcpConfig, UdpConfig};

/// The shortest and longest latency swarm draws.
const LATENCY: (Duration, Duration) = (Duration::from_micros(10), Duration::from_secs(2));

/// Draws one fault mix.
struct Mixer(SimRng);

impl Mixer {
    /// A number in `0.0..1.0`.
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether a kind is on, with probability `p`.
    fn on(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A probability between `low` and `high`, tilted toward `low`.
    fn strength(&mut self, low: f64, high: f64) -> f64 {
        let u = self.unit();
        low + (high - low) * u * u
    }

    /// A latency between [`LATENCY`]'s bounds, log-uniform with the long end rare: most
    /// draws are micro- to milliseconds, a few reach seconds.
    fn latency(&mut self) -> Duration {
        let (low, high) = (LATENCY.0.as_secs_f64(), LATENCY.1.as_secs_f64());
        let u = self.unit();
        Duration::from_secs_f64(low * (high / low).powf(u * u))
    }
}

impl SimConfig {
    /// Settings with `seed` (unless `TWINREACTOR_SEED` overrides it, as for
    /// [`SimConfig::new`]) whose fault mix is drawn from the seed:
    ///
    /// | kind | on in | strength when on |
    /// |---|---|---|
    /// | TCP latency | 1/2 of seeds (else the default 50 µs) | 10 µs to 2 s, log-uniform, long end rare |
    /// | TCP read splitting | 3/4 (else none) | 0.05 to 1 of reads |
    /// | TCP jitter | 1/2 | up to 10 µs to 2 s, as latency |
    /// | late connect notices | 1/2 | 10% to 100% of connects |
    /// | lost SYNs | 1/5 | 1% to 30% |
    /// | refused connects | 1/5 | 1% to 30% |
    /// | resets on a data segment | 1/5 | 0.1% to 5% |
    /// | UDP latency | 1/2 (else the default 100 µs) | 10 µs to 2 s, as TCP |
    /// | UDP jitter | 1/2 | up to 10 µs to 2 s |
    /// | UDP loss | 2/5 | 1% to 50% |
    /// | UDP duplication | 1/4 | 1% to 30% |
    /// | process pipe latency | 1/2 (else the default 50 µs) | 10 µs to 2 s |
    /// | process crashes | 1/5 | 10% to 100% of spawns, within 1 ms to 2 s of the start |
    /// | host clock skew | 1/4 | offsets up to 10 µs to 2 s, drifts up to 10 to 100,000 ppm |
    ///
    /// Strengths are tilted toward their low end. Partitions and host crashes are not drawn
    /// here: they are [`Sim`](crate::Sim) calls a scenario makes.
    ///
    /// # Panics
    /// As [`SimConfig::new`], if `TWINREACTOR_SEED` is set but is not a seed.
    pub fn swarm(seed: u64) -> Self {
        Self::swarm_exact(Self::new(seed).seed)
    }

    /// [`SimConfig::swarm`] with exactly `seed`, whatever the environment says.
    pub fn swarm_exact(seed: u64) -> Self {
        let mut m = Mixer(SimRng::new(seed, Stream::Swarm));
        let tcp_default = TcpConfig::default();
        let tcp = TcpConfig {
            latency: if m.on(0.5) {
                m.latency()
            } else {
                tcp_default.latency
            },
            read_split: if m.on(0.75) {
                m.strength(0.05, 1.0)
            } else {
                0.0
            },
            syn_drop: if m.on(0.2) {
                m.strength(0.01, 0.3)
            } else {
                0.0
            },
            refuse: if m.on(0.2) {
                m.strength(0.01, 0.3)
            } else {
                0.0
            },
            reset: if m.on(0.2) {
                m.strength(0.001, 0.05)
            } else {
                0.0
            },
            ..tcp_default
        };
        let udp_default = UdpConfig::default();
        let udp = UdpConfig {
            latency: if m.on(0.5) {
                m.latency()
            } else {
                udp_default.latency
            },
            jitter: if m.on(0.5) {
                m.latency()
            } else {
                Duration::ZERO
            },
            loss: if m.on(0.4) {
                m.strength(0.01, 0.5)
            } else {
                0.0
            },
            duplication: if m.on(0.25) {
                m.strength(0.01, 0.3)
            } else {
                0.0
            },
        };
        let mut process = ProcessConfig::default();
        if m.on(0.5) {
            process.latency = m.latency();
        }
        if m.on(0.2) {
            process.crash = m.strength(0.1, 1.0);
            process.crash_within = m.latency().max(Duration::from_millis(1));
        }
        // Drawn last, so that the kinds drawn before keep the mixes they had.
        let tcp = TcpConfig {
            jitter: if m.on(0.5) {
                m.latency()
            } else {
                Duration::ZERO
            },
            late_connect: if m.on(0.5) { m.strength(0.1, 1.0) } else { 0.0 },
            ..tcp
        };
        let clocks = if m.on(0.25) {
            ClockSkew {
                max_offset: m.latency(),
                max_drift_ppm: m.strength(10.0, 100_000.0) as u32,
            }
        } else {
            ClockSkew::default()
        };
        Self {
            tcp,
            udp,
            process,
            clocks,
            ..Self::exact(seed)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::SimConfig;

    #[test]
    fn the_same_seed_draws_the_same_mix() {
        for seed in 0..50 {
            assert_eq!(SimConfig::swarm_exact(seed), SimConfig::swarm_exact(seed));
        }
    }

    /// Whether one fault kind is on in a mix.
    type Kind = fn(&SimConfig) -> bool;

    #[test]
    fn every_kind_is_on_in_some_seeds_and_off_in_others() {
        let mixes: Vec<SimConfig> = (0..1000).map(SimConfig::swarm_exact).collect();
        let kinds: [(&str, Kind); 11] = [
            ("tcp latency", |c| {
                c.tcp.latency != Duration::from_micros(50)
            }),
            ("read split", |c| c.tcp.read_split > 0.0),
            ("syn drop", |c| c.tcp.syn_drop > 0.0),
            ("refuse", |c| c.tcp.refuse > 0.0),
            ("reset", |c| c.tcp.reset > 0.0),
            ("udp latency", |c| {
                c.udp.latency != Duration::from_micros(100)
            }),
            ("jitter", |c| c.udp.jitter > Duration::ZERO),
            ("loss", |c| c.udp.loss > 0.0),
            ("duplication", |c| c.udp.duplication > 0.0),
            ("process crash", |c| c.process.crash > 0.0),
            ("clock skew", |c| c.clocks.is_on()),
        ];
        for (name, on) in kinds {
            let count = mixes.iter().filter(|c| on(c)).count();
            assert!((100..=900).contains(&count), "{name} on in {count} of 1000");
        }
        let quiet = mixes
            .iter()
            .filter(|c| c.tcp.syn_drop + c.tcp.refuse + c.tcp.reset + c.udp.loss == 0.0)
            .count();
        assert!(
            quiet > 150,
            "runs with no loss, refusal or reset are common: {quiet}"
        );
    }

    #[test]
    fn latencies_reach_from_microseconds_to_seconds_and_probabilities_stay_valid() {
        let mixes: Vec<SimConfig> = (0..2000).map(SimConfig::swarm_exact).collect();
        let latencies = mixes.iter().map(|c| c.udp.latency);
        assert!(latencies.clone().any(|l| l < Duration::from_micros(100)));
        assert!(latencies.clone().any(|l| l > Duration::from_millis(500)));
        assert!(latencies.clone().all(|l| l <= Duration::from_secs(2)));
        for c in &mixes {
            for p in [
                c.tcp.read_split,
                c.tcp.syn_drop,
                c.tcp.refuse,
                c.tcp.reset,
                c.udp.loss,
            ] {
                assert!((0.0..=1.0).contains(&p), "{p}");
            }
            assert_eq!(c.validate(), Ok(()), "{c:?}");
        }
    }
}
