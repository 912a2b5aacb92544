//! The trace: every event a reactor delivers, in one canonical text form.
//!
//! A line reads `<seconds>.<nanoseconds> <host> <kind> <fields>`, for example
//! `0.250000000 h0 timer-fired t3`. The form is stable: snapshots hold it, and two runs of
//! the simulator with one seed must produce the same lines.

mod diagram;
mod filter;
mod process;
mod tcp;
mod udp;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use diagram::Diagram;
pub use filter::{TraceFilter, TraceFilterError};
pub use process::ProcessTrace;
pub use tcp::{SegmentKind, TcpTrace};
pub use udp::{LossCause, UdpTrace};

use crate::{CompletionId, Phase, TimerId, TriggerId};

/// Why `run()` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunEnd {
    /// Shutdown after `stop()` completed.
    Stopped,
    /// `crash()` was called.
    Crashed,
    /// `run()` returned an error (the simulator found nothing left to happen, or reached its
    /// time limit; the real reactor's poll failed). State is kept, as after a crash.
    Failed,
}

/// One event a reactor delivered.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TraceEvent {
    /// `run()` began.
    RunBegan,
    /// The user's own line ([`Reactor::note`](crate::Reactor::note)).
    Note(Arc<str>),
    /// `run()` returned.
    RunEnded(RunEnd),
    /// `stop()` was accepted; shutdown begins at the next iteration boundary.
    StopRequested,
    /// A phase of a system event began.
    PhaseBegan {
        /// The event's name.
        event: Arc<str>,
        /// The phase.
        phase: Phase,
    },
    /// A trigger was called.
    TriggerRan {
        /// The event's name.
        event: Arc<str>,
        /// The phase.
        phase: Phase,
        /// The trigger.
        trigger: TriggerId,
    },
    /// An event is waiting for a completion before its next phase.
    Waiting {
        /// The event's name.
        event: Arc<str>,
        /// The completion waited for.
        completion: CompletionId,
    },
    /// A completion was completed.
    Completed(CompletionId),
    /// A firing of an event ended.
    EventEnded(Arc<str>),
    /// A timer's callback was called.
    TimerFired(TimerId),
    /// The n-th call queued through a remote handle was run.
    RemoteRan(u64),
    /// A callback panicked; the reactor is poisoned.
    Panicked,
    /// A TCP event.
    Tcp(TcpTrace),
    /// A UDP or multicast event.
    Udp(UdpTrace),
    /// A child-process event.
    Process(ProcessTrace),
    /// The simulator blocked (`blocked`) or healed one direction of traffic between two
    /// hosts, by their numbers.
    Partition {
        /// The sending host.
        from: u32,
        /// The receiving host.
        to: u32,
        /// True when the direction became blocked, false when it healed.
        blocked: bool,
    },
    /// The simulator crashed a host (`up` false: it lost power, and everything it had is
    /// gone) or restarted it with a fresh reactor (`up` true).
    HostPower {
        /// The host's number.
        host: u32,
        /// True when the host came back, false when it crashed.
        up: bool,
    },
    /// The simulator gave a host a clock of its own: from then on it reads `offset` more
    /// than the simulation's clock (the trace's), and runs `drift_ppm` parts per million
    /// fast (negative: slow).
    HostClock {
        /// The host's number.
        host: u32,
        /// How far ahead its clock is.
        offset: Duration,
        /// How fast it runs, in parts per million.
        drift_ppm: i32,
    },
}

impl fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceEvent::RunBegan => f.write_str("run-began"),
            // Debug quoting escapes newlines and control characters: one event, one line.
            TraceEvent::Note(text) => write!(f, "note {:?}", &**text),
            TraceEvent::RunEnded(RunEnd::Stopped) => f.write_str("run-ended stopped"),
            TraceEvent::RunEnded(RunEnd::Crashed) => f.write_str("run-ended crashed"),
            TraceEvent::RunEnded(RunEnd::Failed) => f.write_str("run-ended failed"),
            TraceEvent::StopRequested => f.write_str("stop-requested"),
            TraceEvent::PhaseBegan { event, phase } => write!(f, "phase {event:?} {phase}"),
            TraceEvent::TriggerRan {
                event,
                phase,
                trigger,
            } => write!(f, "trigger {event:?} {phase} {trigger}"),
            TraceEvent::Waiting { event, completion } => {
                write!(f, "waiting {event:?} {completion}")
            }
            TraceEvent::Completed(c) => write!(f, "completed {c}"),
            TraceEvent::EventEnded(event) => write!(f, "event-ended {event:?}"),
            TraceEvent::TimerFired(t) => write!(f, "timer-fired {t}"),
            TraceEvent::RemoteRan(n) => write!(f, "remote-ran #{n}"),
            TraceEvent::Panicked => f.write_str("panicked"),
            TraceEvent::Tcp(e) => write!(f, "tcp {e}"),
            TraceEvent::Udp(e) => write!(f, "udp {e}"),
            TraceEvent::Process(e) => write!(f, "process {e}"),
            TraceEvent::Partition { from, to, blocked } => {
                let state = if *blocked { "blocked" } else { "healed" };
                write!(f, "partition h{from}->h{to} {state}")
            }
            TraceEvent::HostPower { host, up: false } => write!(f, "host-crashed h{host}"),
            TraceEvent::HostPower { host, up: true } => write!(f, "host-restarted h{host}"),
            TraceEvent::HostClock {
                host,
                offset,
                drift_ppm,
            } => write!(
                f,
                "clock h{host} offset {}.{:09} drift {drift_ppm:+}ppm",
                offset.as_secs(),
                offset.subsec_nanos()
            ),
        }
    }
}

/// One line of a trace: when, on which host, what.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TraceLine {
    /// Time since the epoch.
    pub at: Duration,
    /// The host's number (always 0 for a single reactor).
    pub host: u32,
    /// What happened.
    pub event: TraceEvent,
}

impl fmt::Display for TraceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09} h{} {}",
            self.at.as_secs(),
            self.at.subsec_nanos(),
            self.host,
            self.event
        )
    }
}

/// Renders lines in the canonical form, one per line, each ending in a newline.
pub fn render(lines: &[TraceLine]) -> String {
    use fmt::Write;
    let mut out = String::new();
    for line in lines {
        // Writing into a String cannot fail.
        let _ = writeln!(out, "{line}");
    }
    out
}
