//! Child-process notifications that both reactors deliver alike.

use twinreactor::trace::ProcessTrace;
use twinreactor::{ProcessProtocol, TraceEvent};

use crate::Driver;

/// Delivers a child's `exited`, `pipe_closed` or `ended` (as `event` names it) to
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
        ProcessTrace::Exited { process, status } => protocol.exited(d, process, status),
        ProcessTrace::Ended { process, status } => protocol.ended(d, process, status),
        _ => {}
    }
}
