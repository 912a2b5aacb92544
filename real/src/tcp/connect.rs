//! Non-blocking connect: the socket becomes writable, then `take_error` says whether it
//! failed and `peer_addr` whether it is connected. The timeout is a reactor timer whose
//! callback calls `cancel_connect`, which reports `TimedOut` when its caller is that timer.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use mio::net::TcpStream;
use twinreactor::trace::TcpTrace;
use twinreactor::{ConnId, ConnectError, Reactor, StreamProtocol, TcpError, TraceEvent};
use twinreactor_kit::{cancelled_connect, Driver, End};

use super::conn::{Conn, Phase};
use super::listen::register;
use super::TokenKey;
use crate::ignore::{ignore, Why};
use crate::poller::Ready;
use crate::RealReactor;

/// What a failed connect's error means to the protocol.
fn connect_error(kind: ErrorKind) -> ConnectError {
    match kind {
        ErrorKind::ConnectionRefused => ConnectError::Refused,
        ErrorKind::TimedOut => ConnectError::TimedOut,
        kind => ConnectError::Io(kind),
    }
}

impl RealReactor {
    /// `connect_tcp`: starts a non-blocking connect. An error the OS gives at once (no
    /// route, say) is returned; a refusal it gives at once is reported later, like any other.
    pub(super) fn tcp_connect(
        &mut self,
        addr: SocketAddr,
        protocol: Box<dyn StreamProtocol>,
        timeout: Duration,
    ) -> Result<ConnId, TcpError> {
        let id = self.tcp.next_conn;
        let socket = match TcpStream::connect(addr) {
            Ok(mut stream) => {
                let token = self.tokens.insert(TokenKey::Conn(id));
                if let Err(e) = register(self, &mut stream, token) {
                    self.tokens.remove(token);
                    return Err(TcpError::Io(e.kind()));
                }
                Some((stream, token))
            }
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => None,
            Err(e) => return Err(TcpError::Io(e.kind())),
        };
        let local = socket
            .as_ref()
            .and_then(|(s, _)| s.local_addr().ok())
            .unwrap_or_else(|| SocketAddr::new(addr.ip(), 0));
        self.tcp.next_conn += 1;
        let refused = socket.is_none();
        self.tcp.conns.insert(
            id,
            Conn::new(socket, Phase::Connecting, local, addr, protocol),
        );
        let conn = ConnId::from_raw(id);
        if refused {
            self.tcp_end(id, End::ConnectFailed(ConnectError::Refused));
            return Ok(conn);
        }
        let timer = self.call_later(
            timeout,
            twinreactor::TimerFn::new(move |r: &mut dyn Reactor| {
                ignore(r.cancel_connect(conn), Why::ConnectSettled);
            }),
        );
        if let Some(c) = self.tcp.conns.get_mut(&id) {
            c.timeout = Some(timer);
        }
        Ok(conn)
    }

    /// `cancel_connect` (also the connect timeout's timer callback: `TimedOut` when the
    /// connection's own timeout timer is the one running).
    pub(super) fn tcp_cancel_connect(&mut self, conn: ConnId) -> Result<(), TcpError> {
        let c = self
            .tcp
            .conns
            .get_mut(&conn.raw())
            .ok_or(TcpError::UnknownConnection(conn))?;
        if c.phase != Phase::Connecting || c.state.ended() {
            return Err(TcpError::NotConnecting(conn));
        }
        let timer = c.timeout.take();
        let error = cancelled_connect(self, timer);
        self.tcp_end(conn.raw(), End::ConnectFailed(error));
        Ok(())
    }

    /// Readiness of a connecting socket: connected, failed, or not yet (a spurious wake-up).
    pub(super) fn tcp_connect_ready(&mut self, id: u64, ready: Ready) {
        if !(ready.writable || ready.error || ready.read_closed || ready.write_closed) {
            return;
        }
        let Some(c) = self.tcp.conns.get(&id) else {
            return;
        };
        if c.state.ended() {
            return;
        }
        let Some((stream, _)) = &c.socket else {
            return;
        };
        let outcome = match stream.take_error() {
            Ok(Some(e)) | Err(e) => Err(e.kind()),
            Ok(None) => match stream.peer_addr() {
                Ok(_) => Ok(stream.local_addr().ok()),
                Err(e) if e.kind() == ErrorKind::NotConnected => return,
                Err(e) => Err(e.kind()),
            },
        };
        match outcome {
            Err(kind) => {
                if let Some(t) = self.tcp.conns.get_mut(&id).and_then(|c| c.timeout.take()) {
                    ignore(self.cancel(t), Why::TimerSettled);
                }
                self.tcp_end(id, End::ConnectFailed(connect_error(kind)));
            }
            Ok(local) => {
                let Some(c) = self.tcp.conns.get_mut(&id) else {
                    return;
                };
                c.phase = Phase::Open;
                if let Some(local) = local {
                    c.local = local;
                }
                if let Some(t) = c.timeout.take() {
                    ignore(self.cancel(t), Why::TimerSettled);
                }
                let conn = ConnId::from_raw(id);
                self.record(TraceEvent::Tcp(TcpTrace::Connected { conn }));
                self.tcp_callback(id, |p, r| p.connected(r, conn));
                // The readiness that completed the connect may also carry data or FIN.
                self.tcp_read_pass(id, true);
            }
        }
    }
}
