//! `tracing` both ways (feature `tracing`): events that user code emits inside a
//! simulation's callbacks land in its trace, at the callback's host and virtual time; and
//! every trace line is emitted as a `tracing` event (target `twinreactor::trace`, level
//! DEBUG) for the user's own subscribers.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use twinreactor::TraceEvent;

use crate::TraceHandle;

/// The target of the events this crate emits for trace lines (never fed back in).
const TARGET: &str = "twinreactor::trace";

thread_local! {
    /// The trace of the simulation running on this thread, while its code runs.
    static ACTIVE: RefCell<Option<TraceHandle>> = const { RefCell::new(None) };
    /// The time and host of the line recorded last: the callback running now.
    static WHERE: Cell<(Duration, u32)> = const { Cell::new((Duration::ZERO, 0)) };
}

/// Makes `trace` the one this thread's events go to until the returned guard is dropped.
pub(crate) fn activate(trace: &TraceHandle) -> Active {
    let before = ACTIVE.with(|a| a.replace(Some(trace.clone())));
    Active(before)
}

/// Puts back the trace that was active before (simulations may run inside one another's
/// `with_host`).
pub(crate) struct Active(Option<TraceHandle>);

impl Drop for Active {
    fn drop(&mut self) {
        let before = self.0.take();
        ACTIVE.with(|a| *a.borrow_mut() = before);
    }
}

/// A line was recorded: remembers where (for the events user code emits next) and emits it.
pub(crate) fn recorded(at: Duration, host: u32, event: &TraceEvent) {
    WHERE.with(|w| w.set((at, host)));
    tracing::debug!(
        target: "twinreactor::trace",
        host,
        at = %format_args!("{}.{:09}", at.as_secs(), at.subsec_nanos()),
        "{event}"
    );
}

/// A [`tracing_subscriber::Layer`] that records every event emitted inside a simulation's
/// callbacks as a `note` line of its trace, at the callback's host and virtual time:
/// `note "INFO my_proto: leader elected term=2"`. Events outside a simulation pass by.
///
/// ```
/// use tracing_subscriber::layer::SubscriberExt;
/// use twinreactor::prelude::*;
///
/// let subscriber = tracing_subscriber::registry().with(twinreactor_sim::tracing_layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let mut sim = twinreactor_sim::Sim::new(1);
///     sim.after(std::time::Duration::from_secs(2), |r| {
///         tracing::info!(term = 2, "leader elected");
///         r.stop().unwrap();
///     });
///     sim.run().unwrap();
///     assert!(sim
///         .trace()
///         .render()
///         .contains("2.000000000 h0 note \"INFO "));
/// });
/// ```
pub fn tracing_layer() -> SimLayer {
    SimLayer
}

/// See [`tracing_layer`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SimLayer;

impl<S: Subscriber> Layer<S> for SimLayer {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        if meta.target().starts_with(TARGET) {
            return;
        }
        let Some(trace) = ACTIVE.with(|a| a.borrow().clone()) else {
            return;
        };
        let mut text = Text::default();
        event.record(&mut text);
        let line = format!(
            "{} {}: {}{}",
            meta.level(),
            meta.target(),
            text.message,
            text.fields
        );
        let (at, host) = WHERE.with(Cell::get);
        trace.push(at, host, TraceEvent::Note(line.into()));
    }
}

/// An event's message and its other fields as `name=value`.
#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // Writing to a String cannot fail.
        let _ = if field.name() == "message" {
            write!(self.message, "{value:?}")
        } else {
            write!(self.fields, " {}={value:?}", field.name())
        };
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}
