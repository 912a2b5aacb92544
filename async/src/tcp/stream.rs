//! The TCP stream: `AsyncRead` + `AsyncWrite` over one connection.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use twinreactor::tcp::HIGH_WATER;

use super::state::{Conn, Phase, Protocol, Shared, READ_LOW};
use super::{connect_error, disconnect_error, tcp_error, CONNECT_TIMEOUT};
use crate::bytes::drain_into;
use crate::context;
use crate::core::Flush;

/// A TCP connection. Reads and writes go through the reactor; dropping the stream closes the
/// connection (everything written is still sent, then FIN).
///
/// Back-pressure follows the contract: a write waits while the reactor has told the
/// connection to pause producing (or while 64 KiB wait to be handed to it), and the stream
/// pauses reading while 64 KiB are unread. `poll_close` (`close()` of
/// `futures::AsyncWriteExt`, `shutdown()` of tokio's) shuts down writing (half-close); reading
/// goes on until the peer's FIN.
///
/// ```
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use twinreactor_async::{block_on, spawn, TcpListener, TcpStream};
/// # use twinreactor_sim::Sim;
/// # let mut sim = Sim::new(3);
/// let reply = block_on(&mut sim, async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).await?;
///     let addr = listener.local_addr()?;
///     let server = spawn(async move {
///         let (mut s, _) = listener.accept().await?;
///         let mut buf = Vec::new();
///         s.read_to_end(&mut buf).await?;
///         s.write_all(&buf).await?;
///         std::io::Result::Ok(())
///     })?;
///     let mut c = TcpStream::connect(addr).await?;
///     c.write_all(b"ping").await?;
///     c.close().await?;
///     let mut reply = Vec::new();
///     c.read_to_end(&mut reply).await?;
///     server.await.expect("not cancelled")?;
///     std::io::Result::Ok(reply)
/// });
/// assert_eq!(reply.unwrap().unwrap(), b"ping");
/// ```
pub struct TcpStream {
    conn: Shared,
}

impl TcpStream {
    /// Connects to `addr`, waiting at most [`CONNECT_TIMEOUT`].
    pub fn connect(addr: SocketAddr) -> Connect {
        Self::connect_timeout(addr, CONNECT_TIMEOUT)
    }

    /// Connects to `addr`, waiting at most `timeout` (then `TimedOut`).
    pub fn connect_timeout(addr: SocketAddr, timeout: Duration) -> Connect {
        Connect {
            addr,
            timeout,
            conn: None,
        }
    }

    /// Wraps an established connection.
    pub(crate) fn from_shared(conn: Shared) -> Self {
        Self { conn }
    }

    /// This side's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.conn
            .borrow()
            .local
            .ok_or_else(|| io::ErrorKind::NotConnected.into())
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.conn
            .borrow()
            .peer
            .ok_or_else(|| io::ErrorKind::NotConnected.into())
    }

    /// Discards what is buffered and resets the connection (the peer sees a reset; this
    /// side's reads and writes then fail with `ConnectionAborted`).
    pub fn abort(&self) -> io::Result<()> {
        let (core, id) = self.context()?;
        self.conn.borrow_mut().write_shut = true;
        core.defer(move |r| {
            // A second abort, or one after the end, does nothing.
            let _ = r.abort(id);
        });
        Ok(())
    }

    /// Shuts down writing (half-close): what was written is sent, then FIN; reading goes on.
    pub fn shutdown_write(&self) -> io::Result<()> {
        let (core, id) = self.context()?;
        let mut c = self.conn.borrow_mut();
        if c.write_shut {
            return Ok(());
        }
        c.write_shut = true;
        core.defer(move |r| {
            let _ = r.shutdown_write(id);
        });
        Ok(())
    }

    fn context(&self) -> io::Result<(Rc<crate::core::Core>, twinreactor::ConnId)> {
        let c = self.conn.borrow();
        let core = context::check(c.owner)?;
        let id = c.id.ok_or(io::ErrorKind::NotConnected)?;
        Ok((core, id))
    }

    /// The error a write meets now, if any.
    fn write_error(c: &Conn) -> Option<io::Error> {
        if let Some(kind) = c.error {
            return Some(kind.into());
        }
        match c.phase {
            Phase::Ended(reason) => {
                Some(disconnect_error(reason).unwrap_or_else(|| io::ErrorKind::BrokenPipe.into()))
            }
            _ if c.write_shut => Some(io::ErrorKind::BrokenPipe.into()),
            _ => None,
        }
    }
}

impl std::fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = self.conn.borrow();
        f.debug_struct("TcpStream")
            .field("id", &c.id)
            .field("local", &c.local)
            .field("peer", &c.peer)
            .finish()
    }
}

/// A connection hands its written bytes to the reactor when its queued flush runs.
impl Flush for std::cell::RefCell<Conn> {
    fn flush(&self, r: &mut dyn twinreactor::Reactor) {
        let mut c = self.borrow_mut();
        let Some(id) = c.id else {
            return;
        };
        if let Err(e) = r.write(id, &c.outbox) {
            c.error = Some(tcp_error(e).kind());
        }
        c.outbox.clear();
        if let Some(w) = c.writer.take() {
            w.wake();
        }
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let mut c = self.conn.borrow_mut();
        let core = context::check(c.owner)?;
        if !c.inbox.is_empty() {
            let n = drain_into(&mut c.inbox, buf);
            if c.reading_paused && c.inbox.len() <= READ_LOW {
                c.reading_paused = false;
                if let Some(id) = c.id {
                    core.defer(move |r| {
                        let _ = r.resume_reading(id);
                    });
                }
            }
            return Poll::Ready(Ok(n));
        }
        if c.eof || buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match c.phase {
            Phase::Ended(reason) => Poll::Ready(disconnect_error(reason).map_or(Ok(0), Err)),
            Phase::Failed(e) => Poll::Ready(Err(connect_error(e))),
            Phase::Connecting | Phase::Open => {
                c.reader = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut c = self.conn.borrow_mut();
        let core = context::check(c.owner)?;
        if let Some(e) = Self::write_error(&c) {
            return Poll::Ready(Err(e));
        }
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if c.id.is_none() {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        }
        if c.producing_paused || c.outbox.len() >= HIGH_WATER {
            c.writer = Some(cx.waker().clone());
            return Poll::Pending;
        }
        if c.outbox.is_empty() {
            core.defer_flush(Rc::clone(&self.conn) as Rc<dyn Flush>);
        }
        // At most 64 KiB wait for the reactor: a larger write is taken in part.
        let n = buf.len().min(HIGH_WATER - c.outbox.len());
        c.outbox.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // What was written is handed to the reactor right after this poll, before anything
        // else runs: there is nothing to wait for.
        let c = self.conn.borrow();
        context::check(c.owner)?;
        match c.error {
            Some(kind) => Poll::Ready(Err(kind.into())),
            None => Poll::Ready(Ok(())),
        }
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown_write())
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        let c = self.conn.borrow();
        let (Some(core), Some(id)) = (c.core.upgrade(), c.id) else {
            return;
        };
        if matches!(c.phase, Phase::Open) {
            core.defer(move |r| {
                // Closing twice, or after the end, does nothing.
                let _ = r.close(id);
            });
        }
    }
}

/// The future of [`TcpStream::connect`]. Dropping it cancels the connect.
pub struct Connect {
    addr: SocketAddr,
    timeout: Duration,
    conn: Option<Shared>,
}

impl Future for Connect {
    type Output = io::Result<TcpStream>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = match &self.conn {
            Some(conn) => context::check(conn.borrow().owner)?,
            None => context::current()?,
        };
        let Some(conn) = self.conn.clone() else {
            let conn = Conn::new(&core);
            conn.borrow_mut().writer = Some(cx.waker().clone());
            let (addr, timeout, shared) = (self.addr, self.timeout, Rc::clone(&conn));
            core.defer(move |r| {
                let protocol = Protocol {
                    conn: Rc::clone(&shared),
                    backlog: None,
                };
                let result = r.connect_tcp(addr, Box::new(protocol), timeout);
                let mut c = shared.borrow_mut();
                match result {
                    Ok(id) => c.id = Some(id),
                    Err(e) => {
                        c.error = Some(tcp_error(e).kind());
                        c.wake_all();
                    }
                }
            });
            self.conn = Some(conn);
            return Poll::Pending;
        };
        let mut c = conn.borrow_mut();
        if let Some(kind) = c.error {
            return Poll::Ready(Err(kind.into()));
        }
        match c.phase {
            Phase::Connecting => {
                c.writer = Some(cx.waker().clone());
                Poll::Pending
            }
            Phase::Failed(e) => Poll::Ready(Err(connect_error(e))),
            Phase::Open | Phase::Ended(_) => {
                drop(c);
                self.conn = None;
                Poll::Ready(Ok(TcpStream::from_shared(conn)))
            }
        }
    }
}

impl Drop for Connect {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let mut c = conn.borrow_mut();
        let (Some(core), phase) = (c.core.upgrade(), c.phase) else {
            return;
        };
        // The connect op may not have run yet (no id): then `connected` closes it.
        c.abandoned = true;
        let Some(id) = c.id else {
            return;
        };
        match phase {
            // If the connect succeeds anyway (the answer is on its way), `connected` closes it.
            Phase::Connecting => core.defer(move |r| {
                let _ = r.cancel_connect(id);
            }),
            // Established, and never handed out as a stream.
            Phase::Open => core.defer(move |r| {
                let _ = r.close(id);
            }),
            Phase::Failed(_) | Phase::Ended(_) => {}
        }
    }
}
