//! Child processes: what to run, the protocol that hears it, and the reactor's operations.
//!
//! The protocol sees stdout and stderr data, each pipe's close, `exited(status)` as soon as
//! the child is reaped, and `ended(status)` once it has exited *and* every pipe is closed:
//! `exited` always comes first. No callback runs inside a [`Processes`] method call.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::Reactor;

crate::ids::id_type!(
    /// A child process started by this reactor.
    ProcessId,
    "proc"
);

/// The environment a child starts with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Environment {
    /// The reactor's own process environment.
    #[default]
    Inherit,
    /// No variables at all.
    Empty,
    /// Exactly these variables. A name given twice keeps the last value given; the order in
    /// which the child sees them is not specified (std passes them sorted by name; the
    /// simulator shuffles them).
    Exactly(Vec<(OsString, OsString)>),
}

/// What to run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProcessSpec {
    /// The program: a path, or a name looked up in `PATH` (the simulator looks it up among
    /// the program stubs registered on the host).
    pub program: OsString,
    /// Arguments after the program name, passed byte-exact.
    pub args: Vec<OsString>,
    /// The environment.
    pub env: Environment,
    /// The working directory; `None` keeps the reactor's own.
    pub cwd: Option<PathBuf>,
}

impl ProcessSpec {
    /// Whether a program could receive this spec as given: no NUL byte in the program,
    /// an argument, a variable or the working directory, and no variable name that is
    /// empty or holds `=`. Both reactors check this before starting anything.
    ///
    /// ```
    /// use twinreactor::process::{ProcessSpec, SpecProblem};
    /// use twinreactor::ProcessError;
    ///
    /// let spec = ProcessSpec::new("echo").arg("a\0b");
    /// assert_eq!(spec.check(), Err(ProcessError::InvalidSpec(SpecProblem::NulInArgument(0))));
    /// ```
    pub fn check(&self) -> Result<(), ProcessError> {
        let nul = |s: &OsStr| s.as_encoded_bytes().contains(&0);
        let problem = if nul(&self.program) {
            Some(SpecProblem::NulInProgram)
        } else if let Some(n) = self.args.iter().position(|a| nul(a)) {
            Some(SpecProblem::NulInArgument(n))
        } else if self.cwd.as_deref().is_some_and(|d| nul(d.as_os_str())) {
            Some(SpecProblem::NulInWorkingDirectory)
        } else if let Environment::Exactly(vars) = &self.env {
            vars.iter().find_map(|(name, value)| {
                let bytes = name.as_encoded_bytes();
                if bytes.is_empty() || bytes.contains(&b'=') || bytes.contains(&0) {
                    Some(SpecProblem::BadVariableName(name.clone()))
                } else if nul(value) {
                    Some(SpecProblem::NulInValue(name.clone()))
                } else {
                    None
                }
            })
        } else {
            None
        };
        problem.map_or(Ok(()), |p| Err(ProcessError::InvalidSpec(p)))
    }

    /// Runs `program` with no arguments, the inherited environment and working directory.
    pub fn new(program: impl Into<OsString>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            env: Environment::Inherit,
            cwd: None,
        }
    }

    /// Adds an argument.
    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Sets the environment.
    pub fn env(mut self, env: Environment) -> Self {
        self.env = env;
        self
    }

    /// Sets the working directory.
    pub fn cwd(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cwd = Some(dir.into());
        self
    }
}

/// A Unix signal number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Signal(pub i32);

impl Signal {
    /// SIGHUP.
    pub const HUP: Signal = Signal(1);
    /// SIGINT.
    pub const INT: Signal = Signal(2);
    /// SIGKILL: cannot be handled.
    pub const KILL: Signal = Signal(9);
    /// SIGUSR1.
    pub const USR1: Signal = Signal(10);
    /// SIGTERM.
    pub const TERM: Signal = Signal(15);

    /// Whether this is one of the standard signals (1 to 31) that the contract can send;
    /// any other number is [`ProcessError::InvalidSignal`].
    pub const fn is_standard(self) -> bool {
        self.0 >= 1 && self.0 <= 31
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "signal {}", self.0)
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// It exited with this code.
    Code(i32),
    /// It was killed by this signal.
    Signal(Signal),
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Code(code) => write!(f, "code {code}"),
            ExitStatus::Signal(signal) => write!(f, "{signal}"),
        }
    }
}

/// What a simulated program stub was told or did (simulator only), as the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProgramEvent {
    /// Its `start` was called.
    Started,
    /// It was handed this many bytes of stdin.
    Stdin(usize),
    /// It was told stdin ended.
    StdinClosed,
    /// A sleep with this tag ended.
    Woke(u64),
    /// A signal reached it.
    Signal(Signal),
    /// It exited or died.
    Ended(ExitStatus),
}

impl fmt::Display for ProgramEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProgramEvent::Started => f.write_str("started"),
            ProgramEvent::Stdin(len) => write!(f, "stdin {len}B"),
            ProgramEvent::StdinClosed => f.write_str("stdin-closed"),
            ProgramEvent::Woke(tag) => write!(f, "woke #{tag}"),
            ProgramEvent::Signal(signal) => write!(f, "got {signal}"),
            ProgramEvent::Ended(status) => write!(f, "ended {status}"),
        }
    }
}

/// One of a child's standard pipes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pipe {
    /// The child's standard input (written by this side).
    Stdin,
    /// The child's standard output.
    Stdout,
    /// The child's standard error.
    Stderr,
}

/// Errors of [`Processes`] operations.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    /// The program does not exist (reported by `spawn_process` at once).
    #[error("program {0:?} not found")]
    NotFound(OsString),
    /// The program exists but may not be run.
    #[error("program {0:?} may not be run")]
    PermissionDenied(OsString),
    /// This reactor never issued that process id, or the process has ended.
    #[error("process {0} is unknown (never issued, or ended)")]
    UnknownProcess(ProcessId),
    /// Its stdin was closed (by `close_stdin`, or by the child): nothing was written.
    #[error("stdin of process {0} is closed")]
    StdinClosed(ProcessId),
    /// The process has exited (`exited` was delivered, or is being delivered); it can no
    /// longer be signalled.
    #[error("process {0} has exited already")]
    ExitedAlready(ProcessId),
    /// Not a standard signal number (1 to 31); nothing was sent.
    #[error("{0} is not a standard signal")]
    InvalidSignal(Signal),
    /// The reactor's shutdown has closed its I/O and killed its children (its `During` phase
    /// began): no process is spawned any more.
    #[error("the reactor has shut down its I/O: no new process")]
    ShutDown,
    /// The spec cannot be passed to a program as given (checked before anything is
    /// started, alike on both reactors; see [`ProcessSpec::check`]).
    #[error("the process spec is invalid: {0}")]
    InvalidSpec(SpecProblem),
    /// The working directory does not exist or is not a directory (real reactor: the
    /// simulator has no file system and accepts any working directory).
    #[error("working directory {0:?} does not exist or is not a directory")]
    NoWorkingDirectory(PathBuf),
    /// Another I/O error from the operating system.
    #[error("I/O error: {0:?}")]
    Io(io::ErrorKind),
}

/// What is wrong with a [`ProcessSpec`] that no program could receive as given.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecProblem {
    /// The program's name or path holds a NUL byte.
    #[error("the program holds a NUL byte")]
    NulInProgram,
    /// Argument number `n` (from 0, after the program) holds a NUL byte.
    #[error("argument {0} holds a NUL byte")]
    NulInArgument(usize),
    /// An environment variable's name is empty, or holds `=` or a NUL byte.
    #[error("environment variable name {0:?} is empty or holds '=' or a NUL byte")]
    BadVariableName(OsString),
    /// An environment variable's value holds a NUL byte.
    #[error("the value of environment variable {0:?} holds a NUL byte")]
    NulInValue(OsString),
    /// The working directory's path holds a NUL byte.
    #[error("the working directory holds a NUL byte")]
    NulInWorkingDirectory,
}

/// A protocol that hears one child process.
///
/// After `ended` the reactor keeps no reference to the protocol: it is dropped.
pub trait ProcessProtocol {
    /// The child wrote to stdout.
    fn stdout(&mut self, r: &mut dyn Reactor, process: ProcessId, data: &[u8]) {
        let _ = (r, process, data);
    }

    /// The child wrote to stderr.
    fn stderr(&mut self, r: &mut dyn Reactor, process: ProcessId, data: &[u8]) {
        let _ = (r, process, data);
    }

    /// One pipe closed (the child closed stdout or stderr, or stdin was closed).
    fn pipe_closed(&mut self, r: &mut dyn Reactor, process: ProcessId, pipe: Pipe) {
        let _ = (r, process, pipe);
    }

    /// More than [`HIGH_WATER`](crate::tcp::HIGH_WATER) bytes written to stdin wait for
    /// the child to read them: stop producing until told to resume. Never called inside
    /// `write_stdin`.
    fn pause_producing(&mut self, r: &mut dyn Reactor, process: ProcessId) {
        let _ = (r, process);
    }

    /// The bytes waiting for the child drained to [`LOW_WATER`](crate::tcp::LOW_WATER) or
    /// less: producing may go on.
    fn resume_producing(&mut self, r: &mut dyn Reactor, process: ProcessId) {
        let _ = (r, process);
    }

    /// The child was reaped. Comes before `ended`.
    fn exited(&mut self, r: &mut dyn Reactor, process: ProcessId, status: ExitStatus) {
        let _ = (r, process, status);
    }

    /// The child has exited and every pipe is closed. The protocol is dropped after this.
    fn ended(&mut self, r: &mut dyn Reactor, process: ProcessId, status: ExitStatus);
}

/// Child-process operations of a reactor.
pub trait Processes {
    /// Starts a child. Returns its id at once, or an error at once (a missing program, for
    /// example); everything else is reported to `protocol` later.
    fn spawn_process(
        &mut self,
        spec: ProcessSpec,
        protocol: Box<dyn ProcessProtocol>,
    ) -> Result<ProcessId, ProcessError>;

    /// Buffers bytes for the child's stdin. Never blocks and never drops: above
    /// [`HIGH_WATER`](crate::tcp::HIGH_WATER) bytes waiting, the protocol is told
    /// `pause_producing`, and `resume_producing` once they drain. `StdinClosed` once stdin
    /// was closed (by `close_stdin`, by the child, or because the process ended).
    fn write_stdin(&mut self, process: ProcessId, data: &[u8]) -> Result<(), ProcessError>;

    /// How many bytes written to stdin are buffered on this side, not yet taken by the
    /// pipe (which holds what the child has not read, up to its own capacity). Zero once
    /// stdin is closed and flushed; `UnknownProcess` after `ended`, as for `pid`.
    fn stdin_buffered(&self, process: ProcessId) -> Result<usize, ProcessError>;

    /// Closes stdin once everything buffered for it has been written; the protocol then sees
    /// `pipe_closed(Stdin)`. Closing a stdin that is closed already does nothing.
    fn close_stdin(&mut self, process: ProcessId) -> Result<(), ProcessError>;

    /// Sends a signal; `ExitedAlready` once the child has exited (also after `ended`).
    fn signal(&mut self, process: ProcessId, signal: Signal) -> Result<(), ProcessError>;

    /// The operating system's process id (the simulator's own numbering), until `ended`.
    fn pid(&self, process: ProcessId) -> Result<u32, ProcessError>;
}
