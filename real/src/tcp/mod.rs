//! TCP on mio, edge-triggered.
//!
//! * `listen.rs`: binding (errors at once), accepting until `WouldBlock`.
//! * `connect.rs`: non-blocking connect and its timeout.
//! * `stream.rs`: reads, buffered writes, FIN, RST, the final callback.
//!
//! Every socket is registered once for reads and writes. Readiness is an edge: a read pass
//! reads until `WouldBlock` (or a short read), and a pass that stops early for fairness,
//! or a `resume_reading`, queues a deferred pass, since no new edge would come for bytes
//! already waiting. Writes go straight to the kernel while nothing is buffered; what it does
//! not take is buffered and sent on the next writable edge.

mod conn;
mod connect;
mod listen;
mod stream;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use twinreactor::{ConnId, Disconnect, ListenerId, StreamFactory, StreamProtocol, Tcp, TcpError};
use twinreactor_kit::{AbortAction, CloseAction, End, IdTable, Subsystem};

use conn::{Conn, Listener, Phase};

use crate::ignore::{ignore, Why};
use crate::poller::Ready;
use crate::RealReactor;

/// How many reads one read pass makes before deferring the rest (fairness).
const READS_PER_PASS: usize = 16;
/// How many connections one accept pass takes before deferring the rest (fairness).
const ACCEPTS_PER_PASS: usize = 64;
/// The accept queue of a listener (the kernel caps it at `net.core.somaxconn`).
const BACKLOG: i32 = 1024;
/// The read buffer's size.
const READ_BUFFER: usize = 64 * 1024;
/// How many times shutdown sweeps the connections (a protocol that connects again from
/// `disconnected(Shutdown)` has its new connect cancelled by the next sweep).
const SHUTDOWN_SWEEPS: usize = 8;

/// What a TCP token stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKey {
    /// A listener, by raw id.
    Listener(u64),
    /// A connection, by raw id.
    Conn(u64),
}

/// The reactor's TCP tables.
pub(crate) struct RealTcp {
    /// By id (issued in increasing order): found without a search.
    conns: IdTable<Conn>,
    listeners: BTreeMap<u64, Listener>,
    next_conn: u64,
    next_listener: u64,
    /// The read buffer, lent to one read at a time.
    scratch: Vec<u8>,
    /// Connections that ended while one of their own callbacks ran (shutdown closed them
    /// from there): each gets its final callback once that callback returns.
    end_due: BTreeMap<u64, Option<End>>,
}

impl Default for RealTcp {
    fn default() -> Self {
        Self {
            conns: IdTable::default(),
            listeners: BTreeMap::new(),
            next_conn: 0,
            next_listener: 0,
            scratch: vec![0; READ_BUFFER],
            end_due: BTreeMap::new(),
        }
    }
}

/// Step 4 (the steps: [`twinreactor_kit::iterate`]): readiness of a TCP source.
pub(crate) fn ready(r: &mut RealReactor, key: TokenKey, ready: Ready) {
    match key {
        TokenKey::Listener(id) => r.tcp_accept_pass(id),
        TokenKey::Conn(id) => {
            let Some(phase) = r.tcp.conns.get(&id).map(|c| c.phase) else {
                return;
            };
            match phase {
                Phase::Connecting => r.tcp_connect_ready(id, ready),
                Phase::Open => {
                    if ready.writable {
                        r.tcp_send(id);
                    }
                    if ready.readable || ready.read_closed || ready.error {
                        r.tcp_read_pass(id, ready.read_closed || ready.error);
                    }
                }
                Phase::Ending => {}
            }
        }
    }
}

/// TCP, as a subsystem of the real reactor.
pub(crate) struct TcpSubsystem;

impl Subsystem<RealReactor> for TcpSubsystem {
    /// Shutdown: every listener closes, every connection ends at once with `Shutdown` (a
    /// pending connect with `Cancelled`; one whose end was already decided, with that end).
    /// Sockets are closed: the kernel sends FIN; bytes still buffered here are discarded.
    fn close_all(&self, r: &mut RealReactor) {
        let ids: Vec<u64> = r.tcp.listeners.keys().copied().collect();
        for id in ids {
            ignore(
                r.tcp_stop_listening(ListenerId::from_raw(id)),
                Why::KnownListener,
            );
        }
        for _ in 0..SHUTDOWN_SWEEPS {
            let ids: Vec<u64> = r.tcp.conns.ids().collect();
            if ids.is_empty() {
                return;
            }
            for id in ids {
                let Some(c) = r.tcp.conns.get_mut(&id) else {
                    continue;
                };
                c.state.shutdown_end(c.phase == Phase::Connecting);
                c.phase = Phase::Ending;
                r.tcp_finish(id);
            }
        }
    }
}

impl RealReactor {
    /// Connection `conn` if it is past connecting.
    fn tcp_established(&mut self, conn: ConnId) -> Result<&mut Conn, TcpError> {
        let c = self
            .tcp
            .conns
            .get_mut(&conn.raw())
            .ok_or(TcpError::UnknownConnection(conn))?;
        match c.phase {
            Phase::Connecting => Err(TcpError::NotConnected(conn)),
            Phase::Open | Phase::Ending => Ok(c),
        }
    }

    /// Connection `conn`, shared.
    fn tcp_conn_ref(&self, conn: ConnId) -> Result<&Conn, TcpError> {
        self.tcp
            .conns
            .get(&conn.raw())
            .ok_or(TcpError::UnknownConnection(conn))
    }
}

impl Tcp for RealReactor {
    fn listen_tcp(
        &mut self,
        addr: SocketAddr,
        factory: Box<dyn StreamFactory>,
    ) -> Result<ListenerId, TcpError> {
        if twinreactor_kit::io_shut_down(self) {
            return Err(TcpError::ShutDown);
        }
        twinreactor::tcp::check_stream_addr(addr)?;
        self.tcp_listen(addr, factory)
    }

    fn listener_addr(&self, listener: ListenerId) -> Result<SocketAddr, TcpError> {
        self.tcp
            .listeners
            .get(&listener.raw())
            .map(|l| l.addr)
            .ok_or(TcpError::UnknownListener(listener))
    }

    fn stop_listening(&mut self, listener: ListenerId) -> Result<(), TcpError> {
        self.tcp_stop_listening(listener)
    }

    fn connect_tcp(
        &mut self,
        addr: SocketAddr,
        protocol: Box<dyn StreamProtocol>,
        timeout: Duration,
    ) -> Result<ConnId, TcpError> {
        if twinreactor_kit::io_shut_down(self) {
            return Err(TcpError::ShutDown);
        }
        twinreactor::tcp::check_stream_addr(addr)?;
        self.tcp_connect(addr, protocol, timeout)
    }

    fn cancel_connect(&mut self, conn: ConnId) -> Result<(), TcpError> {
        self.tcp_cancel_connect(conn)
    }

    fn write(&mut self, conn: ConnId, bytes: &[u8]) -> Result<(), TcpError> {
        self.tcp_write(conn, &[bytes])
    }

    fn write_vectored(&mut self, conn: ConnId, bufs: &[&[u8]]) -> Result<(), TcpError> {
        self.tcp_write(conn, bufs)
    }

    fn close(&mut self, conn: ConnId) -> Result<(), TcpError> {
        match self.tcp_established(conn)?.state.close() {
            CloseAction::Nothing => {}
            CloseAction::FlushThenFin => self.tcp_send(conn.raw()),
            CloseAction::EndDone => self.tcp_end(conn.raw(), End::Disconnect(Disconnect::Done)),
        }
        Ok(())
    }

    fn abort(&mut self, conn: ConnId) -> Result<(), TcpError> {
        if self.tcp_established(conn)?.state.abort() == AbortAction::Reset {
            self.tcp_abort(conn.raw());
        }
        Ok(())
    }

    fn shutdown_write(&mut self, conn: ConnId) -> Result<(), TcpError> {
        if self.tcp_established(conn)?.state.shutdown_write(conn)? {
            self.tcp_send(conn.raw());
        }
        Ok(())
    }

    fn pause_reading(&mut self, conn: ConnId) -> Result<(), TcpError> {
        self.tcp_established(conn)?.state.reading_paused = true;
        Ok(())
    }

    fn resume_reading(&mut self, conn: ConnId) -> Result<(), TcpError> {
        if self.tcp_established(conn)?.state.resume_reading() {
            self.tcp_defer_read(conn.raw());
        }
        Ok(())
    }

    fn local_addr(&self, conn: ConnId) -> Result<SocketAddr, TcpError> {
        self.tcp_conn_ref(conn).map(|c| c.local)
    }

    fn peer_addr(&self, conn: ConnId) -> Result<SocketAddr, TcpError> {
        self.tcp_conn_ref(conn).map(|c| c.peer_addr)
    }

    fn buffered(&self, conn: ConnId) -> Result<usize, TcpError> {
        self.tcp_conn_ref(conn).map(|c| c.state.out.len())
    }
}
