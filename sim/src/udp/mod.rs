//! Simulated UDP and multicast. (Skeleton: the UDP issue fills this in.)

use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};

use twinreactor::{DatagramProtocol, SocketId, Udp, UdpError, UdpOptions};

use crate::Sim;

/// UDP settings of a simulation (fault knobs, all off by default).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UdpConfig {}

/// One host's UDP state.
#[derive(Default)]
pub(crate) struct HostUdp {}

/// Shutdown of the current host: closes every socket.
pub(crate) fn close_all(_sim: &mut Sim) {}

const TODO: UdpError = UdpError::Io(ErrorKind::Unsupported);

impl Udp for Sim {
    fn bind_udp(
        &mut self,
        _addr: SocketAddr,
        _protocol: Box<dyn DatagramProtocol>,
        _options: UdpOptions,
    ) -> Result<SocketId, UdpError> {
        Err(TODO)
    }
    fn udp_local_addr(&self, _socket: SocketId) -> Result<SocketAddr, UdpError> {
        Err(TODO)
    }
    fn send_to(
        &mut self,
        _socket: SocketId,
        _data: &[u8],
        _to: SocketAddr,
    ) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn send_to_vectored(
        &mut self,
        _socket: SocketId,
        _bufs: &[&[u8]],
        _to: SocketAddr,
    ) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn connect_udp(&mut self, _socket: SocketId, _peer: SocketAddr) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn send(&mut self, _socket: SocketId, _data: &[u8]) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn close_udp(&mut self, _socket: SocketId) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn join_multicast(
        &mut self,
        _socket: SocketId,
        _group: Ipv4Addr,
        _interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn leave_multicast(
        &mut self,
        _socket: SocketId,
        _group: Ipv4Addr,
        _interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn set_multicast_loop(&mut self, _socket: SocketId, _on: bool) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn multicast_loop(&self, _socket: SocketId) -> Result<bool, UdpError> {
        Err(TODO)
    }
    fn set_multicast_ttl(&mut self, _socket: SocketId, _ttl: u32) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn multicast_ttl(&self, _socket: SocketId) -> Result<u32, UdpError> {
        Err(TODO)
    }
    fn set_multicast_interface(
        &mut self,
        _socket: SocketId,
        _interface: Ipv4Addr,
    ) -> Result<(), UdpError> {
        Err(TODO)
    }
    fn set_broadcast(&mut self, _socket: SocketId, _on: bool) -> Result<(), UdpError> {
        Err(TODO)
    }
}
