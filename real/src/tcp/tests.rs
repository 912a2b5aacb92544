//! A listener whose descriptor has another copy open.

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use twinreactor::{Reactor, StreamFactory, StreamProtocol, Tcp};

use crate::RealReactor;

struct RefuseAll;

impl StreamFactory for RefuseAll {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        None
    }
}

/// A child that another thread is starting holds a copy of every descriptor from its fork
/// until its exec; the copy made here stands for it. `stop_listening` must refuse the next
/// connect all the same, not leave the kernel accepting it while the copy is open (closing
/// the reactor's descriptor alone did: the connect succeeded).
#[test]
fn stop_listening_refuses_at_once_while_a_copy_of_the_descriptor_is_open() {
    let mut r = RealReactor::new().expect("a reactor");
    let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
    let id = r
        .listen_tcp(loopback, Box::new(RefuseAll))
        .expect("listening");
    let addr = r.listener_addr(id).expect("its address");
    let copy = socket2::SockRef::from(&r.tcp.listeners[&id.raw()].socket)
        .try_clone()
        .expect("a copy of the descriptor");
    r.stop_listening(id).expect("stopped");
    let refused = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map(|_| ())
        .map_err(|e| e.kind());
    assert_eq!(refused, Err(ErrorKind::ConnectionRefused));
    drop(copy);
}
