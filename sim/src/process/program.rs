//! Program stubs: what a simulated child runs, and the context it acts through.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::time::Duration;

use twinreactor::{ExitStatus, Pipe, Signal};

use super::pipes;
use crate::Sim;

/// A program stub: the simulated behaviour of a program, scripted in Rust.
///
/// The simulator calls these methods in virtual time; each receives a [`ProgramCx`] to act
/// through (write output, sleep, exit). A stub that returns from a callback without exiting
/// keeps running: it is called again when stdin data arrives, when its sleep ends, or when
/// it is signalled.
///
/// ```
/// use std::time::Duration;
/// use twinreactor_sim::{Program, ProgramCx};
///
/// /// Greets after a second of virtual time, then exits with code 0.
/// struct Greeter;
///
/// impl Program for Greeter {
///     fn start(&mut self, cx: &mut ProgramCx<'_>) {
///         cx.sleep(Duration::from_secs(1), 0);
///     }
///
///     fn wake(&mut self, cx: &mut ProgramCx<'_>, _tag: u64) {
///         cx.write_stdout(b"hello\n");
///         cx.exit(0);
///     }
/// }
/// # let _ = Greeter;
/// ```
pub trait Program {
    /// The program starts (its arguments and environment are in `cx`).
    fn start(&mut self, cx: &mut ProgramCx<'_>);

    /// Data arrived on stdin.
    fn stdin(&mut self, cx: &mut ProgramCx<'_>, data: &[u8]) {
        let _ = (cx, data);
    }

    /// The writer closed stdin: no more data will come.
    fn stdin_closed(&mut self, cx: &mut ProgramCx<'_>) {
        let _ = cx;
    }

    /// A sleep begun with [`ProgramCx::sleep`] ended.
    fn wake(&mut self, cx: &mut ProgramCx<'_>, tag: u64) {
        let _ = (cx, tag);
    }

    /// A signal arrived (never `SIGKILL`, which kills at once). The default is the signal's
    /// default action: [`ProgramCx::default_action`].
    fn signal(&mut self, cx: &mut ProgramCx<'_>, signal: Signal) {
        cx.default_action(signal);
    }
}

/// What a stub acts through: its invocation, its pipes, virtual time, and its end.
///
/// After the stub has exited (or died), every action does nothing.
pub struct ProgramCx<'a> {
    pub(crate) sim: &'a mut Sim,
    pub(crate) host: usize,
    pub(crate) process: u64,
    pub(crate) task: usize,
    pub(crate) replacement: Option<Box<dyn Program>>,
}

impl ProgramCx<'_> {
    /// The arguments after the program name, byte-exact.
    pub fn args(&self) -> &[OsString] {
        pipes::entry(self.sim, self.host, self.process).map_or(&[], |p| &p.spec.args)
    }

    /// The environment: the variables the spawn asked for (with
    /// [`Environment::Inherit`](twinreactor::Environment::Inherit), those of
    /// [`ProcessConfig::inherited_env`](crate::ProcessConfig::inherited_env)).
    pub fn vars(&self) -> &[(OsString, OsString)] {
        pipes::entry(self.sim, self.host, self.process).map_or(&[], |p| &p.env)
    }

    /// One environment variable (the last one of that name).
    pub fn var(&self, name: impl AsRef<OsStr>) -> Option<&OsStr> {
        let name = name.as_ref();
        self.vars()
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_os_str())
    }

    /// The working directory the spawn asked for, if any.
    pub fn cwd(&self) -> Option<&Path> {
        pipes::entry(self.sim, self.host, self.process).and_then(|p| p.spec.cwd.as_deref())
    }

    /// The program's virtual process id.
    pub fn pid(&self) -> u32 {
        pipes::pid_of(self.process)
    }

    /// The virtual time now.
    pub fn now(&self) -> Duration {
        self.sim.now_virtual()
    }

    /// Writes to stdout; the parent receives it in seeded pieces. Ignored once stdout is
    /// closed.
    pub fn write_stdout(&mut self, data: &[u8]) {
        pipes::child_write(self, Pipe::Stdout, data);
    }

    /// Writes to stderr, like [`ProgramCx::write_stdout`].
    pub fn write_stderr(&mut self, data: &[u8]) {
        pipes::child_write(self, Pipe::Stderr, data);
    }

    /// Stops reading stdin: what the parent writes fills the pipe
    /// ([`ProcessConfig::pipe_capacity`](crate::ProcessConfig::pipe_capacity)), then the
    /// parent's buffer, and the parent is told to pause producing. Stdin is shared with
    /// grandchildren: this pauses it for all of them.
    pub fn pause_stdin(&mut self) {
        super::stdin::reader_paused(self.sim, self.host, self.process, true);
    }

    /// Reads stdin again: what arrived meanwhile comes to [`Program::stdin`] later, in order,
    /// never inside this call.
    pub fn resume_stdin(&mut self) {
        super::stdin::reader_paused(self.sim, self.host, self.process, false);
    }

    /// Closes this program's end of `pipe`. The parent sees the close once no grandchild
    /// holds that pipe either.
    pub fn close(&mut self, pipe: Pipe) {
        pipes::release(self.sim, self.host, self.process, self.task, pipe);
    }

    /// Calls [`Program::wake`] with `tag` after `delay` of virtual time.
    pub fn sleep(&mut self, delay: Duration, tag: u64) {
        pipes::sleep(self, delay, tag);
    }

    /// Exits with `code`: every pipe this program holds closes, and the parent is told.
    pub fn exit(&mut self, code: i32) {
        pipes::task_ends(
            self.sim,
            self.host,
            self.process,
            self.task,
            ExitStatus::Code(code),
        );
    }

    /// Dies of `signal`, as if its default action were to terminate.
    pub fn die(&mut self, signal: Signal) {
        let status = ExitStatus::Signal(signal);
        pipes::task_ends(self.sim, self.host, self.process, self.task, status);
    }

    /// A signal's default action: ignored for `SIGCHLD`, `SIGCONT`, `SIGURG` and
    /// `SIGWINCH`, and for the stop signals (`SIGSTOP`, `SIGTSTP`, `SIGTTIN`, `SIGTTOU`:
    /// stopping is not simulated); death for every other signal.
    pub fn default_action(&mut self, signal: Signal) {
        if !matches!(signal.0, 17..=23 | 28) {
            self.die(signal);
        }
    }

    /// Replaces this program with `program`, as `exec` does: same process, same pipes;
    /// `program.start` is called as soon as the current callback returns.
    pub fn become_program(&mut self, program: Box<dyn Program>) {
        self.replacement = Some(program);
    }

    /// Starts `program` as a grandchild that shares this program's stdin, stdout and
    /// stderr. It is not the parent's child: its end is never reported, but the parent sees
    /// a pipe close only once the grandchild has closed it (or ended) too.
    pub fn spawn_grandchild(&mut self, program: Box<dyn Program>) {
        pipes::spawn_task(self, program);
    }
}
