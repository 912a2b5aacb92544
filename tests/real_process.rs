//! Real-reactor-only guarantees of child processes: nothing outlives a dropped reactor (no
//! running child, no zombie, no open pipe), whether it ran or not.
//!
//! The tests here count this process's pipe descriptors, so they run one at a time.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use twinreactor::{
    ExitStatus, ProcessId, ProcessProtocol, ProcessSpec, Processes, Reactor, ReactorExt,
};
use twinreactor_real::RealReactor;

const HELPER: &str = env!("CARGO_BIN_EXE_twinreactor-corpus-helper");

/// Serialises the tests of this file (they count descriptors of the whole process).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

struct Quiet;

impl ProcessProtocol for Quiet {
    fn ended(&mut self, _: &mut dyn Reactor, _: ProcessId, _: ExitStatus) {}
}

/// How many pipe descriptors this process holds.
fn pipe_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("procfs")
        .filter_map(Result::ok)
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("pipe:"))
        .count()
}

/// `pid` is gone: no such process, or not a child of this one (its number was reused).
fn gone(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    rest.split_whitespace().nth(1) != Some(&std::process::id().to_string())
}

fn sleepers(r: &mut RealReactor, n: usize) -> Vec<u32> {
    (0..n)
        .map(|_| {
            let id = r
                .spawn_process(ProcessSpec::new(HELPER).arg("sleep"), Box::new(Quiet))
                .expect("the helper starts");
            r.pid(id).expect("running")
        })
        .collect()
}

/// A reactor dropped without ever running kills and reaps its children and closes their
/// pipes.
#[test]
fn dropping_a_reactor_that_never_ran_leaves_no_child_and_no_pipe() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let before = pipe_fds();
    let mut r = RealReactor::new().expect("poll");
    let pids = sleepers(&mut r, 5);
    assert!(pipe_fds() >= before + 15, "three pipes per child");
    drop(r);
    assert_eq!(pipe_fds(), before);
    for pid in pids {
        assert!(gone(pid), "child {pid} outlived the reactor");
    }
}

/// A reactor that crashed (its run ended without shutdown) still kills and reaps its
/// children when dropped, including one that exited and was never reaped.
#[test]
fn dropping_a_crashed_reactor_leaves_no_child_and_no_pipe() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let before = pipe_fds();
    let mut r = RealReactor::new().expect("poll");
    let mut pids = sleepers(&mut r, 3);
    let quick = r
        .spawn_process(
            ProcessSpec::new(HELPER).arg("exit").arg("0"),
            Box::new(Quiet),
        )
        .expect("the helper starts");
    pids.push(r.pid(quick).expect("running"));
    r.after(Duration::from_millis(1), |r| r.crash().expect("running"));
    r.run().expect("crashes");
    drop(r);
    assert_eq!(pipe_fds(), before);
    for pid in pids {
        assert!(gone(pid), "child {pid} outlived the reactor");
    }
}

/// After `stop()`, nothing of the children is left: shutdown reaped them and closed every
/// pipe, before the reactor is even dropped.
#[test]
fn shutdown_leaves_no_child_and_no_pipe() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let before = pipe_fds();
    let mut r = RealReactor::new().expect("poll");
    let pids = sleepers(&mut r, 4);
    r.after(Duration::from_millis(5), |r| r.stop().expect("running"));
    r.run().expect("stops");
    assert_eq!(pipe_fds(), before);
    for pid in pids {
        assert!(gone(pid), "child {pid} outlived run()");
    }
}

/// A spawn that fails (missing program, missing working directory) leaves no pipe open.
#[test]
fn failed_spawns_leave_no_pipe() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let before = pipe_fds();
    let mut r = RealReactor::new().expect("poll");
    let missing = ProcessSpec::new("/nonexistent/twinreactor-no-such-program");
    assert!(r.spawn_process(missing, Box::new(Quiet)).is_err());
    let no_dir = ProcessSpec::new(HELPER)
        .arg("exit")
        .arg("0")
        .cwd("/nonexistent/twinreactor-no-such-dir");
    assert!(r.spawn_process(no_dir, Box::new(Quiet)).is_err());
    assert_eq!(pipe_fds(), before);
}

/// A working directory that is missing, or is a file, is `NoWorkingDirectory` naming the
/// directory (std alone reports it as the program's `NotFound`, or as `NotADirectory`).
#[test]
fn a_missing_or_file_working_directory_is_named_as_such() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let mut r = RealReactor::new().expect("poll");
    for dir in ["/nonexistent/twinreactor-no-such-dir", HELPER] {
        let spec = ProcessSpec::new(HELPER).arg("exit").arg("0").cwd(dir);
        assert_eq!(
            r.spawn_process(spec, Box::new(Quiet)),
            Err(twinreactor::ProcessError::NoWorkingDirectory(dir.into()))
        );
    }
}
