//! What a user sees when a simulated test fails, read the way the user reads it: by running
//! the failing tests of `report_fixture.rs` as a subprocess (a real libtest binary) and
//! reading what it prints, captured (as `cargo test` runs it) and with `--nocapture` (as
//! `cargo nextest run` runs it, one process per test).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `report_fixture` test binary, built beside this one by the same `cargo test`.
fn fixture() -> PathBuf {
    let me = std::env::current_exe().expect("the test knows its own path");
    let deps = me.parent().expect("a test binary sits in a directory");
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(deps)
        .expect("the deps directory can be read")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("report_fixture-") && p.extension().is_none()
        })
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    found.sort();
    found.pop().expect("cargo test built report_fixture").1
}

/// Runs one fixture test with `env` set (and the seed variables of this process unset);
/// everything it printed, stdout then stderr.
fn run(test: &str, env: &[(&str, &str)], nocapture: bool) -> String {
    let mut cmd = Command::new(fixture());
    cmd.args(["--ignored", "--exact", test]);
    if nocapture {
        cmd.arg("--nocapture");
    }
    for var in ["TWINREACTOR_SEED", "TWINREACTOR_SEEDS", "TWINREACTOR_SHARD"] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_BACKTRACE", "0")
        .env("CARGO_PKG_NAME", "twinreactor-sim");
    cmd.envs(env.iter().copied());
    let out = cmd.output().expect("the fixture runs");
    assert!(!out.status.success(), "the fixture test {test} fails");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The report's block: from its first line to the end of its trace tail.
fn report(output: &str, seed: u64) -> String {
    let head = format!("twinreactor-sim: seed {seed} failed");
    let start = output
        .find(&head)
        .unwrap_or_else(|| panic!("no report for seed {seed} in:\n{output}"));
    output[start..]
        .lines()
        .take_while(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The whole-trace file a report names.
fn trace_file(report: &str) -> PathBuf {
    let line = report
        .lines()
        .find_map(|l| l.strip_prefix("  trace:   "))
        .expect("the report names its trace file");
    PathBuf::from(
        line.rsplit_once(" (")
            .expect("a line count follows the path")
            .0,
    )
}

fn assert_has(text: &str, part: &str) {
    assert!(text.contains(part), "missing {part:?} in:\n{text}");
}

#[test]
fn a_callback_panic_prints_the_seed_replay_commands_and_trace_with_the_failure() {
    for nocapture in [false, true] {
        let out = run("a_callback_panics", &[], nocapture);
        let r = report(&out, 42);
        assert_has(&r, "  failure: boom\n");
        assert_has(&r, "  at:      sim/tests/report_fixture.rs:16:");
        assert_has(
            &r,
            "  in:      a callback on host h0, at virtual time 0.250000000",
        );
        assert_has(&r, "  replay:  TWINREACTOR_SEED=42 cargo test -p twinreactor-sim --test report_fixture -- --exact a_callback_panics\n");
        assert_has(&r, "  nextest: TWINREACTOR_SEED=42 cargo nextest run -p twinreactor-sim --test report_fixture -E 'test(=a_callback_panics)'\n");
        assert_has(&r, "last 20 trace lines:\n");
        assert!(r.ends_with("  0.250000000 h0 panicked"), "{r}");
        let file = trace_file(&r);
        assert!(file.ends_with("twinreactor/traces/report_fixture/a_callback_panics.seed-42.trace"));
        let trace = std::fs::read_to_string(&file).expect("the trace file is written");
        assert!(trace.starts_with("0.000000000 h0 run-began\n"), "{trace}");
        assert!(trace.ends_with("0.250000000 h0 panicked\n"), "{trace}");
    }
}

#[test]
fn the_printed_replay_reproduces_the_same_report_and_trace() {
    let first = report(&run("a_callback_panics", &[], false), 42);
    let trace = std::fs::read(trace_file(&first)).unwrap();
    let again = report(
        &run("a_callback_panics", &[("TWINREACTOR_SEED", "42")], false),
        42,
    );
    assert_eq!(first, again);
    assert_eq!(trace, std::fs::read(trace_file(&again)).unwrap());
}

#[test]
fn an_assertion_in_the_test_body_reports_the_live_simulation_seed() {
    let r = report(&run("an_assertion_after_run_fails", &[], false), 7);
    assert_has(
        &r,
        "  failure: assertion `left == right` failed: the run took four seconds",
    );
    assert_has(&r, "  at:      sim/tests/report_fixture.rs:27:5");
    assert_has(
        &r,
        "  in:      the test, outside callbacks; virtual time was 3.000000000",
    );
    assert_has(&r, "TWINREACTOR_SEED=7 cargo test -p twinreactor-sim --test report_fixture -- --exact an_assertion_after_run_fails");
    assert!(r.ends_with("  3.000000000 h0 run-ended stopped"), "{r}");
}

#[test]
fn a_sweep_reports_its_lowest_failing_seed_every_time() {
    for _ in 0..3 {
        let out = run("a_sweep_finds_a_planted_bug", &[], false);
        let r = report(&out, 7);
        assert_has(&r, "  failure: planted bug at seed 7\n");
        assert_has(
            &r,
            "  sweep:   the lowest failing seed of seeds 0..100: every lower one passed",
        );
        assert_has(
            &r,
            "  in:      a callback on host h0, at virtual time 0.007000000",
        );
        assert_has(&r, "TWINREACTOR_SEED=7 cargo test -p twinreactor-sim --test report_fixture -- --exact a_sweep_finds_a_planted_bug");
        assert_has(&out, "twinreactor-sim sweep: ");
    }
}

#[test]
fn a_sweep_follows_the_seed_range_and_shard_variables() {
    let alone = report(
        &run(
            "a_sweep_finds_a_planted_bug",
            &[("TWINREACTOR_SEED", "21")],
            false,
        ),
        21,
    );
    assert_has(
        &alone,
        "  sweep:   replayed alone (TWINREACTOR_SEED is set)",
    );
    let range = run(
        "a_sweep_finds_a_planted_bug",
        &[("TWINREACTOR_SEEDS", "8..100")],
        false,
    );
    assert_has(
        &report(&range, 14),
        "the lowest failing seed of seeds 8..100",
    );
    let shard = run(
        "a_sweep_finds_a_planted_bug",
        &[("TWINREACTOR_SHARD", "0/2")],
        false,
    );
    assert_has(
        &report(&shard, 14),
        "the lowest failing seed of shard 0/2 of seeds 0..100",
    );
}

#[test]
fn malformed_sweep_variables_fail_naming_the_variable_and_the_forms() {
    let cases = [
        (
            "TWINREACTOR_SHARD",
            "2/2",
            "TWINREACTOR_SHARD=\"2/2\" is not a shard: k is not below n",
        ),
        (
            "TWINREACTOR_SHARD",
            "0/0",
            "TWINREACTOR_SHARD=\"0/0\" is not a shard: n is 0",
        ),
        (
            "TWINREACTOR_SEEDS",
            "lots",
            "TWINREACTOR_SEEDS=\"lots\" is not a count or a range",
        ),
        ("TWINREACTOR_SEEDS", "9..9", "the sweep has no seed to run"),
        (
            "TWINREACTOR_SEED",
            "x",
            "TWINREACTOR_SEED=\"x\" is not a seed",
        ),
    ];
    for (var, value, expected) in cases {
        assert_has(
            &run("a_sweep_finds_a_planted_bug", &[(var, value)], false),
            expected,
        );
    }
}

#[test]
fn a_sweep_reports_the_seed_of_a_non_text_panic_and_of_a_run_that_never_ends() {
    let r = report(&run("a_sweep_with_a_non_text_panic", &[], false), 3);
    assert_has(&r, "  failure: (a panic with a non-text payload)");
    assert_has(&r, "  at:      sim/tests/report_fixture.rs:");
    let r = report(&run("a_sweep_that_never_ends", &[], false), 0);
    assert_has(&r, "  failure: quiescent at 1s");
    assert!(Path::new(&trace_file(&r)).exists());
}
