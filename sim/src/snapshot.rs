//! Snapshots of traces with insta, in one call (feature `insta`).

use crate::TraceHandle;

/// What [`assert_trace_snapshot!`](crate::assert_trace_snapshot) can snapshot: a whole
/// trace, or the text of a view of one.
pub trait TraceText {
    /// The text to snapshot.
    fn trace_text(&self) -> String;
}

impl TraceText for TraceHandle {
    fn trace_text(&self) -> String {
        self.render()
    }
}

impl TraceText for String {
    fn trace_text(&self) -> String {
        self.clone()
    }
}

impl TraceText for &str {
    fn trace_text(&self) -> String {
        (*self).to_owned()
    }
}

/// Asserts an insta snapshot of a trace (or of a view's text), stored as
/// `snapshots/<name>.snap` in the crate being tested (next to its `Cargo.toml`). Review
/// changes with `cargo insta review`, as for any insta snapshot. Feature `insta`.
///
/// ```no_run
/// use twinreactor::prelude::*;
/// use twinreactor::trace::TraceFilter;
///
/// let mut sim = twinreactor_sim::Sim::new(7);
/// sim.note("leader elected");
/// twinreactor_sim::assert_trace_snapshot!("election", sim.trace());
/// let notes = sim.trace().view(&TraceFilter::new().kind("note"));
/// twinreactor_sim::assert_trace_snapshot!("election_notes", notes);
/// ```
#[macro_export]
macro_rules! assert_trace_snapshot {
    ($name:expr, $trace:expr $(,)?) => {
        $crate::__insta::with_settings!({
            snapshot_path => ::std::concat!(::std::env!("CARGO_MANIFEST_DIR"), "/snapshots"),
            prepend_module_to_snapshot => false,
        }, {
            let trace = $crate::TraceText::trace_text(&$trace);
            $crate::__insta::assert_snapshot!($name, trace);
        });
    };
}
