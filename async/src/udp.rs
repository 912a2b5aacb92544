//! UDP: a socket that sends and receives datagrams, with multicast options.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use twinreactor::{DatagramProtocol, Reactor, SocketId, UdpError, UdpOptions};

use crate::call::Call;
use crate::context;
use crate::core::Core;
use crate::waiters::Waiters;

/// Datagrams kept unread at most; more are dropped (UDP promises no delivery).
pub const RECV_QUEUE: usize = 1024;

/// The `io::Error` for an error of a `Udp` operation.
fn udp_error(e: UdpError) -> io::Error {
    let kind = match &e {
        UdpError::AddrInUse(_) | UdpError::AlreadyMember(..) => io::ErrorKind::AddrInUse,
        UdpError::AddrNotAvailable(_) | UdpError::NotMember(..) => io::ErrorKind::AddrNotAvailable,
        UdpError::UnknownSocket(_) | UdpError::NotConnected(_) => io::ErrorKind::NotConnected,
        UdpError::BroadcastNotPermitted(_) => io::ErrorKind::PermissionDenied,
        UdpError::MessageTooLarge(_)
        | UdpError::AlreadyConnected(_)
        | UdpError::NotMulticast(_)
        | UdpError::BadDestination(_)
        | UdpError::InvalidTtl(_)
        | UdpError::NotIpv4(_) => io::ErrorKind::InvalidInput,
        UdpError::ShutDown => io::ErrorKind::Other,
        UdpError::Io(kind) => *kind,
    };
    io::Error::new(kind, e)
}

/// What a socket shares with its protocol.
#[derive(Default)]
struct Inbox {
    datagrams: VecDeque<(Vec<u8>, SocketAddr)>,
    /// A datagram sent to the connected peer was refused.
    refused: bool,
    stopped: bool,
    readers: Waiters,
}

struct Protocol {
    core: Weak<Core>,
    inbox: Rc<RefCell<Inbox>>,
}

impl Protocol {
    fn deliver(&self, r: &mut dyn Reactor, f: impl FnOnce(&mut Inbox)) {
        Core::deliver(&self.core, r, || {
            let mut inbox = self.inbox.borrow_mut();
            f(&mut inbox);
            inbox.readers.wake();
        });
    }
}

impl DatagramProtocol for Protocol {
    fn datagram(&mut self, r: &mut dyn Reactor, _socket: SocketId, data: &[u8], from: SocketAddr) {
        self.deliver(r, |inbox| {
            if inbox.datagrams.len() < RECV_QUEUE {
                inbox.datagrams.push_back((data.to_vec(), from));
            }
        });
    }

    fn refused(&mut self, r: &mut dyn Reactor, _socket: SocketId) {
        self.deliver(r, |inbox| inbox.refused = true);
    }

    fn stopped(&mut self, r: &mut dyn Reactor, _socket: SocketId) {
        self.deliver(r, |inbox| inbox.stopped = true);
    }
}

/// A UDP socket. Dropping it closes it.
///
/// ```
/// use twinreactor_async::{block_on, UdpSocket};
/// # use twinreactor_sim::Sim;
/// # let mut sim = Sim::new(5);
/// let got = block_on(&mut sim, async {
///     let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).await?;
///     let b = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).await?;
///     a.send_to(b"hi", b.local_addr()?).await?;
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!(from, a.local_addr()?);
///     Ok::<_, std::io::Error>(buf[..n].to_vec())
/// });
/// assert_eq!(got.unwrap().unwrap(), b"hi");
/// ```
pub struct UdpSocket {
    owner: u64,
    core: Weak<Core>,
    id: SocketId,
    local: RefCell<SocketAddr>,
    inbox: Rc<RefCell<Inbox>>,
}

impl UdpSocket {
    /// Binds at `addr` with default options (port 0: the reactor chooses).
    pub async fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        Self::bind_with(addr, UdpOptions::default()).await
    }

    /// Binds at `addr` with `options` (address reuse, broadcast).
    pub async fn bind_with(addr: SocketAddr, options: UdpOptions) -> io::Result<UdpSocket> {
        let core = context::current()?;
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let protocol = Protocol {
            core: Rc::downgrade(&core),
            inbox: Rc::clone(&inbox),
        };
        let (id, local) = Call::new(core.id(), move |r| {
            let id = r.bind_udp(addr, Box::new(protocol), options)?;
            Ok((id, r.udp_local_addr(id)?))
        })
        .await?
        .map_err(udp_error)?;
        Ok(UdpSocket {
            owner: core.id(),
            core: Rc::downgrade(&core),
            id,
            local: RefCell::new(local),
            inbox,
        })
    }

    /// The address the socket is bound to (after `connect` on a wildcard address: the local
    /// address of the route to the peer).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(*self.local.borrow())
    }

    /// Runs one operation on this socket's reactor.
    async fn call<T: 'static>(
        &self,
        op: impl FnOnce(&mut dyn Reactor, SocketId) -> Result<T, UdpError> + 'static,
    ) -> io::Result<T> {
        let id = self.id;
        Call::new(self.owner, move |r| op(r, id))
            .await?
            .map_err(udp_error)
    }

    /// Sends one datagram to `to`; gives its length.
    pub async fn send_to(&self, data: &[u8], to: SocketAddr) -> io::Result<usize> {
        let data = data.to_vec();
        self.call(move |r, s| r.send_to(s, &data, to).map(|()| data.len()))
            .await
    }

    /// Fixes the peer: `send` goes there and only its datagrams are received; a refusal of
    /// a datagram sent to it fails the next receive with `ConnectionRefused`.
    pub async fn connect(&self, peer: SocketAddr) -> io::Result<()> {
        let local = self
            .call(move |r, s| {
                r.connect_udp(s, peer)?;
                r.udp_local_addr(s)
            })
            .await?;
        *self.local.borrow_mut() = local;
        Ok(())
    }

    /// Sends one datagram to the connected peer; gives its length.
    pub async fn send(&self, data: &[u8]) -> io::Result<usize> {
        let data = data.to_vec();
        self.call(move |r, s| r.send(s, &data).map(|()| data.len()))
            .await
    }

    /// Waits for one datagram; copies what fits into `buf` (the rest is discarded) and gives
    /// its length and sender.
    pub fn recv_from<'a>(&'a self, buf: &'a mut [u8]) -> RecvFrom<'a> {
        RecvFrom { socket: self, buf }
    }

    /// [`UdpSocket::recv_from`] without the sender (for a connected socket).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_from(buf).await.map(|(n, _)| n)
    }

    /// Joins the IPv4 multicast `group` on the interface with address `interface`.
    pub async fn join_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.call(move |r, s| r.join_multicast(s, group, interface))
            .await
    }

    /// Leaves the IPv4 multicast `group` on `interface`.
    pub async fn leave_multicast_v4(&self, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.call(move |r, s| r.leave_multicast(s, group, interface))
            .await
    }

    /// Whether group datagrams sent by this socket come back to this host (default true).
    pub async fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.call(move |r, s| r.set_multicast_loop(s, on)).await
    }

    /// The multicast loopback setting.
    pub async fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.call(|r, s| r.multicast_loop(s)).await
    }

    /// The time-to-live of outgoing group datagrams (default 1).
    pub async fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.call(move |r, s| r.set_multicast_ttl(s, ttl)).await
    }

    /// The multicast time-to-live.
    pub async fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.call(|r, s| r.multicast_ttl(s)).await
    }

    /// The interface (by its address) that outgoing group datagrams leave by.
    pub async fn set_multicast_interface_v4(&self, interface: Ipv4Addr) -> io::Result<()> {
        self.call(move |r, s| r.set_multicast_interface(s, interface))
            .await
    }

    /// Permission to send to broadcast addresses.
    pub async fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.call(move |r, s| r.set_broadcast(s, on)).await
    }
}

impl std::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UdpSocket")
            .field("id", &self.id)
            .field("local", &self.local.borrow())
            .finish()
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        if let Some(core) = self.core.upgrade() {
            let id = self.id;
            core.defer(move |r| {
                let _ = r.close_udp(id);
            });
        }
    }
}

/// The future of [`UdpSocket::recv_from`].
#[must_use = "recv_from does nothing unless awaited"]
pub struct RecvFrom<'a> {
    socket: &'a UdpSocket,
    buf: &'a mut [u8],
}

impl Future for RecvFrom<'_> {
    type Output = io::Result<(usize, SocketAddr)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        context::check(self.socket.owner)?;
        let mut inbox = self.socket.inbox.borrow_mut();
        if std::mem::take(&mut inbox.refused) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionRefused.into()));
        }
        if let Some((data, from)) = inbox.datagrams.pop_front() {
            drop(inbox);
            let n = data.len().min(self.buf.len());
            self.buf[..n].copy_from_slice(&data[..n]);
            return Poll::Ready(Ok((n, from)));
        }
        if inbox.stopped {
            return Poll::Ready(Err(io::ErrorKind::NotConnected.into()));
        }
        inbox.readers.register(cx.waker());
        Poll::Pending
    }
}
