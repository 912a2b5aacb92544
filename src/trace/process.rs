//! Trace lines of child-process events.

use std::fmt;

use crate::process::ProgramEvent;
use crate::{ExitStatus, Pipe, ProcessId, Signal};

/// A child-process event, as the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProcessTrace {
    /// A child was started.
    Spawned {
        /// The process.
        process: ProcessId,
        /// The program, lossily as text.
        program: String,
    },
    /// A signal was sent (by [`Processes::signal`](crate::Processes::signal)).
    Signalled {
        /// The process.
        process: ProcessId,
        /// Which signal.
        signal: Signal,
    },
    /// Simulator only: a program stub of the process (task 0 is the child itself, others
    /// are its grandchildren) was told or did something.
    Program {
        /// The process.
        process: ProcessId,
        /// Which program in it.
        task: usize,
        /// What happened.
        event: ProgramEvent,
    },
    /// Output was delivered.
    Output {
        /// The process.
        process: ProcessId,
        /// `Stdout` or `Stderr`.
        pipe: Pipe,
        /// How many bytes.
        len: usize,
    },
    /// A pipe's close was delivered.
    PipeClosed {
        /// The process.
        process: ProcessId,
        /// Which pipe.
        pipe: Pipe,
    },
    /// `pause_producing` was delivered: too much written to stdin waits for the child.
    PauseProducing {
        /// The process.
        process: ProcessId,
    },
    /// `resume_producing` was delivered: what waited for the child drained.
    ResumeProducing {
        /// The process.
        process: ProcessId,
    },
    /// `exited` was delivered.
    Exited {
        /// The process.
        process: ProcessId,
        /// How.
        status: ExitStatus,
    },
    /// `ended` was delivered.
    Ended {
        /// The process.
        process: ProcessId,
        /// How.
        status: ExitStatus,
    },
}

impl fmt::Display for ProcessTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessTrace::Spawned { process, program } => {
                write!(f, "spawned {process} {program:?}")
            }
            ProcessTrace::Signalled { process, signal } => {
                write!(f, "signalled {process} {}", signal.0)
            }
            ProcessTrace::Program {
                process,
                task,
                event,
            } => write!(f, "program {process}#{task} {event}"),
            ProcessTrace::Output { process, pipe, len } => {
                write!(f, "output {process} {pipe:?} {len}B")
            }
            ProcessTrace::PipeClosed { process, pipe } => {
                write!(f, "pipe-closed {process} {pipe:?}")
            }
            ProcessTrace::PauseProducing { process } => write!(f, "pause-producing {process}"),
            ProcessTrace::ResumeProducing { process } => write!(f, "resume-producing {process}"),
            ProcessTrace::Exited { process, status } => write!(f, "exited {process} {status}"),
            ProcessTrace::Ended { process, status } => write!(f, "ended {process} {status}"),
        }
    }
}
