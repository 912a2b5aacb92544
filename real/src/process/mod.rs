//! Child processes on mio. (Skeleton: the process issue fills this in.)

use std::io::ErrorKind;

use twinreactor::{ProcessError, ProcessId, ProcessProtocol, ProcessSpec, Processes, Signal};

use crate::sources::Ready;
use crate::RealReactor;

/// What a process pipe or exit notification token stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SourceKey {}

/// The reactor's process tables.
#[derive(Default)]
pub(crate) struct RealProcesses {}

/// Step 4: readiness of a process pipe or exit notification.
pub(crate) fn ready(_r: &mut RealReactor, key: SourceKey, _ready: Ready) {
    match key {}
}

/// Shutdown of the current host: kills and reaps every child still running.
pub(crate) fn close_all(_r: &mut RealReactor) {}

const TODO: ProcessError = ProcessError::Io(ErrorKind::Unsupported);

impl Processes for RealReactor {
    fn spawn_process(
        &mut self,
        _spec: ProcessSpec,
        _protocol: Box<dyn ProcessProtocol>,
    ) -> Result<ProcessId, ProcessError> {
        Err(TODO)
    }
    fn write_stdin(&mut self, _process: ProcessId, _data: &[u8]) -> Result<(), ProcessError> {
        Err(TODO)
    }
    fn close_stdin(&mut self, _process: ProcessId) -> Result<(), ProcessError> {
        Err(TODO)
    }
    fn signal(&mut self, _process: ProcessId, _signal: Signal) -> Result<(), ProcessError> {
        Err(TODO)
    }
    fn pid(&self, _process: ProcessId) -> Result<u32, ProcessError> {
        Err(TODO)
    }
}
