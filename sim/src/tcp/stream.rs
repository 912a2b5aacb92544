//! The byte stream: writes, segments in flight, the receive window, reads split at seeded
//! points, FIN and RST, pause and resume, and the final callback.
//!
//! Window accounting is the network's: a sender may have at most `TcpConfig::window` bytes
//! sent and not yet delivered to the receiving protocol (`Conn::rcv_used` of the receiver).
//! When the window is full the bytes wait in the sender's buffer, which is what
//! `buffered()` counts and what the high-water mark applies to. Window updates take no
//! virtual time; a blocked sender resumes sending one latency after the window opens.

use twinreactor::trace::{LossCause, SegmentKind, TcpTrace};
use twinreactor::{
    ConnId, ConnectError, Disconnect, Reactor, StreamProtocol, TcpError, TraceEvent,
};
use twinreactor_kit::{deliver_end, producer_notice, ByteQueue, Driver, End, PeerFinAction};

use super::conn::{Arrival, DrainStep, Msgs, Peer, Phase};
use super::{Segment, MAX_SEGMENT, TAG_CONN};
use crate::choice::unit;
use crate::deliveries::{Args, Lane};
use crate::Sim;
use crate::Site;

/// The byte stream's methods, in the order a byte goes through them:
///
/// 1. the sender: [`Sim::tcp_write`] buffers or sends at once; [`Sim::tcp_send`] cuts what
///    the peer's window takes into segments; [`Sim::tcp_emit_data`] counts them in that
///    window (or strikes the reset fault); [`Sim::tcp_emit`] puts a segment on the wire;
/// 2. the wire: [`Sim::tcp_deliver`] queues it at the receiver, one latency later;
/// 3. the receiver: [`Sim::tcp_arrive`] hands it to
///    [`Conn::arrive`](super::conn::Conn::arrive); [`Sim::tcp_drain`] asks
///    [`Conn::drain_step`](super::conn::Conn::drain_step) what comes next and delivers it:
///    pieces of the bytes held ([`Sim::tcp_deliver_piece`], split by [`Sim::tcp_piece`]),
///    then the peer's FIN or RST;
/// 4. the end: [`Sim::tcp_end`] decides it, [`Sim::tcp_finish`] delivers it, later.
///
/// The `tcp_schedule_*` methods put work in the connection's delivery lane, so that it
/// runs in step 4 and never inside a call.
impl Sim {
    /// `write` and `write_vectored` on the current host.
    ///
    /// One lookup checks the write and either finds the common case (nothing waits, one
    /// buffer that fits one segment: it goes at once if the peer's window has room) or
    /// buffers the bytes; buffered bytes go through [`Sim::tcp_send`].
    pub(super) fn tcp_write(&mut self, conn: ConnId, bufs: &[&[u8]]) -> Result<(), TcpError> {
        let id = conn.raw();
        let c = self.tcp_conn(conn)?;
        c.check_write(conn)?;
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total == 0 {
            return Ok(());
        }
        let direct = match (bufs, c.state.out.is_empty(), c.peer) {
            ([bytes], true, Some(peer)) if bytes.len() <= MAX_SEGMENT => Some((peer, *bytes)),
            _ => {
                c.state.buffer(bufs, 0);
                None
            }
        };
        if let Some((peer, bytes)) = direct {
            if bytes.len() <= self.tcp_window_room(peer) {
                let bytes = self.spare_bytes.filled(bytes);
                self.tcp_emit_data(id, peer, bytes);
                return Ok(());
            }
            // The window is full: the bytes wait like any others.
            self.tcp_conn(conn)?.state.buffer(bufs, 0);
        }
        self.tcp_send(id);
        if self.tcp_conn(conn)?.state.pause_producing_due() {
            self.tcp_schedule_notify(id, true);
        }
        Ok(())
    }

    /// How many more bytes `peer`'s receive window takes (all of it if the peer is gone).
    fn tcp_window_room(&self, peer: Peer) -> usize {
        let window = self.config().tcp.window;
        self.host_ref(peer.host)
            .tcp
            .conns
            .get(&peer.conn)
            .map_or(window, |p| p.window_room(window))
    }

    /// Sends from the current host's connection `id` what the peer's window takes, then FIN
    /// if one is due; tells a paused producer to resume once the buffer is low. One lookup
    /// per segment sent, and one for what the drained buffer calls for.
    pub(super) fn tcp_send(&mut self, id: u64) {
        let host = self.current_index();
        let Some(peer) = self.host_ref(host).tcp.conns.get(&id).and_then(|c| c.peer) else {
            return;
        };
        loop {
            let room = self.tcp_window_room(peer).min(MAX_SEGMENT);
            let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) else {
                return;
            };
            if c.phase != Phase::Open || c.state.out.is_empty() {
                break;
            }
            if room == 0 {
                if let Some(p) = self.host_mut(peer.host).tcp.conns.get_mut(&peer.conn) {
                    p.block_sender();
                }
                break;
            }
            let n = room.min(c.state.out.len());
            let segment = c.state.out.take_front(n);
            self.tcp_emit_data(id, peer, segment);
        }
        let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) else {
            return;
        };
        let resume = c.state.resume_producing_due();
        let fin = if c.phase == Phase::Open {
            c.state.fin_due()
        } else {
            None
        };
        if resume {
            self.tcp_schedule_notify(id, false);
        }
        if let Some(done) = fin {
            self.tcp_emit(peer, id, Segment::Fin);
            if done {
                self.tcp_end(id, End::Disconnect(Disconnect::Done));
            }
        }
    }

    /// Sends `bytes` from connection `id` of the current host to `peer`, counting them in
    /// the peer's window (or resets the connection instead, when the reset fault strikes).
    fn tcp_emit_data(&mut self, id: u64, peer: Peer, bytes: Vec<u8>) {
        let p = self.config().tcp.reset;
        if self.tcp_chance(Site::TcpReset, p) {
            let host = self.current_index();
            if let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) {
                c.reset_by_fault();
            }
            self.tcp_emit(peer, id, Segment::Rst);
            // Perhaps inside a call (`write`): the reset is delivered later.
            self.tcp_schedule_drain(id);
            return;
        }
        if let Some(p) = self.host_mut(peer.host).tcp.conns.get_mut(&peer.conn) {
            p.reserve_window(bytes.len());
        }
        self.tcp_emit(peer, id, Segment::Data(bytes));
    }

    /// Sends `segment` from connection `from` of the current host to arrive at `to` one
    /// latency from now. Segments wait in order in the receiver's `incoming` queue, and
    /// data sent at one instant to one receiver travels as one segment (as a real stack
    /// coalesces small writes): an echo of a split read is not split in two again.
    /// Across a partition the segment is held until it heals (`hold.rs`).
    pub(super) fn tcp_emit(&mut self, to: Peer, from: u64, segment: Segment) {
        let sender = Peer {
            host: self.current_index(),
            conn: from,
        };
        let msg = self.tcp_sent(Some(from), segment.kind(), to.host);
        self.tcp_transmit(sender.host, to.host, from, move |sim| {
            sim.tcp_deliver(sender, to, segment, Msgs::one(msg));
        });
    }

    /// A fresh message id for a segment leaving connection `from` (if any) of the current
    /// host for `to_host`, and its `sent` trace line.
    pub(super) fn tcp_sent(
        &mut self,
        from: Option<u64>,
        segment: SegmentKind,
        to_host: usize,
    ) -> u64 {
        let msg = self.next_message();
        self.record_sent(from, segment, msg, to_host as u32);
        msg
    }

    /// The `lost` trace line of segment `msg`.
    pub(super) fn tcp_lost(&mut self, msg: u64, cause: LossCause) {
        self.record(TraceEvent::Tcp(TcpTrace::Lost { msg, cause }));
    }

    /// The `arrived` trace line of segments `msgs`, on the current host.
    pub(super) fn tcp_arrived(&mut self, msgs: &Msgs) {
        let (first, more) = msgs.ids();
        self.record_arrived(first, more);
    }

    /// Schedules `segment` from `sender` to arrive at `to` one latency from now (see
    /// [`Sim::tcp_emit`]).
    pub(super) fn tcp_deliver(&mut self, sender: Peer, to: Peer, segment: Segment, msgs: Msgs) {
        let len = match &segment {
            Segment::Data(bytes) => bytes.len(),
            Segment::Fin | Segment::Rst => 0,
        };
        let sent = self.tcp_link_done(sender.host, to.host, len);
        let at = sent.saturating_add(self.tcp_delay(sender.host, to.host));
        let lane = Lane::Tcp(TAG_CONN, to.conn);
        let Some(c) = self.host_mut(to.host).tcp.conns.get_mut(&to.conn) else {
            // Nobody there: the segment travels alone (data will be answered with RST).
            self.schedule_io(to.host, at, lane, move |sim| {
                sim.tcp_arrived(&msgs);
                sim.tcp_arrive(to.conn, Some(sender), segment);
            });
            return;
        };
        if !c.enqueue(at, segment, msgs) {
            return;
        }
        let args = [sender.host as u64, sender.conn, to.conn];
        self.schedule_call(to.host, at, lane, Sim::tcp_arrive_next, args);
    }

    /// The delivery [`Sim::tcp_deliver`] schedules: the first segment on its way to
    /// connection `args[2]` of the current host arrives, from connection `args[1]` of host
    /// `args[0]`.
    fn tcp_arrive_next(&mut self, args: Args) {
        let [sender_host, sender_conn, conn] = args;
        let sender = Peer {
            host: sender_host as usize,
            conn: sender_conn,
        };
        let host = self.current_index();
        let next = self
            .host_mut(host)
            .tcp
            .conns
            .get_mut(&conn)
            .and_then(|c| c.incoming.pop_front());
        if let Some((_, segment, msgs)) = next {
            self.tcp_arrived(&msgs);
            self.tcp_arrive(conn, Some(sender), segment);
        }
    }

    /// A segment from `from` arrives at connection `id` of the current host.
    pub(super) fn tcp_arrive(&mut self, id: u64, from: Option<Peer>, segment: Segment) {
        let host = self.current_index();
        let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) else {
            // A closed port answers data with RST.
            if let (Segment::Data(_), Some(from)) = (&segment, from) {
                self.tcp_emit(from, id, Segment::Rst);
            }
            return;
        };
        match c.arrive(segment) {
            Arrival::Drain => self.tcp_drain(id),
            Arrival::Discard => {}
            Arrival::Reset => {
                if let Some(from) = from {
                    self.tcp_emit(from, id, Segment::Rst);
                }
            }
            Arrival::Refused => self.tcp_end(id, End::ConnectFailed(ConnectError::Refused)),
        }
    }

    /// Delivers what connection `id` of the current host holds, if it may: data in seeded
    /// pieces, then the peer's FIN or RST. Stops while reading is paused or closed.
    pub(super) fn tcp_drain(&mut self, id: u64) {
        let host = self.current_index();
        let conn = ConnId::from_raw(id);
        loop {
            let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) else {
                return;
            };
            if c.notice_pending {
                // Not connected yet in the protocol's eyes: data waits for the notice; a
                // reset makes the connect fail, as a loopback OS reports it.
                if c.peer_rst {
                    c.notice_pending = false;
                    let reset = ConnectError::Io(std::io::ErrorKind::ConnectionReset);
                    self.tcp_end(id, End::ConnectFailed(reset));
                }
                return;
            }
            let action = match c.drain_step() {
                DrainStep::Stop => return,
                DrainStep::Reset => {
                    self.tcp_end(id, End::Disconnect(Disconnect::Reset));
                    return;
                }
                DrainStep::Piece => {
                    // One piece: the bytes and the protocol are taken out while it runs,
                    // and the window opens by the piece's size.
                    let buf = std::mem::take(&mut c.inbuf);
                    let n = self.tcp_piece(buf.len());
                    self.tcp_deliver_piece(host, id, buf, n);
                    continue;
                }
                DrainStep::PeerFin(action) => action,
            };
            match action {
                PeerFinAction::EndDone => self.tcp_end(id, End::Disconnect(Disconnect::Done)),
                PeerFinAction::ReadClosed => {
                    self.record(TraceEvent::Tcp(TcpTrace::ReadClosed { conn }));
                    self.tcp_callback(id, |p, r| p.read_closed(r, conn));
                }
                // A protocol without half-close is closed: what it wrote is flushed, then
                // FIN, then `Done`.
                PeerFinAction::FlushThenFin => self.tcp_send(id),
            }
            return;
        }
    }

    /// Delivers the first `n` bytes of `buf` (connection `id`'s waiting bytes, taken out of
    /// it) to its protocol, and puts the rest back if the connection still reads.
    fn tcp_deliver_piece(&mut self, host: usize, id: u64, mut buf: ByteQueue, n: usize) {
        let conn = ConnId::from_raw(id);
        let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) else {
            return;
        };
        let Some(mut protocol) = c.protocol.take() else {
            return;
        };
        if let Some(sender) = c.deliver_window(n) {
            self.tcp_schedule_send(sender);
        }
        let waiting = buf.len() - n;
        self.record_data(id, n, waiting);
        protocol.data(self, conn, &buf.as_slice()[..n]);
        buf.consume(n);
        if buf.is_empty() {
            self.spare_bytes
                .give(std::mem::take(&mut buf).into_buffer());
        }
        if let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) {
            if c.protocol.is_none() {
                c.protocol = Some(protocol);
            }
            if c.phase == Phase::Open && !buf.is_empty() {
                buf.push(c.inbuf.as_slice());
                c.inbuf = buf;
            }
        }
    }

    /// How many of `len` waiting bytes the next read delivers: all of them or, with
    /// probability `TcpConfig::read_split`, a seeded random prefix of 1 to `len - 1` bytes.
    /// One draw decides both: its high 53 bits whether, its low 32 bits where.
    fn tcp_piece(&mut self, len: usize) -> usize {
        let p = self.config().tcp.read_split;
        if p <= 0.0 || len < 2 {
            return len;
        }
        let raw = self.draw_fault(Site::TcpReadSplit, p);
        if unit(raw) >= p {
            return len;
        }
        let cut = ((raw & 0xffff_ffff) as u128 * (len - 1) as u128) >> 32;
        1 + cut as usize
    }

    /// Schedules a send attempt by `sender` (whose receiver's window opened) one latency
    /// from now.
    pub(super) fn tcp_schedule_send(&mut self, sender: Peer) {
        let at = self.now_virtual().saturating_add(self.config().tcp.latency);
        self.schedule_io(
            sender.host,
            at,
            Lane::Tcp(TAG_CONN, sender.conn),
            move |sim| {
                sim.tcp_send(sender.conn);
            },
        );
    }

    /// Schedules a `pause_producing` (true) or `resume_producing` notification now.
    fn tcp_schedule_notify(&mut self, id: u64, pause: bool) {
        let host = self.current_index();
        let at = self.now_virtual();
        self.schedule_io(host, at, Lane::Tcp(TAG_CONN, id), move |sim| {
            let conn = ConnId::from_raw(id);
            let open = sim
                .host_ref(host)
                .tcp
                .conns
                .get(&id)
                .is_some_and(|c| c.phase == Phase::Open);
            if !open {
                return;
            }
            let (event, call) = producer_notice(conn, pause);
            sim.record(event);
            sim.tcp_callback(id, |p, r| call(p, r, conn));
        });
    }

    /// Schedules a drain of connection `id` of the current host now (after `resume_reading`).
    pub(super) fn tcp_schedule_drain(&mut self, id: u64) {
        let host = self.current_index();
        let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) else {
            return;
        };
        if c.drain_scheduled {
            return;
        }
        c.drain_scheduled = true;
        let at = self.now_virtual();
        self.schedule_io(host, at, Lane::Tcp(TAG_CONN, id), move |sim| {
            if let Some(c) = sim.host_mut(host).tcp.conns.get_mut(&id) {
                c.drain_scheduled = false;
            }
            sim.tcp_drain(id);
        });
    }

    /// Decides how connection `id` of the current host ends and schedules its final callback
    /// now (so it never runs inside a call). The first decision wins.
    pub(super) fn tcp_end(&mut self, id: u64, end: End) {
        let host = self.current_index();
        let Some(c) = self.host_mut(host).tcp.conns.get_mut(&id) else {
            return;
        };
        if !c.end(end) {
            return;
        }
        let at = self.now_virtual();
        self.schedule_io(host, at, Lane::Tcp(TAG_CONN, id), move |sim| {
            sim.tcp_finish(id);
        });
    }

    /// Removes connection `id` of the current host and delivers its final callback; the
    /// protocol is dropped afterwards.
    pub(super) fn tcp_finish(&mut self, id: u64) {
        let host = self.current_index();
        let Some(mut c) = self.host_mut(host).tcp.conns.remove(&id) else {
            return;
        };
        if let Some(port) = c.ephemeral {
            self.host_mut(host).tcp.ports_in_use.remove(&port);
        }
        if let Some(t) = c.timeout.take() {
            let _ = self.cancel(t);
        }
        let data_coming = c
            .incoming
            .iter()
            .any(|(_, segment, _)| matches!(segment, Segment::Data(_)));
        if data_coming && !c.rst_sent {
            // Data still on its way to an endpoint that is gone: the peer is reset.
            if let Some(peer) = c.peer {
                self.tcp_emit(peer, id, Segment::Rst);
            }
        }
        if c.sender_blocked {
            // The peer waits for a window that will not open: let it send, to be reset.
            if let Some(peer) = c.peer {
                self.tcp_schedule_send(peer);
            }
        }
        match c.protocol.take() {
            Some(protocol) => deliver_end(self, ConnId::from_raw(id), protocol, c.state.end),
            // One of its own callbacks is running: the end follows when it returns.
            None => {
                self.host_mut(host).tcp.end_due.insert(id, c.state.end);
            }
        }
    }

    /// Calls `f` with connection `id`'s protocol (of the current host), taken out of the
    /// table meanwhile and put back after if the connection still exists; if it ended
    /// meanwhile, its final callback follows.
    pub(super) fn tcp_callback(
        &mut self,
        id: u64,
        f: impl FnOnce(&mut dyn StreamProtocol, &mut dyn Reactor),
    ) {
        let host = self.current_index();
        let Some(mut protocol) = self
            .host_mut(host)
            .tcp
            .conns
            .get_mut(&id)
            .and_then(|c| c.protocol.take())
        else {
            return;
        };
        f(&mut *protocol, self);
        let tcp = &mut self.host_mut(host).tcp;
        if let Some(c) = tcp.conns.get_mut(&id) {
            if c.protocol.is_none() {
                c.protocol = Some(protocol);
            }
        } else if let Some(end) = tcp.end_due.remove(&id) {
            deliver_end(self, ConnId::from_raw(id), protocol, end);
        }
    }
}
