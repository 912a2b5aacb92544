//! The failure report: what a user reads when a simulated run fails.
//!
//! A report names the failure (message and location), where in the simulation it happened
//! (host, virtual time), the seed, the commands that replay it under `cargo test` and
//! `cargo nextest run`, the last trace lines, and a file holding the whole trace. It is
//! printed to the test's own output (stderr, which both runners capture and show with the
//! failure): a callback's panic prints it when it leaves the simulator, a panic in the test
//! body prints it when the unwinding drops the `Sim`, and a seed sweep prints it for the
//! lowest failing seed.

pub(crate) mod hook;
mod test_id;

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::path::Path;
use std::time::Duration;

use crate::sweep::{MINIMISE_ENV, TAPE_ENV};
use crate::{Tape, TraceHandle};
pub(crate) use test_id::TestId;

/// How many trace lines a report shows.
pub(crate) const TAIL_LINES: usize = 20;

/// The text of a panic payload, when it has one.
pub(crate) fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a panic with a non-text payload)"
    }
}

/// A simulation's state at the moment of a failure.
#[derive(Clone)]
pub(crate) struct SimSnapshot {
    /// The simulation's seed.
    pub seed: u64,
    /// Its virtual time.
    pub at: Duration,
    /// The host whose callback panicked, or `None` when the failure was outside callbacks.
    pub callback_host: Option<u32>,
    /// Its trace (shared, so that it can be written out after the `Sim` is gone).
    pub trace: TraceHandle,
    /// Whether the trace was recorded at all.
    pub traced: bool,
    /// Its network and process settings that differ from the defaults, in words.
    pub mix: String,
}

thread_local! {
    /// The last simulation that failed or, while collecting, ended on this thread.
    static LAST_SIM: RefCell<Option<SimSnapshot>> = const { RefCell::new(None) };
    /// A sweep is running scenarios on this thread and reports failures itself.
    static COLLECTING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a sweep collects failures on this thread (simulations then print nothing).
pub(crate) fn collecting() -> bool {
    COLLECTING.with(Cell::get)
}

/// Starts (true) or ends (false) collecting on this thread; either way forgets the last
/// simulation and the last panic.
pub(crate) fn set_collecting(on: bool) {
    COLLECTING.with(|c| c.set(on));
    LAST_SIM.with(|s| s.borrow_mut().take());
    hook::forget();
}

/// Remembers `snapshot` as this thread's last simulation, unless a callback of the same
/// simulation already failed (that snapshot says more: the host).
pub(crate) fn remember(snapshot: SimSnapshot) {
    LAST_SIM.with(|last| {
        let mut last = last.borrow_mut();
        let keep = last
            .as_ref()
            .is_some_and(|old| old.callback_host.is_some() && old.trace.same_as(&snapshot.trace));
        if !keep {
            *last = Some(snapshot);
        }
    });
}

/// This thread's last remembered simulation.
pub(crate) fn last_sim() -> Option<SimSnapshot> {
    LAST_SIM.with(|last| last.borrow().clone())
}

/// One failed run of one seed, ready to be shown.
pub(crate) struct Failure {
    /// The seed that failed.
    pub seed: u64,
    /// The failure's own message.
    pub message: String,
    /// Where it was raised (`file:line:column`), when known.
    pub location: Option<String>,
    /// The simulation it happened in, when one was seen.
    pub sim: Option<SimSnapshot>,
    /// For a sweep: which seeds ran and how many failed.
    pub sweep: Option<String>,
    /// Every choice the failing run made, when it was recorded.
    pub tape: Option<Tape>,
    /// A smaller failing run, when one was searched for.
    pub minimised: Option<Minimised>,
}

/// A smaller failing run found by editing a failure's tape.
pub(crate) struct Minimised {
    /// The smaller run's choices.
    pub tape: Tape,
    /// The smaller run's simulation.
    pub sim: Option<SimSnapshot>,
    /// How many runs the search made.
    pub runs: usize,
    /// The original run's size: choices, choices that are not "nothing happens", trace
    /// lines.
    pub before: (usize, usize, usize),
    /// The faults that struck in the original run.
    pub faults_before: Vec<(crate::Site, usize)>,
}

impl Failure {
    /// A failure of `seed` with only a message.
    pub(crate) fn bare(seed: u64, message: &str) -> Self {
        Self {
            seed,
            message: message.to_owned(),
            location: None,
            sim: None,
            sweep: None,
            tape: None,
            minimised: None,
        }
    }

    /// A failure of the simulation `sim` whose message is the last panic's on this thread,
    /// or `fallback` when the hook did not see one.
    pub(crate) fn from_panic(sim: SimSnapshot, fallback: &str) -> Self {
        let note = hook::last();
        Self {
            seed: sim.seed,
            message: note
                .as_ref()
                .map_or_else(|| fallback.to_owned(), |n| n.message.clone()),
            location: note.and_then(|n| n.location),
            sim: Some(sim),
            sweep: None,
            tape: None,
            minimised: None,
        }
    }

    /// Writes the whole trace to its file; the report, with that file's path, as text.
    pub(crate) fn report(&self) -> String {
        let id = TestId::current();
        let mut lines = vec![
            format!("twinreactor-sim: seed {} failed", self.seed),
            format!(
                "  failure: {}",
                self.message.trim_end().replace('\n', "\n           ")
            ),
        ];
        if let Some(location) = &self.location {
            lines.push(format!("  at:      {location}"));
        }
        if let Some(sim) = &self.sim {
            let when = format_time(sim.at);
            lines.push(match sim.callback_host {
                Some(host) => {
                    format!("  in:      a callback on host h{host}, at virtual time {when}")
                }
                None => format!("  in:      the test, outside callbacks; virtual time was {when}"),
            });
        }
        if let Some(sweep) = &self.sweep {
            lines.push(format!("  sweep:   {sweep}"));
        }
        if let Some(sim) = self.sim.as_ref().filter(|s| !s.mix.is_empty()) {
            lines.push(format!("  mix:     {}", sim.mix));
        }
        lines.push(format!("  replay:  {}", id.cargo_command(self.seed)));
        if let Some(nextest) = id.nextest_command(self.seed) {
            lines.push(format!("  nextest: {nextest}"));
        }
        let path = id.trace_path(self.seed);
        trace_lines(&mut lines, self.sim.as_ref(), &path);
        if let Some(tape) = &self.tape {
            lines.push(tape_line(tape, &path.with_extension("tape")));
        }
        tail_lines(&mut lines, self.sim.as_ref(), "trace lines");
        if let Some(min) = &self.minimised {
            minimised_lines(&mut lines, min, &id, &path);
        }
        lines.join("\n")
    }
}

/// The `trace:` line: the whole trace written to `path`, or why there is none.
fn trace_lines(lines: &mut Vec<String>, sim: Option<&SimSnapshot>, path: &Path) {
    lines.push(match sim {
        Some(sim) if sim.traced => match write_trace(path, &sim.trace) {
            Ok(()) => format!("  trace:   {} ({} lines)", path.display(), sim.trace.len()),
            Err(e) => format!("  trace:   not written to {}: {e}", path.display()),
        },
        Some(_) => "  trace:   not recorded (SimConfig::record_trace is false)".into(),
        None => "  trace:   no simulation was seen on the thread that failed".into(),
    });
    if let Some(sim) = sim.filter(|s| s.traced) {
        let svg = path.with_extension("svg");
        lines.push(match write_diagram(&svg, &sim.trace) {
            Ok(()) => format!(
                "  diagram: {} (the last {} lines)",
                svg.display(),
                sim.trace.len().min(DIAGRAM_LINES)
            ),
            Err(e) => format!("  diagram: not written to {}: {e}", svg.display()),
        });
    }
}

/// How many of a failing run's last trace lines its diagram shows.
const DIAGRAM_LINES: usize = 400;

/// Writes the sequence diagram of the end of `trace` to `path`, as SVG.
fn write_diagram(path: &Path, trace: &TraceHandle) -> std::io::Result<()> {
    let lines = trace.lines();
    let svg = twinreactor::trace::Diagram::new(&lines)
        .last(DIAGRAM_LINES)
        .title("the failing run")
        .svg();
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, svg)?;
    std::fs::rename(&partial, path)
}

/// The `tape:` line: the tape written to `path`.
fn tape_line(tape: &Tape, path: &Path) -> String {
    match tape.save(path) {
        Ok(()) => format!("  tape:    {} ({} choices)", path.display(), tape.len()),
        Err(e) => format!("  tape:    not written: {e}"),
    }
}

/// The last trace lines, under a heading.
fn tail_lines(lines: &mut Vec<String>, sim: Option<&SimSnapshot>, heading: &str) {
    if let Some(sim) = sim.filter(|s| s.traced) {
        lines.push(format!("last {TAIL_LINES} {heading}:"));
        lines.extend(sim.trace.tail(TAIL_LINES).lines().map(|l| format!("  {l}")));
    }
}

/// The section on the smaller failing run: sizes before and after, the faults left, its
/// files, and the command that replays it from its tape.
fn minimised_lines(lines: &mut Vec<String>, min: &Minimised, id: &TestId, path: &Path) {
    let (choices, non_canonical, trace) = min.before;
    let faults = |list: &[(crate::Site, usize)]| {
        let named: Vec<String> = list
            .iter()
            .map(|(site, n)| format!("{} x{n}", site.name()))
            .collect();
        if named.is_empty() {
            "none".to_owned()
        } else {
            named.join(", ")
        }
    };
    let after_trace = min.sim.as_ref().map_or(0, |s| s.trace.len());
    lines.push(format!("minimised in {} runs ({MINIMISE_ENV}):", min.runs));
    lines.push(format!(
        "  choices: {choices} -> {}; not \"nothing happens\": {non_canonical} -> {}",
        min.tape.len(),
        min.tape.non_canonical()
    ));
    lines.push(format!(
        "  faults:  {} (the failing run had: {})",
        faults(&min.tape.faults()),
        faults(&min.faults_before)
    ));
    lines.push(format!("  lines:   {trace} -> {after_trace} trace lines"));
    let trace_path = path.with_extension("min.trace");
    trace_lines(lines, min.sim.as_ref(), &trace_path);
    let tape_path = path.with_extension("min.tape");
    lines.push(tape_line(&min.tape, &tape_path));
    let env = format!("{TAPE_ENV}={}", tape_path.display());
    lines.push(format!("  replay:  {}", id.cargo_command_with(&env)));
    if let Some(nextest) = id.nextest_command_with(&env) {
        lines.push(format!("  nextest: {nextest}"));
    }
    tail_lines(lines, min.sim.as_ref(), "lines of the minimal trace");
}

/// The payload a callback's panic carries out of the simulator: the original text, then the
/// seed, the command that replays it, and the end of the trace.
pub(crate) fn payload_message(original: &str, sim: &SimSnapshot) -> String {
    format!(
        "{original}\n\ntwinreactor-sim: a callback on host h{host} panicked at virtual time \
         {at} with seed {seed}.\nreplay: {replay}\nlast trace lines:\n{tail}",
        host = sim.callback_host.unwrap_or_default(),
        at = format_time(sim.at),
        seed = sim.seed,
        replay = TestId::current().cargo_command(sim.seed),
        tail = sim.trace.tail(TAIL_LINES),
    )
}

/// `secs.nanos`, the trace's own time format.
pub(crate) fn format_time(at: Duration) -> String {
    format!("{}.{:09}", at.as_secs(), at.subsec_nanos())
}

/// Writes the whole of `trace` to `path`, creating its directory. The file appears whole:
/// it is written beside its place and renamed into it, so that tests running at once never
/// read half of one.
fn write_trace(path: &Path, trace: &TraceHandle) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    std::fs::write(&partial, trace.render())?;
    std::fs::rename(&partial, path)
}
