//! Per-link network settings: one direction between two hosts with its own latency, jitter,
//! bandwidth and loss, in place of the simulation-wide [`TcpConfig`](crate::TcpConfig) and
//! [`UdpConfig`](crate::UdpConfig) values.

use std::collections::BTreeMap;
use std::num::NonZeroU64;
use std::time::Duration;

use crate::{ConfigError, HostId, Sim, SimError};

/// The largest jitter a link may have (as for the simulation-wide settings).
const MAX_JITTER: Duration = Duration::from_secs(24 * 3600);

/// The network from one host to another (one direction). For that traffic it replaces the
/// latency and jitter of TCP and UDP alike, TCP's bandwidth and UDP's loss; everything else
/// (read splitting, duplication, TCP faults) stays as the simulation's settings say. The
/// jitter is drawn from the seed as the simulation-wide one is.
///
/// ```
/// use std::time::Duration;
/// use twinreactor_sim::{HostId, Link, Sim};
///
/// let mut sim = Sim::new(1);
/// let far = sim.add_host();
/// let slow = Link { latency: Duration::from_millis(80), ..Link::default() };
/// sim.set_link(HostId::FIRST, far, slow).unwrap();
/// let lossy = Link { loss: f64::NAN, ..Link::default() };
/// assert!(sim.set_link(far, HostId::FIRST, lossy).is_err()); // names `link.loss`
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// One-way latency of every TCP segment and UDP datagram. Default: 50 µs.
    pub latency: Duration,
    /// Up to this much extra delay per segment or datagram, drawn from the seed (TCP keeps
    /// each connection's order). At most a day. Default: zero.
    pub jitter: Duration,
    /// Bytes a second TCP data may take on this link; `None`: unlimited (the default).
    pub bandwidth: Option<NonZeroU64>,
    /// The probability that a datagram is lost on this link, from 0 to 1. Default: zero.
    pub loss: f64,
}

impl Default for Link {
    fn default() -> Self {
        Self {
            latency: Duration::from_micros(50),
            jitter: Duration::ZERO,
            bandwidth: None,
            loss: 0.0,
        }
    }
}

impl Link {
    /// The setting that is impossible, if one is.
    fn validate(&self) -> Result<(), ConfigError> {
        if !(0.0..=1.0).contains(&self.loss) {
            return Err(ConfigError {
                setting: "link.loss",
                value: self.loss.to_string(),
                why: "a probability is a number from 0 to 1",
            });
        }
        if self.jitter > MAX_JITTER {
            return Err(ConfigError {
                setting: "link.jitter",
                value: format!("{:?}", self.jitter),
                why: "a jitter above a day is not a network, and would overflow the clock",
            });
        }
        Ok(())
    }
}

/// The links given settings of their own, by (sending host, receiving host).
#[derive(Default)]
pub(crate) struct Links(BTreeMap<(usize, usize), Link>);

impl Links {
    /// The settings of the link from `from` to `to`, if it has its own.
    #[inline]
    pub(crate) fn get(&self, from: usize, to: usize) -> Option<&Link> {
        if self.0.is_empty() {
            return None;
        }
        self.0.get(&(from, to))
    }
}

impl Sim {
    /// Gives traffic from `from` to `to` settings of its own (one direction: call it twice
    /// for both). [`SimError::UnknownHost`] for a host that is not part of this simulation;
    /// [`SimError::BadSetting`] naming an impossible setting.
    pub fn set_link(&mut self, from: HostId, to: HostId, link: Link) -> Result<(), SimError> {
        let (f, t) = (self.check_host(from)?, self.check_host(to)?);
        link.validate().map_err(SimError::BadSetting)?;
        self.links.0.insert((f, t), link);
        Ok(())
    }

    /// Traffic from `from` to `to` follows the simulation-wide settings again.
    pub fn clear_link(&mut self, from: HostId, to: HostId) -> Result<(), SimError> {
        let (f, t) = (self.check_host(from)?, self.check_host(to)?);
        self.links.0.remove(&(f, t));
        Ok(())
    }
}
