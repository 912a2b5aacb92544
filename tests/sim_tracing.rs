//! `tracing` both ways (twinreactor-sim feature `tracing`): events user code emits inside
//! callbacks land in the trace at their host and virtual time; trace lines reach the user's
//! own subscribers as events.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use twinreactor::prelude::*;
use twinreactor_sim::{HostId, Sim};

/// Keeps the message of every event whose target starts with `twinreactor::trace`.
#[derive(Clone, Default)]
struct TraceEvents(Arc<Mutex<Vec<String>>>);

impl<S: Subscriber> Layer<S> for TraceEvents {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        struct Message(String);
        impl Visit for Message {
            fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        if event.metadata().target() == "twinreactor::trace" {
            let mut m = Message(String::new());
            event.record(&mut m);
            self.0.lock().unwrap().push(m.0);
        }
    }
}

#[test]
fn events_inside_callbacks_land_in_the_trace_and_trace_lines_reach_subscribers() {
    let seen = TraceEvents::default();
    let subscriber = tracing_subscriber::registry()
        .with(twinreactor_sim::tracing_layer())
        .with(seen.clone());
    tracing::subscriber::with_default(subscriber, || {
        let mut sim = Sim::new(4);
        let other = sim.add_host();
        sim.start(other).unwrap();
        sim.with_host(other, |r| {
            r.after(Duration::from_millis(700), |_| {
                tracing::warn!(attempt = 3, "retrying");
            });
        })
        .unwrap();
        sim.after(Duration::from_secs(1), |r| r.stop().unwrap());
        tracing::info!("outside any simulation: not in the trace");
        sim.run().unwrap();
        let trace = sim.trace().render();
        assert!(
            trace.contains("0.700000000 h1 note \"WARN sim_tracing: retrying attempt=3\""),
            "{trace}"
        );
        assert!(!trace.contains("outside any simulation"));
        assert_eq!(sim.current_host(), HostId::FIRST);
    });
    let seen = seen.0.lock().unwrap();
    assert!(seen.iter().any(|m| m == "timer-fired t0"), "{seen:?}");
    assert!(seen.iter().any(|m| m == "run-ended stopped"), "{seen:?}");
}
