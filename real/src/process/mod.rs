//! Child processes on mio.
//!
//! `std::process::Command` starts the child with three pipes; their ends are made
//! non-blocking and registered with mio as `mio::unix::pipe` senders and receivers. The
//! child's exit is detected through a pidfd registered with mio (Linux 5.3 and later); where
//! `pidfd_open` fails, a timerfd ticks every few milliseconds and the children are polled with
//! `try_wait`. No process-wide `SIGCHLD` handler is installed. A child still running at
//! shutdown, or when the reactor is dropped, is killed and reaped.

mod pipes;
mod spawn;

use std::collections::{BTreeMap, VecDeque};
use std::os::fd::OwnedFd;
use std::process::Child;

use mio::unix::pipe::{Receiver, Sender};
use mio::Token;
use twinreactor::trace::ProcessTrace;
use twinreactor::{
    ExitStatus, Pipe, ProcessError, ProcessId, ProcessProtocol, ProcessSpec, Processes, Signal,
    TraceEvent,
};
use twinreactor_kit::{Driver, StdinFlow, Subsystem};

pub(crate) use pipes::ready;

use crate::ignore::{ignore, Why};
use crate::RealReactor;

/// What a process token stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKey {
    /// The write end of a child's stdin.
    Stdin(u64),
    /// The read end of a child's stdout.
    Stdout(u64),
    /// The read end of a child's stderr.
    Stderr(u64),
    /// A child's pidfd.
    Exit(u64),
    /// The timerfd of the polled fallback.
    Tick,
}

/// The reactor's process tables.
#[derive(Default)]
pub(crate) struct RealProcesses {
    table: BTreeMap<u64, RealChild>,
    next_id: u64,
    /// The fallback's timerfd, while some child is polled.
    tick: Option<(OwnedFd, Token)>,
    /// Reused for reads from stdout and stderr.
    read_buf: Vec<u8>,
    /// Notifications that fell due while the child's own callback ran, by child.
    due: BTreeMap<u64, Vec<ProcessTrace>>,
    /// Tests force the polled fallback with this.
    #[cfg(test)]
    force_polling: bool,
}

/// One child, from spawn to `ended`.
struct RealChild {
    child: Child,
    protocol: Option<Box<dyn ProcessProtocol>>,
    stdin: Option<StdinPipe>,
    stdout: Option<(Receiver, Token)>,
    stderr: Option<(Receiver, Token)>,
    /// How its exit is detected, until it is reaped.
    exit: Option<ExitWatch>,
    /// Once reaped.
    status: Option<ExitStatus>,
    /// `exited` was delivered.
    exited: bool,
    /// `pipe_closed` was delivered, by pipe (stdin, stdout, stderr).
    closed: [bool; 3],
    /// `close_stdin` was called.
    stdin_closing: bool,
}

/// The write end of a child's stdin and the bytes not yet written to it.
struct StdinPipe {
    pipe: Sender,
    token: Token,
    buf: VecDeque<u8>,
    /// Whether the protocol was told to pause producing.
    flow: StdinFlow,
}

/// How a child's exit is detected.
enum ExitWatch {
    /// Its pidfd, registered for readability.
    Pidfd(OwnedFd, Token),
    /// Polled at each tick of the fallback timerfd.
    Polled,
}

impl RealProcesses {
    /// Whether a test forced the polled fallback.
    #[cfg(test)]
    fn polling_forced(&self) -> bool {
        self.force_polling
    }

    /// Whether a test forced the polled fallback: never, outside tests.
    #[cfg(not(test))]
    fn polling_forced(&self) -> bool {
        false
    }
}

impl Drop for RealProcesses {
    /// Kills and reaps every child still running, so that no zombie outlives the reactor;
    /// the pipes close with the table.
    fn drop(&mut self) {
        for c in self.table.values_mut() {
            if c.status.is_none() {
                ignore(c.child.kill(), Why::ChildExited);
                ignore(c.child.wait(), Why::ReapOnDrop);
            }
        }
    }
}

impl RealReactor {
    fn issued(&self, process: ProcessId) -> bool {
        process.raw() < self.processes.next_id
    }

    fn child_mut(&mut self, process: u64) -> Option<&mut RealChild> {
        self.processes.table.get_mut(&process)
    }
}

/// The index of a pipe in the per-pipe arrays.
fn slot(pipe: Pipe) -> usize {
    match pipe {
        Pipe::Stdin => 0,
        Pipe::Stdout => 1,
        Pipe::Stderr => 2,
    }
}

/// Child processes, as a subsystem of the real reactor.
pub(crate) struct ProcessSubsystem;

impl Subsystem<RealReactor> for ProcessSubsystem {
    /// Shutdown: kills and reaps every child still running, then delivers, for each, `exited`
    /// (if it was not delivered yet), `pipe_closed` for each pipe still open, and `ended`.
    /// Output not delivered yet is discarded.
    fn close_all(&self, r: &mut RealReactor) {
        loop {
            let Some(&id) = r.processes.table.keys().next() else {
                return;
            };
            pipes::reap_now(r, id);
            for pipe in [Pipe::Stdin, Pipe::Stdout, Pipe::Stderr] {
                pipes::close_pipe(r, id, pipe);
            }
            if let Some(status) = r.child_mut(id).and_then(|c| c.status) {
                pipes::deliver_exited(r, id, status);
            }
            for pipe in [Pipe::Stdin, Pipe::Stdout, Pipe::Stderr] {
                pipes::deliver_closed(r, id, pipe);
            }
            // Everything may have been delivered before (with `exited` still running).
            pipes::end_if_done(r, id);
        }
    }
}

impl Processes for RealReactor {
    fn spawn_process(
        &mut self,
        spec: ProcessSpec,
        protocol: Box<dyn ProcessProtocol>,
    ) -> Result<ProcessId, ProcessError> {
        if twinreactor_kit::io_shut_down(self) {
            return Err(ProcessError::ShutDown);
        }
        spec.check()?;
        let program = spec.program.to_string_lossy().into_owned();
        let id = self.processes.next_id;
        spawn::spawn(self, id, &spec, protocol)?;
        self.processes.next_id += 1;
        let process = ProcessId::from_raw(id);
        self.record(TraceEvent::Process(ProcessTrace::Spawned {
            process,
            program,
        }));
        Ok(process)
    }

    fn write_stdin(&mut self, process: ProcessId, data: &[u8]) -> Result<(), ProcessError> {
        let issued = self.issued(process);
        let id = process.raw();
        let Some(c) = self.child_mut(id) else {
            return Err(if issued {
                ProcessError::StdinClosed(process)
            } else {
                ProcessError::UnknownProcess(process)
            });
        };
        if c.stdin_closing {
            return Err(ProcessError::StdinClosed(process));
        }
        let Some(stdin) = &mut c.stdin else {
            return Err(ProcessError::StdinClosed(process));
        };
        stdin.buf.extend(data);
        if pipes::flush(self, id).is_err() {
            pipes::close_pipe(self, id, Pipe::Stdin);
            self.defer(move |r| pipes::deliver_closed(r, id, Pipe::Stdin));
            return Err(ProcessError::StdinClosed(process));
        }
        let pause = self
            .child_mut(id)
            .and_then(|c| c.stdin.as_mut())
            .is_some_and(|s| s.flow.pause_due(s.buf.len()));
        if pause {
            self.defer(move |r| pipes::deliver_flow(r, id, true));
        }
        Ok(())
    }

    fn stdin_buffered(&self, process: ProcessId) -> Result<usize, ProcessError> {
        let c = self
            .processes
            .table
            .get(&process.raw())
            .ok_or(ProcessError::UnknownProcess(process))?;
        Ok(c.stdin.as_ref().map_or(0, |s| s.buf.len()))
    }

    fn close_stdin(&mut self, process: ProcessId) -> Result<(), ProcessError> {
        if !self.issued(process) {
            return Err(ProcessError::UnknownProcess(process));
        }
        let id = process.raw();
        let Some(c) = self.child_mut(id) else {
            return Ok(());
        };
        if c.stdin_closing || c.stdin.is_none() {
            return Ok(());
        }
        c.stdin_closing = true;
        let flushed = pipes::flush(self, id);
        let empty = self
            .child_mut(id)
            .and_then(|c| c.stdin.as_ref())
            .is_none_or(|s| s.buf.is_empty());
        if flushed.is_err() || empty {
            pipes::close_pipe(self, id, Pipe::Stdin);
            self.defer(move |r| pipes::deliver_closed(r, id, Pipe::Stdin));
        }
        Ok(())
    }

    fn signal(&mut self, process: ProcessId, signal: Signal) -> Result<(), ProcessError> {
        let issued = self.issued(process);
        let Some(c) = self.child_mut(process.raw()) else {
            return Err(if issued {
                ProcessError::ExitedAlready(process)
            } else {
                ProcessError::UnknownProcess(process)
            });
        };
        if c.status.is_some() {
            return Err(ProcessError::ExitedAlready(process));
        }
        let sig = signal
            .is_standard()
            .then(|| rustix::process::Signal::from_named_raw(signal.0))
            .flatten()
            .ok_or(ProcessError::InvalidSignal(signal))?;
        let sent = match &c.exit {
            Some(ExitWatch::Pidfd(fd, _)) => rustix::process::pidfd_send_signal(fd, sig),
            _ => rustix::process::kill_process(rustix::process::Pid::from_child(&c.child), sig),
        };
        match sent {
            // Exited but not reaped yet: like a zombie, it ignores the signal.
            Ok(()) | Err(rustix::io::Errno::SRCH) => {}
            Err(e) => return Err(ProcessError::Io(std::io::Error::from(e).kind())),
        }
        self.record(TraceEvent::Process(ProcessTrace::Signalled {
            process,
            signal,
        }));
        Ok(())
    }

    fn pid(&self, process: ProcessId) -> Result<u32, ProcessError> {
        self.processes
            .table
            .get(&process.raw())
            .map(|c| c.child.id())
            .ok_or(ProcessError::UnknownProcess(process))
    }
}

#[cfg(test)]
mod tests;
