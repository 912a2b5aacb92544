//! The byte stream on a socket: reads until `WouldBlock`, writes straight to the kernel and
//! buffers the rest, FIN by `shutdown(Write)`, RST by `SO_LINGER` 0, and the final callback.

use std::io::{ErrorKind, IoSlice, Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use twinreactor::trace::TcpTrace;
use twinreactor::{ConnId, Disconnect, Reactor, StreamProtocol, TcpError, TraceEvent};
use twinreactor_kit::{deliver_end, producer_notice, Driver, End, PeerFinAction};

use super::conn::Phase;
use super::READS_PER_PASS;
use crate::ignore::{ignore, Why};
use crate::RealReactor;

/// How an I/O error ends a connection.
fn disconnect(kind: ErrorKind) -> Disconnect {
    match kind {
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Disconnect::Reset
        }
        kind => Disconnect::Io(kind),
    }
}

impl RealReactor {
    /// `write` and `write_vectored`: straight to the kernel while nothing is buffered, the
    /// rest buffered and sent as the socket becomes writable.
    pub(super) fn tcp_write(&mut self, conn: ConnId, bufs: &[&[u8]]) -> Result<(), TcpError> {
        let id = conn.raw();
        let c = self
            .tcp
            .conns
            .get_mut(&id)
            .ok_or(TcpError::UnknownConnection(conn))?;
        match c.phase {
            Phase::Connecting => return Err(TcpError::NotConnected(conn)),
            Phase::Open | Phase::Ending => c.state.check_write(conn)?,
        }
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Ok(());
        }
        let mut sent = 0;
        let mut failed = None;
        if c.state.out.is_empty() {
            if let Some((stream, _)) = &mut c.socket {
                let result = match bufs {
                    [one] => stream.write(one),
                    _ => {
                        let slices: Vec<IoSlice<'_>> =
                            bufs.iter().map(|b| IoSlice::new(b)).collect();
                        stream.write_vectored(&slices)
                    }
                };
                match result {
                    Ok(n) => sent = n,
                    Err(e)
                        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
                    Err(e) => failed = Some(e.kind()),
                }
            }
        }
        if let Some(kind) = failed {
            // The connection broke: what was written can no longer arrive.
            self.tcp_end(id, End::Disconnect(disconnect(kind)));
            return Ok(());
        }
        c.state.buffer(bufs, sent);
        if c.state.pause_producing_due() {
            self.tcp_defer_notify(id, true);
        }
        Ok(())
    }

    /// Sends what is buffered until the kernel takes no more, then `shutdown(Write)` if a
    /// FIN is due; tells a paused producer to resume once the buffer is low.
    pub(super) fn tcp_send(&mut self, id: u64) {
        let Some(c) = self.tcp.conns.get_mut(&id) else {
            return;
        };
        if c.phase != Phase::Open {
            return;
        }
        let Some((stream, _)) = &mut c.socket else {
            return;
        };
        let mut failed = None;
        while !c.state.out.is_empty() {
            match stream.write(c.state.out.as_slice()) {
                Ok(n) => c.state.out.consume(n),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => {
                    failed = Some(e.kind());
                    break;
                }
            }
        }
        if let Some(kind) = failed {
            self.tcp_end(id, End::Disconnect(disconnect(kind)));
            return;
        }
        if c.state.resume_producing_due() {
            self.tcp_defer_notify(id, false);
        }
        let Some(c) = self.tcp.conns.get_mut(&id) else {
            return;
        };
        if let Some(done) = c.state.fin_due() {
            let shut = c.socket.as_ref().map(|(s, _)| s.shutdown(Shutdown::Write));
            match shut {
                Some(Err(e)) if e.kind() != ErrorKind::NotConnected => {
                    self.tcp_end(id, End::Disconnect(disconnect(e.kind())));
                }
                _ if done => self.tcp_end(id, End::Disconnect(Disconnect::Done)),
                _ => {}
            }
        }
    }

    /// Reads and delivers until `WouldBlock` (or a short read, unless `until_blocked`), at
    /// most [`READS_PER_PASS`] reads now and the rest in a deferred pass. Stops while reading
    /// is paused or closed; the peer's FIN is delivered after the data before it.
    pub(super) fn tcp_read_pass(&mut self, id: u64, until_blocked: bool) {
        let conn = ConnId::from_raw(id);
        for _ in 0..READS_PER_PASS {
            let Some(c) = self.tcp.conns.get_mut(&id) else {
                return;
            };
            let st = &c.state;
            if c.phase != Phase::Open || st.closing || st.reading_paused || c.protocol.is_none() {
                return;
            }
            if st.fin_delivered {
                return;
            }
            let Some((stream, _)) = &mut c.socket else {
                return;
            };
            let mut buf = std::mem::take(&mut self.tcp.scratch);
            let read = stream.read(&mut buf);
            match read {
                Ok(0) => {
                    self.tcp.scratch = buf;
                    self.tcp_peer_fin(id);
                    return;
                }
                Ok(n) => {
                    self.record(TraceEvent::Tcp(TcpTrace::Data {
                        conn,
                        len: n,
                        waiting: 0,
                    }));
                    self.tcp_callback(id, |p, r| p.data(r, conn, &buf[..n]));
                    let short = n < buf.len();
                    self.tcp.scratch = buf;
                    // A short read emptied the socket: a later arrival raises a new edge.
                    if short && !until_blocked {
                        return;
                    }
                }
                Err(e) => {
                    self.tcp.scratch = buf;
                    match e.kind() {
                        ErrorKind::Interrupted => {}
                        ErrorKind::WouldBlock => return,
                        kind => {
                            self.tcp_end(id, End::Disconnect(disconnect(kind)));
                            return;
                        }
                    }
                }
            }
        }
        self.tcp_defer_read(id);
    }

    /// Queues a read pass for the next iteration (after `resume_reading`, or when a pass
    /// used its budget): edge-triggered readiness would not come again for data already
    /// waiting.
    pub(super) fn tcp_defer_read(&mut self, id: u64) {
        let Some(c) = self.tcp.conns.get_mut(&id) else {
            return;
        };
        if c.read_deferred {
            return;
        }
        c.read_deferred = true;
        self.defer(move |r| {
            if let Some(c) = r.tcp.conns.get_mut(&id) {
                c.read_deferred = false;
            }
            r.tcp_read_pass(id, true);
        });
    }

    /// The peer's FIN, after all data before it: `read_closed` for a protocol that accepts
    /// half-close; otherwise the connection closes (flushing first), then `Done`.
    fn tcp_peer_fin(&mut self, id: u64) {
        let conn = ConnId::from_raw(id);
        let Some(c) = self.tcp.conns.get_mut(&id) else {
            return;
        };
        let half_close = c.protocol.as_ref().is_some_and(|p| p.accepts_half_close());
        match c.state.peer_fin(half_close) {
            PeerFinAction::EndDone => self.tcp_end(id, End::Disconnect(Disconnect::Done)),
            PeerFinAction::ReadClosed => {
                self.record(TraceEvent::Tcp(TcpTrace::ReadClosed { conn }));
                self.tcp_callback(id, |p, r| p.read_closed(r, conn));
            }
            PeerFinAction::FlushThenFin => self.tcp_send(id),
        }
    }

    /// Defers a `pause_producing` (true) or `resume_producing` notification.
    fn tcp_defer_notify(&mut self, id: u64, pause: bool) {
        self.defer(move |r| {
            let conn = ConnId::from_raw(id);
            if r.tcp.conns.get(&id).map(|c| c.phase) != Some(Phase::Open) {
                return;
            }
            let (event, call) = producer_notice(conn, pause);
            r.record(event);
            r.tcp_callback(id, |p, r| call(p, r, conn));
        });
    }

    /// `abort` (the buffer already discarded): RST now (`SO_LINGER` 0, then the socket is
    /// closed), `Aborted` later.
    pub(super) fn tcp_abort(&mut self, id: u64) {
        if let Some(c) = self.tcp.conns.get_mut(&id) {
            if let Some((mut stream, token)) = c.socket.take() {
                let linger = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                ignore(linger, Why::LingerBestEffort);
                self.unregister(&mut stream, token);
            }
        }
        self.tcp_end(id, End::Disconnect(Disconnect::Aborted));
    }

    /// Decides how connection `id` ends and defers its final callback (so it never runs
    /// inside a call). The first decision wins.
    pub(super) fn tcp_end(&mut self, id: u64, end: End) {
        let Some(c) = self.tcp.conns.get_mut(&id) else {
            return;
        };
        if !c.state.decide_end(end) {
            return;
        }
        c.phase = Phase::Ending;
        self.defer(move |r| r.tcp_finish(id));
    }

    /// Removes connection `id`, closes its socket, and delivers its final callback; the
    /// protocol is dropped afterwards.
    pub(super) fn tcp_finish(&mut self, id: u64) {
        let Some(mut c) = self.tcp.conns.remove(&id) else {
            return;
        };
        if let Some(t) = c.timeout.take() {
            ignore(self.cancel(t), Why::TimerSettled);
        }
        if let Some((mut stream, token)) = c.socket.take() {
            if c.state.end == Some(End::Disconnect(Disconnect::Done)) {
                // Unread bytes at close make the kernel send RST instead of FIN: discard
                // what already came (bounded), so a clean close stays clean.
                let mut sink = [0u8; 4096];
                for _ in 0..64 {
                    match stream.read(&mut sink) {
                        Ok(n) if n > 0 => {}
                        _ => break,
                    }
                }
            }
            self.unregister(&mut stream, token);
        }
        match c.protocol.take() {
            Some(protocol) => deliver_end(self, ConnId::from_raw(id), protocol, c.state.end),
            // One of its own callbacks is running: the end follows when it returns.
            None => {
                self.tcp.end_due.insert(id, c.state.end);
            }
        }
    }

    /// Calls `f` with connection `id`'s protocol, taken out of the table meanwhile and put
    /// back after if the connection still exists; if it ended meanwhile, its final callback
    /// follows.
    pub(super) fn tcp_callback(
        &mut self,
        id: u64,
        f: impl FnOnce(&mut dyn StreamProtocol, &mut dyn Reactor),
    ) {
        let Some(mut protocol) = self.tcp.conns.get_mut(&id).and_then(|c| c.protocol.take()) else {
            return;
        };
        f(&mut *protocol, self);
        if let Some(c) = self.tcp.conns.get_mut(&id) {
            if c.protocol.is_none() {
                c.protocol = Some(protocol);
            }
        } else if let Some(end) = self.tcp.end_due.remove(&id) {
            deliver_end(self, ConnId::from_raw(id), protocol, end);
        }
    }
}
