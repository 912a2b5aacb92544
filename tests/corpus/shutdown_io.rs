//! I/O opened during shutdown: before the reactor closes everything it is opened and then
//! closed like the rest; once the `During` phase of shutdown has begun, every kind of I/O is
//! refused with a typed `ShutDown` error, so nothing outlives `run()`.

use std::net::SocketAddr;
use std::time::Duration;

use twinreactor::{
    ConnId, DatagramProtocol, Disconnect, ExitStatus, Phase, ProcessError, ProcessId,
    ProcessProtocol, Reactor, ReactorExt, SocketId, StreamFactory, StreamProtocol, TcpError,
    UdpError, UdpOptions, SHUTDOWN,
};

use crate::harness::{Backend, Log, MS};
use crate::process::helper_spec;

const LOOPBACK: &str = "127.0.0.1:0";

/// A datagram protocol that logs its start and stop.
struct Socket(Log);

impl DatagramProtocol for Socket {
    fn started(&mut self, _: &mut dyn Reactor, _: SocketId) {
        self.0.push("socket started");
    }
    fn datagram(&mut self, _: &mut dyn Reactor, _: SocketId, _: &[u8], _: SocketAddr) {}
    fn stopped(&mut self, _: &mut dyn Reactor, _: SocketId) {
        self.0.push("socket stopped");
    }
}

/// Never accepts; never sees anything.
struct Nobody;

impl StreamFactory for Nobody {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        None
    }
}

impl StreamProtocol for Nobody {
    fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

impl ProcessProtocol for Nobody {
    fn ended(&mut self, _: &mut dyn Reactor, _: ProcessId, _: ExitStatus) {}
}

/// Tries to open one of each kind of I/O, and logs what each attempt answered.
fn open_everything(r: &mut dyn Reactor, log: &Log, phase: &str) {
    let addr = LOOPBACK.parse().unwrap();
    let tcp = |e: Result<(), TcpError>| format!("{e:?}");
    let udp = |e: Result<(), UdpError>| format!("{e:?}");
    let process = |e: Result<(), ProcessError>| format!("{e:?}");
    let listen = tcp(r.listen_tcp(addr, Box::new(Nobody)).map(drop));
    let connect = tcp(r
        .connect_tcp(addr, Box::new(Nobody), Duration::from_secs(1))
        .map(drop));
    let bind = udp(r
        .bind_udp(addr, Box::new(Socket(log.clone())), UdpOptions::default())
        .map(drop));
    let spawn = process(
        r.spawn_process(helper_spec("sleep", &[]), Box::new(Nobody))
            .map(drop),
    );
    log.push(format!(
        "{phase}: listen {listen}, connect {connect}, bind {bind}, spawn {spawn}"
    ));
}

/// A socket bound in a before-shutdown trigger starts, and is stopped with the rest; every kind of I/O
/// asked for in a during- or after-shutdown trigger is refused with `ShutDown`.
pub fn shutdown_closes_what_opens_before_it_and_refuses_what_comes_after(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    r.on_event(Phase::Before, SHUTDOWN, move |r| {
        r.bind_udp(
            LOOPBACK.parse().unwrap(),
            Box::new(Socket(l.clone())),
            UdpOptions::default(),
        )
        .expect("a socket may still be bound before shutdown closes everything");
    });
    let l = log.clone();
    r.on_event(Phase::During, SHUTDOWN, move |r| {
        open_everything(r, &l, "during")
    });
    let l = log.clone();
    r.on_event(Phase::After, SHUTDOWN, move |r| {
        open_everything(r, &l, "after")
    });
    r.after(MS, |r| r.stop().expect("running"));
    r.run().expect("run");
    let refused =
        "listen Err(ShutDown), connect Err(ShutDown), bind Err(ShutDown), spawn Err(ShutDown)";
    log.assert(&[
        "socket started",
        "socket stopped",
        &format!("during: {refused}"),
        &format!("after: {refused}"),
    ]);
    // After run() has returned, the reactor refuses too.
    open_everything(&mut *r, &log, "later");
    assert_eq!(log.entries().last().unwrap(), &format!("later: {refused}"));
}
