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
    /// A datagram was sent (simulator: with the message id its deliveries and losses name).
    Sent {
        /// The sending socket.
        socket: SocketId,
        /// The destination.
        to: SocketAddr,
        /// Its size.
        len: usize,
        /// The message id (`m<n>`), unique in a simulation.
        msg: u64,
    },
    /// A datagram (or one receiver's copy of it) will not arrive.
    Lost {
        /// The message id.
        msg: u64,
        /// The receiving host, when the datagram had one.
        to_host: Option<u32>,
        /// Why.
        cause: LossCause,
    },
    /// A receiver's copy of a datagram will arrive twice (the duplication fault).
    Duplicated {
        /// The message id.
        msg: u64,
        /// The receiving host.
        to_host: u32,
    },
    /// A datagram was delivered.
    Datagram {
        /// The receiving socket.
        socket: SocketId,
        /// The sender.
        from: SocketAddr,
        /// Its size.
        len: usize,
        /// The message id it was sent as (simulator only).
        msg: Option<u64>,
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

/// Why a datagram did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LossCause {
    /// The loss fault struck (`UdpConfig::loss`).
    Fault,
    /// A partition lay between the hosts.
    Partition,
    /// The sending or receiving host was down.
    HostDown,
    /// No host has the destination address.
    NoHost,
    /// No socket was bound to the destination.
    NoListener,
}

impl fmt::Display for LossCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LossCause::Fault => "loss",
            LossCause::Partition => "partition",
            LossCause::HostDown => "host-down",
            LossCause::NoHost => "no-host",
            LossCause::NoListener => "no-listener",
        })
    }
}

impl fmt::Display for UdpTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UdpTrace::Started { socket, addr } => write!(f, "started {socket} {addr}"),
            UdpTrace::Sent {
                socket,
                to,
                len,
                msg,
            } => write!(f, "sent {socket} to {to} {len}B m{msg}"),
            UdpTrace::Lost {
                msg,
                to_host: Some(h),
                cause,
            } => write!(f, "lost m{msg} to h{h} ({cause})"),
            UdpTrace::Lost {
                msg,
                to_host: None,
                cause,
            } => write!(f, "lost m{msg} ({cause})"),
            UdpTrace::Duplicated { msg, to_host } => write!(f, "duplicated m{msg} to h{to_host}"),
            UdpTrace::Datagram {
                socket,
                from,
                len,
                msg: None,
            } => write!(f, "datagram {socket} from {from} {len}B"),
            UdpTrace::Datagram {
                socket,
                from,
                len,
                msg: Some(m),
            } => write!(f, "datagram {socket} from {from} {len}B m{m}"),
            UdpTrace::Refused { socket } => write!(f, "refused {socket}"),
            UdpTrace::Stopped { socket } => write!(f, "stopped {socket}"),
        }
    }
}
