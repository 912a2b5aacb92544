//! Starting a child: the command, its pipes and its exit watch, all registered with mio.

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mio::unix::pipe::{Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Interest, Token};
use rustix::time::{Itimerspec, TimerfdClockId, TimerfdFlags, TimerfdTimerFlags, Timespec};
use twinreactor::{Environment, Pipe, ProcessError, ProcessProtocol, ProcessSpec};

use twinreactor_kit::StdinFlow;

use super::{ExitWatch, RealChild, StdinPipe, TokenKey};
use crate::RealReactor;

/// How often the fallback polls children whose exit no pidfd watches.
const POLL_EVERY: Duration = Duration::from_millis(5);

/// Starts `spec` as process `id`. On any error after the child started, the child is killed
/// and reaped and everything registered for it is released.
pub(super) fn spawn(
    r: &mut RealReactor,
    id: u64,
    spec: &ProcessSpec,
    protocol: Box<dyn ProcessProtocol>,
) -> Result<(), ProcessError> {
    // std reports a missing working directory as the program's NotFound (the chdir fails in
    // the child): check it here, so the error names the directory.
    if let Some(dir) = &spec.cwd {
        if !std::fs::metadata(dir).is_ok_and(|m| m.is_dir()) {
            return Err(ProcessError::NoWorkingDirectory(dir.clone()));
        }
    }
    let mut cmd = Command::new(&spec.program);
    cmd.args(&spec.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match &spec.env {
        Environment::Inherit => {}
        Environment::Empty => {
            cmd.env_clear();
        }
        Environment::Exactly(vars) => {
            cmd.env_clear().envs(vars.iter().map(|(k, v)| (k, v)));
        }
    }
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    let child = cmd.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => ProcessError::NotFound(spec.program.clone()),
        io::ErrorKind::PermissionDenied => ProcessError::PermissionDenied(spec.program.clone()),
        kind => ProcessError::Io(kind),
    })?;
    let mut entry = RealChild {
        child,
        protocol: Some(protocol),
        stdin: None,
        stdout: None,
        stderr: None,
        exit: None,
        status: None,
        exited: false,
        closed: [false; 3],
        stdin_closing: false,
    };
    let registered = register(r, id, &mut entry);
    r.processes.table.insert(id, entry);
    if let Err(e) = registered {
        super::pipes::reap_now(r, id);
        for pipe in [Pipe::Stdin, Pipe::Stdout, Pipe::Stderr] {
            super::pipes::close_pipe(r, id, pipe);
        }
        r.processes.table.remove(&id);
        tick_if_needed(r);
        return Err(ProcessError::Io(e.kind()));
    }
    Ok(())
}

/// Registers the child's pipes and exit watch, storing each in `entry` as it is registered
/// (so that a failure half-way releases what was registered).
fn register(r: &mut RealReactor, id: u64, entry: &mut RealChild) -> io::Result<()> {
    let child: &mut Child = &mut entry.child;
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let missing = || io::Error::other("a piped stdio handle is missing");
    let mut stdin = Sender::from(stdin.ok_or_else(missing)?);
    let mut stdout = Receiver::from(stdout.ok_or_else(missing)?);
    let mut stderr = Receiver::from(stderr.ok_or_else(missing)?);
    stdin.set_nonblocking(true)?;
    stdout.set_nonblocking(true)?;
    stderr.set_nonblocking(true)?;
    let token = r.tokens.insert(TokenKey::Stdin(id));
    let registered = r
        .poller
        .registry()
        .register(&mut stdin, token, Interest::WRITABLE);
    entry.stdin = Some(StdinPipe {
        pipe: stdin,
        token,
        buf: VecDeque::new(),
        flow: StdinFlow::default(),
    });
    registered?;
    let token = r.tokens.insert(TokenKey::Stdout(id));
    let registered = r
        .poller
        .registry()
        .register(&mut stdout, token, Interest::READABLE);
    entry.stdout = Some((stdout, token));
    registered?;
    let token = r.tokens.insert(TokenKey::Stderr(id));
    let registered = r
        .poller
        .registry()
        .register(&mut stderr, token, Interest::READABLE);
    entry.stderr = Some((stderr, token));
    registered?;
    match pidfd(r, &entry.child) {
        Some(fd) => {
            let token = r.tokens.insert(TokenKey::Exit(id));
            let raw = fd.as_raw_fd();
            let registered =
                r.poller
                    .registry()
                    .register(&mut SourceFd(&raw), token, Interest::READABLE);
            entry.exit = Some(ExitWatch::Pidfd(fd, token));
            registered?;
        }
        None => {
            if r.processes.tick.is_none() {
                r.processes.tick = Some(start_tick(r)?);
            }
            entry.exit = Some(ExitWatch::Polled);
        }
    }
    Ok(())
}

/// A pidfd for `child`, or `None` where the kernel has none (or it is forbidden).
fn pidfd(r: &RealReactor, child: &Child) -> Option<OwnedFd> {
    if r.processes.polling_forced() {
        return None;
    }
    let pid = rustix::process::Pid::from_child(child);
    rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).ok()
}

/// Stops the fallback's timerfd once no child is polled (`register` starts it).
pub(super) fn tick_if_needed(r: &mut RealReactor) {
    let polled = r
        .processes
        .table
        .values()
        .any(|c| matches!(c.exit, Some(ExitWatch::Polled)));
    if polled {
        return;
    }
    if let Some((fd, token)) = r.processes.tick.take() {
        let raw = fd.as_raw_fd();
        r.unregister(&mut SourceFd(&raw), token);
    }
}

fn start_tick(r: &mut RealReactor) -> io::Result<(OwnedFd, Token)> {
    let fd = rustix::time::timerfd_create(
        TimerfdClockId::Monotonic,
        TimerfdFlags::NONBLOCK | TimerfdFlags::CLOEXEC,
    )?;
    let every = Timespec {
        tv_sec: 0,
        tv_nsec: POLL_EVERY.as_nanos() as _,
    };
    let spec = Itimerspec {
        it_interval: every,
        it_value: every,
    };
    rustix::time::timerfd_settime(&fd, TimerfdTimerFlags::empty(), &spec)?;
    let token = r.tokens.insert(TokenKey::Tick);
    let raw = fd.as_raw_fd();
    if let Err(e) = r
        .poller
        .registry()
        .register(&mut SourceFd(&raw), token, Interest::READABLE)
    {
        r.tokens.remove(token);
        return Err(e);
    }
    Ok((fd, token))
}
