//! Child-process notifications that both reactors deliver alike.

use twinreactor::tcp::{HIGH_WATER, LOW_WATER};
use twinreactor::trace::ProcessTrace;
use twinreactor::{ProcessId, ProcessProtocol, TraceEvent};

use crate::Driver;

/// Delivers a child's `exited`, `pipe_closed`, `ended`, `pause_producing` or
/// `resume_producing` (as `event` names it) to
/// `protocol`, traced first. Shutdown may clean a child up while one of its own callbacks
/// runs: its reactor keeps these notifications and delivers them here once that callback
/// returns. Output is never kept (shutdown discards it).
pub fn deliver_child_event<D: Driver>(
    d: &mut D,
    protocol: &mut dyn ProcessProtocol,
    event: ProcessTrace,
) {
    d.record(TraceEvent::Process(event.clone()));
    match event {
        ProcessTrace::PipeClosed { process, pipe } => protocol.pipe_closed(d, process, pipe),
        ProcessTrace::PauseProducing { process } => protocol.pause_producing(d, process),
        ProcessTrace::ResumeProducing { process } => protocol.resume_producing(d, process),
        ProcessTrace::Exited { process, status } => protocol.exited(d, process, status),
        ProcessTrace::Ended { process, status } => protocol.ended(d, process, status),
        _ => {}
    }
}

/// Whether the protocol writing a child's stdin was told to pause, and when to tell it: once
/// more than [`HIGH_WATER`] bytes wait, and again once they drain to [`LOW_WATER`] or less,
/// as for a TCP writer.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdinFlow {
    paused: bool,
}

impl StdinFlow {
    /// After buffering, with `waiting` bytes waiting: whether `pause_producing` is due now.
    pub fn pause_due(&mut self, waiting: usize) -> bool {
        let due = waiting > HIGH_WATER && !self.paused;
        self.paused |= due;
        due
    }

    /// After a drain, with `waiting` bytes left: whether `resume_producing` is due now.
    pub fn resume_due(&mut self, waiting: usize) -> bool {
        let due = self.paused && waiting <= LOW_WATER;
        self.paused &= !due;
        due
    }
}

/// The trace event of a `pause_producing` (`pause`) or `resume_producing` notice to
/// `process`; [`deliver_child_event`] makes the call.
pub fn stdin_flow_notice(process: ProcessId, pause: bool) -> ProcessTrace {
    if pause {
        ProcessTrace::PauseProducing { process }
    } else {
        ProcessTrace::ResumeProducing { process }
    }
}

#[cfg(test)]
mod tests {
    use super::{StdinFlow, HIGH_WATER, LOW_WATER};

    #[test]
    fn pause_once_above_high_water_and_resume_once_at_low_water() {
        let mut f = StdinFlow::default();
        assert!(!f.resume_due(0));
        assert!(!f.pause_due(HIGH_WATER));
        assert!(f.pause_due(HIGH_WATER + 1));
        assert!(!f.pause_due(HIGH_WATER * 2));
        assert!(!f.resume_due(LOW_WATER + 1));
        assert!(f.resume_due(LOW_WATER));
        assert!(!f.resume_due(0));
    }
}
