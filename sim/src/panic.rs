//! The message a panic in user code carries out of the simulator.

use std::any::Any;
use std::time::Duration;

use crate::SEED_ENV;

/// The text of a panic payload, when it has one.
fn payload_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(a panic with a non-text payload)"
    }
}

/// The message for a panic raised by a callback: the original text, the seed, the exact
/// command that replays it, and the end of the trace.
pub(crate) fn replay_message(
    payload: &(dyn Any + Send),
    seed: u64,
    host: u32,
    at: Duration,
    trace_tail: &str,
) -> String {
    let thread = std::thread::current();
    let test = match thread.name() {
        Some(name) if name != "main" => name,
        _ => "<test name>",
    };
    format!(
        "{original}\n\ntwinreactor-sim: a callback on host h{host} panicked at virtual time \
         {secs}.{nanos:09} with seed {seed}.\nreplay: {SEED_ENV}={seed} cargo test -- --exact \
         {test}\nlast trace lines:\n{trace_tail}",
        original = payload_text(payload),
        secs = at.as_secs(),
        nanos = at.subsec_nanos(),
    )
}
