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
    twinreactor_sim::assert_trace_snapshot!("process_echo_stderr_and_exit", sim.trace());
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

// ----- the process-crash fault (`ProcessConfig::crash`) -----

/// Sleeps `self.0` of virtual time, then writes "done" and exits 0.
struct Sleeper(Duration);

impl Program for Sleeper {
    fn start(&mut self, cx: &mut ProgramCx<'_>) {
        cx.sleep(self.0, 0);
    }

    fn wake(&mut self, cx: &mut ProgramCx<'_>, _tag: u64) {
        cx.write_stdout(b"done\n");
        cx.exit(0);
    }
}

/// A configuration with a "sleeper" stub that runs for `run_for`, and the crash knobs.
fn crash_config(seed: u64, run_for: Duration, crash: f64, within: Duration) -> SimConfig {
    let mut process = ProcessConfig::default();
    process.crash = crash;
    process.crash_within = within;
    // These cases time `exited` exactly one latency after the crash.
    process.early_exit = 0.0;
    SimConfig {
        process: process.with_program("sleeper", move || Box::new(Sleeper(run_for))),
        ..SimConfig::exact(seed)
    }
}

/// Collects every child's end status; stops the reactor once `count` children ended.
struct Ends {
    statuses: Rc<RefCell<Vec<ExitStatus>>>,
    count: usize,
}

impl ProcessProtocol for Ends {
    fn ended(&mut self, r: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        let mut statuses = self.statuses.borrow_mut();
        statuses.push(status);
        if statuses.len() == self.count {
            r.stop().expect("running");
        }
    }
}

/// Spawns `count` "sleeper"s at startup, runs until every one ended, and returns their end
/// statuses and the trace.
fn run_sleepers(config: SimConfig, count: usize) -> (Vec<ExitStatus>, String) {
    let mut sim = Sim::with_config(config);
    let statuses = Rc::new(RefCell::new(Vec::new()));
    let all = statuses.clone();
    sim.on_event(Phase::During, STARTUP, move |r| {
        for _ in 0..count {
            let ends = Ends {
                statuses: all.clone(),
                count,
            };
            r.spawn_process(ProcessSpec::new("sleeper"), Box::new(ends))
                .expect("registered");
        }
    });
    sim.run().expect("stops once every child ended");
    let statuses = statuses.borrow().clone();
    assert_eq!(statuses.len(), count);
    (statuses, sim.trace().render())
}

/// The virtual time of a `Record` line.
fn time_of(line: &str) -> Duration {
    let time = line.split_once(' ').expect("a time").0;
    let (number, unit) = [("ns", 1e-9), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)]
        .into_iter()
        .find_map(|(suffix, unit)| time.strip_suffix(suffix).map(|n| (n, unit)))
        .expect("a unit");
    let secs = number.parse::<f64>().expect("a number") * unit;
    // Rounded to the nanosecond, which every simulated time is a whole number of.
    Duration::from_nanos((secs * 1e9).round() as u64)
}

/// With `crash` 1.0 a long-running stub is killed by SIGKILL, as if the OS killed it,
/// within `crash_within` of its start: the protocol sees `exited` (signal 9), the pipes'
/// closes, then `ended` (signal 9); the stub gets no further callback; the trace shows the
/// signal reaching the stub and its end, and no `signalled` line (the parent sent nothing).
#[test]
fn crash_one_kills_a_running_stub_with_sigkill_within_crash_within() {
    let latency = ProcessConfig::default().latency;
    let within = Duration::from_secs(2);
    let mut crash_times = Vec::new();
    for seed in 1..=5 {
        let config = crash_config(seed, Duration::from_secs(3600), 1.0, within);
        let mut sim = Sim::with_config(config);
        let record = Record::default();
        spawn_on_startup(&mut sim, ProcessSpec::new("sleeper"), &record, b"");
        sim.run().expect("stops at ended");
        let lines = record.lines();
        let joined = lines.join("|");
        let exited = lines
            .iter()
            .position(|l| l.ends_with("exited signal 9"))
            .unwrap_or_else(|| panic!("no exited signal 9: {joined}"));
        let ended = lines.len() - 1;
        assert!(lines[ended].ends_with("ended signal 9"), "{joined}");
        assert!(exited < ended, "{joined}");
        for pipe in ["Stdin", "Stdout", "Stderr"] {
            let closed = lines
                .iter()
                .position(|l| l.ends_with(&format!("closed {pipe}")));
            assert!(closed.is_some_and(|c| c < ended), "{pipe}: {joined}");
        }
        assert!(!joined.contains("done"), "{joined}");
        // Spawned at 0, started `latency` later, crashed within `within` of the start;
        // `exited` and `ended` arrive `latency` after the crash.
        let crashed = time_of(&lines[exited]) - latency;
        assert!(crashed >= latency, "{joined}");
        assert!(crashed <= latency + within, "{joined}");
        assert_eq!(time_of(&lines[ended]), crashed + latency, "{joined}");
        crash_times.push(crashed);

        let trace = sim.trace().render();
        assert!(
            trace.contains("process program proc0#0 got signal 9\n"),
            "{trace}"
        );
        assert!(
            trace.contains("process program proc0#0 ended signal 9\n"),
            "{trace}"
        );
        assert!(!trace.contains("signalled"), "{trace}");
        assert!(!trace.contains("woke"), "{trace}");
    }
    assert!(
        crash_times.iter().any(|t| t != &crash_times[0]),
        "five seeds, one crash time: {crash_times:?}"
    );
}

/// The crash is off by default (`crash` 0.0, `crash_within` 1 s): nothing crashes, and
/// `crash_within` alone changes nothing in the trace.
#[test]
fn crash_is_off_by_default_and_nothing_crashes() {
    let default = ProcessConfig::default();
    assert_eq!(default.crash, 0.0);
    assert_eq!(default.crash_within, Duration::from_secs(1));
    let run_for = Duration::from_secs(10);
    let (statuses, trace) = run_sleepers(
        crash_config(11, run_for, default.crash, default.crash_within),
        50,
    );
    assert!(
        statuses.iter().all(|s| *s == ExitStatus::Code(0)),
        "{statuses:?}"
    );
    assert!(!trace.contains("signal 9"), "{trace}");
    let (_, other) = run_sleepers(crash_config(11, run_for, 0.0, Duration::from_millis(3)), 50);
    assert_eq!(trace, other);
}

/// With `crash` 0.5, about half of 200 stubs spawned at once crash: with seed 7, between 70
/// and 130 (the mean ± 30, over four standard deviations of the binomial's 7.07); every
/// other one exits normally.
#[test]
fn crash_half_crashes_about_half_of_two_hundred_stubs() {
    let config = crash_config(7, Duration::from_secs(10), 0.5, Duration::from_secs(1));
    let (statuses, _) = run_sleepers(config, 200);
    let killed = statuses
        .iter()
        .filter(|s| **s == ExitStatus::Signal(Signal::KILL))
        .count();
    let exited = statuses
        .iter()
        .filter(|s| **s == ExitStatus::Code(0))
        .count();
    assert_eq!(killed + exited, 200, "{statuses:?}");
    assert!((70..=130).contains(&killed), "{killed} of 200 crashed");
}

/// A stub that ended before its crash time is unaffected: with `crash` 1.0, stubs that
/// exit as soon as they start all exit with their own code.
#[test]
fn crash_spares_a_stub_that_ended_before_its_crash_time() {
    let config = crash_config(3, Duration::ZERO, 1.0, Duration::from_secs(1));
    let (statuses, trace) = run_sleepers(config, 50);
    assert!(
        statuses.iter().all(|s| *s == ExitStatus::Code(0)),
        "{statuses:?}"
    );
    assert!(!trace.contains("signal 9"), "{trace}");
}

/// Crashes are drawn from the seed: the same seed twice gives the same trace (with some
/// stubs crashed and some not); another seed crashes others.
#[test]
fn crash_same_seed_twice_gives_the_same_trace() {
    let run = |seed: u64| {
        let config = crash_config(
            seed,
            Duration::from_millis(500),
            0.5,
            Duration::from_secs(1),
        );
        run_sleepers(config, 20)
    };
    let (statuses, trace) = run(42);
    assert!(
        statuses.contains(&ExitStatus::Signal(Signal::KILL)),
        "{statuses:?}"
    );
    assert!(statuses.contains(&ExitStatus::Code(0)), "{statuses:?}");
    assert_eq!(run(42).1, trace);
    assert_ne!(run(43).1, trace);
}

/// Writes its environment's names, in the order it sees them, then exits.
struct EnvNames;

impl Program for EnvNames {
    fn start(&mut self, cx: &mut ProgramCx<'_>) {
        let names: Vec<String> = cx
            .vars()
            .iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect();
        cx.write_stdout(names.join(",").as_bytes());
        cx.exit(0);
    }
}

/// The contract leaves open the order in which a child sees an exact environment (std sorts
/// it): across seeds the simulator shows it in several orders, each name once.
#[test]
fn an_exact_environment_reaches_a_stub_in_orders_drawn_from_the_seed() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let mut sim = Sim::new(seed);
        sim.register_program(HostId::FIRST, "env-names", || Box::new(EnvNames))
            .expect("host exists");
        let record = Record::default();
        let vars = ["C", "A", "B", "A"]
            .map(|n| (n.into(), "v".into()))
            .to_vec();
        let spec = ProcessSpec::new("env-names").env(twinreactor::Environment::Exactly(vars));
        spawn_on_startup(&mut sim, spec, &record, b"");
        sim.run().expect("stops");
        seen.insert(record.pieces().concat());
    }
    assert!(seen.len() >= 4, "orders seen: {seen:?}");
    for order in &seen {
        let mut names: Vec<&str> = order.split(',').collect();
        names.sort_unstable();
        assert_eq!(names, ["A", "B", "C"], "each name once: {order}");
    }
}

/// Writes a line and exits at once.
struct PrintAndExit;

impl Program for PrintAndExit {
    fn start(&mut self, cx: &mut ProgramCx<'_>) {
        cx.write_stdout(b"last words\n");
        cx.exit(0);
    }
}

/// An OS may report a child's exit before the output it wrote last: across seeds the
/// simulator shows `exited` both before and after that output (always before `ended`).
#[test]
fn exit_is_reported_before_or_after_the_last_output_across_seeds() {
    let mut orders = std::collections::BTreeSet::new();
    for seed in 0..40 {
        let config = SimConfig {
            process: ProcessConfig::default().with_program("last", || Box::new(PrintAndExit)),
            ..SimConfig::exact(seed)
        };
        let mut sim = Sim::with_config(config);
        let record = Record::default();
        spawn_on_startup(&mut sim, ProcessSpec::new("last"), &record, b"");
        sim.run().expect("stops at ended");
        let lines = record.lines();
        let at = |what: &str| lines.iter().position(|l| l.contains(what)).unwrap();
        assert!(at("exited") < at("ended"));
        orders.insert(at("out ") < at("exited"));
    }
    assert_eq!(orders.len(), 2, "both orders appear");
}
