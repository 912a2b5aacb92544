//! Trace lines of TCP events.

use std::fmt;
use std::net::SocketAddr;

use super::LossCause;
use crate::{ConnId, ConnectError, Disconnect, ListenerId};

/// What a TCP segment carries, as the trace shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SegmentKind {
    /// A connect's SYN.
    Syn,
    /// The listening side's SYN-ACK.
    SynAck,
    /// The client's ACK that completes the handshake.
    Ack,
    /// Bytes.
    Data(usize),
    /// The end of the sender's stream.
    Fin,
    /// A reset.
    Rst,
}

impl fmt::Display for SegmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentKind::Syn => f.write_str("syn"),
            SegmentKind::SynAck => f.write_str("syn-ack"),
            SegmentKind::Ack => f.write_str("ack"),
            SegmentKind::Data(len) => write!(f, "data {len}B"),
            SegmentKind::Fin => f.write_str("fin"),
            SegmentKind::Rst => f.write_str("rst"),
        }
    }
}

/// A TCP event, as the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TcpTrace {
    /// A listener was bound.
    Listening {
        /// The listener.
        listener: ListenerId,
        /// Its address.
        addr: SocketAddr,
    },
    /// A connection was accepted (the factory ran).
    Accepted {
        /// The listener.
        listener: ListenerId,
        /// The new connection.
        conn: ConnId,
        /// The peer's address.
        peer: SocketAddr,
    },
    /// A listener's factory refused a connection (it is then closed cleanly).
    Refused {
        /// The listener.
        listener: ListenerId,
        /// The peer's address.
        peer: SocketAddr,
    },
    /// A connect succeeded.
    Connected {
        /// The connection.
        conn: ConnId,
    },
    /// A connect failed.
    ConnectFailed {
        /// The connection.
        conn: ConnId,
        /// Why.
        error: ConnectError,
    },
    /// A segment left (simulator), with the message id its arrival names.
    Sent {
        /// The sending connection (none for a refusal's reset).
        conn: Option<ConnId>,
        /// What it carries.
        segment: SegmentKind,
        /// The message id (`m<n>`), unique in a simulation.
        msg: u64,
        /// The receiving host.
        to_host: u32,
    },
    /// Segments arrived at their receiving host (simulator); several when data sent at one
    /// instant travelled as one segment.
    Arrived {
        /// Their message ids.
        msgs: Vec<u64>,
    },
    /// A segment will not arrive (simulator: a lost SYN, or a SYN to an address no host
    /// has).
    Lost {
        /// The message id.
        msg: u64,
        /// Why.
        cause: LossCause,
    },
    /// Bytes were delivered.
    Data {
        /// The connection.
        conn: ConnId,
        /// How many.
        len: usize,
        /// Simulator: bytes that had arrived and were left for later reads (the read was
        /// split); 0 otherwise, and always on the real reactor, which cannot know.
        waiting: usize,
    },
    /// The peer's FIN was delivered as `read_closed`.
    ReadClosed {
        /// The connection.
        conn: ConnId,
    },
    /// The protocol was told to pause producing.
    PauseProducing {
        /// The connection.
        conn: ConnId,
    },
    /// The protocol was told to resume producing.
    ResumeProducing {
        /// The connection.
        conn: ConnId,
    },
    /// The connection ended.
    Disconnected {
        /// The connection.
        conn: ConnId,
        /// Why.
        reason: Disconnect,
    },
}

impl fmt::Display for TcpTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TcpTrace::Listening { listener, addr } => write!(f, "listening {listener} {addr}"),
            TcpTrace::Accepted {
                listener,
                conn,
                peer,
            } => write!(f, "accepted {listener} {conn} from {peer}"),
            TcpTrace::Refused { listener, peer } => write!(f, "refused {listener} from {peer}"),
            TcpTrace::Connected { conn } => write!(f, "connected {conn}"),
            TcpTrace::ConnectFailed { conn, error } => {
                write!(f, "connect-failed {conn} {error:?}")
            }
            TcpTrace::Sent {
                conn: Some(conn),
                segment,
                msg,
                to_host,
            } => write!(f, "sent {conn} {segment} m{msg} to h{to_host}"),
            TcpTrace::Sent {
                conn: None,
                segment,
                msg,
                to_host,
            } => write!(f, "sent {segment} m{msg} to h{to_host}"),
            TcpTrace::Arrived { msgs } => {
                f.write_str("arrived")?;
                for m in msgs {
                    write!(f, " m{m}")?;
                }
                Ok(())
            }
            TcpTrace::Lost { msg, cause } => write!(f, "lost m{msg} ({cause})"),
            TcpTrace::Data {
                conn,
                len,
                waiting: 0,
            } => write!(f, "data {conn} {len}B"),
            TcpTrace::Data { conn, len, waiting } => {
                write!(f, "data {conn} {len}B (split: {waiting}B still waiting)")
            }
            TcpTrace::ReadClosed { conn } => write!(f, "read-closed {conn}"),
            TcpTrace::PauseProducing { conn } => write!(f, "pause-producing {conn}"),
            TcpTrace::ResumeProducing { conn } => write!(f, "resume-producing {conn}"),
            TcpTrace::Disconnected { conn, reason } => {
                write!(f, "disconnected {conn} {reason:?}")
            }
        }
    }
}
