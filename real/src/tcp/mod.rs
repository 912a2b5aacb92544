//! TCP on mio. (Skeleton: the TCP issue fills this in.)

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use twinreactor::{ConnId, ListenerId, StreamFactory, StreamProtocol, Tcp, TcpError};

use crate::sources::Ready;
use crate::RealReactor;

/// What a TCP token stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SourceKey {}

/// The reactor's TCP tables.
#[derive(Default)]
pub(crate) struct RealTcp {}

/// Step 4: readiness of a TCP source.
pub(crate) fn ready(_r: &mut RealReactor, key: SourceKey, _ready: Ready) {
    match key {}
}

/// Shutdown: ends every connection and listener.
pub(crate) fn close_all(_r: &mut RealReactor) {}

const TODO: TcpError = TcpError::Io(ErrorKind::Unsupported);

impl Tcp for RealReactor {
    fn listen_tcp(
        &mut self,
        _addr: SocketAddr,
        _factory: Box<dyn StreamFactory>,
    ) -> Result<ListenerId, TcpError> {
        Err(TODO)
    }
    fn listener_addr(&self, _listener: ListenerId) -> Result<SocketAddr, TcpError> {
        Err(TODO)
    }
    fn stop_listening(&mut self, _listener: ListenerId) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn connect_tcp(
        &mut self,
        _addr: SocketAddr,
        _protocol: Box<dyn StreamProtocol>,
        _timeout: Duration,
    ) -> Result<ConnId, TcpError> {
        Err(TODO)
    }
    fn cancel_connect(&mut self, _conn: ConnId) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn write(&mut self, _conn: ConnId, _bytes: &[u8]) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn write_vectored(&mut self, _conn: ConnId, _bufs: &[&[u8]]) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn close(&mut self, _conn: ConnId) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn abort(&mut self, _conn: ConnId) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn shutdown_write(&mut self, _conn: ConnId) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn pause_reading(&mut self, _conn: ConnId) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn resume_reading(&mut self, _conn: ConnId) -> Result<(), TcpError> {
        Err(TODO)
    }
    fn local_addr(&self, _conn: ConnId) -> Result<SocketAddr, TcpError> {
        Err(TODO)
    }
    fn peer_addr(&self, _conn: ConnId) -> Result<SocketAddr, TcpError> {
        Err(TODO)
    }
    fn buffered(&self, _conn: ConnId) -> Result<usize, TcpError> {
        Err(TODO)
    }
}
