//! The places in the simulator that make a random choice.

use crate::rng::Stream;

/// One place where the simulator draws a random number. Every draw names its site, so that a
/// recorded tape says what each number decided, and a minimiser knows which value means
/// "nothing happens" there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Site {
    /// Which of several hosts with work at one instant runs first.
    HostOrder,
    /// Which of a host's ready I/O deliveries goes next.
    ReadyOrder,
    /// Whether (and where) a TCP read is split.
    TcpReadSplit,
    /// Whether a SYN is lost.
    TcpSynDrop,
    /// Whether a listener refuses a SYN anyway.
    TcpRefuse,
    /// Whether sending a data segment resets the connection.
    TcpReset,
    /// Whether a datagram copy is lost.
    UdpLoss,
    /// Whether a datagram arrives twice.
    UdpDuplication,
    /// A datagram's extra delay.
    UdpJitter,
    /// Whether a spawned program stub crashes.
    ProcessCrash,
    /// When a crashing stub dies.
    ProcessCrashTime,
    /// How large the next piece of a stub's output is.
    PipeChunk,
    /// Where an exact environment's variables go, in a spawned stub's environment.
    EnvOrder,
    /// Whether a client notices its established connect late (after a round trip).
    ConnectNotice,
    /// A number user code drew (`Reactor::random_u64`).
    User,
    /// The virtual CPU time an iteration costs (`SimConfig::cpu`).
    CpuTime,
    /// Whether a parent learns of a stub's exit before its last output.
    ExitNotice,
    /// A TCP segment's extra delay.
    TcpJitter,
    /// A new host's clock offset (`SimConfig::clocks`).
    ClockOffset,
    /// A new host's clock drift (`SimConfig::clocks`).
    ClockDrift,
}

impl Site {
    /// Every site, in a fixed order.
    pub const ALL: [Site; 20] = [
        Site::HostOrder,
        Site::ReadyOrder,
        Site::TcpReadSplit,
        Site::TcpSynDrop,
        Site::TcpRefuse,
        Site::TcpReset,
        Site::UdpLoss,
        Site::UdpDuplication,
        Site::UdpJitter,
        Site::ProcessCrash,
        Site::ProcessCrashTime,
        Site::PipeChunk,
        Site::EnvOrder,
        Site::ConnectNotice,
        Site::User,
        Site::CpuTime,
        Site::ExitNotice,
        Site::TcpJitter,
        Site::ClockOffset,
        Site::ClockDrift,
    ];

    /// The random stream this site draws from.
    pub(crate) fn stream(self) -> Stream {
        match self {
            Site::HostOrder | Site::ReadyOrder => Stream::Scheduling,
            Site::TcpReadSplit | Site::UdpJitter | Site::TcpJitter => Stream::Network,
            Site::TcpSynDrop
            | Site::TcpRefuse
            | Site::TcpReset
            | Site::UdpLoss
            | Site::UdpDuplication
            | Site::ProcessCrash
            | Site::ProcessCrashTime
            | Site::ClockOffset
            | Site::ClockDrift => Stream::Faults,
            Site::PipeChunk | Site::EnvOrder => Stream::Programs,
            Site::ConnectNotice | Site::CpuTime | Site::ExitNotice => Stream::Races,
            Site::User => Stream::User,
        }
    }

    /// The raw value that means "nothing happens" here: the first in order, no fault, no
    /// extra delay, no split, the largest piece; zero for user code's draws.
    pub fn canonical(self) -> u64 {
        match self {
            Site::HostOrder
            | Site::ReadyOrder
            | Site::UdpJitter
            | Site::ProcessCrashTime
            | Site::EnvOrder
            | Site::User
            | Site::CpuTime
            | Site::TcpJitter
            | Site::ClockOffset
            | Site::ClockDrift => 0,
            Site::TcpReadSplit
            | Site::TcpSynDrop
            | Site::TcpRefuse
            | Site::TcpReset
            | Site::UdpLoss
            | Site::UdpDuplication
            | Site::ProcessCrash
            | Site::PipeChunk
            | Site::ConnectNotice
            | Site::ExitNotice => u64::MAX,
        }
    }

    /// Whether a draw here decides a fault or a read split (it "strikes" below its
    /// probability).
    pub fn is_fault(self) -> bool {
        matches!(
            self,
            Site::TcpReadSplit
                | Site::TcpSynDrop
                | Site::TcpRefuse
                | Site::TcpReset
                | Site::UdpLoss
                | Site::UdpDuplication
                | Site::ProcessCrash
        )
    }

    /// The site's name in a tape file.
    pub fn name(self) -> &'static str {
        match self {
            Site::HostOrder => "host-order",
            Site::ReadyOrder => "ready-order",
            Site::TcpReadSplit => "tcp-read-split",
            Site::TcpSynDrop => "tcp-syn-drop",
            Site::TcpRefuse => "tcp-refuse",
            Site::TcpReset => "tcp-reset",
            Site::UdpLoss => "udp-loss",
            Site::UdpDuplication => "udp-duplication",
            Site::UdpJitter => "udp-jitter",
            Site::ProcessCrash => "process-crash",
            Site::ProcessCrashTime => "process-crash-time",
            Site::PipeChunk => "pipe-chunk",
            Site::EnvOrder => "env-order",
            Site::ConnectNotice => "connect-notice",
            Site::User => "user",
            Site::CpuTime => "cpu-time",
            Site::ExitNotice => "exit-notice",
            Site::TcpJitter => "tcp-jitter",
            Site::ClockOffset => "clock-offset",
            Site::ClockDrift => "clock-drift",
        }
    }

    /// The site named `name`.
    pub fn from_name(name: &str) -> Option<Site> {
        Site::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// A number in `0.0..1.0` from the high 53 bits of `raw` (the precision of an `f64`).
pub(crate) fn unit(raw: u64) -> f64 {
    (raw >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::{unit, Site};

    #[test]
    fn names_round_trip() {
        for site in Site::ALL {
            assert_eq!(Site::from_name(site.name()), Some(site));
        }
        assert_eq!(Site::from_name("coin-flip"), None);
    }

    #[test]
    fn a_canonical_fault_never_strikes_below_certainty() {
        for site in Site::ALL.into_iter().filter(|s| s.is_fault()) {
            assert!(unit(site.canonical()) >= 0.999_999_999, "{site:?}");
        }
    }
}
