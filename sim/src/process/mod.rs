//! Simulated child processes: program stubs. (Skeleton: the process issue fills this in.)

use std::io::ErrorKind;

use twinreactor::{ProcessError, ProcessId, ProcessProtocol, ProcessSpec, Processes, Signal};

use crate::Sim;

/// Process settings of a simulation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcessConfig {}

/// One host's processes and registered program stubs.
#[derive(Default)]
pub(crate) struct HostProcesses {}

/// Shutdown of the current host: kills and reaps every child still running.
pub(crate) fn close_all(_sim: &mut Sim) {}

const TODO: ProcessError = ProcessError::Io(ErrorKind::Unsupported);

impl Processes for Sim {
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
