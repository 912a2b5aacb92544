//! Simulated child processes: program stubs registered by name, run in virtual time.
//!
//! A spawn looks the program up among the stubs registered on the host
//! ([`Sim::register_program`]) and then among those of [`ProcessConfig`]; a name found in
//! neither is `NotFound` at once, like a missing program. Every hop through a pipe, the
//! stub's start and the exit notification take [`ProcessConfig::latency`]; each write is
//! split into pieces drawn from the seed (`Stream::Programs`). A spawned stub may crash
//! ([`ProcessConfig::crash`], drawn from `Stream::Faults`; off by default). Stdin has a
//! pipe of [`ProcessConfig::pipe_capacity`] that a stub reads at its own pace
//! (`stdin.rs`), so a parent that writes faster is told to pause producing.

mod pipes;
mod program;
mod stdin;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use twinreactor::trace::ProcessTrace;
use twinreactor::{
    Environment, ExitStatus, Pipe, ProcessError, ProcessId, ProcessProtocol, ProcessSpec,
    Processes, Signal, TraceEvent,
};
use twinreactor_kit::{Driver, Subsystem};

pub use program::{Program, ProgramCx};

use crate::host::{Host, HostSubsystem};
use crate::Site;
use crate::{HostId, Sim, SimError};

/// Makes a fresh stub for each spawn of a program.
pub type ProgramFactory = Rc<dyn Fn() -> Box<dyn Program>>;

/// Process settings of a simulation, and program stubs every host can run.
#[derive(Clone)]
pub struct ProcessConfig {
    /// The delay of a stub's start after its spawn, of each hop through a pipe, and of the
    /// exit notification after a stub ends. Default: 50 µs.
    pub latency: Duration,
    /// The largest piece a write is split into; the pieces are drawn from the seed.
    /// Default: 16 KiB.
    pub max_chunk: usize,
    /// How many bytes a child's stdin pipe holds that its program has not read; the
    /// parent's buffer keeps the rest (see `Processes::stdin_buffered`). Default: 64 KiB,
    /// as on Linux.
    pub pipe_capacity: usize,
    /// The variables a stub spawned with [`Environment::Inherit`] sees. Default: none.
    pub inherited_env: Vec<(OsString, OsString)>,
    /// The probability, per spawned stub, that it crashes: the OS kills it with `SIGKILL`
    /// (no callback; the parent sees `exited`, the pipe closes and `ended`, as for
    /// [`Signal::KILL`]). In `0.0..=1.0`; drawn from the faults stream only when above
    /// zero. Default: zero.
    pub crash: f64,
    /// A crashing stub dies at a time drawn uniformly from `0..=crash_within` after its
    /// start (a stub that ended by then is unaffected). Default: 1 s.
    pub crash_within: Duration,
    /// Probability that the parent learns of a stub's exit before the output the stub
    /// wrote last (half a latency earlier): `exited` then comes before that output, as an OS
    /// may report it. Drawn from a stream of its own. Default 0.25.
    pub early_exit: f64,
    programs: BTreeMap<OsString, ProgramFactory>,
}

impl Default for ProcessConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_micros(50),
            max_chunk: 16 * 1024,
            pipe_capacity: 64 * 1024,
            inherited_env: Vec::new(),
            crash: 0.0,
            crash_within: Duration::from_secs(1),
            early_exit: 0.25,
            programs: BTreeMap::new(),
        }
    }
}

impl ProcessConfig {
    /// Registers `factory` under `name` on every host (a host's own registration, made with
    /// [`Sim::register_program`], wins).
    pub fn register(
        &mut self,
        name: impl Into<OsString>,
        factory: impl Fn() -> Box<dyn Program> + 'static,
    ) {
        self.programs.insert(name.into(), Rc::new(factory));
    }

    /// [`ProcessConfig::register`], by value.
    pub fn with_program(
        mut self,
        name: impl Into<OsString>,
        factory: impl Fn() -> Box<dyn Program> + 'static,
    ) -> Self {
        self.register(name, factory);
        self
    }

    /// The names of the registered programs, in order.
    pub fn program_names(&self) -> impl Iterator<Item = &OsString> {
        self.programs.keys()
    }
}

impl fmt::Debug for ProcessConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessConfig")
            .field("latency", &self.latency)
            .field("max_chunk", &self.max_chunk)
            .field("pipe_capacity", &self.pipe_capacity)
            .field("inherited_env", &self.inherited_env)
            .field("crash", &self.crash)
            .field("crash_within", &self.crash_within)
            .field("early_exit", &self.early_exit)
            .field("programs", &self.programs.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl PartialEq for ProcessConfig {
    /// Equal settings and the very same factories under the same names.
    fn eq(&self, other: &Self) -> bool {
        self.latency == other.latency
            && self.max_chunk == other.max_chunk
            && self.pipe_capacity == other.pipe_capacity
            && self.inherited_env == other.inherited_env
            && self.crash == other.crash
            && self.crash_within == other.crash_within
            && self.early_exit == other.early_exit
            && self.programs.len() == other.programs.len()
            && self
                .programs
                .iter()
                .zip(&other.programs)
                .all(|((a, fa), (b, fb))| a == b && Rc::ptr_eq(fa, fb))
    }
}

/// One host's processes and registered program stubs.
#[derive(Default)]
pub(crate) struct HostProcesses {
    programs: BTreeMap<OsString, ProgramFactory>,
    table: BTreeMap<u64, SimProcess>,
    next_id: u64,
    /// Notifications that fell due while the child's own callback ran, by child.
    due: BTreeMap<u64, Vec<ProcessTrace>>,
}

impl HostProcesses {
    /// The processes of a host restarted after a crash: none, with the same program stubs.
    pub(crate) fn reborn(&self) -> Self {
        Self {
            programs: self.programs.clone(),
            ..Self::default()
        }
    }
}

/// A simulated child: the parent's view and the stubs running in it.
pub(crate) struct SimProcess {
    pub(crate) spec: ProcessSpec,
    pub(crate) env: Vec<(OsString, OsString)>,
    protocol: Option<Box<dyn ProcessProtocol>>,
    /// The program (task 0) and its grandchildren.
    tasks: Vec<Task>,
    /// How the program ended, once it has.
    status: Option<ExitStatus>,
    /// `exited` was delivered.
    exited: bool,
    /// The parent may still write to stdin.
    stdin_writable: bool,
    /// Stdin's buffer, pipe and reader.
    stdin: stdin::StdinState,
    /// `pipe_closed` was delivered, by pipe (stdin, stdout, stderr).
    closed: [bool; 3],
}

/// One program running in a process: the child itself or a grandchild.
struct Task {
    /// Taken out while one of its callbacks runs; `None` forever once it ended.
    stub: Option<Box<dyn Program>>,
    alive: bool,
    /// Which pipes it holds (stdin, stdout, stderr).
    holds: [bool; 3],
}

impl Sim {
    /// Registers a program stub on `host` under `name`: each spawn of `name` there runs a
    /// fresh stub made by `factory`. A later registration of the same name replaces it.
    pub fn register_program(
        &mut self,
        host: HostId,
        name: impl Into<OsString>,
        factory: impl Fn() -> Box<dyn Program> + 'static,
    ) -> Result<(), SimError> {
        let index = self.check_host(host)?;
        let programs = &mut self.host_mut(index).processes.programs;
        programs.insert(name.into(), Rc::new(factory));
        Ok(())
    }

    fn issued(&self, process: ProcessId) -> bool {
        process.raw() < self.host_ref(self.current_index()).processes.next_id
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

/// The variables of `Environment::Exactly`, as an operating system passes them: each name
/// once, with the last value given for it, in an order the contract leaves open (std sorts
/// them by name; the simulator shuffles them with the seed).
fn exact_env(sim: &mut Sim, vars: &[(OsString, OsString)]) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = Vec::with_capacity(vars.len());
    for (name, value) in vars {
        match env.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.clone(),
            None => env.push((name.clone(), value.clone())),
        }
    }
    // Fisher-Yates; nothing is drawn for fewer than two variables.
    for i in (1..env.len()).rev() {
        let j = sim.draw_below(Site::EnvOrder, i + 1);
        env.swap(i, j);
    }
    env
}

/// Whether a newly spawned stub crashes, and if so how long after its start: nothing is
/// drawn when [`ProcessConfig::crash`] is off, so default runs draw as before.
fn crash_after_start(sim: &mut Sim) -> Option<Duration> {
    let (p, within) = {
        let c = &sim.config().process;
        (c.crash, c.crash_within)
    };
    if p.is_nan() || p <= 0.0 {
        return None;
    }
    // Certain (p of 1 or more) crashes draw nothing.
    if p < 1.0 && !sim.draw_chance(Site::ProcessCrash, p) {
        return None;
    }
    let span = u64::try_from(within.as_nanos()).unwrap_or(u64::MAX);
    let raw = u128::from(sim.draw(Site::ProcessCrashTime));
    let offset = ((raw * (u128::from(span) + 1)) >> 64) as u64;
    Some(Duration::from_nanos(offset))
}

/// Child processes, as a per-host subsystem of the simulation.
pub(crate) struct ProcessSubsystem;

impl HostSubsystem for ProcessSubsystem {
    /// No process, the same registered program stubs (a real machine keeps its programs).
    fn reborn(&self, old: &Host, fresh: &mut Host) {
        fresh.processes = old.processes.reborn();
    }
}

impl Subsystem<Sim> for ProcessSubsystem {
    /// Shutdown of the current host: kills every child still running, then delivers, for each,
    /// `exited` (if it was not delivered yet), `pipe_closed` for each pipe still open, and
    /// `ended`. Output not delivered yet is discarded.
    fn close_all(&self, sim: &mut Sim) {
        let host = sim.current_index();
        loop {
            let Some(&id) = sim.host_ref(host).processes.table.keys().next() else {
                return;
            };
            if let Some(p) = pipes::entry_mut(sim, host, id) {
                let status = *p.status.get_or_insert(ExitStatus::Signal(Signal::KILL));
                for task in &mut p.tasks {
                    task.alive = false;
                    task.stub = None;
                    task.holds = [false; 3];
                }
                p.stdin_writable = false;
                if !p.exited {
                    pipes::deliver_exited(sim, host, id, status);
                }
            }
            for pipe in [Pipe::Stdin, Pipe::Stdout, Pipe::Stderr] {
                pipes::deliver_closed(sim, host, id, pipe);
            }
            // Everything may have been delivered before (with `exited` still running).
            pipes::end_if_done(sim, host, id);
        }
    }
}

impl Processes for Sim {
    fn spawn_process(
        &mut self,
        spec: ProcessSpec,
        protocol: Box<dyn ProcessProtocol>,
    ) -> Result<ProcessId, ProcessError> {
        if twinreactor_kit::io_shut_down(self) {
            return Err(ProcessError::ShutDown);
        }
        spec.check()?;
        let host = self.current_index();
        let factory = self
            .host_ref(host)
            .processes
            .programs
            .get(&spec.program)
            .or_else(|| self.config().process.programs.get(&spec.program))
            .cloned()
            .ok_or_else(|| ProcessError::NotFound(spec.program.clone()))?;
        let env = match &spec.env {
            Environment::Inherit => self.config().process.inherited_env.clone(),
            Environment::Empty => Vec::new(),
            Environment::Exactly(vars) => exact_env(self, vars),
        };
        let program = spec.program.to_string_lossy().into_owned();
        let table = &mut self.host_mut(host).processes;
        let id = table.next_id;
        table.next_id += 1;
        table.table.insert(
            id,
            SimProcess {
                spec,
                env,
                protocol: Some(protocol),
                tasks: vec![Task {
                    stub: Some(factory()),
                    alive: true,
                    holds: [true; 3],
                }],
                status: None,
                exited: false,
                stdin_writable: true,
                stdin: stdin::StdinState::default(),
                closed: [false; 3],
            },
        );
        let process = ProcessId::from_raw(id);
        self.record(TraceEvent::Process(ProcessTrace::Spawned {
            process,
            program,
        }));
        let crash = crash_after_start(self);
        pipes::start(self, host, id, crash);
        Ok(process)
    }

    fn write_stdin(&mut self, process: ProcessId, data: &[u8]) -> Result<(), ProcessError> {
        let host = self.current_index();
        let Some(p) = pipes::entry(self, host, process.raw()) else {
            return Err(if self.issued(process) {
                ProcessError::StdinClosed(process)
            } else {
                ProcessError::UnknownProcess(process)
            });
        };
        let read_by_child = p.tasks.iter().any(|t| t.alive && t.holds[0]);
        if !p.stdin_writable || !read_by_child {
            return Err(ProcessError::StdinClosed(process));
        }
        stdin::parent_write(self, host, process.raw(), data);
        Ok(())
    }

    fn stdin_buffered(&self, process: ProcessId) -> Result<usize, ProcessError> {
        pipes::entry(self, self.current_index(), process.raw())
            .map(|p| p.stdin.buffered())
            .ok_or(ProcessError::UnknownProcess(process))
    }

    fn close_stdin(&mut self, process: ProcessId) -> Result<(), ProcessError> {
        let host = self.current_index();
        if !self.issued(process) {
            return Err(ProcessError::UnknownProcess(process));
        }
        if let Some(p) = pipes::entry_mut(self, host, process.raw()) {
            if p.stdin_writable {
                p.stdin_writable = false;
                stdin::parent_close(self, host, process.raw());
            }
        }
        Ok(())
    }

    fn signal(&mut self, process: ProcessId, signal: Signal) -> Result<(), ProcessError> {
        let host = self.current_index();
        match pipes::entry(self, host, process.raw()) {
            None if self.issued(process) => return Err(ProcessError::ExitedAlready(process)),
            None => return Err(ProcessError::UnknownProcess(process)),
            Some(p) if p.exited => return Err(ProcessError::ExitedAlready(process)),
            Some(_) if !signal.is_standard() => return Err(ProcessError::InvalidSignal(signal)),
            Some(_) => {}
        }
        self.record(TraceEvent::Process(ProcessTrace::Signalled {
            process,
            signal,
        }));
        pipes::send_signal(self, host, process.raw(), signal);
        Ok(())
    }

    fn pid(&self, process: ProcessId) -> Result<u32, ProcessError> {
        pipes::entry(self, self.current_index(), process.raw())
            .map(|_| pipes::pid_of(process.raw()))
            .ok_or(ProcessError::UnknownProcess(process))
    }
}
