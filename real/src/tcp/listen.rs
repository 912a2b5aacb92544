//! Listeners: binding (errors reported at once) and accepting until `WouldBlock`.

use std::io::{self, ErrorKind};
use std::net::{Shutdown, SocketAddr};

use mio::net::{TcpListener, TcpStream};
use mio::Interest;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use twinreactor::trace::TcpTrace;
use twinreactor::{ConnId, ListenerId, StreamFactory, TcpError, TraceEvent};
use twinreactor_kit::Driver;

use super::conn::{Conn, Listener, Phase};
use super::{TokenKey, ACCEPTS_PER_PASS, BACKLOG};
use crate::ignore::{ignore, Why};
use crate::RealReactor;

impl RealReactor {
    /// `listen_tcp`: binds and listens now, so `AddrInUse` is reported by this call.
    pub(super) fn tcp_listen(
        &mut self,
        addr: SocketAddr,
        factory: Box<dyn StreamFactory>,
    ) -> Result<ListenerId, TcpError> {
        let mut socket = bind(addr).map_err(|e| match e.kind() {
            ErrorKind::AddrInUse => TcpError::AddrInUse(addr),
            ErrorKind::AddrNotAvailable => TcpError::AddrNotAvailable(addr),
            kind => TcpError::Io(kind),
        })?;
        let bound = socket.local_addr().map_err(|e| TcpError::Io(e.kind()))?;
        let id = self.tcp.next_listener;
        let token = self.tokens.insert(TokenKey::Listener(id));
        if let Err(e) = self
            .poller
            .registry()
            .register(&mut socket, token, Interest::READABLE)
        {
            self.tokens.remove(token);
            return Err(TcpError::Io(e.kind()));
        }
        self.tcp.next_listener += 1;
        self.tcp.listeners.insert(
            id,
            Listener {
                socket,
                token,
                addr: bound,
                factory: Some(factory),
            },
        );
        let listener = ListenerId::from_raw(id);
        self.record(TraceEvent::Tcp(TcpTrace::Listening {
            listener,
            addr: bound,
        }));
        Ok(listener)
    }

    /// `stop_listening`: stops listening now, then closes the listening socket.
    ///
    /// Closing the descriptor alone is not enough: the socket listens until its last
    /// descriptor is closed, and a child that any thread of this process is starting holds
    /// a copy of every descriptor from its fork until its exec (close-on-exec closes them
    /// only then). A connect to the address in that window would be accepted by the kernel
    /// (or reset when the child execs) instead of refused. `shutdown` acts on the socket,
    /// not on one descriptor: on Linux, shutting down reading of a listening socket stops
    /// it listening at once (connections queued and not accepted are reset, as by close).
    pub(super) fn tcp_stop_listening(&mut self, listener: ListenerId) -> Result<(), TcpError> {
        let mut l = self
            .tcp
            .listeners
            .remove(&listener.raw())
            .ok_or(TcpError::UnknownListener(listener))?;
        self.unregister(&mut l.socket, l.token);
        ignore(
            SockRef::from(&l.socket).shutdown(Shutdown::Both),
            Why::ListenerClosing,
        );
        Ok(())
    }

    /// Accepts until `WouldBlock` (at most [`ACCEPTS_PER_PASS`] now, the rest in a deferred
    /// pass, so one busy listener cannot starve the loop).
    pub(super) fn tcp_accept_pass(&mut self, id: u64) {
        for _ in 0..ACCEPTS_PER_PASS {
            let Some(l) = self.tcp.listeners.get(&id) else {
                return;
            };
            let (stream, peer) = match l.socket.accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // WouldBlock: drained. Another error (out of descriptors, say) leaves the
                // connection queued in the kernel; the next readiness of the listener, or
                // the next connection, tries again.
                Err(_) => return,
            };
            self.tcp_accepted(id, stream, peer);
            if self.crash_requested() {
                break;
            }
        }
        self.defer(move |r| r.tcp_accept_pass(id));
    }

    /// One accepted connection: the factory decides; refused, it is closed cleanly (FIN).
    fn tcp_accepted(&mut self, id: u64, mut stream: TcpStream, peer: SocketAddr) {
        // The id is taken now, before the factory runs: a factory that opens a connection
        // itself (connect_tcp in accept) must not be handed this one's id. A refused
        // connection leaves its id unused; ids only grow.
        let cid = self.tcp.next_conn;
        self.tcp.next_conn += 1;
        let token = self.tokens.insert(TokenKey::Conn(cid));
        if register(self, &mut stream, token).is_err() {
            // Dropping the socket closes it; the peer sees the connection end.
            self.tokens.remove(token);
            return;
        }
        let factory = self
            .tcp
            .listeners
            .get_mut(&id)
            .and_then(|l| l.factory.take());
        let protocol = match factory {
            Some(mut factory) => {
                let protocol = factory.accept(self, peer);
                if let Some(l) = self.tcp.listeners.get_mut(&id) {
                    if l.factory.is_none() {
                        l.factory = Some(factory);
                    }
                }
                protocol
            }
            None => None,
        };
        let listener = ListenerId::from_raw(id);
        let Some(protocol) = protocol else {
            self.record(TraceEvent::Tcp(TcpTrace::Refused { listener, peer }));
            // Dropping the socket closes it cleanly: FIN.
            self.unregister(&mut stream, token);
            return;
        };
        let local = stream.local_addr().unwrap_or(peer);
        let conn = ConnId::from_raw(cid);
        self.tcp.conns.insert(
            cid,
            Conn::new(Some((stream, token)), Phase::Open, local, peer, protocol),
        );
        self.record(TraceEvent::Tcp(TcpTrace::Accepted {
            listener,
            conn,
            peer,
        }));
        self.tcp_callback(cid, |p, r| p.connected(r, conn));
    }
}

/// A non-blocking listening socket with address reuse (as mio and std set it) and a deep
/// accept queue ([`BACKLOG`]; std and mio use 128, which a burst of connects overflows).
fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(TcpListener::from_std(socket.into()))
}

/// Registers a connection's socket for reads and writes (edge-triggered).
pub(super) fn register(
    r: &mut RealReactor,
    stream: &mut TcpStream,
    token: mio::Token,
) -> io::Result<()> {
    r.poller
        .registry()
        .register(stream, token, Interest::READABLE | Interest::WRITABLE)
}
