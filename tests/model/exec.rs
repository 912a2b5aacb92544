//! Runs operations on a reactor and checks each answer against the model.
//!
//! The model is locked only between reactor calls: `fire_system_event`, `complete` and
//! `run` call back into the sequence's own callbacks, which lock it again.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use twinreactor::{
    CompletionId, ConnId, ListenerId, ProcessError, ProcessId, Reactor, Signal, SocketId, TcpError,
    TimerId, TriggerId, UdpError, UdpOptions,
};

use crate::helper_stubs::helper_spec;
use crate::ops::{Body, Op, Pick};
use crate::protocols::{Child, Datagrams, Listener, Stream};
use crate::shadow::io::ConnState;
use crate::shadow::timers::Class;
use crate::shadow::Shadow;

/// The model, shared by the sequence's callbacks (and its remote calls: hence `Arc<Mutex>`).
pub type Ctx = Arc<Mutex<Shadow>>;

/// An hour: a timer this far never fires within a sequence.
pub const HOUR: Duration = Duration::from_secs(3600);
/// The only address a sequence binds: loopback, port chosen by the OS.
const LOOPBACK: &str = "127.0.0.1:0";
/// A raw id no reactor issues within a sequence.
const UNKNOWN: u64 = 1 << 40;

/// The most connections one sequence makes (see `Op::Connect`).
const MAX_CONNS: usize = 256;

/// Locks the model (a failed check elsewhere must not hide behind a poisoned lock).
pub fn lock(ctx: &Ctx) -> MutexGuard<'_, Shadow> {
    ctx.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Item `p` of `items`, or `unknown` (one pick in `len + 1` names an id never issued).
fn pick<T: Copy>(items: &[T], p: Pick, unknown: T) -> T {
    let i = usize::from(p) % (items.len() + 1);
    items.get(i).copied().unwrap_or(unknown)
}

/// Runs `body`; stops after an accepted `crash()`, since the run ends once the callback
/// returns.
pub fn run_body(r: &mut dyn Reactor, ctx: &Ctx, body: &[Op]) {
    for op in body {
        if !run_op(r, ctx, op) {
            return;
        }
    }
}

/// Schedules a timer that checks its turn against the model, then runs `body`.
pub fn schedule(r: &mut dyn Reactor, ctx: &Ctx, delay: Duration, class: Class, body: Body) {
    let own = Rc::new(Cell::new(UNKNOWN));
    let (cell, ctx2) = (own.clone(), ctx.clone());
    let id = r.call_later(
        delay,
        twinreactor::TimerFn::new(move |r| {
            {
                let mut m = lock(&ctx2);
                m.gate("a timer");
                m.timers.fires(TimerId::from_raw(cell.get()));
            }
            run_body(r, &ctx2, &body);
        }),
    );
    own.set(id.raw());
    lock(ctx).timers.scheduled(id, class);
}

/// Completes `id` and checks the answer and the firings it released.
pub fn complete(r: &mut dyn Reactor, ctx: &Ctx, id: CompletionId) {
    let expected = {
        let mut m = lock(ctx);
        let released = m.events.complete(id);
        for &e in released.iter().flatten() {
            m.advance(e);
        }
        released
    };
    assert_eq!(r.complete(id), expected.clone().map(drop), "complete({id})");
    let mut m = lock(ctx);
    for &e in expected.iter().flatten() {
        m.check_settled(e);
    }
}

/// Runs one operation; false once `crash()` was accepted.
fn run_op(r: &mut dyn Reactor, ctx: &Ctx, op: &Op) -> bool {
    match op {
        Op::CallLater { far, body } => {
            let (delay, class) = if *far {
                (HOUR, Class::Far)
            } else {
                (Duration::ZERO, Class::Zero)
            };
            schedule(r, ctx, delay, class, body.clone());
        }
        Op::Crash => {
            let expected = lock(ctx).crash();
            assert_eq!(r.crash(), expected, "crash()");
            return expected.is_err();
        }
        Op::Remote(body) => queue_remote(r, ctx, body.clone()),
        Op::AddTrigger {
            phase,
            event,
            hold,
            body,
        } => {
            let own = Rc::new(Cell::new(UNKNOWN));
            let (cell, ctx2, body, hold) = (own.clone(), ctx.clone(), body.clone(), *hold);
            let id = r.add_trigger(
                *phase,
                event.name(),
                Box::new(move |r| {
                    let raw = cell.get() as usize;
                    lock(&ctx2).trigger_runs(raw);
                    run_body(r, &ctx2, &body);
                    let c = hold.then(|| r.new_completion());
                    let mut m = lock(&ctx2);
                    if let Some(c) = c {
                        m.events.new_completion(c);
                    }
                    m.trigger_returned(raw, c.map(CompletionId::raw));
                    c
                }),
            );
            own.set(id.raw());
            lock(ctx).events.added(id, *event, *phase);
        }
        Op::Fire(event) => {
            let expected = lock(ctx).fire(*event);
            let got = r.fire_system_event(event.name());
            assert_eq!(got, expected, "fire_system_event({:?})", event.name());
            if got.is_ok() {
                lock(ctx).check_settled(*event);
            }
        }
        Op::Complete(p) => {
            let n = lock(ctx).events.completed.len() as u64;
            let id = pick(&ids(n), *p, UNKNOWN);
            complete(r, ctx, CompletionId::from_raw(id));
        }
        Op::RunInside => {
            // A trigger that a call outside `run()` runs (by `fire_system_event`) may start a
            // run; with no guard timer it would never end, so it is not started here.
            let expected = lock(ctx).check_run();
            if expected.is_err() {
                assert_eq!(r.run(), expected, "run() inside a callback");
            }
        }
        _ => io_op(r, ctx, op).unwrap_or_else(|| plain_op(r, &mut lock(ctx), op)),
    }
    true
}

/// Raw ids `0..n`.
fn ids(n: u64) -> Vec<u64> {
    (0..n).collect()
}

/// Queues a remote call that checks its turn, then runs `body`.
fn queue_remote(r: &mut dyn Reactor, ctx: &Ctx, body: Body) {
    let n = {
        let mut m = lock(ctx);
        let n = m.remote_count;
        m.remote_count += 1;
        m.remote.push_back(n);
        n
    };
    let ctx2 = ctx.clone();
    let queued = r.remote().call(move |r| {
        {
            let mut m = lock(&ctx2);
            m.gate("a remote call");
            assert_eq!(
                m.remote.pop_front(),
                Some(n),
                "remote calls run in queue order"
            );
        }
        run_body(r, &ctx2, &body);
    });
    assert_eq!(queued, Ok(()), "Remote::call on a live reactor");
}

/// Operations that run no callback within the call: checked under one lock.
fn plain_op(r: &mut dyn Reactor, m: &mut Shadow, op: &Op) {
    let timer = |m: &Shadow, p| pick(&m.timers.nameable(), p, TimerId::from_raw(UNKNOWN));
    match *op {
        Op::Cancel(p) => {
            let id = timer(m, p);
            assert_eq!(r.cancel(id), m.timers.cancel(id), "cancel({id})");
        }
        Op::Reschedule(p, far) => {
            let id = timer(m, p);
            let (delay, class) = if far {
                (HOUR, Class::Far)
            } else {
                (Duration::ZERO, Class::Zero)
            };
            let expected = m.timers.moved(id, class);
            assert_eq!(r.reschedule(id, delay), expected, "reschedule({id})");
        }
        Op::Postpone(p) => {
            let id = timer(m, p);
            let expected = m.timers.moved(id, Class::Far);
            assert_eq!(r.postpone(id, HOUR), expected, "postpone({id})");
        }
        Op::TimerState(p) => {
            let id = timer(m, p);
            assert_eq!(r.timer_state(id), m.timers.state(id), "timer_state({id})");
        }
        Op::PendingTimers => m.timers.check_pending_list(&r.pending_timers()),
        Op::RemoveTrigger(p) => {
            let n = m.events.triggers.len() as u64;
            let id = TriggerId::from_raw(pick(&ids(n), p, UNKNOWN));
            let expected = m.events.remove(id);
            assert_eq!(r.remove_trigger(id), expected, "remove_trigger({id})");
            if expected.is_ok() {
                // Its phase may now be over, if it was the last trigger the phase waited for.
                let event = m.events.triggers[id.raw() as usize].event;
                m.advance(event);
            }
        }
        Op::NewCompletion => {
            let id = r.new_completion();
            m.events.new_completion(id);
        }
        Op::Stop => {
            let expected = m.stop();
            assert_eq!(r.stop(), expected, "stop()");
        }
        Op::IsRunning => assert_eq!(r.is_running(), m.running(), "is_running()"),
        _ => unreachable!("{op:?} is not a plain operation"),
    }
}

/// I/O operations; `None` for the others.
fn io_op(r: &mut dyn Reactor, ctx: &Ctx, op: &Op) -> Option<()> {
    let addr: SocketAddr = LOOPBACK.parse().expect("a socket address");
    let mut m = lock(ctx);
    let closed = m.life.shutdown_closed;
    // A `ShutDown` answer shows that shutdown has closed everything (the final callback this
    // runs in may be the first sign of it): the model's shutdown begins too.
    let refused = |m: &mut Shadow, shut: bool| {
        if shut && !closed {
            m.shutdown_evidence();
        }
        m.life.shutdown_closed && shut
    };
    match op {
        Op::BindUdp { started, datagram } => {
            let proto = Datagrams::new(ctx, started, datagram);
            match r.bind_udp(addr, Box::new(proto), UdpOptions::default()) {
                Ok(id) => {
                    assert!(!closed, "bind_udp after shutdown closed everything: {id}");
                    let local = r.udp_local_addr(id).expect("a bound socket has an address");
                    m.io.bound(id, local);
                }
                Err(e) => assert!(refused(&mut m, e == UdpError::ShutDown), "bind_udp: {e:?}"),
            }
        }
        Op::SendUdp(a, b) => {
            let socks: Vec<SocketId> = m.io.socks.iter().map(|s| s.id).collect();
            if let Some(to) = m.io.socks.get(usize::from(*b) % socks.len().max(1)) {
                let to = to.addr;
                let id = pick(&socks, *a, SocketId::from_raw(UNKNOWN));
                let shut = m.io.shut_sock(id);
                let expected = m.io.send(id, to);
                let got = r.send_to(id, b"m", to);
                if !(shut && got.is_ok()) {
                    assert_eq!(got, expected, "send_to({id}, {to})");
                }
            }
        }
        Op::CloseUdp(p) => {
            let socks: Vec<SocketId> = m.io.socks.iter().map(|s| s.id).collect();
            let id = pick(&socks, *p, SocketId::from_raw(UNKNOWN));
            assert_eq!(r.close_udp(id), m.io.close_udp(id), "close_udp({id})");
        }
        Op::Listen { accept, server } => {
            let factory = Listener::new(ctx, accept, server);
            match r.listen_tcp(addr, Box::new(factory)) {
                Ok(id) => {
                    assert!(!closed, "listen_tcp after shutdown closed everything: {id}");
                    let local = r.listener_addr(id).expect("a listener has an address");
                    m.io.listening(id, local);
                }
                Err(e) => {
                    let shut = refused(&mut m, e == TcpError::ShutDown);
                    assert!(shut, "listen_tcp: {e:?}");
                }
            }
        }
        Op::StopListening(p) => {
            let ls: Vec<ListenerId> = m.io.listeners.iter().map(|l| l.0).collect();
            let id = pick(&ls, *p, ListenerId::from_raw(UNKNOWN));
            let expected = m.io.stop_listening(id);
            assert_eq!(r.stop_listening(id), expected, "stop_listening({id})");
        }
        Op::Connect { to, client } => {
            let n = m.io.listeners.len();
            // A body that connects from every accepted connection to its own listener
            // doubles the connections at each round trip: past `MAX_CONNS`, no more
            // connects, so that one sequence stays a sequence and not a fork bomb.
            let room = m.io.conns.len() < MAX_CONNS;
            let listener =
                m.io.listeners
                    .get(usize::from(*to) % n.max(1))
                    .filter(|_| room);
            if let Some(l) = listener {
                let to = l.1;
                let proto = Stream::client(ctx, client);
                match r.connect_tcp(to, Box::new(proto), Duration::from_secs(5)) {
                    Ok(id) => {
                        assert!(
                            !closed,
                            "connect_tcp after shutdown closed everything: {id}"
                        );
                        m.io.new_conn(id, ConnState::Connecting);
                        if let Some(t) = m.timers.connect_timer(&r.pending_timers()) {
                            m.io.connect_timers.insert(id.raw(), t);
                        }
                    }
                    // A body that connects from every accepted connection to its own
                    // listener doubles the connections at each round trip, until every
                    // ephemeral port is in use (on an OS too): then no connect starts.
                    Err(TcpError::Io(std::io::ErrorKind::AddrNotAvailable)) if !closed => {}
                    Err(e) => {
                        let shut = refused(&mut m, e == TcpError::ShutDown);
                        assert!(shut, "connect_tcp: {e:?}");
                    }
                }
            }
        }
        Op::Write(p) | Op::Close(p) | Op::Abort(p) => {
            let conns: Vec<ConnId> = m.io.conns.iter().map(|c| c.0).collect();
            let id = pick(&conns, *p, ConnId::from_raw(UNKNOWN));
            let (ends, write) = (!matches!(op, Op::Write(_)), matches!(op, Op::Write(_)));
            let before = m.io.conn_op_before_shutdown(id, ends, write);
            let expected = m.io.conn_op(id, ends, write);
            let got = match op {
                Op::Write(_) => r.write(id, b"w"),
                Op::Close(_) => r.close(id),
                _ => r.abort(id),
            };
            // The OS may have decided the end already (refusal, the peer's FIN or RST), with
            // the final callback still to come: then `write` is `Closed` and the others do
            // nothing (docs/contract/tcp.md).
            let decided = if write {
                Err(TcpError::Closed(id))
            } else {
                Ok(())
            };
            let live = matches!(
                m.io.conn(id).map(|s| *s),
                Some(ConnState::Connecting | ConnState::Open)
            );
            if before != Some(got.clone()) && !(live && got == decided) {
                assert_eq!(got, expected, "{op:?} on {id}");
            }
        }
        Op::Spawn { sleep, body } => {
            let spec = if *sleep {
                helper_spec("sleep", &[])
            } else {
                helper_spec("both", &[b"o", b"e"])
            };
            match r.spawn_process(spec, Box::new(Child::new(ctx, body))) {
                Ok(id) => {
                    assert!(
                        !closed,
                        "spawn_process after shutdown closed everything: {id}"
                    );
                    m.io.spawned(id);
                }
                Err(e) => {
                    let shut = refused(&mut m, e == ProcessError::ShutDown);
                    assert!(shut, "spawn_process: {e:?}");
                }
            }
        }
        Op::Terminate(p) => {
            let procs: Vec<ProcessId> = m.io.procs.iter().map(|p| p.0).collect();
            let id = pick(&procs, *p, ProcessId::from_raw(UNKNOWN));
            let allowed = m.io.signal(id);
            let got = r.signal(id, Signal::TERM);
            assert!(
                allowed.contains(&got),
                "signal({id}): {got:?}, not one of {allowed:?}"
            );
        }
        _ => return None,
    }
    Some(())
}
