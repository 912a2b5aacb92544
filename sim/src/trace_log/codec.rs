//! The compact form of a stored trace line: a head byte, then variable-length numbers.
//!
//! A line's head byte holds its kind's tag (low 4 bits), its host (3 bits; [`HOST_FOLLOWS`]
//! when the host number follows instead) and whether its time differs from the line
//! before's (high bit; the difference follows). The frequent kinds follow with their ids and
//! numbers, message ids again as a difference from the message id written last; the most
//! frequent shapes (`tcp sent` of data, `tcp data` with nothing waiting, `tcp arrived` of
//! one message, a host's repeat of its last `tcp sent` of data or `tcp data`) have tags of
//! their own that spare bytes; so have a datagram's `udp sent` and `udp datagram` lines
//! (IPv4 addresses as their four bytes). Any other kind is written as the bare tag [`OTHER`]
//! and its event is kept whole beside the bytes, in order. Text (notes, event names,
//! addresses) is therefore produced only when a line is rendered.

use std::time::Duration;

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use twinreactor::trace::{SegmentKind, TcpTrace, UdpTrace};
use twinreactor::{CompletionId, ConnId, SocketId, TimerId, TraceEvent, TraceLine};

use super::udp_line;

/// The head's host bits of a line whose host number follows the head.
const HOST_FOLLOWS: u8 = 7;
/// The head's bit of a line whose time differs from the line before's.
const TIME_MOVED: u8 = 0x80;

/// The tag of a line whose event is kept whole, out of line.
const OTHER: u8 = 0;
const TIMER_FIRED: u8 = 1;
/// `completed` or `remote-ran` (a kind byte follows, then the number).
const CALL_EVENT: u8 = 2;
/// `udp sent` from the socket, to the address and of the size of the last one from this
/// host (only the message id follows).
const UDP_SENT_AGAIN: u8 = 3;
/// `tcp sent` of anything but data from a connection, or of anything with no connection (a
/// refusal's reset): the segment kind byte ([`BARE`] set for no connection) comes first.
const TCP_SENT: u8 = 4;
/// `udp datagram` to the socket, from the address and of the size of the last one on this
/// host (only the message id follows).
const UDP_DATAGRAM_AGAIN: u8 = 5;
const TCP_ARRIVED: u8 = 6;
const TCP_DATA: u8 = 7;
/// `tcp read-closed`, `pause-producing` or `resume-producing` (a kind byte follows).
const TCP_CONN_EVENT: u8 = 8;
/// `udp sent` to an IPv4 address.
const UDP_SENT: u8 = 9;
/// `udp datagram` from an IPv4 address, with its message id.
const UDP_DATAGRAM: u8 = 10;
/// `tcp sent` of data from a connection (no segment kind byte).
const TCP_SENT_DATA: u8 = 11;
/// `tcp data` with nothing left waiting (no `waiting` number).
const TCP_DATA_ALL: u8 = 12;
/// `tcp arrived` of one message (no count).
const TCP_ARRIVED_ONE: u8 = 13;
/// `tcp sent` of data from the connection, of the length and to the host of the last one
/// from this host (only the message id follows).
const TCP_SENT_AGAIN: u8 = 14;
/// `tcp data` of the connection and length of the last one on this host, with nothing left
/// waiting (nothing follows).
const TCP_DATA_AGAIN: u8 = 15;

/// The bit of a [`TCP_SENT`] line's kind byte that says no connection follows.
const BARE: u8 = 8;

/// Hosts below this number (those the head names) have their last `tcp sent` of data, `tcp
/// data`, `udp sent` and `udp datagram` remembered, for [`TCP_SENT_AGAIN`],
/// [`TCP_DATA_AGAIN`], [`UDP_SENT_AGAIN`] and [`UDP_DATAGRAM_AGAIN`].
const REMEMBERED: usize = HOST_FOLLOWS as usize;

/// At most this many message ids make a compact `tcp arrived` line (more, joined at one
/// instant, are rare: such a line is kept whole).
pub(super) const ARRIVED_MAX: usize = 4;

/// The most bytes a line takes: `tcp sent` (a tag, a segment kind and six numbers, of at
/// most 10 bytes) and `tcp arrived` fit.
pub(super) const MAX_LINE: usize = 64;

/// What decoding the next line needs to know of the lines before it.
#[derive(Clone, Copy, Default)]
pub(super) struct Cursor {
    /// The time of the line before, in nanoseconds.
    at: u64,
    /// The message id written last.
    msg: u64,
    /// The index of the next event kept out of line.
    other: usize,
    /// By host: the connection, length and destination of its last `tcp sent` of data.
    sent: [(u64, usize, u32); REMEMBERED],
    /// By host: the connection and length of its last `tcp data`.
    data: [(u64, usize); REMEMBERED],
    /// By host: the socket, address and size of its last `udp sent` (0) and `udp datagram`
    /// (1).
    udp: [[Datagram; REMEMBERED]; 2],
}

/// What a host's last `udp sent` or `udp datagram` said besides its message id: the socket,
/// the other end's address and port, the size.
#[derive(Clone, Copy, Default, PartialEq)]
struct Datagram(u64, u32, u16, usize);

/// Where a line is written, and how many bytes it has taken.
pub(super) struct Out<'a> {
    buf: &'a mut [u8; MAX_LINE],
    pub(super) len: usize,
}

impl<'a> Out<'a> {
    pub(super) fn new(buf: &'a mut [u8; MAX_LINE]) -> Self {
        Self { buf, len: 0 }
    }

    /// Writes `b` next. A line never takes more than [`MAX_LINE`] bytes: the index wraps
    /// only so that there is no bounds check.
    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.buf[self.len % MAX_LINE] = b;
        self.len += 1;
    }

    /// A number in 7-bit groups, low first, the high bit set on all but the last.
    #[inline(always)]
    fn put(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.byte(n as u8 | 0x80);
            n >>= 7;
        }
        self.byte(n as u8);
    }

    /// A difference that may be negative, zigzagged so that small ones of either sign are
    /// short.
    #[inline(always)]
    fn put_signed(&mut self, diff: u64) {
        self.put((diff << 1) ^ ((diff as i64 >> 63) as u64));
    }

    #[inline(always)]
    fn put_msg(&mut self, cur: &mut Cursor, msg: u64) {
        self.put_signed(msg.wrapping_sub(cur.msg));
        cur.msg = msg;
    }

    /// A line's tag, host and time.
    #[inline(always)]
    fn head(&mut self, cur: &mut Cursor, tag: u8, at: Duration, host: u32) {
        let folded = host.min(u32::from(HOST_FOLLOWS)) as u8;
        let at = nanos(at);
        let moved = at != cur.at;
        self.byte(tag | folded << 4 | if moved { TIME_MOVED } else { 0 });
        if folded == HOST_FOLLOWS {
            self.put(u64::from(host));
        }
        if moved {
            self.put_signed(at.wrapping_sub(cur.at));
            cur.at = at;
        }
    }
}

impl Out<'_> {
    /// A `tcp` line of one of the connection events `kind` numbers (see [`TCP_CONN_EVENT`]).
    #[inline(always)]
    fn conn_event(&mut self, cur: &mut Cursor, at: Duration, host: u32, kind: u8, conn: ConnId) {
        self.head(cur, TCP_CONN_EVENT, at, host);
        self.byte(kind);
        self.put(conn.raw());
    }

    /// What a `udp sent` or `udp datagram` line says after its head: the socket, the other
    /// end's address, the size and the message id.
    #[inline(always)]
    fn datagram(
        &mut self,
        cur: &mut Cursor,
        socket: SocketId,
        addr: SocketAddrV4,
        len: usize,
        msg: u64,
    ) {
        self.put(socket.raw());
        for b in addr.ip().octets() {
            self.byte(b);
        }
        self.put(u64::from(addr.port()));
        self.put(len as u64);
        self.put_msg(cur, msg);
    }
}

/// Writes the line (`at`, `host`, `event`). Returns false when `event` is not of a compact
/// kind: the caller keeps it, as the next out-of-line event.
#[inline(always)]
pub(super) fn encode(
    out: &mut Out<'_>,
    cur: &mut Cursor,
    at: Duration,
    host: u32,
    event: &TraceEvent,
) -> bool {
    match event {
        TraceEvent::TimerFired(t) => {
            out.head(cur, TIMER_FIRED, at, host);
            out.put(t.raw());
        }
        TraceEvent::Completed(c) => {
            out.head(cur, CALL_EVENT, at, host);
            out.byte(0);
            out.put(c.raw());
        }
        TraceEvent::RemoteRan(n) => {
            out.head(cur, CALL_EVENT, at, host);
            out.byte(1);
            out.put(*n);
        }
        TraceEvent::Tcp(TcpTrace::Sent {
            conn,
            segment,
            msg,
            to_host,
        }) => encode_sent(
            out,
            cur,
            at,
            host,
            conn.map(ConnId::raw),
            *segment,
            *msg,
            *to_host,
        ),
        TraceEvent::Tcp(TcpTrace::Arrived { msgs }) if msgs.len() <= ARRIVED_MAX => {
            match msgs.split_first() {
                Some((first, more)) => encode_arrived(out, cur, at, host, *first, more),
                None => {
                    out.head(cur, TCP_ARRIVED, at, host);
                    out.put(0);
                }
            }
        }
        TraceEvent::Tcp(TcpTrace::Data { conn, len, waiting }) => {
            encode_data(out, cur, at, host, conn.raw(), *len, *waiting);
        }
        TraceEvent::Tcp(TcpTrace::ReadClosed { conn }) => out.conn_event(cur, at, host, 0, *conn),
        TraceEvent::Tcp(TcpTrace::PauseProducing { conn }) => {
            out.conn_event(cur, at, host, 1, *conn);
        }
        TraceEvent::Tcp(TcpTrace::ResumeProducing { conn }) => {
            out.conn_event(cur, at, host, 2, *conn);
        }
        TraceEvent::Udp(UdpTrace::Sent {
            socket,
            to: SocketAddr::V4(to),
            len,
            msg,
        }) => encode_udp(out, cur, at, host, true, *socket, *to, *len, *msg),
        TraceEvent::Udp(UdpTrace::Datagram {
            socket,
            from: SocketAddr::V4(from),
            len,
            msg: Some(msg),
        }) => encode_udp(out, cur, at, host, false, *socket, *from, *len, *msg),
        _ => {
            out.head(cur, OTHER, at, host);
            cur.other += 1;
            return false;
        }
    }
    true
}

/// Writes a `tcp sent` line, the bytes [`encode`] writes for one.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn encode_sent(
    out: &mut Out<'_>,
    cur: &mut Cursor,
    at: Duration,
    host: u32,
    conn: Option<u64>,
    segment: SegmentKind,
    msg: u64,
    to_host: u32,
) {
    match (conn, segment) {
        (Some(conn), SegmentKind::Data(len)) => {
            let line = (conn, len, to_host);
            match cur.sent.get_mut(host as usize) {
                Some(last) if *last == line => {
                    out.head(cur, TCP_SENT_AGAIN, at, host);
                    out.put_msg(cur, msg);
                    return;
                }
                Some(last) => *last = line,
                None => {}
            }
            out.head(cur, TCP_SENT_DATA, at, host);
            out.put(conn);
            out.put(len as u64);
        }
        (conn, segment) => {
            out.head(cur, TCP_SENT, at, host);
            let kind = match segment {
                SegmentKind::Syn => 0,
                SegmentKind::SynAck => 1,
                SegmentKind::Ack => 2,
                SegmentKind::Data(_) => 3,
                SegmentKind::Fin => 4,
                SegmentKind::Rst => 5,
            };
            out.byte(kind | if conn.is_none() { BARE } else { 0 });
            if let Some(conn) = conn {
                out.put(conn);
            }
            if let SegmentKind::Data(len) = segment {
                out.put(len as u64);
            }
        }
    }
    out.put_msg(cur, msg);
    out.put(u64::from(to_host));
}

/// Writes a `udp sent` (`sent`) or `udp datagram` line of an IPv4 datagram, the bytes
/// [`encode`] writes for one.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) fn encode_udp(
    out: &mut Out<'_>,
    cur: &mut Cursor,
    at: Duration,
    host: u32,
    sent: bool,
    socket: SocketId,
    addr: SocketAddrV4,
    len: usize,
    msg: u64,
) {
    let line = Datagram(socket.raw(), addr.ip().to_bits(), addr.port(), len);
    match cur.udp[usize::from(!sent)].get_mut(host as usize) {
        Some(last) if *last == line => {
            let tag = if sent {
                UDP_SENT_AGAIN
            } else {
                UDP_DATAGRAM_AGAIN
            };
            out.head(cur, tag, at, host);
            out.put_msg(cur, msg);
            return;
        }
        Some(last) => *last = line,
        None => {}
    }
    out.head(cur, if sent { UDP_SENT } else { UDP_DATAGRAM }, at, host);
    out.datagram(cur, socket, addr, len, msg);
}

/// Writes a `tcp data` line, the bytes [`encode`] writes for one.
#[inline(always)]
pub(super) fn encode_data(
    out: &mut Out<'_>,
    cur: &mut Cursor,
    at: Duration,
    host: u32,
    conn: u64,
    len: usize,
    waiting: usize,
) {
    match cur.data.get_mut(host as usize) {
        Some(last) if *last == (conn, len) && waiting == 0 => {
            out.head(cur, TCP_DATA_AGAIN, at, host);
            return;
        }
        Some(last) => *last = (conn, len),
        None => {}
    }
    let tag = if waiting == 0 { TCP_DATA_ALL } else { TCP_DATA };
    out.head(cur, tag, at, host);
    out.put(conn);
    out.put(len as u64);
    if waiting != 0 {
        out.put(waiting as u64);
    }
}

/// Writes a `tcp arrived` line of message ids `first` and `more` (at most
/// [`ARRIVED_MAX`] in all), the bytes [`encode`] writes for one.
#[inline(always)]
pub(super) fn encode_arrived(
    out: &mut Out<'_>,
    cur: &mut Cursor,
    at: Duration,
    host: u32,
    first: u64,
    more: &[u64],
) {
    if more.is_empty() {
        out.head(cur, TCP_ARRIVED_ONE, at, host);
    } else {
        out.head(cur, TCP_ARRIVED, at, host);
        out.put(1 + more.len() as u64);
    }
    out.put_msg(cur, first);
    for &msg in more {
        out.put_msg(cur, msg);
    }
}

/// Reads lines back from bytes [`encode`] wrote.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    /// The next line; `others` are the events kept out of line.
    pub(super) fn line(&mut self, cur: &mut Cursor, others: &[TraceEvent]) -> TraceLine {
        let head = self.bytes[self.pos];
        self.pos += 1;
        let host = match (head >> 4) & HOST_FOLLOWS {
            HOST_FOLLOWS => self.get() as u32,
            folded => u32::from(folded),
        };
        if head & TIME_MOVED != 0 {
            cur.at = cur.at.wrapping_add(self.get_signed());
        }
        let tag = head & 0xf;
        let event = match tag {
            TIMER_FIRED => TraceEvent::TimerFired(TimerId::from_raw(self.get())),
            CALL_EVENT => {
                let kind = self.bytes[self.pos];
                self.pos += 1;
                match kind {
                    0 => TraceEvent::Completed(CompletionId::from_raw(self.get())),
                    _ => TraceEvent::RemoteRan(self.get()),
                }
            }
            TCP_SENT_AGAIN => {
                let (conn, len, to_host) = cur.sent[host as usize];
                TraceEvent::Tcp(TcpTrace::Sent {
                    conn: Some(ConnId::from_raw(conn)),
                    segment: SegmentKind::Data(len),
                    msg: self.get_msg(cur),
                    to_host,
                })
            }
            TCP_SENT | TCP_SENT_DATA => {
                let (conn, kind) = if tag == TCP_SENT_DATA {
                    (Some(ConnId::from_raw(self.get())), 3)
                } else {
                    let kind = self.bytes[self.pos];
                    self.pos += 1;
                    let conn = (kind & BARE == 0).then(|| ConnId::from_raw(self.get()));
                    (conn, kind & !BARE)
                };
                let segment = match kind {
                    0 => SegmentKind::Syn,
                    1 => SegmentKind::SynAck,
                    2 => SegmentKind::Ack,
                    3 => SegmentKind::Data(self.get() as usize),
                    4 => SegmentKind::Fin,
                    _ => SegmentKind::Rst,
                };
                let msg = self.get_msg(cur);
                let to_host = self.get() as u32;
                if let (TCP_SENT_DATA, Some(c), SegmentKind::Data(len)) = (tag, conn, segment) {
                    if let Some(last) = cur.sent.get_mut(host as usize) {
                        *last = (c.raw(), len, to_host);
                    }
                }
                TraceEvent::Tcp(TcpTrace::Sent {
                    conn,
                    segment,
                    msg,
                    to_host,
                })
            }
            TCP_ARRIVED | TCP_ARRIVED_ONE => {
                let n = if tag == TCP_ARRIVED {
                    self.get() as usize
                } else {
                    1
                };
                let msgs = (0..n).map(|_| self.get_msg(cur)).collect();
                TraceEvent::Tcp(TcpTrace::Arrived { msgs })
            }
            TCP_DATA | TCP_DATA_ALL => {
                let conn = ConnId::from_raw(self.get());
                let len = self.get() as usize;
                let waiting = if tag == TCP_DATA {
                    self.get() as usize
                } else {
                    0
                };
                if let Some(last) = cur.data.get_mut(host as usize) {
                    *last = (conn.raw(), len);
                }
                TraceEvent::Tcp(TcpTrace::Data { conn, len, waiting })
            }
            TCP_DATA_AGAIN => {
                let (conn, len) = cur.data[host as usize];
                TraceEvent::Tcp(TcpTrace::Data {
                    conn: ConnId::from_raw(conn),
                    len,
                    waiting: 0,
                })
            }
            TCP_CONN_EVENT => {
                let kind = self.bytes[self.pos];
                self.pos += 1;
                let conn = ConnId::from_raw(self.get());
                TraceEvent::Tcp(match kind {
                    0 => TcpTrace::ReadClosed { conn },
                    1 => TcpTrace::PauseProducing { conn },
                    _ => TcpTrace::ResumeProducing { conn },
                })
            }
            UDP_SENT | UDP_DATAGRAM | UDP_SENT_AGAIN | UDP_DATAGRAM_AGAIN => {
                let sent = matches!(tag, UDP_SENT | UDP_SENT_AGAIN);
                let remembered = &mut cur.udp[usize::from(!sent)];
                let line = if matches!(tag, UDP_SENT | UDP_DATAGRAM) {
                    let line = self.datagram();
                    if let Some(last) = remembered.get_mut(host as usize) {
                        *last = line;
                    }
                    line
                } else {
                    remembered[host as usize]
                };
                let Datagram(socket, ip, port, len) = line;
                let addr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from_bits(ip), port));
                let socket = SocketId::from_raw(socket);
                TraceEvent::Udp(udp_line(sent, socket, addr, len, self.get_msg(cur)))
            }
            _ => {
                cur.other += 1;
                others[cur.other - 1].clone()
            }
        };
        TraceLine {
            at: Duration::from_nanos(cur.at),
            host,
            event,
        }
    }

    /// What [`Out::datagram`] wrote before the message id.
    fn datagram(&mut self) -> Datagram {
        let socket = self.get();
        let ip: [u8; 4] = self.bytes[self.pos..self.pos + 4]
            .try_into()
            .expect("four bytes");
        self.pos += 4;
        let port = self.get() as u16;
        let len = self.get() as usize;
        Datagram(socket, u32::from_be_bytes(ip), port, len)
    }

    fn get_msg(&mut self, cur: &mut Cursor) -> u64 {
        cur.msg = cur.msg.wrapping_add(self.get_signed());
        cur.msg
    }

    fn get_signed(&mut self) -> u64 {
        let n = self.get();
        (n >> 1) ^ (n & 1).wrapping_neg()
    }

    fn get(&mut self) -> u64 {
        let mut n = 0;
        let mut shift = 0;
        loop {
            let byte = self.bytes[self.pos];
            self.pos += 1;
            n |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return n;
            }
            shift += 7;
        }
    }
}

/// A time in nanoseconds (a trace never reaches 584 years).
#[inline(always)]
fn nanos(at: Duration) -> u64 {
    at.as_secs()
        .saturating_mul(1_000_000_000)
        .saturating_add(u64::from(at.subsec_nanos()))
}
