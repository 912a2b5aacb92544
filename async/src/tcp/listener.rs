//! The TCP listener: binds, then hands out accepted streams.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use twinreactor::{ListenerId, Reactor, StreamFactory, StreamProtocol};

use super::state::{Conn, Protocol, Shared};
use super::stream::TcpStream;
use super::tcp_error;
use crate::call::Call;
use crate::context;
use crate::core::Core;
use crate::waiters::Waiters;

/// Connections accepted and established, waiting for `accept()`.
pub(crate) struct Backlog {
    ready: RefCell<VecDeque<Shared>>,
    waiters: RefCell<Waiters>,
}

impl Backlog {
    /// Queues an established connection and wakes the acceptor.
    pub(crate) fn push(&self, conn: Shared) {
        self.ready.borrow_mut().push_back(conn);
        self.waiters.borrow_mut().wake();
    }
}

/// Makes a protocol for each accepted connection, feeding the backlog.
struct Factory {
    core: Weak<Core>,
    backlog: Weak<Backlog>,
}

impl StreamFactory for Factory {
    fn accept(
        &mut self,
        _r: &mut dyn Reactor,
        _peer: SocketAddr,
    ) -> Option<Box<dyn StreamProtocol>> {
        // A listener dropped (its stop is queued) or an executor gone refuses.
        let core = self.core.upgrade()?;
        self.backlog.upgrade()?;
        Some(Box::new(Protocol {
            conn: Conn::new(&core),
            backlog: Some(self.backlog.clone()),
        }))
    }
}

/// A TCP listener. Dropping it stops listening; connections accepted and not yet taken are
/// closed.
///
/// ```
/// use twinreactor_async::{block_on, TcpListener};
/// # use twinreactor_sim::Sim;
/// # let mut sim = Sim::new(1);
/// let port = block_on(&mut sim, async {
///     let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).await?;
///     Ok::<_, std::io::Error>(listener.local_addr()?.port())
/// });
/// assert_ne!(port.unwrap().unwrap(), 0);
/// ```
pub struct TcpListener {
    owner: u64,
    core: Weak<Core>,
    id: ListenerId,
    addr: SocketAddr,
    backlog: Rc<Backlog>,
}

impl TcpListener {
    /// Binds and listens at `addr` (port 0: the reactor chooses; see
    /// [`TcpListener::local_addr`]).
    pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        let core = context::current()?;
        let backlog = Rc::new(Backlog {
            ready: RefCell::new(VecDeque::new()),
            waiters: RefCell::default(),
        });
        let factory = Factory {
            core: Rc::downgrade(&core),
            backlog: Rc::downgrade(&backlog),
        };
        let (id, addr) = Call::new(core.id(), move |r| {
            let id = r.listen_tcp(addr, Box::new(factory))?;
            Ok((id, r.listener_addr(id)?))
        })
        .await?
        .map_err(tcp_error)?;
        Ok(TcpListener {
            owner: core.id(),
            core: Rc::downgrade(&core),
            id,
            addr,
            backlog,
        })
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }

    /// Waits for the next connection; gives the stream and the peer's address.
    pub fn accept(&self) -> Accept<'_> {
        Accept { listener: self }
    }
}

impl std::fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TcpListener")
            .field("id", &self.id)
            .field("addr", &self.addr)
            .finish()
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        if let Some(core) = self.core.upgrade() {
            let id = self.id;
            core.defer(move |r| {
                let _ = r.stop_listening(id);
            });
        }
        // Streams waiting in the backlog close as they drop.
        let waiting = std::mem::take(&mut *self.backlog.ready.borrow_mut());
        drop(
            waiting
                .into_iter()
                .map(TcpStream::from_shared)
                .collect::<Vec<_>>(),
        );
    }
}

/// The future of [`TcpListener::accept`].
#[must_use = "accept does nothing unless awaited"]
pub struct Accept<'a> {
    listener: &'a TcpListener,
}

impl Future for Accept<'_> {
    type Output = io::Result<(TcpStream, SocketAddr)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        context::check(self.listener.owner)?;
        let backlog = &self.listener.backlog;
        let next = backlog.ready.borrow_mut().pop_front();
        match next {
            Some(conn) => {
                let peer = conn.borrow().peer;
                let stream = TcpStream::from_shared(conn);
                match peer {
                    Some(peer) => Poll::Ready(Ok((stream, peer))),
                    None => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
                }
            }
            None => {
                backlog.waiters.borrow_mut().register(cx.waker());
                Poll::Pending
            }
        }
    }
}
