//! Child processes: spawn, write stdin, read stdout and stderr, wait for the exit status.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use futures_io::{AsyncRead, AsyncWrite};
use twinreactor::tcp::HIGH_WATER;
use twinreactor::{
    ExitStatus, Pipe, ProcessError, ProcessId, ProcessProtocol, ProcessSpec, Reactor, Signal,
};

use crate::bytes::drain_into;
use crate::call::Call;
use crate::context;
use crate::core::Core;
use crate::waiters::Waiters;

/// The `io::Error` for an error of a `Processes` operation.
fn process_error(e: ProcessError) -> io::Error {
    let kind = match &e {
        ProcessError::NotFound(_) => io::ErrorKind::NotFound,
        ProcessError::PermissionDenied(_) => io::ErrorKind::PermissionDenied,
        ProcessError::StdinClosed(_) => io::ErrorKind::BrokenPipe,
        ProcessError::UnknownProcess(_)
        | ProcessError::ExitedAlready(_)
        | ProcessError::InvalidSignal(_) => io::ErrorKind::InvalidInput,
        ProcessError::InvalidSpec(_) => io::ErrorKind::InvalidInput,
        ProcessError::NoWorkingDirectory(_) => io::ErrorKind::NotFound,
        ProcessError::ShutDown => io::ErrorKind::Other,
        ProcessError::Io(kind) => *kind,
    };
    io::Error::new(kind, e)
}

/// Bytes from one of the child's output pipes.
#[derive(Default)]
struct Output {
    bytes: VecDeque<u8>,
    closed: bool,
    reader: Option<Waker>,
}

impl Output {
    fn wake(&mut self) {
        if let Some(w) = self.reader.take() {
            w.wake();
        }
    }
}

/// What a child's handles share with its protocol.
#[derive(Default)]
struct State {
    stdout: Output,
    stderr: Output,
    stdin_closed: bool,
    /// Bytes written to stdin and not yet handed to the reactor.
    stdin_queued: usize,
    /// The reactor told the child's protocol to pause producing.
    stdin_paused: bool,
    /// A stdin writer waiting for room.
    stdin_writer: Option<Waker>,
    status: Option<ExitStatus>,
    ended: bool,
    waiters: Waiters,
}

impl State {
    fn wake_all(&mut self) {
        self.stdout.wake();
        self.stderr.wake();
        self.wake_stdin_writer();
        self.waiters.wake();
    }

    fn wake_stdin_writer(&mut self) {
        if let Some(w) = self.stdin_writer.take() {
            w.wake();
        }
    }
}

struct Protocol {
    core: Weak<Core>,
    state: Rc<RefCell<State>>,
}

impl Protocol {
    fn deliver(&self, r: &mut dyn Reactor, f: impl FnOnce(&mut State)) {
        Core::deliver(&self.core, r, || {
            let mut state = self.state.borrow_mut();
            f(&mut state);
            state.wake_all();
        });
    }
}

impl ProcessProtocol for Protocol {
    fn stdout(&mut self, r: &mut dyn Reactor, _p: ProcessId, data: &[u8]) {
        self.deliver(r, |s| s.stdout.bytes.extend(data));
    }

    fn stderr(&mut self, r: &mut dyn Reactor, _p: ProcessId, data: &[u8]) {
        self.deliver(r, |s| s.stderr.bytes.extend(data));
    }

    fn pipe_closed(&mut self, r: &mut dyn Reactor, _p: ProcessId, pipe: Pipe) {
        self.deliver(r, |s| match pipe {
            Pipe::Stdin => s.stdin_closed = true,
            Pipe::Stdout => s.stdout.closed = true,
            Pipe::Stderr => s.stderr.closed = true,
        });
    }

    fn pause_producing(&mut self, r: &mut dyn Reactor, _p: ProcessId) {
        self.deliver(r, |s| s.stdin_paused = true);
    }

    fn resume_producing(&mut self, r: &mut dyn Reactor, _p: ProcessId) {
        self.deliver(r, |s| s.stdin_paused = false);
    }

    fn exited(&mut self, r: &mut dyn Reactor, _p: ProcessId, status: ExitStatus) {
        self.deliver(r, |s| s.status = Some(status));
    }

    fn ended(&mut self, r: &mut dyn Reactor, _p: ProcessId, status: ExitStatus) {
        self.deliver(r, |s| {
            s.status = Some(status);
            s.ended = true;
            s.stdout.closed = true;
            s.stderr.closed = true;
            s.stdin_closed = true;
        });
    }
}

/// What a child's handles hold: its executor, id and shared state.
#[derive(Clone)]
struct Handle {
    owner: u64,
    core: Weak<Core>,
    id: ProcessId,
    state: Rc<RefCell<State>>,
}

impl Handle {
    fn defer(&self, op: impl FnOnce(&mut dyn Reactor, ProcessId) + 'static) {
        if let Some(core) = self.core.upgrade() {
            let id = self.id;
            core.defer(move |r| op(r, id));
        }
    }
}

/// A child process started with [`Child::spawn`]. Dropping it leaves the child running
/// (the reactor kills it at shutdown); dropping its stdin closes the child's stdin.
///
/// ```no_run
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use twinreactor::ProcessSpec;
/// use twinreactor_async::{block_on, Child};
/// # fn reactor() -> twinreactor_sim::Sim { unimplemented!() }
/// let mut r = reactor();
/// let out = block_on(&mut r, async {
///     let mut child = Child::spawn(ProcessSpec::new("cat")).await?;
///     let mut stdin = child.stdin.take().expect("taken once");
///     stdin.write_all(b"hello").await?;
///     drop(stdin);
///     let mut out = Vec::new();
///     child.stdout.take().expect("taken once").read_to_end(&mut out).await?;
///     child.wait().await?;
///     Ok::<_, std::io::Error>(out)
/// });
/// ```
pub struct Child {
    handle: Handle,
    pid: u32,
    /// The child's stdin (take it to write; dropping it closes stdin).
    pub stdin: Option<ChildStdin>,
    /// The child's stdout.
    pub stdout: Option<ChildStdout>,
    /// The child's stderr.
    pub stderr: Option<ChildStderr>,
}

impl Child {
    /// Starts `spec`; fails at once if the program does not exist (`NotFound`).
    pub async fn spawn(spec: ProcessSpec) -> io::Result<Child> {
        let core = context::current()?;
        let state = Rc::new(RefCell::new(State::default()));
        let protocol = Protocol {
            core: Rc::downgrade(&core),
            state: Rc::clone(&state),
        };
        let (id, pid) = Call::new(core.id(), move |r| {
            let id = r.spawn_process(spec, Box::new(protocol))?;
            Ok((id, r.pid(id)?))
        })
        .await?
        .map_err(process_error)?;
        let handle = Handle {
            owner: core.id(),
            core: Rc::downgrade(&core),
            id,
            state,
        };
        Ok(Child {
            stdin: Some(ChildStdin {
                handle: handle.clone(),
                closing: false,
            }),
            stdout: Some(ChildStdout {
                handle: handle.clone(),
                pipe: Pipe::Stdout,
            }),
            stderr: Some(ChildStdout {
                handle: handle.clone(),
                pipe: Pipe::Stderr,
            }),
            handle,
            pid,
        })
    }

    /// The operating system's process id (the simulator's own numbering).
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Sends `signal`; `InvalidInput` once the child has exited.
    pub async fn signal(&self, signal: Signal) -> io::Result<()> {
        let id = self.handle.id;
        Call::new(self.handle.owner, move |r| r.signal(id, signal))
            .await?
            .map_err(process_error)
    }

    /// Kills the child (SIGKILL).
    pub async fn kill(&self) -> io::Result<()> {
        self.signal(Signal::KILL).await
    }

    /// Waits until the child has exited; gives its status.
    pub fn wait(&self) -> Wait<'_> {
        Wait { child: self }
    }
}

impl std::fmt::Debug for Child {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.handle.id)
            .field("pid", &self.pid)
            .finish()
    }
}

/// The future of [`Child::wait`].
#[must_use = "wait does nothing unless awaited"]
pub struct Wait<'a> {
    child: &'a Child,
}

impl Future for Wait<'_> {
    type Output = io::Result<ExitStatus>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let handle = &self.child.handle;
        context::check(handle.owner)?;
        let mut state = handle.state.borrow_mut();
        match state.status {
            Some(status) => Poll::Ready(Ok(status)),
            None => {
                state.waiters.register(cx.waker());
                Poll::Pending
            }
        }
    }
}

/// The child's stdin: an `AsyncWrite` with back-pressure, as a TCP stream has: a write waits
/// while the reactor has told the child's writer to pause producing (the child reads
/// slower than it is written to), or while 64 KiB wait to be handed to the reactor.
/// `poll_close` (or dropping it) closes stdin once the buffered bytes are written.
pub struct ChildStdin {
    handle: Handle,
    closing: bool,
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        context::check(self.handle.owner)?;
        let n = {
            let mut s = self.handle.state.borrow_mut();
            if self.closing || s.stdin_closed {
                return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
            }
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            if s.stdin_paused || s.stdin_queued >= HIGH_WATER {
                s.stdin_writer = Some(cx.waker().clone());
                return Poll::Pending;
            }
            // At most 64 KiB wait for the reactor: a larger write is taken in part.
            let n = buf.len().min(HIGH_WATER - s.stdin_queued);
            s.stdin_queued += n;
            n
        };
        let data = buf[..n].to_vec();
        let state = Rc::clone(&self.handle.state);
        self.as_mut().handle.defer(move |r, id| {
            let written = r.write_stdin(id, &data);
            let mut s = state.borrow_mut();
            s.stdin_queued -= data.len();
            if written.is_err() {
                s.stdin_closed = true;
            }
            s.wake_stdin_writer();
        });
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        context::check(self.handle.owner)?;
        Poll::Ready(Ok(()))
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        context::check(self.handle.owner)?;
        self.close();
        Poll::Ready(Ok(()))
    }
}

impl ChildStdin {
    fn close(&mut self) {
        if !std::mem::replace(&mut self.closing, true) {
            self.handle.defer(|r, id| {
                // The process may have ended already: then stdin is closed anyway.
                let _ = r.close_stdin(id);
            });
        }
    }
}

impl Drop for ChildStdin {
    fn drop(&mut self) {
        self.close();
    }
}

/// The child's stdout or stderr: an `AsyncRead` that ends when the child closes the pipe.
pub struct ChildStdout {
    handle: Handle,
    pipe: Pipe,
}

/// The child's stderr (the same type as its stdout).
pub type ChildStderr = ChildStdout;

impl AsyncRead for ChildStdout {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        context::check(self.handle.owner)?;
        let mut state = self.handle.state.borrow_mut();
        let out = match self.pipe {
            Pipe::Stderr => &mut state.stderr,
            _ => &mut state.stdout,
        };
        if !out.bytes.is_empty() {
            let n = drain_into(&mut out.bytes, buf);
            return Poll::Ready(Ok(n));
        }
        if out.closed || buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        out.reader = Some(cx.waker().clone());
        Poll::Pending
    }
}
