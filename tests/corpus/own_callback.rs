//! Shutdown that closes everything from inside an I/O callback: a callback completes the
//! completion a before-shutdown trigger returned, so shutdown goes on within that call and
//! closes the very object whose callback is running. Its final callback cannot run inside
//! its own callback; it comes once that callback returns, before `run()` does. Also `run()`
//! from a shutdown trigger that a `complete()` outside `run()` runs.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;

use twinreactor::{
    CompletionId, ConnId, DatagramProtocol, Disconnect, ExitStatus, Phase, ProcessId,
    ProcessProtocol, Reactor, ReactorExt, SocketId, StreamFactory, StreamProtocol, UdpOptions,
    SHUTDOWN, STARTUP,
};

use crate::harness::{Backend, Log, MS};
use crate::process::helper_spec;

const LOOPBACK: &str = "127.0.0.1:0";
const NO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3600);

/// The completion a before-shutdown trigger returned, once it has.
type Held = Rc<Cell<Option<CompletionId>>>;

/// Installs a during-startup trigger that calls `open` then `stop()`, a before-shutdown
/// trigger that holds shutdown on a new completion (kept in the returned cell), and a
/// during-shutdown trigger that logs "during".
fn hold_shutdown(
    r: &mut dyn Reactor,
    log: &Log,
    open: impl FnOnce(&mut dyn Reactor) + 'static,
) -> Held {
    let held: Held = Rc::default();
    r.on_event(Phase::During, STARTUP, move |r| {
        open(r);
        r.stop().expect("running");
    });
    let h = held.clone();
    r.on_event_wait(Phase::Before, SHUTDOWN, move |r| {
        let c = r.new_completion();
        h.set(Some(c));
        Some(c)
    });
    r.on_event(Phase::During, SHUTDOWN, {
        let log = log.clone();
        move |_| log.push("during")
    });
    held
}

/// Completes the held completion (shutdown goes on inside), logging around it.
fn release(r: &mut dyn Reactor, held: &Held, log: &Log) {
    let c = held.get().expect("shutdown is held by now");
    r.complete(c).expect("an open completion");
    log.push("completed");
}

/// A socket whose `started` releases shutdown.
struct Releasing(Held, Log);

impl DatagramProtocol for Releasing {
    fn started(&mut self, r: &mut dyn Reactor, _: SocketId) {
        self.1.push("started");
        release(r, &self.0, &self.1);
    }
    fn datagram(&mut self, _: &mut dyn Reactor, _: SocketId, _: &[u8], _: SocketAddr) {}
    fn stopped(&mut self, _: &mut dyn Reactor, _: SocketId) {
        self.1.push("stopped");
    }
}

/// A UDP socket that shutdown closes from inside its own `started` sees `stopped` once
/// `started` returns.
pub fn own_callback_udp_socket_closed_by_shutdown_sees_stopped_after(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let proto: Rc<Cell<Option<Releasing>>> = Rc::default();
    let p = proto.clone();
    let held = hold_shutdown(&mut *r, &log, move |r| {
        let proto = p.take().expect("set before run");
        r.bind_udp(
            LOOPBACK.parse().unwrap(),
            Box::new(proto),
            UdpOptions::default(),
        )
        .expect("bind on loopback");
    });
    proto.set(Some(Releasing(held, log.clone())));
    r.run().expect("run");
    log.assert(&["started", "during", "completed", "stopped"]);
}

/// A client whose `connected` releases shutdown.
struct Client(Held, Log);

impl StreamProtocol for Client {
    fn connected(&mut self, r: &mut dyn Reactor, _: ConnId) {
        self.1.push("connected");
        release(r, &self.0, &self.1);
    }
    fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, reason: Disconnect) {
        self.1.push(format!("disconnected {reason:?}"));
    }
}

/// Accepts with a protocol that sees nothing worth logging.
struct Quiet;

impl StreamFactory for Quiet {
    fn accept(&mut self, _: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        Some(Box::new(Quiet))
    }
}

impl StreamProtocol for Quiet {
    fn data(&mut self, _: &mut dyn Reactor, _: ConnId, _: &[u8]) {}
    fn disconnected(&mut self, _: &mut dyn Reactor, _: ConnId, _: Disconnect) {}
}

/// A TCP connection that shutdown ends from inside its own `connected` sees `disconnected`
/// once `connected` returns.
pub fn own_callback_tcp_connection_ended_by_shutdown_sees_disconnected_after(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let proto: Rc<Cell<Option<Client>>> = Rc::default();
    let p = proto.clone();
    let held = hold_shutdown(&mut *r, &log, move |r| {
        let l = r.listen_tcp(LOOPBACK.parse().unwrap(), Box::new(Quiet));
        let addr = r
            .listener_addr(l.expect("listen on loopback"))
            .expect("listening");
        let proto = p.take().expect("set before run");
        r.connect_tcp(addr, Box::new(proto), NO_TIMEOUT)
            .expect("connect on loopback");
    });
    proto.set(Some(Client(held, log.clone())));
    r.run().expect("run");
    log.assert(&["connected", "during", "completed", "disconnected Shutdown"]);
}

/// A child whose `exited` releases shutdown.
struct Child(Held, Log);

impl ProcessProtocol for Child {
    fn exited(&mut self, r: &mut dyn Reactor, _: ProcessId, _: ExitStatus) {
        self.1.push("exited");
        release(r, &self.0, &self.1);
    }
    fn ended(&mut self, _: &mut dyn Reactor, _: ProcessId, _: ExitStatus) {
        self.1.push("ended");
    }
}

/// A child that shutdown cleans up from inside its own `exited` sees `ended` once `exited`
/// returns.
pub fn own_callback_child_cleaned_up_by_shutdown_sees_ended_after(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let proto: Rc<Cell<Option<Child>>> = Rc::default();
    let p = proto.clone();
    let held = hold_shutdown(&mut *r, &log, move |r| {
        let proto = p.take().expect("set before run");
        r.spawn_process(helper_spec("exit", &[b"0"]), Box::new(proto))
            .expect("spawn the helper");
    });
    proto.set(Some(Child(held, log.clone())));
    r.run().expect("run");
    log.assert(&["exited", "during", "completed", "ended"]);
}

/// `run()` from a during-shutdown trigger that `complete()` runs outside `run()` (after a
/// crash while shutdown was held) is `NotRestartable`: that shutdown goes on only once the
/// trigger returns, so a run begun there could never end.
pub fn own_callback_run_from_a_shutdown_trigger_run_by_complete_is_not_restartable(
    b: &mut dyn Backend,
) {
    let mut r = b.reactor();
    let log = Log::new();
    let held = hold_shutdown(&mut *r, &log, |r| {
        r.after(MS, |r| r.crash().expect("inside run"));
    });
    r.run().expect("run, crashed while shutdown is held");
    let l = log.clone();
    r.on_event(Phase::During, SHUTDOWN, move |r| {
        l.push(format!("run: {:?}", r.run()));
    });
    release(&mut *r, &held, &log);
    log.assert(&["during", "run: Err(NotRestartable)", "completed"]);
    assert_eq!(r.run(), Err(twinreactor::LifecycleError::NotRestartable));
}
