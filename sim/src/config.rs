//! How a simulation is set up: its seed and its limits.

use std::time::Duration;

use crate::{ClockSkew, CpuCost, ProcessConfig, TcpConfig, UdpConfig};

/// The environment variable that overrides every simulation's seed, to replay a failure.
pub const SEED_ENV: &str = "TWINREACTOR_SEED";

/// Settings of a [`Sim`](crate::Sim).
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// The seed every random choice is drawn from.
    pub seed: u64,
    /// `run()` returns [`LifecycleError::TimeLimit`](twinreactor::LifecycleError::TimeLimit)
    /// rather than jump the virtual clock past this time. Default: one year.
    pub time_limit: Duration,
    /// Whether the trace is recorded. Default: true.
    pub record_trace: bool,
    /// TCP latency and faults.
    pub tcp: TcpConfig,
    /// UDP latency and faults.
    pub udp: UdpConfig,
    /// Program stubs' behaviour.
    pub process: ProcessConfig,
    /// `run()` (and `step`) return [`LifecycleError::Livelock`](twinreactor::LifecycleError::Livelock)
    /// once this many iterations in a row ran without virtual time advancing. Default:
    /// one million.
    pub livelock_iterations: u64,
    /// The virtual CPU time each iteration of a host costs, drawn from the seed; `None`
    /// (the default): callbacks take no time.
    pub cpu: Option<CpuCost>,
    /// Each host's clock offset and drift, drawn from the seed; off by default.
    pub clocks: ClockSkew,
}

impl SimConfig {
    /// Settings with `seed`, unless [`SEED_ENV`] is set, which then wins.
    ///
    /// # Panics
    /// If [`SEED_ENV`] is set but is not a `u64` (decimal, or hexadecimal after `0x`): a
    /// replay that silently used another seed would replay nothing.
    pub fn new(seed: u64) -> Self {
        let seed = match seed_override() {
            Ok(Some(forced)) => forced,
            Ok(None) => seed,
            Err(bad) => panic!("{SEED_ENV}={bad:?} is not a u64 (decimal or 0x hexadecimal)"),
        };
        Self::exact(seed)
    }

    /// Settings with exactly `seed`, whatever the environment says.
    pub fn exact(seed: u64) -> Self {
        Self {
            seed,
            time_limit: Duration::from_secs(365 * 24 * 3600),
            record_trace: true,
            tcp: TcpConfig::default(),
            udp: UdpConfig::default(),
            process: ProcessConfig::default(),
            livelock_iterations: 1_000_000,
            cpu: None,
            clocks: ClockSkew::default(),
        }
    }
}

impl SimConfig {
    /// The network and process settings that differ from the defaults, in words
    /// (`tcp latency 1.2ms, udp loss 0.31`): what a failure report says of a swarm seed's
    /// fault mix. Empty with the defaults.
    pub fn mix_in_words(&self) -> String {
        let (tcp, udp, process) = (
            TcpConfig::default(),
            UdpConfig::default(),
            ProcessConfig::default(),
        );
        let mut words = Vec::new();
        let mut time = |name: &str, value: Duration, default: Duration| {
            if value != default {
                words.push(format!("{name} {value:?}"));
            }
        };
        time("tcp latency", self.tcp.latency, tcp.latency);
        time("tcp jitter", self.tcp.jitter, tcp.jitter);
        time("udp latency", self.udp.latency, udp.latency);
        time("udp jitter", self.udp.jitter, udp.jitter);
        time("process latency", self.process.latency, process.latency);
        let mut share = |name: &str, value: f64, default: f64| {
            if value != default {
                words.push(format!("{name} {value:.3}"));
            }
        };
        share("tcp read-split", self.tcp.read_split, tcp.read_split);
        share("tcp syn-drop", self.tcp.syn_drop, tcp.syn_drop);
        share("tcp refuse", self.tcp.refuse, tcp.refuse);
        share("tcp reset", self.tcp.reset, tcp.reset);
        share("udp loss", self.udp.loss, udp.loss);
        share("udp duplication", self.udp.duplication, udp.duplication);
        share("process crash", self.process.crash, process.crash);
        if let Some(bandwidth) = self.tcp.bandwidth {
            words.push(format!("tcp bandwidth {bandwidth}B/s"));
        }
        if let Some(cpu) = self.cpu {
            words.push(format!("cpu {cpu:?}"));
        }
        if self.clocks.is_on() {
            words.push(format!(
                "clock offset up to {:?}, drift up to {} ppm",
                self.clocks.max_offset, self.clocks.max_drift_ppm
            ));
        }
        words.join(", ")
    }
}

/// The seed forced by [`SEED_ENV`], if it is set; the raw text if it does not parse.
pub fn seed_override() -> Result<Option<u64>, String> {
    let Ok(raw) = std::env::var(SEED_ENV) else {
        return Ok(None);
    };
    parse_seed(&raw).map(Some).ok_or(raw)
}

/// Parses a seed written in decimal, or in hexadecimal after `0x`.
pub fn parse_seed(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_seed;

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("42"), Some(42));
        assert_eq!(parse_seed(" 0x2a "), Some(42));
        assert_eq!(parse_seed("0xffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_seed("-1"), None);
        assert_eq!(parse_seed("seven"), None);
    }
}

/// A setting of a [`SimConfig`] that no simulation can follow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{setting} = {value}: {why}")]
pub struct ConfigError {
    /// The setting, as its path in `SimConfig` (`udp.loss`).
    pub setting: &'static str,
    /// Its value.
    pub value: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl SimConfig {
    /// Checks every setting: probabilities are numbers from 0 to 1, the time limit and the
    /// livelock bound are not zero, a jitter is at most a day. The first setting that is
    /// wrong is the error; [`Sim::try_with_config`](crate::Sim::try_with_config) calls this.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let probabilities = [
            ("tcp.read_split", self.tcp.read_split),
            ("tcp.syn_drop", self.tcp.syn_drop),
            ("tcp.refuse", self.tcp.refuse),
            ("tcp.reset", self.tcp.reset),
            ("tcp.late_connect", self.tcp.late_connect),
            ("udp.loss", self.udp.loss),
            ("udp.duplication", self.udp.duplication),
            ("process.crash", self.process.crash),
            ("process.early_exit", self.process.early_exit),
        ];
        for (setting, p) in probabilities {
            if !(0.0..=1.0).contains(&p) {
                return Err(ConfigError {
                    setting,
                    value: p.to_string(),
                    why: "a probability is a number from 0 to 1",
                });
            }
        }
        const DAY: Duration = Duration::from_secs(24 * 3600);
        for (setting, jitter) in [
            ("tcp.jitter", self.tcp.jitter),
            ("udp.jitter", self.udp.jitter),
        ] {
            if jitter > DAY {
                return Err(ConfigError {
                    setting,
                    value: format!("{jitter:?}"),
                    why: "a jitter above a day is not a network, and would overflow the clock",
                });
            }
        }
        if self.time_limit.is_zero() {
            return Err(ConfigError {
                setting: "time_limit",
                value: "0s".into(),
                why: "nothing could ever run",
            });
        }
        if self.livelock_iterations == 0 {
            return Err(ConfigError {
                setting: "livelock_iterations",
                value: "0".into(),
                why: "every run would be a livelock",
            });
        }
        self.clocks.validate()?;
        if self.process.max_chunk == 0 {
            return Err(ConfigError {
                setting: "process.max_chunk",
                value: "0".into(),
                why: "output would never move",
            });
        }
        if self.process.pipe_capacity == 0 {
            return Err(ConfigError {
                setting: "process.pipe_capacity",
                value: "0".into(),
                why: "stdin would never move",
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod validate_tests {
    use super::SimConfig;

    #[test]
    fn impossible_settings_are_errors_naming_the_setting() {
        let mut c = SimConfig::exact(1);
        assert_eq!(c.validate(), Ok(()));
        c.udp.loss = f64::NAN;
        assert_eq!(c.validate().unwrap_err().setting, "udp.loss");
        c.udp.loss = 0.0;
        c.tcp.syn_drop = -0.5;
        let e = c.validate().unwrap_err();
        assert_eq!(
            e.to_string(),
            "tcp.syn_drop = -0.5: a probability is a number from 0 to 1"
        );
        c.tcp.syn_drop = 0.0;
        c.tcp.jitter = std::time::Duration::from_secs(90_000);
        assert_eq!(c.validate().unwrap_err().setting, "tcp.jitter");
        c.tcp.jitter = std::time::Duration::ZERO;
        c.clocks.max_drift_ppm = 200_000;
        assert_eq!(c.validate().unwrap_err().setting, "clocks.max_drift_ppm");
    }
}
