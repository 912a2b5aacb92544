//! Child processes: spawn, pipes, exit and end, signals, shutdown, many children at once.
//!
//! Every case spawns the corpus helper (`tests/helper/helper.rs`); on the simulator the same
//! spec runs the helper's stubs (`process/helper_stubs.rs`). Output may arrive in any
//! pieces and pipe closes may come before or after `exited`, so cases compare the collected
//! bytes and check the order of events where the contract fixes it.

mod helper_stubs;

use std::cell::RefCell;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::rc::Rc;

use twinreactor::tcp::{HIGH_WATER, LOW_WATER};
use twinreactor::{
    Environment, ExitStatus, Phase, Pipe, ProcessError, ProcessId, ProcessProtocol, Reactor,
    ReactorExt, Signal, STARTUP,
};

use crate::harness::{stop, Backend, Log, MS};
pub use helper_stubs::corpus_stubs;
pub use helper_stubs::helper_spec;

/// What one child was seen doing.
#[derive(Default)]
struct Seen {
    out: Vec<u8>,
    err: Vec<u8>,
    /// `pipe_closed`, `exited` and `ended`, in delivery order.
    events: Vec<String>,
    /// `pause-producing` and `resume-producing`, in delivery order.
    flow: Vec<String>,
    /// The protocol was dropped.
    dropped: bool,
}

type Shared = Rc<RefCell<Seen>>;
type Hook = Box<dyn FnMut(&mut dyn Reactor, ProcessId, &str)>;

/// A protocol that records into a [`Seen`], calls `hook` after each non-data event (with
/// the event's text), and stops the reactor once `left` children have ended.
struct Recorder {
    seen: Shared,
    left: Rc<RefCell<usize>>,
    hook: Option<Hook>,
}

impl Recorder {
    fn event(&mut self, r: &mut dyn Reactor, id: ProcessId, text: String) {
        self.seen.borrow_mut().events.push(text.clone());
        self.hook(r, id, &text);
    }

    fn flow(&mut self, r: &mut dyn Reactor, id: ProcessId, text: &str) {
        self.seen.borrow_mut().flow.push(text.to_owned());
        self.hook(r, id, text);
    }

    fn hook(&mut self, r: &mut dyn Reactor, id: ProcessId, text: &str) {
        if let Some(hook) = &mut self.hook {
            hook(r, id, text);
        }
    }
}

fn status_text(status: ExitStatus) -> String {
    status.to_string()
}

impl ProcessProtocol for Recorder {
    fn stdout(&mut self, _r: &mut dyn Reactor, _id: ProcessId, data: &[u8]) {
        self.seen.borrow_mut().out.extend_from_slice(data);
    }

    fn stderr(&mut self, _r: &mut dyn Reactor, _id: ProcessId, data: &[u8]) {
        self.seen.borrow_mut().err.extend_from_slice(data);
    }

    fn pause_producing(&mut self, r: &mut dyn Reactor, id: ProcessId) {
        self.flow(r, id, "pause-producing");
    }

    fn resume_producing(&mut self, r: &mut dyn Reactor, id: ProcessId) {
        self.flow(r, id, "resume-producing");
    }

    fn pipe_closed(&mut self, r: &mut dyn Reactor, id: ProcessId, pipe: Pipe) {
        self.event(r, id, format!("closed {pipe:?}"));
    }

    fn exited(&mut self, r: &mut dyn Reactor, id: ProcessId, status: ExitStatus) {
        self.event(r, id, format!("exited {}", status_text(status)));
    }

    fn ended(&mut self, r: &mut dyn Reactor, id: ProcessId, status: ExitStatus) {
        self.event(r, id, format!("ended {}", status_text(status)));
        let mut left = self.left.borrow_mut();
        *left -= 1;
        if *left == 0 && r.is_running() {
            let _ = r.stop();
        }
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.seen.borrow_mut().dropped = true;
    }
}

/// A recorder for one of `left` children, with an optional hook.
fn recorder(left: &Rc<RefCell<usize>>, hook: Option<Hook>) -> (Box<Recorder>, Shared) {
    let seen = Shared::default();
    let protocol = Box::new(Recorder {
        seen: seen.clone(),
        left: left.clone(),
        hook,
    });
    (protocol, seen)
}

/// Spawns `spec` from the during-startup phase (so every reactor sees the same start),
/// runs until every child ended, and returns what each saw.
fn run_children(
    r: &mut dyn Reactor,
    specs: Vec<(twinreactor::ProcessSpec, Option<Hook>)>,
) -> Vec<Shared> {
    let left = Rc::new(RefCell::new(specs.len()));
    let mut seens = Vec::new();
    let mut protocols = Vec::new();
    for (spec, hook) in specs {
        let (protocol, seen) = recorder(&left, hook);
        seens.push(seen);
        protocols.push((spec, protocol));
    }
    r.on_event(Phase::During, STARTUP, move |r| {
        for (spec, protocol) in protocols {
            r.spawn_process(spec, protocol).expect("the helper starts");
        }
    });
    r.run().expect("the run ends with stop()");
    seens
}

/// Checks the end of one child: each pipe closed once, `exited` once and before `ended`,
/// `ended` last with the same status, and the protocol dropped.
#[track_caller]
fn assert_ended(seen: &Shared, status: &str) {
    let seen = seen.borrow();
    let events = &seen.events;
    let count = |e: &str| events.iter().filter(|x| *x == e).count();
    for e in ["closed Stdin", "closed Stdout", "closed Stderr"] {
        assert_eq!(count(e), 1, "{e} once in {events:?}");
    }
    assert_eq!(count(&format!("exited {status}")), 1, "in {events:?}");
    assert_eq!(
        events.last(),
        Some(&format!("ended {status}")),
        "in {events:?}"
    );
    assert_eq!(events.len(), 5, "in {events:?}");
    assert!(seen.dropped, "the protocol is dropped after ended");
}

/// The position of `event` in `seen`'s events.
#[track_caller]
fn at(seen: &Shared, event: &str) -> usize {
    let seen = seen.borrow();
    seen.events
        .iter()
        .position(|e| e == event)
        .unwrap_or_else(|| panic!("{event} not in {:?}", seen.events))
}

/// 1 MiB written to `echo` comes back intact on stdout; closing stdin (after the flush)
/// ends it: stdin's close comes before `exited` (code 0), then `ended`.
pub fn process_echo_one_mebibyte_through_stdin_and_stdout(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 251) as u8).collect();
    let input = data.clone();
    let left = Rc::new(RefCell::new(1));
    let (protocol, seen) = recorder(&left, None);
    r.on_event(Phase::During, STARTUP, move |r| {
        let id = r
            .spawn_process(helper_spec("echo", &[]), protocol)
            .expect("starts");
        r.write_stdin(id, &input).expect("stdin is open");
        r.close_stdin(id).expect("stdin is open");
        assert_eq!(
            r.write_stdin(id, b"late"),
            Err(ProcessError::StdinClosed(id))
        );
    });
    r.run().expect("stops");
    let s = seen.borrow();
    assert!(
        s.out == data,
        "stdout: {} bytes, not the 1 MiB sent",
        s.out.len()
    );
    assert!(s.err.is_empty());
    drop(s);
    assert_ended(&seen, "code 0");
    assert!(at(&seen, "closed Stdin") < at(&seen, "exited code 0"));
}

/// Back-pressure on stdin: 1 MiB written in one call to a child that reads nothing for its
/// first 200 ms mostly waits on this side (`stdin_buffered` above `HIGH_WATER` right after
/// the write, the pipe holding the rest); the protocol is told `pause_producing` later,
/// never inside `write_stdin`, then `resume_producing` once the child reads, with
/// `LOW_WATER` or less still buffered. Every byte comes back, in order.
pub fn process_stdin_back_pressure_pauses_then_resumes_the_writer(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let data: Vec<u8> = (0..1u32 << 20).map(|i| (i % 253) as u8).collect();
    let input = data.clone();
    let log = Log::new();
    let l = log.clone();
    let hook: Hook = Box::new(move |r, id, event| {
        if event == "resume-producing" {
            let buffered = r.stdin_buffered(id).expect("running");
            l.push(format!("{event}, low: {}", buffered <= LOW_WATER));
            r.close_stdin(id).expect("stdin is open");
        } else if event == "pause-producing" {
            l.push(event);
        }
    });
    let left = Rc::new(RefCell::new(1));
    let (protocol, seen) = recorder(&left, Some(hook));
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        let id = r
            .spawn_process(helper_spec("late-echo", &[b"200"]), protocol)
            .expect("starts");
        l.push("writing");
        r.write_stdin(id, &input).expect("stdin is open");
        let buffered = r.stdin_buffered(id).expect("running");
        l.push(format!("written, high: {}", buffered > HIGH_WATER));
    });
    r.run().expect("stops");
    log.assert(&[
        "writing",
        "written, high: true",
        "pause-producing",
        "resume-producing, low: true",
    ]);
    let s = seen.borrow();
    assert!(
        s.out == data,
        "stdout: {} of 1 MiB, or out of order",
        s.out.len()
    );
    assert_eq!(s.flow, ["pause-producing", "resume-producing"]);
    drop(s);
    assert_ended(&seen, "code 0");
}

/// What the child writes to stdout and to stderr arrives apart, each intact.
pub fn process_stdout_and_stderr_kept_apart(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let spec = helper_spec("both", &[b"to stdout", b"to stderr"]);
    let seen = run_children(&mut *r, vec![(spec, None)]);
    assert_eq!(seen[0].borrow().out, b"to stdout");
    assert_eq!(seen[0].borrow().err, b"to stderr");
    assert_ended(&seen[0], "code 0");
}

/// Exit code 23 is reported as a code, in `exited` and then `ended`; the pid is there
/// until `ended` (also inside `exited`), signalling inside `exited` is `ExitedAlready`, and
/// after `ended` the pid is unknown.
pub fn process_exit_code_is_reported_as_a_code(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    let hook: Hook = Box::new(move |r, id, event| {
        if event.starts_with("exited") {
            l.push(format!("pid in exited: {}", r.pid(id).is_ok()));
            l.push(format!("{:?}", r.signal(id, Signal::TERM)));
        }
        if event.starts_with("ended") {
            l.push(format!("pid in ended: {:?}", r.pid(id)));
        }
    });
    let seen = run_children(&mut *r, vec![(helper_spec("exit", &[b"23"]), Some(hook))]);
    assert_ended(&seen[0], "code 23");
    log.assert(&[
        "pid in exited: true",
        "Err(ExitedAlready(ProcessId(0)))",
        "pid in ended: Err(UnknownProcess(ProcessId(0)))",
    ]);
}

/// A child killed by SIGTERM is reported as killed by that signal; the pid is there from
/// the spawn until `ended`.
pub fn process_killed_by_a_signal_is_reported_as_that_signal(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let left = Rc::new(RefCell::new(1));
    let log = Log::new();
    let l = log.clone();
    let hook: Hook = Box::new(move |r, id, event| {
        l.push(format!("{event}: pid {}", r.pid(id).is_ok()));
    });
    let (protocol, seen) = recorder(&left, Some(hook));
    let l = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        let id = r
            .spawn_process(helper_spec("sleep", &[]), protocol)
            .expect("starts");
        l.push(format!("spawned: pid {}", r.pid(id).is_ok()));
        r.after(10 * MS, move |r| {
            r.signal(id, Signal::TERM).expect("running");
        });
    });
    r.run().expect("stops");
    assert_ended(&seen, "signal 15");
    let entries = log.entries();
    assert_eq!(entries[0], "spawned: pid true");
    assert_eq!(entries.len(), 6, "{entries:?}");
    assert!(
        entries[..5].iter().all(|e| e.ends_with("pid true")),
        "{entries:?}"
    );
    assert_eq!(entries[5], "ended signal 15: pid false");
}

/// A child that closes stdout early and keeps running: no `exited` or `ended` while it
/// runs; once stdin is closed it exits, and `exited` comes, then `ended`.
pub fn process_closed_stdout_early_while_running_gives_no_end(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let hook: Hook = Box::new(|r, id, event| {
        if event == "closed Stdout" {
            r.after(50 * MS, move |r| {
                assert_eq!(r.pid(id).map(|_| ()), Ok(()), "still running, not ended");
                r.close_stdin(id).expect("known");
            });
        }
    });
    let seen = run_children(
        &mut *r,
        vec![(helper_spec("close-stdout", &[]), Some(hook))],
    );
    assert_ended(&seen[0], "code 0");
    assert_eq!(at(&seen[0], "closed Stdout"), 0, "stdout closed first");
    assert!(at(&seen[0], "closed Stdin") < at(&seen[0], "exited code 0"));
}

/// A child that exits while a grandchild holds its stdout: `exited` at once, `ended` only
/// once the grandchild lets the pipes go (here: when stdin, which it also holds, closes).
pub fn process_grandchild_holding_stdout_delays_ended_not_exited(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let hook: Hook = Box::new(|r, id, event| {
        if event == "exited code 0" {
            r.close_stdin(id).expect("known");
        }
    });
    let seen = run_children(&mut *r, vec![(helper_spec("grandchild", &[]), Some(hook))]);
    assert_ended(&seen[0], "code 0");
    assert_eq!(
        at(&seen[0], "exited code 0"),
        0,
        "exited before any pipe closed"
    );
}

/// Arguments with spaces, quotes, an empty one and non-UTF-8 bytes arrive byte-exact.
pub fn process_arguments_arrive_byte_exact(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let args: [&[u8]; 5] = [
        b"two words",
        b"\"double\" 'single'",
        b"",
        b"\xff\xfe\x80",
        b"$HOME *",
    ];
    let spec = helper_spec("args", &args);
    assert_eq!(spec.args[4], OsString::from_vec(b"\xff\xfe\x80".to_vec()));
    let seen = run_children(&mut *r, vec![(spec, None)]);
    let expected: Vec<u8> = args.iter().flat_map(|a| [*a, b"\0"].concat()).collect();
    assert_eq!(seen[0].borrow().out, expected);
    assert_ended(&seen[0], "code 0");
}

/// An empty environment has no variable; an exact one has exactly the variables given (a
/// name given twice once, with its last value);
/// an inherited one has the parent's (here: its `PATH`).
pub fn process_environment_empty_exact_or_inherited(b: &mut dyn Backend) {
    let mut r = b.reactor();
    // Names out of order, and one given twice: the child sees each name once, with the
    // last value given.
    let exact = vec![
        ("B".into(), "first".into()),
        ("A".into(), OsString::from_vec(b"\xff1".to_vec())),
        ("B".into(), "two words".into()),
    ];
    let specs = vec![
        (helper_spec("env-all", &[]).env(Environment::Empty), None),
        (
            helper_spec("env-all", &[]).env(Environment::Exactly(exact)),
            None,
        ),
        (helper_spec("env", &[b"PATH"]), None),
    ];
    let seen = run_children(&mut *r, specs);
    assert_eq!(seen[0].borrow().out, b"");
    assert_eq!(seen[1].borrow().out, b"A=\xff1\nB=two words\n");
    let path = seen[2].borrow().out.clone();
    assert!(path.starts_with(b"set:") && path.len() > 4, "{path:?}");
    for s in &seen {
        assert_ended(s, "code 0");
    }
}

/// A spec no program could receive as given is refused at once, alike on both reactors,
/// with the error naming what is wrong; the protocol is dropped unused.
pub fn process_specs_no_program_can_receive_are_refused_alike(b: &mut dyn Backend) {
    use twinreactor::{Environment, SpecProblem};
    let mut r = b.reactor();
    let exact = |name: &[u8], value: &[u8]| {
        helper_spec("env-all", &[]).env(Environment::Exactly(vec![(
            OsString::from_vec(name.to_vec()),
            OsString::from_vec(value.to_vec()),
        )]))
    };
    let cases = [
        (
            helper_spec("args", &[b"fine", b"a\0b"]),
            SpecProblem::NulInArgument(2),
        ),
        (
            twinreactor::ProcessSpec::new("/bin/e\0cho"),
            SpecProblem::NulInProgram,
        ),
        (exact(b"", b"v"), SpecProblem::BadVariableName("".into())),
        (
            exact(b"A=B", b"v"),
            SpecProblem::BadVariableName("A=B".into()),
        ),
        (exact(b"A", b"v\0w"), SpecProblem::NulInValue("A".into())),
        (
            helper_spec("exit", &[b"0"]).cwd("/tmp/a\0b"),
            SpecProblem::NulInWorkingDirectory,
        ),
    ];
    for (spec, problem) in cases {
        let left = Rc::new(RefCell::new(1));
        let (protocol, seen) = recorder(&left, None);
        assert_eq!(
            r.spawn_process(spec, protocol),
            Err(ProcessError::InvalidSpec(problem))
        );
        assert!(seen.borrow().dropped);
    }
    r.after(MS, stop);
    r.run().expect("stops");
}

/// A program that does not exist is an error at once; its protocol is dropped unused.
pub fn process_missing_program_is_an_error_at_once(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let left = Rc::new(RefCell::new(1));
    let (protocol, seen) = recorder(&left, None);
    let missing = "/nonexistent/twinreactor-no-such-program";
    let spec = helper_spec("echo", &[]);
    let spec = twinreactor::ProcessSpec {
        program: missing.into(),
        ..spec
    };
    assert_eq!(
        r.spawn_process(spec, protocol),
        Err(ProcessError::NotFound(missing.into()))
    );
    assert!(seen.borrow().dropped);
    r.after(MS, stop);
    r.run().expect("stops");
    assert!(seen.borrow().events.is_empty());
}

/// Bad input: a write after `close_stdin` is `StdinClosed` and a second close does
/// nothing; a non-standard signal is `InvalidSignal`; after exit, signalling is
/// `ExitedAlready` (also after `ended`); after `ended` stdin is closed and the pid unknown;
/// an id never issued is unknown to every operation.
pub fn process_bad_input_gets_typed_errors(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    let hook: Hook = Box::new(move |r, id, event| {
        if event.starts_with("exited") {
            l.push(format!("exited: {:?}", r.signal(id, Signal::KILL)));
        }
    });
    let left = Rc::new(RefCell::new(1));
    let (protocol, seen) = recorder(&left, Some(hook));
    let id = Rc::new(RefCell::new(None));
    let (l, id2) = (log.clone(), id.clone());
    r.on_event(Phase::During, STARTUP, move |r| {
        let id = r
            .spawn_process(helper_spec("sleep", &[]), protocol)
            .expect("starts");
        *id2.borrow_mut() = Some(id);
        l.push(format!("{:?}", r.signal(id, Signal(0))));
        l.push(format!("{:?}", r.signal(id, Signal(64))));
        r.close_stdin(id).expect("open");
        l.push(format!("{:?}", r.write_stdin(id, b"x")));
        l.push(format!("{:?}", r.close_stdin(id)));
    });
    r.run().expect("stops");
    assert_ended(&seen, "code 0");
    let id = id.borrow().expect("spawned");
    log.push(format!("{:?}", r.signal(id, Signal::TERM)));
    log.push(format!("{:?}", r.write_stdin(id, b"x")));
    log.push(format!("{:?}", r.close_stdin(id)));
    log.push(format!("{:?}", r.pid(id)));
    let never = ProcessId::from_raw(1000);
    log.push(format!("{:?}", r.signal(never, Signal::TERM)));
    log.push(format!("{:?}", r.write_stdin(never, b"x")));
    log.push(format!("{:?}", r.close_stdin(never)));
    log.push(format!("{:?}", r.pid(never)));
    log.assert(&[
        "Err(InvalidSignal(Signal(0)))",
        "Err(InvalidSignal(Signal(64)))",
        "Err(StdinClosed(ProcessId(0)))",
        "Ok(())",
        "exited: Err(ExitedAlready(ProcessId(0)))",
        "Err(ExitedAlready(ProcessId(0)))",
        "Err(StdinClosed(ProcessId(0)))",
        "Ok(())",
        "Err(UnknownProcess(ProcessId(0)))",
        "Err(UnknownProcess(ProcessId(1000)))",
        "Err(UnknownProcess(ProcessId(1000)))",
        "Err(UnknownProcess(ProcessId(1000)))",
        "Err(UnknownProcess(ProcessId(1000)))",
    ]);
}

/// `stop()` with a child still running: shutdown kills and reaps it, and its protocol sees
/// `exited` (SIGKILL) and `ended` before `run()` returns; it is not a zombie.
pub fn process_stop_kills_and_reaps_a_running_child(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let left = Rc::new(RefCell::new(2));
    let (protocol, seen) = recorder(&left, None);
    let pid = Rc::new(RefCell::new(0));
    let p = pid.clone();
    r.on_event(Phase::During, STARTUP, move |r| {
        let id = r
            .spawn_process(helper_spec("sleep", &[]), protocol)
            .expect("starts");
        *p.borrow_mut() = r.pid(id).expect("running");
        r.after(20 * MS, stop);
    });
    r.run().expect("stops");
    assert_ended(&seen, "signal 9");
    assert_eq!(
        at(&seen, "exited signal 9"),
        0,
        "exited, then the pipes, then ended"
    );
    assert_no_zombie(&[*pid.borrow()]);
}

/// 50 children at once, each exiting with its own code: all reaped, each `ended` with its
/// code, and none left a zombie.
pub fn process_fifty_children_at_once_all_reaped(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let pids = Rc::new(RefCell::new(Vec::new()));
    let p = pids.clone();
    let hook = move || -> Hook {
        let p = p.clone();
        Box::new(move |r, id, event| {
            if event.starts_with("exited") {
                p.borrow_mut().push(r.pid(id).expect("until ended"));
            }
        })
    };
    let codes: Vec<String> = (0..50).map(|i| (i % 7).to_string()).collect();
    let specs = codes
        .iter()
        .map(|c| (helper_spec("exit", &[c.as_bytes()]), Some(hook())))
        .collect();
    let seen = run_children(&mut *r, specs);
    for (s, c) in seen.iter().zip(&codes) {
        assert_ended(s, &format!("code {c}"));
    }
    assert_eq!(pids.borrow().len(), 50);
    assert_no_zombie(&pids.borrow());
    drop(r);
    assert_no_zombie(&pids.borrow());
}

/// None of `pids` is a zombie child of this process (read from `/proc`; the simulator's
/// virtual pids are never real ones).
#[track_caller]
fn assert_no_zombie(pids: &[u32]) {
    let me = std::process::id().to_string();
    for pid in pids {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The fields after the parenthesised name: state, ppid, ...
        let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let zombie_child = fields.first() == Some(&"Z") && fields.get(1) == Some(&me.as_str());
        assert!(!zombie_child, "pid {pid} is a zombie child of this process");
    }
}

corpus! {
    process::process_echo_one_mebibyte_through_stdin_and_stdout,
    process::process_stdin_back_pressure_pauses_then_resumes_the_writer,
    process::process_stdout_and_stderr_kept_apart,
    process::process_exit_code_is_reported_as_a_code,
    process::process_killed_by_a_signal_is_reported_as_that_signal,
    process::process_closed_stdout_early_while_running_gives_no_end,
    process::process_grandchild_holding_stdout_delays_ended_not_exited,
    process::process_arguments_arrive_byte_exact,
    process::process_environment_empty_exact_or_inherited,
    process::process_missing_program_is_an_error_at_once,
    process::process_specs_no_program_can_receive_are_refused_alike,
    process::process_bad_input_gets_typed_errors,
    process::process_stop_kills_and_reaps_a_running_child,
    process::process_fifty_children_at_once_all_reaped,
}
