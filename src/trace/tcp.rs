//! Trace lines of TCP events.

use std::fmt;
use std::net::SocketAddr;

use crate::{ConnId, ConnectError, Disconnect, ListenerId};

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
    /// Bytes were delivered.
    Data {
        /// The connection.
        conn: ConnId,
        /// How many.
        len: usize,
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
            TcpTrace::Data { conn, len } => write!(f, "data {conn} {len}B"),
            TcpTrace::ReadClosed { conn } => write!(f, "read-closed {conn}"),
            TcpTrace::PauseProducing { conn } => write!(f, "pause-producing {conn}"),
            TcpTrace::ResumeProducing { conn } => write!(f, "resume-producing {conn}"),
            TcpTrace::Disconnected { conn, reason } => {
                write!(f, "disconnected {conn} {reason:?}")
            }
        }
    }
}
