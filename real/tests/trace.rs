//! The real reactor keeps a trace only when asked to.

mod common;

use std::time::Duration;

use common::run_guarded;
use twinreactor::{ReactorExt, RunEnd, TraceEvent};
use twinreactor_real::RealReactor;

fn stop_after_a_timer(r: &mut RealReactor) {
    r.after(Duration::from_millis(1), |r| {
        r.stop().expect("the reactor is running");
    });
    run_guarded(r).expect("run() ends cleanly");
}

#[test]
fn no_trace_is_kept_by_default() {
    let mut r = RealReactor::new().expect("a reactor");
    stop_after_a_timer(&mut r);
    assert!(r.trace().is_empty());
}

#[test]
fn an_enabled_trace_records_the_run() {
    let mut r = RealReactor::new().expect("a reactor");
    r.enable_trace();
    stop_after_a_timer(&mut r);
    let events: Vec<&TraceEvent> = r.trace().iter().map(|line| &line.event).collect();
    assert_eq!(events.first(), Some(&&TraceEvent::RunBegan));
    assert!(events
        .iter()
        .any(|e| matches!(e, TraceEvent::TimerFired(_))));
    assert!(events.contains(&&TraceEvent::StopRequested));
    assert_eq!(events.last(), Some(&&TraceEvent::RunEnded(RunEnd::Stopped)));
    let times: Vec<Duration> = r.trace().iter().map(|line| line.at).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "times never go back"
    );
}

#[test]
fn notes_are_kept_only_while_the_trace_is_on() {
    use twinreactor::Reactor;
    let mut r = RealReactor::new().expect("a reactor");
    r.note("before the trace");
    r.enable_trace();
    r.note("leader elected\nterm 2");
    let notes: Vec<String> = r.trace().iter().map(|l| l.event.to_string()).collect();
    assert_eq!(notes, ["note \"leader elected\\nterm 2\""]);
}
