//! TCP: a listener that accepts streams, and a stream that reads and writes bytes.
//!
//! Both are thin layers over the contract's `Tcp` operations and a protocol of this crate
//! that buffers what the reactor delivers. Errors are `std::io::Error`s whose kind fits
//! (the contract's typed error is kept inside where there is one).

mod listener;
mod state;
mod stream;

pub use listener::{Accept, TcpListener};
pub use stream::{Connect, TcpStream};

use std::io;

use twinreactor::{ConnectError, Disconnect, TcpError};

/// How long [`TcpStream::connect`] waits for an answer.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The `io::Error` for an error of a `Tcp` operation.
pub(crate) fn tcp_error(e: TcpError) -> io::Error {
    let kind = match &e {
        TcpError::AddrInUse(_) => io::ErrorKind::AddrInUse,
        TcpError::AddrNotAvailable(_) => io::ErrorKind::AddrNotAvailable,
        TcpError::UnknownConnection(_) | TcpError::NotConnected(_) => io::ErrorKind::NotConnected,
        TcpError::Closed(_) => io::ErrorKind::BrokenPipe,
        TcpError::NotConnecting(_) | TcpError::UnknownListener(_) => io::ErrorKind::InvalidInput,
        TcpError::NotUnicast(_) => io::ErrorKind::InvalidInput,
        TcpError::ShutDown => io::ErrorKind::Other,
        TcpError::Io(kind) => *kind,
    };
    io::Error::new(kind, e)
}

/// The `io::Error` for a failed connect.
pub(crate) fn connect_error(e: ConnectError) -> io::Error {
    match e {
        ConnectError::Refused => io::Error::from(io::ErrorKind::ConnectionRefused),
        ConnectError::TimedOut => io::Error::from(io::ErrorKind::TimedOut),
        ConnectError::Cancelled => {
            io::Error::new(io::ErrorKind::ConnectionAborted, "connect cancelled")
        }
        ConnectError::Io(kind) => io::Error::from(kind),
    }
}

/// The `io::Error` for a connection that ended other than cleanly, or `None` for `Done`.
pub(crate) fn disconnect_error(reason: Disconnect) -> Option<io::Error> {
    match reason {
        Disconnect::Done => None,
        Disconnect::Aborted => Some(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the connection was aborted by this side",
        )),
        Disconnect::Reset => Some(io::Error::from(io::ErrorKind::ConnectionReset)),
        Disconnect::Shutdown => Some(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "the reactor shut down",
        )),
        Disconnect::Io(kind) => Some(io::Error::from(kind)),
    }
}
