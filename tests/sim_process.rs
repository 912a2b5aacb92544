//! Simulator-only behaviour of child processes: program stubs (registration, virtual time,
//! signals a stub handles, grandchildren), seeded output chunking, and the snapshot of a
//! fixed-seed run.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{
    ExitStatus, Phase, Pipe, ProcessError, ProcessId, ProcessProtocol, ProcessSpec, Processes,
    Reactor, ReactorExt, Signal, STARTUP,
};
use twinreactor_sim::{HostId, ProcessConfig, Program, ProgramCx, Sim, SimConfig, SimError};

/// Records output pieces and events with their virtual times; stops the reactor at `ended`.
#[derive(Clone, Default)]
struct Record(Rc<RefCell<Vec<String>>>);

impl Record {
    fn push(&self, r: &dyn Reactor, what: String) {
        self.0.borrow_mut().push(format!("{:?} {what}", r.now()));
    }

    fn lines(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    /// The stdout pieces, as received (escaped as `{:?}` escapes them).
    fn pieces(&self) -> Vec<String> {
        self.lines()
            .iter()
            .filter_map(|l| {
                l.split_once(" out ")
                    .map(|(_, o)| o.trim_matches('"').to_owned())
            })
            .collect()
    }
}

impl ProcessProtocol for Record {
    fn stdout(&mut self, r: &mut dyn Reactor, _: ProcessId, data: &[u8]) {
        self.push(r, format!("out {:?}", String::from_utf8_lossy(data)));
    }

    fn stderr(&mut self, r: &mut dyn Reactor, _: ProcessId, data: &[u8]) {
        self.push(r, format!("err {:?}", String::from_utf8_lossy(data)));
    }

    fn pipe_closed(&mut self, r: &mut dyn Reactor, _: ProcessId, pipe: Pipe) {
        self.push(r, format!("closed {pipe:?}"));
    }

    fn exited(&mut self, r: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.push(r, format!("exited {status}"));
    }

    fn ended(&mut self, r: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.push(r, format!("ended {status}"));
        r.stop().expect("running");
    }
}

/// Echoes stdin to stdout and writes a note to stderr, exits 3 when stdin ends.
struct EchoNote;

impl Program for EchoNote {
    fn start(&mut self, cx: &mut ProgramCx<'_>) {
        cx.write_stderr(b"note: starting\n");
    }

    fn stdin(&mut self, cx: &mut ProgramCx<'_>, data: &[u8]) {
        cx.write_stdout(data);
    }

    fn stdin_closed(&mut self, cx: &mut ProgramCx<'_>) {
        cx.exit(3);
    }
}

/// Sleeps one virtual second per argument, printing the time at each wake-up; handles
/// SIGTERM itself by writing "term" and exiting 0.
struct Ticker;

impl Program for Ticker {
    fn start(&mut self, cx: &mut ProgramCx<'_>) {
        cx.sleep(Duration::from_secs(1), 1);
    }

    fn wake(&mut self, cx: &mut ProgramCx<'_>, tag: u64) {
        let line = format!("tick {tag} at {:?}\n", cx.now());
        cx.write_stdout(line.as_bytes());
        if tag < cx.args().len() as u64 {
            cx.sleep(Duration::from_secs(1), tag + 1);
        } else {
            cx.exit(0);
        }
    }

    fn signal(&mut self, cx: &mut ProgramCx<'_>, signal: Signal) {
        if signal == Signal::TERM {
            cx.write_stdout(b"term\n");
            cx.exit(0);
        } else {
            cx.default_action(signal);
        }
    }
}

fn spawn_on_startup(sim: &mut Sim, spec: ProcessSpec, record: &Record, input: &'static [u8]) {
    let record = record.clone();
    sim.on_event(Phase::During, STARTUP, move |r| {
        let id = r.spawn_process(spec, Box::new(record)).expect("registered");
        if !input.is_empty() {
            r.write_stdin(id, input).expect("open");
            r.close_stdin(id).expect("open");
        }
    });
}

/// The snapshot: a stub that echoes, writes to stderr and exits, with a fixed seed.
#[test]
fn snapshot_process_echo_stderr_and_exit_trace() {
    let config = SimConfig {
        process: ProcessConfig::default().with_program("echo-note", || Box::new(EchoNote)),
        ..SimConfig::exact(2024)
    };
    let mut sim = Sim::with_config(config);
    let record = Record::default();
    spawn_on_startup(
        &mut sim,
        ProcessSpec::new("echo-note"),
        &record,
        b"hello, simulated child\n",
    );
    sim.run().expect("stops at ended");
    assert_eq!(record.pieces().concat(), "hello, simulated child\\n");
    let trace = sim.trace().render();
    insta::with_settings!({
        snapshot_path => "../snapshots",
        prepend_module_to_snapshot => false,
    }, {
        insta::assert_snapshot!("process_echo_stderr_and_exit", trace);
    });
}

/// A stub sleeps in virtual time: its wake-ups come at exact virtual seconds; a stub that
/// handles SIGTERM itself exits with its own code.
#[test]
fn stubs_sleep_in_virtual_time_and_may_handle_a_signal() {
    let mut sim = Sim::new(5);
    sim.register_program(HostId::FIRST, "ticker", || Box::new(Ticker))
        .expect("host exists");
    let record = Record::default();
    spawn_on_startup(
        &mut sim,
        ProcessSpec::new("ticker").arg("a").arg("b"),
        &record,
        b"",
    );
    sim.run().expect("stops");
    // Started 50 µs after the spawn, then one virtual second per sleep.
    assert_eq!(
        record.pieces().concat(),
        "tick 1 at 1.00005s\\ntick 2 at 2.00005s\\n"
    );
    assert!(record
        .lines()
        .last()
        .expect("ended")
        .ends_with("ended code 0"));

    let mut sim = Sim::new(5);
    sim.register_program(HostId::FIRST, "ticker", || Box::new(Ticker))
        .expect("host exists");
    let record = Record::default();
    let rec = record.clone();
    sim.on_event(Phase::During, STARTUP, move |r| {
        let id = r
            .spawn_process(ProcessSpec::new("ticker").arg("a").arg("b"), Box::new(rec))
            .expect("registered");
        r.after(Duration::from_millis(1500), move |r| {
            r.signal(id, Signal::TERM).expect("running");
        });
    });
    sim.run().expect("stops");
    let lines = record.lines();
    let joined = lines.join("|");
    assert!(joined.contains("term"), "{joined}");
    assert!(!joined.contains("tick 2"), "{joined}");
    assert!(
        lines.iter().any(|l| l.ends_with("exited code 0")),
        "{joined}"
    );
}

/// How output is split into pieces depends on the seed; the bytes never do.
#[test]
fn output_chunking_is_drawn_from_the_seed() {
    let run = |seed: u64| {
        let config = SimConfig {
            process: ProcessConfig::default().with_program("echo-note", || Box::new(EchoNote)),
            ..SimConfig::exact(seed)
        };
        let mut sim = Sim::with_config(config);
        let record = Record::default();
        spawn_on_startup(
            &mut sim,
            ProcessSpec::new("echo-note"),
            &record,
            b"abcdefghijklmnopqrstuvwxyz0123456789",
        );
        sim.run().expect("stops");
        let pieces = record.pieces();
        assert_eq!(pieces.concat(), "abcdefghijklmnopqrstuvwxyz0123456789");
        pieces
    };
    assert_eq!(run(1), run(1));
    let splits: Vec<Vec<String>> = (1..6).map(run).collect();
    assert!(
        splits.iter().any(|s| s != &splits[0]),
        "five seeds, one split: {splits:?}"
    );
}

/// An unregistered program is `NotFound` at once; a host's own registration wins over the
/// configuration's, and registering on an unknown host is an error.
#[test]
fn registration_is_per_host_and_unregistered_is_not_found() {
    struct Exit(i32);
    impl Program for Exit {
        fn start(&mut self, cx: &mut ProgramCx<'_>) {
            cx.exit(self.0);
        }
    }
    let config = SimConfig {
        process: ProcessConfig::default().with_program("p", || Box::new(Exit(1))),
        ..SimConfig::exact(9)
    };
    let mut sim = Sim::with_config(config);
    let second = sim.add_host();
    sim.register_program(second, "p", || Box::new(Exit(2)))
        .expect("host exists");
    assert_eq!(
        sim.register_program(HostId::FIRST, "q", || Box::new(Exit(0)))
            .map(|_| ()),
        Ok(())
    );
    assert!(matches!(
        Sim::new(1).register_program(second, "x", || Box::new(Exit(0))),
        Err(SimError::UnknownHost(_))
    ));
    let missing = sim.spawn_process(ProcessSpec::new("nope"), Box::new(Record::default()));
    assert_eq!(missing, Err(ProcessError::NotFound("nope".into())));

    let statuses = Rc::new(RefCell::new(Vec::new()));
    for host in [HostId::FIRST, second] {
        let statuses = statuses.clone();
        sim.with_host(host, move |r| {
            struct Status(Rc<RefCell<Vec<ExitStatus>>>);
            impl ProcessProtocol for Status {
                fn ended(&mut self, _: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
                    self.0.borrow_mut().push(status);
                }
            }
            r.spawn_process(ProcessSpec::new("p"), Box::new(Status(statuses)))
                .expect("registered");
        })
        .expect("host exists");
        sim.start(host).expect("starts");
    }
    sim.run_until(|s| s.now() > Duration::from_secs(1), Duration::from_secs(2))
        .expect("runs");
    let mut got = statuses.borrow().clone();
    got.sort_by_key(|s| s.to_string());
    assert_eq!(got, vec![ExitStatus::Code(1), ExitStatus::Code(2)]);
}

/// Virtual pids are deterministic and never those of real processes (above Linux's
/// largest `pid_max`).
#[test]
fn virtual_pids_are_deterministic_and_not_real() {
    let mut sim = Sim::new(3);
    sim.register_program(HostId::FIRST, "ticker", || Box::new(Ticker))
        .expect("host exists");
    let a = sim
        .spawn_process(ProcessSpec::new("ticker"), Box::new(Record::default()))
        .expect("registered");
    let b = sim
        .spawn_process(ProcessSpec::new("ticker"), Box::new(Record::default()))
        .expect("registered");
    assert_eq!(sim.pid(a), Ok(1 << 22));
    assert_eq!(sim.pid(b), Ok((1 << 22) + 1));
}
