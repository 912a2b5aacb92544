//! Trace lines of UDP and multicast events.

use std::fmt;
use std::net::SocketAddr;

use crate::SocketId;

/// A UDP event, as the trace records it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum UdpTrace {
    /// The protocol's `started` ran.
    Started {
        /// The socket.
        socket: SocketId,
        /// Its address.
        addr: SocketAddr,
    },
    /// A datagram was delivered.
    Datagram {
        /// The receiving socket.
        socket: SocketId,
        /// The sender.
        from: SocketAddr,
        /// Its size.
        len: usize,
    },
    /// A refusal was delivered on a connected socket.
    Refused {
        /// The socket.
        socket: SocketId,
    },
    /// The protocol's `stopped` ran.
    Stopped {
        /// The socket.
        socket: SocketId,
    },
}

impl fmt::Display for UdpTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UdpTrace::Started { socket, addr } => write!(f, "started {socket} {addr}"),
            UdpTrace::Datagram { socket, from, len } => {
                write!(f, "datagram {socket} from {from} {len}B")
            }
            UdpTrace::Refused { socket } => write!(f, "refused {socket}"),
            UdpTrace::Stopped { socket } => write!(f, "stopped {socket}"),
        }
    }
}
