//! The network's behaviour for one datagram: its delay, and the faults drawn from the seed.

use std::time::Duration;

use crate::Sim;
use crate::Site;

/// UDP settings of a simulation: latency, and fault knobs that are all off by default, so
/// that delivery is reliable and in order unless a test turns them on.
///
/// Every fault is drawn from the seed: loss and duplication from the faults stream, jitter
/// from the network stream. Reordering comes from jitter: two datagrams sent in one order
/// arrive in the other when the second draws a delay shorter by more than their spacing.
#[derive(Clone, Debug, PartialEq)]
pub struct UdpConfig {
    /// The delay of every datagram, between hosts and within one host. Default: 100 µs.
    pub latency: Duration,
    /// Up to this much extra delay, drawn uniformly per datagram. Default: zero.
    pub jitter: Duration,
    /// The probability that a datagram (each copy, for each receiver) is lost, in `0.0..=1.0`.
    /// Default: zero.
    pub loss: f64,
    /// The probability that a datagram that is not lost arrives twice, in `0.0..=1.0`.
    /// Default: zero.
    pub duplication: f64,
}

impl Default for UdpConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_micros(100),
            jitter: Duration::ZERO,
            loss: 0.0,
            duplication: 0.0,
        }
    }
}

impl Sim {
    /// How many copies of a datagram from host `from` reach one receiver on host `to` (0:
    /// lost, 2: duplicated). Nothing is drawn for a knob that is off, so turning one on does
    /// not change the other's draws.
    pub(crate) fn udp_copies(&mut self, from: usize, to: usize) -> u8 {
        let duplication = self.config().udp.duplication;
        let loss = match self.links.get(from, to) {
            Some(link) => link.loss,
            None => self.config().udp.loss,
        };
        if self.chance(Site::UdpLoss, loss) {
            return 0;
        }
        if self.chance(Site::UdpDuplication, duplication) {
            2
        } else {
            1
        }
    }

    /// The delay of one datagram copy from host `from` to host `to`: the latency plus a
    /// uniform draw of up to the jitter, of their link.
    pub(crate) fn udp_delay(&mut self, from: usize, to: usize) -> Duration {
        let (latency, jitter) = match self.links.get(from, to) {
            Some(link) => (link.latency, link.jitter),
            None => (self.config().udp.latency, self.config().udp.jitter),
        };
        self.draw_delay(latency, jitter, Site::UdpJitter)
    }

    /// True with probability `p`, drawn from the faults stream (nothing is drawn when `p`
    /// is 0 or less; `p` of 1 or more is always true).
    fn chance(&mut self, site: Site, p: f64) -> bool {
        if p.is_nan() || p <= 0.0 {
            return false;
        }
        if p >= 1.0 {
            return true;
        }
        self.draw_chance(site, p)
    }
}
