//! The moving parts of a simulated process: stubs acting on their pipes (the child side),
//! and deliveries to the parent's protocol (the parent side).
//!
//! Each process uses four delivery lanes, so that deliveries of one kind keep their order while
//! kinds interleave from the seed, as on a real system: stdout, stderr, control (exit and
//! stdin-close notifications to the parent) and program (start, stdin, wake-ups and signals
//! to the stubs, and crashes).

use std::time::Duration;

use twinreactor::process::ProgramEvent;
use twinreactor::trace::ProcessTrace;
use twinreactor::{ExitStatus, Pipe, ProcessId, ProcessProtocol, Reactor, Signal, TraceEvent};
use twinreactor_kit::{deliver_child_event, Driver};

use super::{slot, Program, ProgramCx, SimProcess, Task};
use crate::deliveries::Lane;
use crate::Sim;
use crate::Site;

/// The delivery lanes of one process.
#[derive(Clone, Copy)]
pub(super) enum Channel {
    Stdout = 0,
    Stderr = 1,
    Control = 2,
    Program = 3,
}

fn lane(process: u64, channel: Channel) -> Lane {
    Lane::Process(process << 2 | channel as u64)
}

/// The first virtual pid: Linux's largest `pid_max` (2^22), so that a virtual pid is never
/// the pid of a real process.
const FIRST_PID: u32 = 1 << 22;

/// The virtual pid of a process.
pub(super) fn pid_of(process: u64) -> u32 {
    FIRST_PID.wrapping_add(process as u32)
}

pub(super) fn entry(sim: &Sim, host: usize, process: u64) -> Option<&SimProcess> {
    sim.host_ref(host).processes.table.get(&process)
}

pub(super) fn entry_mut(sim: &mut Sim, host: usize, process: u64) -> Option<&mut SimProcess> {
    sim.host_mut(host).processes.table.get_mut(&process)
}

/// Schedules `f` on `process`'s `channel` after `delay`.
pub(super) fn schedule(
    sim: &mut Sim,
    host: usize,
    process: u64,
    channel: Channel,
    delay: Duration,
    f: impl FnOnce(&mut Sim) + 'static,
) {
    let at = sim.now_virtual().saturating_add(delay);
    sim.schedule_io(host, at, lane(process, channel), f);
}

pub(super) fn latency(sim: &Sim) -> Duration {
    sim.config().process.latency
}

/// Splits `data` into pieces of seeded sizes.
pub(super) fn pieces(sim: &mut Sim, data: &[u8]) -> Vec<Vec<u8>> {
    let max = sim.config().process.max_chunk.max(1);
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let n = 1 + sim.draw_below(Site::PipeChunk, rest.len().min(max));
        let (head, tail) = rest.split_at(n);
        out.push(head.to_vec());
        rest = tail;
    }
    out
}

// ----- the child side -----

/// Schedules the program's start, and its crash `crash` after the start, if it crashes.
pub(super) fn start(sim: &mut Sim, host: usize, process: u64, crash: Option<Duration>) {
    let delay = latency(sim);
    schedule(sim, host, process, Channel::Program, delay, move |sim| {
        run_task(sim, host, process, 0, ProgramEvent::Started, |p, cx| {
            p.start(cx)
        });
    });
    if let Some(after) = crash {
        let delay = delay.saturating_add(after);
        schedule(sim, host, process, Channel::Program, delay, move |sim| {
            crash_program(sim, host, process);
        });
    }
}

/// The OS kills the program with `SIGKILL` (a crash), unless it ended already: the trace
/// shows the signal reaching it (`program procN#0 got signal 9`), then its end.
fn crash_program(sim: &mut Sim, host: usize, process: u64) {
    let alive = entry(sim, host, process)
        .and_then(|p| p.tasks.first())
        .is_some_and(|t| t.alive);
    if !alive {
        return;
    }
    record_program(sim, process, 0, ProgramEvent::Signal(Signal::KILL));
    task_ends(sim, host, process, 0, ExitStatus::Signal(Signal::KILL));
}

/// A callback of a stub.
type StubCall<'f> = Box<dyn FnOnce(&mut dyn Program, &mut ProgramCx<'_>) + 'f>;

/// Calls one of task `task`'s callbacks, if it is alive.
pub(super) fn run_task(
    sim: &mut Sim,
    host: usize,
    process: u64,
    task: usize,
    event: ProgramEvent,
    f: impl FnOnce(&mut dyn Program, &mut ProgramCx<'_>),
) {
    run_stub(sim, host, process, task, event, Box::new(f));
}

fn run_stub(
    sim: &mut Sim,
    host: usize,
    process: u64,
    task: usize,
    event: ProgramEvent,
    f: StubCall<'_>,
) {
    let Some(t) = entry_mut(sim, host, process).and_then(|p| p.tasks.get_mut(task)) else {
        return;
    };
    if !t.alive {
        return;
    }
    let Some(mut stub) = t.stub.take() else {
        return;
    };
    record_program(sim, process, task, event);
    let mut cx = ProgramCx {
        sim: &mut *sim,
        host,
        process,
        task,
        replacement: None,
    };
    f(&mut *stub, &mut cx);
    let replacement = cx.replacement.take();
    let Some(t) = entry_mut(sim, host, process).and_then(|p| p.tasks.get_mut(task)) else {
        return;
    };
    if !t.alive {
        return;
    }
    match replacement {
        None => t.stub = Some(stub),
        Some(next) => {
            t.stub = Some(next);
            let event = ProgramEvent::Started;
            run_stub(
                sim,
                host,
                process,
                task,
                event,
                Box::new(|p, cx| p.start(cx)),
            );
        }
    }
}

fn record_program(sim: &mut Sim, process: u64, task: usize, event: ProgramEvent) {
    sim.record(TraceEvent::Process(ProcessTrace::Program {
        process: ProcessId::from_raw(process),
        task,
        event,
    }));
}

fn task_mut(sim: &mut Sim, host: usize, process: u64, task: usize) -> Option<&mut Task> {
    entry_mut(sim, host, process).and_then(|p| p.tasks.get_mut(task))
}

/// A stub writes to stdout or stderr.
pub(super) fn child_write(cx: &mut ProgramCx<'_>, pipe: Pipe, data: &[u8]) {
    let (sim, host, process) = (&mut *cx.sim, cx.host, cx.process);
    let holds =
        task_mut(sim, host, process, cx.task).is_some_and(|t| t.alive && t.holds[slot(pipe)]);
    if !holds {
        return;
    }
    let channel = if pipe == Pipe::Stdout {
        Channel::Stdout
    } else {
        Channel::Stderr
    };
    let delay = latency(sim);
    for piece in pieces(sim, data) {
        schedule(sim, host, process, channel, delay, move |sim| {
            deliver_output(sim, host, process, pipe, &piece);
        });
    }
}

/// Task `task` lets go of `pipe`; the last holder's release closes it.
pub(super) fn release(sim: &mut Sim, host: usize, process: u64, task: usize, pipe: Pipe) {
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    let i = slot(pipe);
    match p.tasks.get_mut(task) {
        Some(t) if t.holds[i] => t.holds[i] = false,
        _ => return,
    }
    if p.tasks.iter().any(|t| t.holds[i]) {
        return;
    }
    let channel = match pipe {
        Pipe::Stdin => Channel::Control,
        Pipe::Stdout => Channel::Stdout,
        Pipe::Stderr => Channel::Stderr,
    };
    let delay = latency(sim);
    schedule(sim, host, process, channel, delay, move |sim| {
        deliver_closed(sim, host, process, pipe);
    });
}

/// Task `task` ends: its pipes close; for the program itself, the parent is told.
pub(super) fn task_ends(sim: &mut Sim, host: usize, process: u64, task: usize, status: ExitStatus) {
    let Some(t) = task_mut(sim, host, process, task) else {
        return;
    };
    if !t.alive {
        return;
    }
    t.alive = false;
    t.stub = None;
    record_program(sim, process, task, ProgramEvent::Ended(status));
    for pipe in [Pipe::Stdin, Pipe::Stdout, Pipe::Stderr] {
        release(sim, host, process, task, pipe);
    }
    if task != 0 {
        return;
    }
    if let Some(p) = entry_mut(sim, host, process) {
        p.status = Some(status);
    }
    let mut delay = latency(sim);
    let p = sim.config().process.early_exit;
    if p > 0.0 && sim.draw_chance(Site::ExitNotice, p) {
        // The parent's reactor learns of the exit before the last output reaches it (on
        // an OS, the exit and the pipe are two sources, polled in any order).
        delay /= 2;
    }
    schedule(sim, host, process, Channel::Control, delay, move |sim| {
        deliver_exited(sim, host, process, status);
    });
}

/// A stub sleeps.
pub(super) fn sleep(cx: &mut ProgramCx<'_>, delay: Duration, tag: u64) {
    let (host, process, task) = (cx.host, cx.process, cx.task);
    schedule(cx.sim, host, process, Channel::Program, delay, move |sim| {
        run_task(
            sim,
            host,
            process,
            task,
            ProgramEvent::Woke(tag),
            |p, cx| p.wake(cx, tag),
        );
    });
}

/// A stub starts a grandchild that shares its pipes.
pub(super) fn spawn_task(cx: &mut ProgramCx<'_>, program: Box<dyn Program>) {
    let (host, process) = (cx.host, cx.process);
    let Some(p) = entry_mut(cx.sim, host, process) else {
        return;
    };
    let Some(holds) = p.tasks.get(cx.task).filter(|t| t.alive).map(|t| t.holds) else {
        return;
    };
    p.tasks.push(Task {
        stub: Some(program),
        alive: true,
        holds,
    });
    let task = p.tasks.len() - 1;
    let delay = latency(cx.sim);
    schedule(cx.sim, host, process, Channel::Program, delay, move |sim| {
        run_task(sim, host, process, task, ProgramEvent::Started, |p, cx| {
            p.start(cx)
        });
    });
}

/// The parent signals the program.
pub(super) fn send_signal(sim: &mut Sim, host: usize, process: u64, signal: Signal) {
    let delay = latency(sim);
    schedule(sim, host, process, Channel::Program, delay, move |sim| {
        if signal == Signal::KILL {
            task_ends(sim, host, process, 0, ExitStatus::Signal(signal));
        } else {
            run_task(
                sim,
                host,
                process,
                0,
                ProgramEvent::Signal(signal),
                |p, cx| p.signal(cx, signal),
            );
        }
    });
}

// ----- the parent side -----

/// Calls the parent's protocol, taken out of the table for the call; then delivers what fell
/// due meanwhile. While the protocol is out, `exited`, `pipe_closed` and `ended` wait for it.
pub(super) fn notify(
    sim: &mut Sim,
    host: usize,
    process: u64,
    event: ProcessTrace,
    f: impl FnOnce(&mut dyn ProcessProtocol, &mut dyn Reactor, ProcessId),
) {
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    let Some(mut protocol) = p.protocol.take() else {
        // One of its own callbacks is running (shutdown cleans the child up from there).
        if !matches!(event, ProcessTrace::Output { .. }) {
            let due = &mut sim.host_mut(host).processes.due;
            due.entry(process).or_default().push(event);
        }
        return;
    };
    sim.record(TraceEvent::Process(event));
    f(&mut *protocol, sim, ProcessId::from_raw(process));
    let due = sim.host_mut(host).processes.due.remove(&process);
    for event in due.unwrap_or_default() {
        deliver_child_event(sim, &mut *protocol, event);
    }
    if let Some(p) = entry_mut(sim, host, process) {
        p.protocol = Some(protocol);
    }
}

fn deliver_output(sim: &mut Sim, host: usize, process: u64, pipe: Pipe, data: &[u8]) {
    if entry(sim, host, process).is_none_or(|p| p.closed[slot(pipe)]) {
        return;
    }
    let event = ProcessTrace::Output {
        process: ProcessId::from_raw(process),
        pipe,
        len: data.len(),
    };
    notify(sim, host, process, event, |p, r, id| match pipe {
        Pipe::Stderr => p.stderr(r, id, data),
        _ => p.stdout(r, id, data),
    });
}

/// Delivers `pipe_closed(pipe)` unless it was delivered already, then `ended` if it is due.
pub(super) fn deliver_closed(sim: &mut Sim, host: usize, process: u64, pipe: Pipe) {
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    if p.closed[slot(pipe)] {
        return;
    }
    p.closed[slot(pipe)] = true;
    if pipe == Pipe::Stdin {
        p.stdin_writable = false;
        p.stdin.discard();
    }
    let event = ProcessTrace::PipeClosed {
        process: ProcessId::from_raw(process),
        pipe,
    };
    notify(sim, host, process, event, |p, r, id| {
        p.pipe_closed(r, id, pipe)
    });
    end_if_done(sim, host, process);
}

/// Delivers `exited`, then `ended` if it is due.
pub(super) fn deliver_exited(sim: &mut Sim, host: usize, process: u64, status: ExitStatus) {
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    if p.exited {
        return;
    }
    p.exited = true;
    let event = ProcessTrace::Exited {
        process: ProcessId::from_raw(process),
        status,
    };
    notify(sim, host, process, event, |p, r, id| {
        p.exited(r, id, status)
    });
    end_if_done(sim, host, process);
}

/// Once the program has exited and every pipe is closed: removes the process, delivers
/// `ended` and drops the protocol (or leaves `ended` to the protocol's own callback that is
/// running).
pub(super) fn end_if_done(sim: &mut Sim, host: usize, process: u64) {
    let done = entry(sim, host, process).is_some_and(|p| p.exited && p.closed == [true; 3]);
    if !done {
        return;
    }
    let Some(p) = sim.host_mut(host).processes.table.remove(&process) else {
        return;
    };
    let status = p.status.unwrap_or(ExitStatus::Signal(Signal::KILL));
    let event = ProcessTrace::Ended {
        process: ProcessId::from_raw(process),
        status,
    };
    match p.protocol {
        Some(mut protocol) => deliver_child_event(sim, &mut *protocol, event),
        None => {
            let due = &mut sim.host_mut(host).processes.due;
            due.entry(process).or_default().push(event);
        }
    }
}
