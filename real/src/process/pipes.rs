//! Readiness of a child's pipes and exit, and deliveries to its protocol.

use std::io::{self, Read, Write};
use std::os::unix::process::ExitStatusExt;

use twinreactor::trace::ProcessTrace;
use twinreactor::{ExitStatus, Pipe, ProcessId, ProcessProtocol, Reactor, Signal, TraceEvent};
use twinreactor_kit::{deliver_child_event, stdin_flow_notice, Driver};

use super::{slot, ExitWatch, TokenKey};
use crate::ignore::{ignore, Why};
use crate::poller::Ready;
use crate::RealReactor;

/// The size of one read from stdout or stderr.
const READ_SIZE: usize = 64 * 1024;
/// Reads of one pipe per readiness event; a pipe with more to read is queued again, so that
/// one busy child cannot hold the loop.
const READS_PER_TURN: usize = 16;

/// Step 4 (the steps: [`twinreactor_kit::iterate`]): readiness of a process pipe, pidfd or fallback tick.
pub(crate) fn ready(r: &mut RealReactor, key: TokenKey, ready: Ready) {
    match key {
        TokenKey::Stdin(id) => stdin_ready(r, id, ready),
        TokenKey::Stdout(id) => output_ready(r, id, Pipe::Stdout, ready),
        TokenKey::Stderr(id) => output_ready(r, id, Pipe::Stderr, ready),
        TokenKey::Exit(id) => {
            if try_reap(r, id) {
                exited_now(r, id);
            }
        }
        TokenKey::Tick => tick(r),
    }
}

/// Writes what stdin's buffer holds until the pipe is full. An error means the child's end
/// is gone (or the pipe is broken otherwise): the caller closes stdin.
pub(super) fn flush(r: &mut RealReactor, id: u64) -> io::Result<()> {
    let Some(stdin) = r.child_mut(id).and_then(|c| c.stdin.as_mut()) else {
        return Ok(());
    };
    while !stdin.buf.is_empty() {
        let (front, _) = stdin.buf.as_slices();
        match stdin.pipe.write(front) {
            Ok(n) => {
                stdin.buf.drain(..n);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn stdin_ready(r: &mut RealReactor, id: u64, ready: Ready) {
    let flushed = flush(r, id);
    let Some(c) = r.child_mut(id) else {
        return;
    };
    let closing = c.stdin_closing;
    let Some(stdin) = &mut c.stdin else {
        return;
    };
    let resume = flushed.is_ok() && stdin.flow.resume_due(stdin.buf.len());
    let done = closing && stdin.buf.is_empty();
    if resume {
        r.defer(move |r| deliver_flow(r, id, false));
    }
    let reader_gone = ready.error || ready.write_closed;
    if flushed.is_err() || reader_gone || done {
        close_pipe(r, id, Pipe::Stdin);
        deliver_closed(r, id, Pipe::Stdin);
    }
}

fn output_ready(r: &mut RealReactor, id: u64, pipe: Pipe, ready: Ready) {
    let mut buf = std::mem::take(&mut r.processes.read_buf);
    buf.resize(READ_SIZE, 0);
    let mut at_end = false;
    let mut more = true;
    for _ in 0..READS_PER_TURN {
        let Some(c) = r.child_mut(id) else {
            more = false;
            break;
        };
        let receiver = match pipe {
            Pipe::Stdout => c.stdout.as_mut(),
            _ => c.stderr.as_mut(),
        };
        let Some((receiver, _)) = receiver else {
            more = false;
            break;
        };
        match receiver.read(&mut buf) {
            Ok(0) => {
                at_end = true;
                break;
            }
            Ok(n) => deliver_output(r, id, pipe, &buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                more = false;
                break;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => {
                at_end = true;
                break;
            }
        }
    }
    r.processes.read_buf = buf;
    if at_end {
        close_pipe(r, id, pipe);
        deliver_closed(r, id, pipe);
    } else if more {
        // Edge-triggered: no new event comes for data already there, so look again later.
        r.tokens.ready.push_back(ready);
    }
}

/// Closes this side's end of `pipe` (without telling the protocol): deregisters it and
/// frees its token.
pub(super) fn close_pipe(r: &mut RealReactor, id: u64, pipe: Pipe) {
    let Some(c) = r.processes.table.get_mut(&id) else {
        return;
    };
    match pipe {
        Pipe::Stdin => {
            if let Some(mut s) = c.stdin.take() {
                r.unregister(&mut s.pipe, s.token);
            }
        }
        Pipe::Stdout => {
            if let Some((mut p, t)) = c.stdout.take() {
                r.unregister(&mut p, t);
            }
        }
        Pipe::Stderr => {
            if let Some((mut p, t)) = c.stderr.take() {
                r.unregister(&mut p, t);
            }
        }
    }
}

/// Reaps the child if it has exited; true if this call reaped it.
fn try_reap(r: &mut RealReactor, id: u64) -> bool {
    let Some(c) = r.child_mut(id) else {
        return false;
    };
    if c.status.is_some() {
        return false;
    }
    let status = match c.child.try_wait() {
        Ok(Some(status)) => status_of(status),
        Ok(None) => return false,
        // Only a child reaped behind this reactor's back can fail here: report it as gone.
        Err(_) => ExitStatus::Code(-1),
    };
    c.status = Some(status);
    stop_watching(r, id);
    true
}

/// Kills and reaps the child, if it is still running (shutdown).
pub(super) fn reap_now(r: &mut RealReactor, id: u64) {
    let Some(c) = r.child_mut(id) else {
        return;
    };
    if c.status.is_some() {
        return;
    }
    ignore(c.child.kill(), Why::ChildExited);
    let status = match c.child.wait() {
        Ok(status) => status_of(status),
        Err(_) => ExitStatus::Signal(Signal::KILL),
    };
    c.status = Some(status);
    stop_watching(r, id);
}

/// Drops the child's exit watch (its pidfd, or its place among the polled).
fn stop_watching(r: &mut RealReactor, id: u64) {
    let Some(watch) = r.child_mut(id).and_then(|c| c.exit.take()) else {
        return;
    };
    match watch {
        ExitWatch::Pidfd(fd, token) => {
            let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
            r.unregister(&mut mio::unix::SourceFd(&raw), token);
        }
        ExitWatch::Polled => super::spawn::tick_if_needed(r),
    }
}

fn status_of(status: std::process::ExitStatus) -> ExitStatus {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitStatus::Code(code),
        (None, Some(signal)) => ExitStatus::Signal(Signal(signal)),
        (None, None) => ExitStatus::Code(-1),
    }
}

/// The fallback's tick: polls every child whose exit is not watched by a pidfd.
fn tick(r: &mut RealReactor) {
    if let Some((fd, _)) = &r.processes.tick {
        let mut expirations = [0u8; 8];
        ignore(rustix::io::read(fd, &mut expirations[..]), Why::TickCleared);
    }
    let polled: Vec<u64> = r
        .processes
        .table
        .iter()
        .filter(|(_, c)| matches!(c.exit, Some(ExitWatch::Polled)))
        .map(|(&id, _)| id)
        .collect();
    for &id in &polled {
        if try_reap(r, id) {
            exited_now(r, id);
        }
    }
}

/// Delivers `exited` for a child just reaped.
fn exited_now(r: &mut RealReactor, id: u64) {
    if let Some(status) = r.child_mut(id).and_then(|c| c.status) {
        deliver_exited(r, id, status);
    }
}

/// Calls the protocol, taken out of the table for the call; then delivers what fell due
/// meanwhile. While the protocol is out, `exited`, `pipe_closed` and `ended` wait for it.
fn notify(
    r: &mut RealReactor,
    id: u64,
    event: ProcessTrace,
    f: impl FnOnce(&mut dyn ProcessProtocol, &mut dyn Reactor, ProcessId),
) {
    let Some(c) = r.child_mut(id) else {
        return;
    };
    let Some(mut protocol) = c.protocol.take() else {
        // One of its own callbacks is running (shutdown cleans the child up from there).
        if !matches!(event, ProcessTrace::Output { .. }) {
            r.processes.due.entry(id).or_default().push(event);
        }
        return;
    };
    r.record(TraceEvent::Process(event));
    f(&mut *protocol, r, ProcessId::from_raw(id));
    for event in r.processes.due.remove(&id).unwrap_or_default() {
        deliver_child_event(r, &mut *protocol, event);
    }
    if let Some(c) = r.child_mut(id) {
        c.protocol = Some(protocol);
    }
}

/// Delivers `pause_producing` (`pause`) or `resume_producing`, unless stdin has closed
/// since it fell due.
pub(super) fn deliver_flow(r: &mut RealReactor, id: u64, pause: bool) {
    if r.child_mut(id).is_none_or(|c| c.stdin.is_none()) {
        return;
    }
    let event = stdin_flow_notice(ProcessId::from_raw(id), pause);
    notify(r, id, event, |p, r, id| {
        if pause {
            p.pause_producing(r, id)
        } else {
            p.resume_producing(r, id)
        }
    });
}

fn deliver_output(r: &mut RealReactor, id: u64, pipe: Pipe, data: &[u8]) {
    let event = ProcessTrace::Output {
        process: ProcessId::from_raw(id),
        pipe,
        len: data.len(),
    };
    notify(r, id, event, |p, r, process| match pipe {
        Pipe::Stderr => p.stderr(r, process, data),
        _ => p.stdout(r, process, data),
    });
}

/// Delivers `pipe_closed(pipe)` unless it was delivered already, then `ended` if due.
pub(super) fn deliver_closed(r: &mut RealReactor, id: u64, pipe: Pipe) {
    let Some(c) = r.child_mut(id) else {
        return;
    };
    if c.closed[slot(pipe)] {
        return;
    }
    c.closed[slot(pipe)] = true;
    let event = ProcessTrace::PipeClosed {
        process: ProcessId::from_raw(id),
        pipe,
    };
    notify(r, id, event, |p, r, process| {
        p.pipe_closed(r, process, pipe)
    });
    end_if_done(r, id);
}

/// Delivers `exited` unless it was delivered already, then `ended` if due.
pub(super) fn deliver_exited(r: &mut RealReactor, id: u64, status: ExitStatus) {
    let Some(c) = r.child_mut(id) else {
        return;
    };
    if c.exited {
        return;
    }
    c.exited = true;
    let event = ProcessTrace::Exited {
        process: ProcessId::from_raw(id),
        status,
    };
    notify(r, id, event, |p, r, process| p.exited(r, process, status));
    end_if_done(r, id);
}

/// Once the child has exited and every pipe is closed: removes it, delivers `ended` and
/// drops the protocol (or leaves `ended` to the protocol's own callback that is running).
pub(super) fn end_if_done(r: &mut RealReactor, id: u64) {
    let done = r
        .processes
        .table
        .get(&id)
        .is_some_and(|c| c.exited && c.closed == [true; 3]);
    if !done {
        return;
    }
    let Some(c) = r.processes.table.remove(&id) else {
        return;
    };
    let status = c.status.unwrap_or(ExitStatus::Code(-1));
    let event = ProcessTrace::Ended {
        process: ProcessId::from_raw(id),
        status,
    };
    match c.protocol {
        Some(mut protocol) => deliver_child_event(r, &mut *protocol, event),
        None => r.processes.due.entry(id).or_default().push(event),
    }
}
