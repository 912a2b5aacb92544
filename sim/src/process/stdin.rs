//! A child's stdin: the parent's buffer, the pipe, and the stub reading it at its own pace.
//!
//! What the parent writes waits in its buffer ([`Processes::stdin_buffered`]) until the pipe
//! has room ([`ProcessConfig::pipe_capacity`], 64 KiB by default, as on Linux); the pipe
//! carries it to the reading stub in seeded pieces, one latency later. A stub that pauses
//! reading ([`ProgramCx::pause_stdin`]) leaves pieces in the pipe, so the pipe fills and the
//! parent's buffer grows: above `HIGH_WATER` the parent is told `pause_producing`, and
//! `resume_producing` once the buffer drains to `LOW_WATER`, as for a TCP writer. The end
//! of input follows the last byte: the parent's `close_stdin` waits for its buffer to go
//! into the pipe, and the stub hears `stdin_closed` after reading everything before it.
//!
//! [`Processes::stdin_buffered`]: twinreactor::Processes::stdin_buffered
//! [`ProcessConfig::pipe_capacity`]: crate::ProcessConfig::pipe_capacity
//! [`ProgramCx::pause_stdin`]: crate::ProgramCx::pause_stdin

use std::collections::VecDeque;
use std::time::Duration;

use twinreactor::process::ProgramEvent;
use twinreactor::{Pipe, ProcessId};
use twinreactor_kit::{stdin_flow_notice, StdinFlow};

use super::pipes::{
    deliver_closed, entry, entry_mut, latency, notify, pieces, run_task, schedule, Channel,
};
use crate::Sim;

/// One child's stdin, between the parent's writes and the stub's reads.
#[derive(Default)]
pub(super) struct StdinState {
    /// Written by the parent, not yet taken by the pipe.
    waiting: VecDeque<u8>,
    /// Bytes in the pipe: on their way to the reader, or arrived and not read yet.
    in_pipe: usize,
    /// Pieces that arrived while the reader had paused, in order.
    unread: VecDeque<Vec<u8>>,
    /// The reading stub paused reading.
    reader_paused: bool,
    /// The parent closed stdin and its buffer has not all gone into the pipe yet.
    closing: bool,
    /// The end of input arrived while pieces were unread: told after them.
    end_unread: bool,
    /// Whether the parent was told to pause producing.
    flow: StdinFlow,
}

impl StdinState {
    /// Bytes the parent wrote that the pipe has not taken.
    pub(super) fn buffered(&self) -> usize {
        self.waiting.len()
    }

    /// Stdin closed on the parent's side (its close was delivered): nothing waits any more.
    pub(super) fn discard(&mut self) {
        self.waiting = VecDeque::new();
    }
}

/// The parent writes to stdin.
pub(super) fn parent_write(sim: &mut Sim, host: usize, process: u64, data: &[u8]) {
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    p.stdin.waiting.extend(data);
    pump(sim, host, process);
    let pause = entry_mut(sim, host, process)
        .is_some_and(|p| p.stdin.flow.pause_due(p.stdin.waiting.len()));
    if pause {
        schedule_flow(sim, host, process, true);
    }
}

/// The parent closes stdin: the pipe closes once the parent's buffer has gone into it.
pub(super) fn parent_close(sim: &mut Sim, host: usize, process: u64) {
    if let Some(p) = entry_mut(sim, host, process) {
        p.stdin.closing = true;
    }
    pump(sim, host, process);
}

/// Moves what the parent's buffer holds into the pipe, as far as the pipe has room; closes
/// the pipe once a close waits for nothing more; tells a paused parent to resume once its
/// buffer is low.
fn pump(sim: &mut Sim, host: usize, process: u64) {
    let capacity = sim.config().process.pipe_capacity;
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    let s = &mut p.stdin;
    let n = capacity.saturating_sub(s.in_pipe).min(s.waiting.len());
    let chunk: Vec<u8> = s.waiting.drain(..n).collect();
    s.in_pipe += n;
    let close = s.closing && s.waiting.is_empty();
    s.closing &= !close;
    let resume = s.flow.resume_due(s.waiting.len());
    let delay = latency(sim);
    for piece in pieces(sim, &chunk) {
        schedule(sim, host, process, Channel::Program, delay, move |sim| {
            arrive(sim, host, process, piece);
        });
    }
    if close {
        schedule(sim, host, process, Channel::Program, delay, move |sim| {
            end_arrives(sim, host, process);
        });
        schedule(sim, host, process, Channel::Control, delay, move |sim| {
            deliver_closed(sim, host, process, Pipe::Stdin);
        });
    }
    if resume {
        schedule_flow(sim, host, process, false);
    }
}

/// A piece reaches the reading end of the pipe.
fn arrive(sim: &mut Sim, host: usize, process: u64, piece: Vec<u8>) {
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    if p.stdin.reader_paused || !p.stdin.unread.is_empty() {
        p.stdin.unread.push_back(piece);
    } else {
        read(sim, host, process, piece);
    }
}

/// The first live program holding stdin reads `piece`; the pipe then has room for more.
fn read(sim: &mut Sim, host: usize, process: u64, piece: Vec<u8>) {
    let reader =
        entry(sim, host, process).and_then(|p| p.tasks.iter().position(|t| t.alive && t.holds[0]));
    if let Some(task) = reader {
        let event = ProgramEvent::Stdin(piece.len());
        run_task(sim, host, process, task, event, |p, cx| p.stdin(cx, &piece));
    }
    if let Some(p) = entry_mut(sim, host, process) {
        p.stdin.in_pipe = p.stdin.in_pipe.saturating_sub(piece.len());
        pump(sim, host, process);
    }
}

/// The end of input reaches the reading end: the programs reading stdin hear it once they
/// have read everything before it.
fn end_arrives(sim: &mut Sim, host: usize, process: u64) {
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    if p.stdin.reader_paused || !p.stdin.unread.is_empty() {
        p.stdin.end_unread = true;
        return;
    }
    let readers = p.tasks.len();
    for task in 0..readers {
        let reads = entry(sim, host, process)
            .and_then(|p| p.tasks.get(task))
            .is_some_and(|t| t.alive && t.holds[0]);
        if reads {
            let event = ProgramEvent::StdinClosed;
            run_task(sim, host, process, task, event, |p, cx| p.stdin_closed(cx));
        }
    }
}

/// A stub pauses (`true`) or resumes reading stdin. What arrived meanwhile is read after
/// the resume, later, never inside the call.
pub(super) fn reader_paused(sim: &mut Sim, host: usize, process: u64, paused: bool) {
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    let was = std::mem::replace(&mut p.stdin.reader_paused, paused);
    if was && !paused {
        schedule(
            sim,
            host,
            process,
            Channel::Program,
            Duration::ZERO,
            move |sim| {
                read_unread(sim, host, process);
            },
        );
    }
}

/// Reads what arrived while the reader had paused, in order, until it pauses again; then
/// the end of input, if it came meanwhile.
fn read_unread(sim: &mut Sim, host: usize, process: u64) {
    loop {
        let Some(p) = entry_mut(sim, host, process) else {
            return;
        };
        if p.stdin.reader_paused {
            return;
        }
        let Some(piece) = p.stdin.unread.pop_front() else {
            break;
        };
        read(sim, host, process, piece);
    }
    let Some(p) = entry_mut(sim, host, process) else {
        return;
    };
    if std::mem::take(&mut p.stdin.end_unread) {
        end_arrives(sim, host, process);
    }
}

/// Schedules `pause_producing` (`pause`) or `resume_producing` for the parent: later, on
/// the control lane, never inside the call that made it due.
fn schedule_flow(sim: &mut Sim, host: usize, process: u64, pause: bool) {
    schedule(
        sim,
        host,
        process,
        Channel::Control,
        Duration::ZERO,
        move |sim| {
            if entry(sim, host, process).is_none_or(|p| p.closed[0]) {
                return;
            }
            let event = stdin_flow_notice(ProcessId::from_raw(process), pause);
            notify(sim, host, process, event, |p, r, id| {
                if pause {
                    p.pause_producing(r, id)
                } else {
                    p.resume_producing(r, id)
                }
            });
        },
    );
}
