//! What a user sees when a simulated test fails, read the way the user reads it: by running
//! the failing tests of `report_output/failing.rs` (ignored, in this same binary) as a
//! subprocess and reading what it prints, captured (as `cargo test` runs it) and with
//! `--nocapture` (as `cargo nextest run` runs it, one process per test).

#[path = "report_output/failing.rs"]
mod failing;
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The line of `failing.rs` that holds `needle`, counted from 1.
fn line_of(needle: &str) -> usize {
    let source = include_str!("report_output/failing.rs");
    1 + source
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} is in failing.rs"))
}

/// Runs one fixture test with `env` set (and the seed variables of this process unset);
/// everything it printed, stdout then stderr.
fn run(test: &str, env: &[(&str, &str)], nocapture: bool) -> String {
    let mut cmd = Command::new(std::env::current_exe().expect("the test knows its own path"));
    let test = format!("failing::{test}");
    cmd.args(["--ignored", "--exact", &test]);
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
        assert_has(
            &r,
            &format!(
                "  at:      sim/tests/report_output/failing.rs:{}:",
                line_of("panic!(\"boom\")")
            ),
        );
        assert_has(
            &r,
            "  in:      a callback on host h0, at virtual time 0.250000000",
        );
        assert_has(&r, "  replay:  TWINREACTOR_SEED=42 cargo test -p twinreactor-sim --test report_output -- --exact failing::a_callback_panics\n");
        assert_has(&r, "  nextest: TWINREACTOR_SEED=42 cargo nextest run -p twinreactor-sim --test report_output -E 'test(=failing::a_callback_panics)'\n");
        assert_has(&r, "last 20 trace lines:\n");
        assert!(r.ends_with("  0.250000000 h0 panicked"), "{r}");
        let file = trace_file(&r);
        assert!(file
            .ends_with("twinreactor/traces/report_output/failing.a_callback_panics.seed-42.trace"));
        let trace = std::fs::read_to_string(&file).expect("the trace file is written");
        let svg = path_after(&r, "  diagram: ");
        assert_eq!(svg, file.with_extension("svg"));
        let svg = std::fs::read_to_string(&svg).expect("the diagram is written");
        assert!(svg.starts_with("<svg") && svg.contains("panicked"), "{svg}");
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
    assert_has(
        &r,
        &format!(
            "  at:      sim/tests/report_output/failing.rs:{}:5",
            line_of("assert_eq!(")
        ),
    );
    assert_has(
        &r,
        "  in:      the test, outside callbacks; virtual time was 3.000000000",
    );
    assert_has(&r, "TWINREACTOR_SEED=7 cargo test -p twinreactor-sim --test report_output -- --exact failing::an_assertion_after_run_fails");
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
        assert_has(&r, "TWINREACTOR_SEED=7 cargo test -p twinreactor-sim --test report_output -- --exact failing::a_sweep_finds_a_planted_bug");
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
    assert_has(&r, "  at:      sim/tests/report_output/failing.rs:");
    let r = report(&run("a_sweep_that_never_ends", &[], false), 0);
    assert_has(&r, "  failure: quiescent at 1s");
    assert!(Path::new(&trace_file(&r)).exists());
}

/// The path after `label` in a report section (`  tape:    <path> (...)`).
fn path_after(text: &str, label: &str) -> PathBuf {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"));
    PathBuf::from(line.rsplit_once(" (").map_or(line, |(p, _)| p))
}

#[test]
fn a_failure_saves_its_tape_and_the_tape_replays_the_same_trace() {
    let out = run("a_swarm_sweep_of_the_greeting", &[], false);
    let r = report(&out, 11);
    assert_has(&r, "  mix:     ");
    let tape = path_after(&r, "  tape:    ");
    let trace = std::fs::read(trace_file(&r)).unwrap();
    let tape_env = tape.to_str().unwrap();
    let again = run(
        "a_swarm_sweep_of_the_greeting",
        &[("TWINREACTOR_TAPE", tape_env)],
        false,
    );
    let r2 = report(&again, 11);
    assert_has(
        &r2,
        "  sweep:   replayed from its tape (TWINREACTOR_TAPE is set)",
    );
    assert_has(&r2, "  failure: the exchange ended cleanly with \"hello\"");
    assert_eq!(trace, std::fs::read(trace_file(&r2)).unwrap());
}

#[test]
fn the_minimiser_keeps_only_the_fault_the_bug_needs_and_its_tape_replays() {
    let out = run(
        "a_swarm_sweep_of_the_greeting",
        &[("TWINREACTOR_MINIMISE", "1")],
        false,
    );
    let r = report(&out, 11);
    let min = &out[out.find("minimised in ").expect("a minimised section")..];
    assert_has(min, "; not \"nothing happens\": ");
    assert_has(min, " -> 1\n");
    assert_has(min, "  faults:  tcp-read-split x1 (the failing run had: ");
    let tape = path_after(min, "  tape:    ");
    assert!(
        tape.ends_with("failing.a_swarm_sweep_of_the_greeting.seed-11.min.tape"),
        "{r}"
    );
    let replay = run(
        "a_swarm_sweep_of_the_greeting",
        &[("TWINREACTOR_TAPE", tape.to_str().unwrap())],
        false,
    );
    assert_has(
        &report(&replay, 11),
        "  failure: the exchange ended cleanly with \"hello\"",
    );
}

#[test]
fn a_tape_that_does_not_fit_the_run_is_an_error_naming_what_differs() {
    let dir = std::env::temp_dir().join(format!("twinreactor-tapes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "short.tape",
            "twinreactor-tape 1\nseed 11\nsim 0\n",
            "the tape of simulation 0 ends after 0 choices",
        ),
        (
            "other.tape",
            "twinreactor-tape 1\nseed 11\nsim 0\ntcp-reset 0x0 p=0.5\n",
            "choice 0 of simulation 0 differs: the tape has tcp-reset, the run drew tcp-syn-drop",
        ),
        (
            "future.tape",
            "twinreactor-tape 2\nseed 11\n",
            "this simulator reads version 1",
        ),
    ];
    for (name, text, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = run(
            "a_swarm_sweep_of_the_greeting",
            &[("TWINREACTOR_TAPE", path.to_str().unwrap())],
            false,
        );
        assert_has(&out, expected);
    }
    std::fs::remove_dir_all(&dir).ok();
}
