//! Simulator-only host crash and restart: a crashed host loses everything at once with no
//! callback, its peers see what a real network shows them (TCP held until the restart or a
//! give-up, UDP lost), a restarted host is a fresh reactor at the same address, bad calls
//! are typed errors, and one seed gives one trace.
//!
//! Two hosts throughout: h0 (10.0.0.1) and h1 (10.0.0.2), both started, driven with
//! `Sim::advance` / `Sim::run_until`, crashed and restarted between steps.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use twinreactor::{
    DatagramProtocol, ExitStatus, LifecycleError, Phase, Pipe, ProcessId, ProcessProtocol,
    ProcessSpec, Reactor, ReactorExt, RemoteError, SocketId, UdpOptions,
};
use twinreactor_sim::{HostId, Program, ProgramCx, Sim, SimError, TcpConfig};

mod multihost;

use multihost::*;

/// The seed of these tests.
const SEED: u64 = 0xc4a5_4001;

/// The server's host crashes: its protocol is dropped at once, told nothing; nothing more
/// happens on that host. The client learns nothing until it writes: its data is held (the
/// host is down) and after `give_up` its connection ends with `Io(TimedOut)`.
#[test]
fn crash_tcp_server_crash_ends_the_client_with_timed_out_and_tells_the_server_nothing() {
    let after = Duration::from_secs(2);
    let (mut sim, h0, h1) = two_hosts(SEED, give_up(after));
    let (client, server) = established(&mut sim, h0, h1);
    write(&mut sim, h0, &client, b"hello;");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(server.bytes.borrow().as_slice(), b"hello;");
    assert!(!server.dropped.get());
    let crashed_at = sim.now();
    sim.crash_host(h1).expect("crash");
    assert!(server.dropped.get(), "dropped at once, with its host");
    assert_eq!(server.events(), ["3ms connected", "4ms first data"]);
    assert_eq!(sim.is_up(h1), Ok(false));
    assert_eq!(sim.is_up(h0), Ok(true));
    sim.advance(Duration::from_secs(5)).expect("run");
    assert_eq!(
        client.events(),
        ["2ms connected"],
        "nothing sent, nothing known"
    );
    let wrote_at = sim.now();
    write(&mut sim, h0, &client, b"anyone there?");
    sim.advance(after - Duration::from_millis(1)).expect("run");
    assert_eq!(client.events(), ["2ms connected"]);
    sim.advance(Duration::from_millis(1)).expect("run");
    let timed_out = format!(
        "{}ms disconnected Io(TimedOut)",
        (wrote_at + after).as_millis()
    );
    assert_eq!(client.events(), ["2ms connected".to_owned(), timed_out]);
    assert_eq!(server.events(), ["3ms connected", "4ms first data"]);
    let trace = sim.trace().render();
    let crash_line = format!(
        "{}.{:09} h1 host-crashed h1",
        crashed_at.as_secs(),
        crashed_at.subsec_nanos()
    );
    assert_eq!(
        lines_of(&trace, "h1").last(),
        Some(&crash_line),
        "nothing happens on h1 after its crash\n{trace}"
    );
}

/// A writer blocked on the window of a reader that crashes (paused, its window full) is
/// not left waiting: it sends again one latency after the crash, its data is held, and it
/// gives up with `Io(TimedOut)`.
#[test]
fn crash_tcp_writer_blocked_on_a_crashed_reader_times_out() {
    let after = Duration::from_secs(2);
    let (mut sim, h0, h1) = two_hosts(SEED, give_up(after));
    let (client, server) = established(&mut sim, h0, h1);
    let conn = server.conn();
    sim.with_host(h1, |r| r.pause_reading(conn))
        .expect("a host")
        .expect("pause");
    let big = vec![7u8; 512 * 1024];
    write(&mut sim, h0, &client, &big);
    sim.advance(Duration::from_millis(100)).expect("run");
    let buffered = |sim: &mut Sim| {
        let conn = client.conn();
        sim.with_host(h0, |r| r.buffered(conn))
            .expect("a host")
            .expect("buffered")
    };
    assert_eq!(buffered(&mut sim), 256 * 1024, "the window is full");
    let crashed_at = sim.now();
    sim.crash_host(h1).expect("crash");
    sim.advance(Duration::from_millis(2)).expect("run");
    assert_eq!(buffered(&mut sim), 0, "sent again, into the void");
    sim.advance(Duration::from_secs(5)).expect("run");
    // The retry leaves one latency after the crash, and is held from then on.
    let gave_up = (crashed_at + Duration::from_millis(1) + after).as_millis();
    assert_eq!(
        client.events(),
        [
            "2ms connected".to_owned(),
            format!("{gave_up}ms disconnected Io(TimedOut)")
        ]
    );
    assert!(server.dropped.get());
    assert!(server.bytes.borrow().is_empty());
}

/// Data on its way to the crashed host is lost with it and retransmitted by its sender:
/// held until the restart, then it reaches no connection there and is answered with RST,
/// so the client sees `Reset` one round trip after the restart.
#[test]
fn crash_tcp_data_in_flight_at_the_crash_is_reset_after_the_restart() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let (client, server) = established(&mut sim, h0, h1);
    sim.advance(Duration::from_millis(10)).expect("run");
    write(&mut sim, h0, &client, b"lost in flight");
    sim.advance(Duration::from_micros(500)).expect("run");
    sim.crash_host(h1).expect("crash");
    sim.advance(Duration::from_millis(500)).expect("run");
    assert_eq!(client.events(), ["2ms connected"]);
    assert!(server.bytes.borrow().is_empty());
    let restarted_at = sim.now().as_millis();
    sim.restart_host(h1).expect("restart");
    assert_eq!(sim.is_up(h1), Ok(true));
    sim.start(h1).expect("start");
    sim.advance(Duration::from_millis(10)).expect("run");
    // Held data leaves at the restart (1 ms there), RST back (1 ms).
    assert_eq!(
        client.events(),
        [
            "2ms connected".to_owned(),
            format!("{}ms disconnected Reset", restarted_at + 2)
        ]
    );
    assert_eq!(
        server.events(),
        ["3ms connected"],
        "the old server saw nothing"
    );
    let trace = sim.trace().render();
    assert!(trace.contains(" h1 host-restarted h1\n"), "{trace}");
}

/// Segments held by a partition stay held when it heals while the receiver is down, and
/// go at the restart: the writer sees `Reset` one round trip after it.
#[test]
fn crash_tcp_a_heal_while_the_host_is_down_keeps_segments_held_until_the_restart() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let (client, _) = established(&mut sim, h0, h1);
    sim.partition(h0, h1).expect("partition");
    write(&mut sim, h0, &client, b"held");
    sim.advance(Duration::from_millis(10)).expect("run");
    sim.crash_host(h1).expect("crash");
    sim.heal(h0, h1).expect("heal");
    sim.advance(Duration::from_millis(500)).expect("run");
    assert_eq!(client.events(), ["2ms connected"]);
    let restarted_at = sim.now().as_millis();
    sim.restart_host(h1).expect("restart");
    sim.start(h1).expect("start");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(
        client.events(),
        [
            "2ms connected".to_owned(),
            format!("{}ms disconnected Reset", restarted_at + 2)
        ]
    );
}

/// A connect to a host that is down times out at its own timeout; one whose timeout is
/// later than the restart has its SYN held, sent at the restart, and accepted by the
/// listener the restarted host installed: connected one round trip after the restart.
#[test]
fn crash_tcp_connect_to_a_down_host_times_out_or_waits_for_the_restart() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    sim.crash_host(h1).expect("crash");
    let early = connect(&mut sim, h0, addr(H1, TCP_PORT), Duration::from_millis(500));
    let late = connect(&mut sim, h0, addr(H1, TCP_PORT), Duration::from_secs(2));
    sim.advance(Duration::from_secs(1)).expect("run");
    assert_eq!(early.events(), ["500ms connect-failed TimedOut"]);
    assert_eq!(late.events(), Vec::<String>::new());
    sim.restart_host(h1).expect("restart");
    let (server, _) = listen(&mut sim, h1, TCP_PORT);
    sim.start(h1).expect("start");
    sim.advance(Duration::from_secs(5)).expect("run");
    assert_eq!(early.events(), ["500ms connect-failed TimedOut"]);
    assert_eq!(late.events(), ["1002ms connected"]);
    assert_eq!(server.events(), ["1003ms connected"]);
}

/// After a restart the host is a fresh reactor that runs again: its old listener is gone
/// (a connect is refused), a new listener binds the same port and accepts; ephemeral ports
/// start over; data flows both ways.
#[test]
fn crash_restarted_host_runs_again_and_accepts_on_the_same_port() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let (_, first_ephemeral) = listen(&mut sim, h1, 0);
    let (_, second_ephemeral) = listen(&mut sim, h1, 0);
    assert_eq!((first_ephemeral, second_ephemeral), (49152, 49153));
    let (old_client, old_server) = established(&mut sim, h0, h1);
    sim.crash_host(h1).expect("crash");
    assert!(old_server.dropped.get());
    sim.advance(Duration::from_millis(10)).expect("run");
    sim.restart_host(h1).expect("restart");
    sim.start(h1).expect("start");
    // Nothing listens on the restarted host yet.
    let refused = connect(&mut sim, h0, addr(H1, TCP_PORT), Duration::from_secs(1));
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(refused.events().len(), 1);
    assert!(
        refused.events()[0].ends_with("connect-failed Refused"),
        "{:?}",
        refused.events()
    );
    let (_, ephemeral) = listen(&mut sim, h1, 0);
    assert_eq!(ephemeral, 49152, "ephemeral ports start over");
    let (client, server) = established(&mut sim, h0, h1);
    write(&mut sim, h0, &client, b"ping");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(server.bytes.borrow().as_slice(), b"ping");
    write(&mut sim, h1, &server, b"pong");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(client.bytes.borrow().as_slice(), b"pong");
    assert!(old_client
        .events()
        .iter()
        .all(|e| !e.contains("disconnected")));
    assert!(!client.dropped.get() && !server.dropped.get());
}

// ---------------------------------------------------------------------------------------
// UDP

/// What a socket heard: each datagram's text, refusals and `stopped`, and its drop.
#[derive(Default)]
struct Heard {
    texts: RefCell<Vec<String>>,
    dropped: Cell<bool>,
}

impl Heard {
    fn texts(&self) -> Vec<String> {
        self.texts.borrow().clone()
    }
}

/// Keeps every datagram it hears.
struct Ear(Rc<Heard>);

impl DatagramProtocol for Ear {
    fn datagram(&mut self, _: &mut dyn Reactor, _: SocketId, data: &[u8], _: SocketAddr) {
        let text = String::from_utf8_lossy(data).into_owned();
        self.0.texts.borrow_mut().push(text);
    }

    fn refused(&mut self, _: &mut dyn Reactor, _: SocketId) {
        self.0.texts.borrow_mut().push("refused".into());
    }

    fn stopped(&mut self, _: &mut dyn Reactor, _: SocketId) {
        self.0.texts.borrow_mut().push("stopped".into());
    }
}

impl Drop for Ear {
    fn drop(&mut self) {
        self.0.dropped.set(true);
    }
}

/// Binds a socket on `host` at `0.0.0.0:PORT` that keeps what it hears.
fn udp_socket(sim: &mut Sim, host: HostId) -> (SocketId, Rc<Heard>) {
    let heard = Rc::new(Heard::default());
    let ear = Box::new(Ear(heard.clone()));
    let socket = sim
        .with_host(host, |r| {
            r.bind_udp(addr([0, 0, 0, 0], PORT), ear, UdpOptions::default())
        })
        .expect("a host")
        .expect("bind");
    (socket, heard)
}

/// Sends `text` from the connected `socket` of `host`.
fn udp_send(sim: &mut Sim, host: HostId, socket: SocketId, text: &str) {
    sim.with_host(host, |r| r.send(socket, text.as_bytes()))
        .expect("a host")
        .expect("send");
}

/// Datagrams to a crashed host are lost, and nothing comes back (no refusal); its socket
/// is dropped without `stopped`. After the restart, the port is closed (a refusal comes
/// back) until the host binds it again; then datagrams flow again.
#[test]
fn crash_udp_to_a_crashed_host_is_lost_and_flows_after_restart_and_rebind() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let (s0, heard0) = udp_socket(&mut sim, h0);
    let (_, heard1) = udp_socket(&mut sim, h1);
    sim.with_host(h0, |r| r.connect_udp(s0, addr(H1, PORT)))
        .expect("a host")
        .expect("connect");
    udp_send(&mut sim, h0, s0, "before");
    sim.advance(Duration::from_millis(10)).expect("run");
    sim.crash_host(h1).expect("crash");
    assert!(heard1.dropped.get());
    assert_eq!(heard1.texts(), ["before"], "no stopped");
    udp_send(&mut sim, h0, s0, "while down");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(heard0.texts(), Vec::<String>::new(), "lost, no refusal");
    sim.restart_host(h1).expect("restart");
    sim.start(h1).expect("start");
    udp_send(&mut sim, h0, s0, "nobody bound");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(heard0.texts(), ["refused"]);
    let (_, heard1) = udp_socket(&mut sim, h1);
    udp_send(&mut sim, h0, s0, "after");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(heard1.texts(), ["after"]);
    assert_eq!(heard0.texts(), ["refused"]);
}

// ---------------------------------------------------------------------------------------
// Timers, triggers, remote calls, processes

/// A remote handle to a crashed host answers `ReactorGone`, and so does it after the
/// restart; a call queued before the crash never runs. A handle taken after the restart
/// works.
#[test]
fn crash_remote_handle_to_a_crashed_host_is_reactor_gone() {
    let (mut sim, _, h1) = two_hosts(SEED, TcpConfig::default());
    let old = sim.with_host(h1, |r| r.remote()).expect("a host");
    let queued = Arc::new(AtomicBool::new(false));
    let flag = queued.clone();
    old.call(move |_| flag.store(true, Ordering::SeqCst))
        .expect("queued");
    sim.crash_host(h1).expect("crash");
    assert_eq!(old.call(|_| {}), Err(RemoteError::ReactorGone));
    sim.restart_host(h1).expect("restart");
    sim.start(h1).expect("start");
    assert_eq!(old.call(|_| {}), Err(RemoteError::ReactorGone));
    let new = sim.with_host(h1, |r| r.remote()).expect("a host");
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    new.call(move |_| flag.store(true, Ordering::SeqCst))
        .expect("queued");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert!(ran.load(Ordering::SeqCst));
    assert!(!queued.load(Ordering::SeqCst), "lost with the crash");
}

/// The crashed host's timers and triggers never run, not even after the restart, and its
/// shutdown never happens.
#[test]
fn crash_timers_and_triggers_of_a_crashed_host_never_run() {
    let (mut sim, _, h1) = two_hosts(SEED, TcpConfig::default());
    let ran = Rc::new(RefCell::new(Vec::<String>::new()));
    let (timer_ran, trigger_ran) = (ran.clone(), ran.clone());
    sim.with_host(h1, |r| {
        r.after(Duration::from_secs(1), move |_| {
            timer_ran.borrow_mut().push("timer".into())
        });
        r.on_event(Phase::Before, "shutdown", move |_| {
            trigger_ran.borrow_mut().push("shutdown".into())
        });
        r.after(Duration::from_secs(2), |r| r.stop().expect("running"));
    })
    .expect("a host");
    sim.advance(Duration::from_millis(500)).expect("run");
    sim.crash_host(h1).expect("crash");
    sim.advance(Duration::from_millis(200)).expect("run");
    sim.restart_host(h1).expect("restart");
    sim.start(h1).expect("start");
    sim.advance(Duration::from_secs(5)).expect("run");
    assert_eq!(*ran.borrow(), Vec::<String>::new());
    let trace = sim.trace().render();
    assert!(!trace.contains("timer-fired"), "{trace}");
    assert!(!trace.contains("stop-requested"), "{trace}");
    assert_eq!(
        lines_of(&trace, "h1"),
        [
            "0.000000000 h1 run-began",
            "0.000000000 h1 phase \"startup\" before",
            "0.000000000 h1 phase \"startup\" during",
            "0.000000000 h1 phase \"startup\" after",
            "0.000000000 h1 event-ended \"startup\"",
            "0.500000000 h1 host-crashed h1",
            "0.700000000 h1 host-restarted h1",
            "0.700000000 h1 run-began",
            "0.700000000 h1 phase \"startup\" before",
            "0.700000000 h1 phase \"startup\" during",
            "0.700000000 h1 phase \"startup\" after",
            "0.700000000 h1 event-ended \"startup\"",
        ],
        "{trace}"
    );
}

/// A stub that sleeps for a second, then exits.
struct Sleeper;

impl Program for Sleeper {
    fn start(&mut self, cx: &mut ProgramCx<'_>) {
        cx.sleep(Duration::from_secs(1), 0);
    }

    fn wake(&mut self, cx: &mut ProgramCx<'_>, _: u64) {
        cx.exit(0);
    }
}

/// Records a process's callbacks, and its drop.
struct Parent(Rc<Heard>);

impl ProcessProtocol for Parent {
    fn pipe_closed(&mut self, _: &mut dyn Reactor, _: ProcessId, pipe: Pipe) {
        self.0.texts.borrow_mut().push(format!("closed {pipe:?}"));
    }

    fn exited(&mut self, _: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.0.texts.borrow_mut().push(format!("exited {status:?}"));
    }

    fn ended(&mut self, _: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.0.texts.borrow_mut().push(format!("ended {status:?}"));
    }
}

impl Drop for Parent {
    fn drop(&mut self) {
        self.0.dropped.set(true);
    }
}

/// A child process of a crashed host goes with it: its protocol is dropped told nothing.
/// The program stubs registered on the host are still there after the restart.
#[test]
fn crash_child_processes_go_with_their_host_and_stubs_stay_registered() {
    let (mut sim, _, h1) = two_hosts(SEED, TcpConfig::default());
    sim.register_program(h1, "sleeper", || Box::new(Sleeper))
        .expect("a host");
    let spawn = |sim: &mut Sim| {
        let seen = Rc::new(Heard::default());
        let parent = Box::new(Parent(seen.clone()));
        sim.with_host(h1, |r| r.spawn_process(ProcessSpec::new("sleeper"), parent))
            .expect("a host")
            .expect("spawn");
        seen
    };
    let first = spawn(&mut sim);
    sim.advance(Duration::from_millis(500)).expect("run");
    sim.crash_host(h1).expect("crash");
    assert!(first.dropped.get());
    sim.restart_host(h1).expect("restart");
    sim.start(h1).expect("start");
    let second = spawn(&mut sim);
    sim.advance(Duration::from_secs(5)).expect("run");
    assert_eq!(first.texts(), Vec::<String>::new());
    assert_eq!(
        second.texts().last().map(String::as_str),
        Some("ended Code(0)"),
        "{:?}",
        second.texts()
    );
}

// ---------------------------------------------------------------------------------------
// Errors

/// Unknown hosts are `UnknownHost`; crashing a down host and using it are `HostDown`;
/// restarting an up host is `HostUp`. None of them is traced.
#[test]
fn crash_bad_calls_are_errors() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let mut other = Sim::new(1);
    other.add_host();
    let stranger = other.add_host();
    assert_eq!(
        sim.crash_host(stranger),
        Err(SimError::UnknownHost(stranger))
    );
    assert_eq!(
        sim.restart_host(stranger),
        Err(SimError::UnknownHost(stranger))
    );
    assert_eq!(sim.is_up(stranger), Err(SimError::UnknownHost(stranger)));
    assert_eq!(sim.restart_host(h1), Err(SimError::HostUp(h1)));
    sim.crash_host(h1).expect("crash");
    assert_eq!(sim.crash_host(h1), Err(SimError::HostDown(h1)));
    assert_eq!(sim.with_host(h1, |r| r.now()), Err(SimError::HostDown(h1)));
    assert_eq!(sim.start(h1), Err(SimError::HostDown(h1)));
    assert_eq!(sim.with_host(h0, |r| r.now()), Ok(Duration::ZERO));
    sim.restart_host(h1).expect("restart");
    assert_eq!(sim.restart_host(h1), Err(SimError::HostUp(h1)));
    let trace = sim.trace().render();
    assert_eq!(trace.matches("host-crashed").count(), 1, "{trace}");
    assert_eq!(trace.matches("host-restarted").count(), 1, "{trace}");
}

/// The host the `Sim` acts as may crash too: `run()` on it is then `NotRunning` until it
/// restarts, and then it runs as a fresh reactor.
#[test]
fn crash_the_current_host_cannot_run_until_it_restarts() {
    let mut sim = Sim::new(SEED);
    let h0 = sim.current_host();
    sim.after(Duration::from_secs(1), |_| panic!("lost with the crash"));
    sim.crash_host(h0).expect("crash");
    assert_eq!(sim.run(), Err(LifecycleError::NotRunning));
    sim.restart_host(h0).expect("restart");
    sim.after(Duration::from_secs(2), |r| r.stop().expect("running"));
    sim.run().expect("run");
    assert_eq!(sim.now(), Duration::from_secs(2));
}

// ---------------------------------------------------------------------------------------
// Determinism

/// A run with crashes, restarts, TCP under read splitting and UDP under jitter and loss:
/// the same seed gives the same trace, crash lines included; another seed another.
#[test]
fn crash_same_seed_same_trace() {
    fn run(seed: u64) -> String {
        let (mut sim, h0, h1) = faulty_two_hosts(seed);
        let (s0, _) = udp_socket(&mut sim, h0);
        sim.with_host(h0, |r| r.connect_udp(s0, addr(H1, PORT)))
            .expect("a host")
            .expect("connect");
        for round in 0..6u32 {
            let _ = udp_socket(&mut sim, h1);
            let (client, server) = established(&mut sim, h0, h1);
            for i in 0..5u8 {
                udp_send(&mut sim, h0, s0, &format!("{round}.{i}"));
                write(&mut sim, h0, &client, &[i; 3000]);
                write(&mut sim, h1, &server, &[i; 2000]);
                sim.advance(Duration::from_micros(70)).expect("run");
            }
            sim.advance(Duration::from_millis(3)).expect("run");
            // Data on its way at the crash.
            write(&mut sim, h0, &client, &[round as u8; 500]);
            sim.crash_host(h1).expect("crash");
            for i in 0..3u8 {
                udp_send(&mut sim, h0, s0, &format!("down {round}.{i}"));
                if client.events().iter().all(|e| !e.contains("disconnected")) {
                    write(&mut sim, h0, &client, &[i; 1000]);
                }
                sim.advance(Duration::from_millis(13 * u64::from(round % 3 + 1)))
                    .expect("run");
            }
            sim.restart_host(h1).expect("restart");
            sim.start(h1).expect("start");
            sim.advance(Duration::from_millis(5)).expect("run");
        }
        sim.advance(Duration::from_secs(1)).expect("run");
        sim.trace().render()
    }
    let first = run(SEED);
    assert!(first.contains("h1 host-crashed h1"), "{first}");
    assert!(first.contains("h1 host-restarted h1"), "{first}");
    assert!(first.contains("tcp data"), "{first}");
    assert!(first.contains("Io(TimedOut)"), "{first}");
    assert!(first.contains("Reset"), "{first}");
    assert!(first.contains("udp datagram"), "{first}");
    assert_eq!(first, run(SEED), "one seed, one trace");
    assert_ne!(first, run(SEED ^ 1), "the trace depends on the seed");
}
