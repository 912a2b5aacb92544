//! Trace lines of child-process events.

use std::fmt;

use crate::{ExitStatus, Pipe, ProcessId};

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
            ProcessTrace::Output { process, pipe, len } => {
                write!(f, "output {process} {pipe:?} {len}B")
            }
            ProcessTrace::PipeClosed { process, pipe } => {
                write!(f, "pipe-closed {process} {pipe:?}")
            }
            ProcessTrace::Exited { process, status } => write!(f, "exited {process} {status:?}"),
            ProcessTrace::Ended { process, status } => write!(f, "ended {process} {status:?}"),
        }
    }
}
