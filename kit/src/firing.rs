//! Firing system events: calling triggers phase by phase, waiting on completions.

use std::sync::Arc;

use super::{Driver, Role, Stage};
use twinreactor::{CompletionId, Phase, TraceEvent, TriggerError};

/// Fires `event` for the user. An event with no triggers does nothing.
pub fn fire<D: Driver>(d: &mut D, event: &str) -> Result<(), TriggerError> {
    let events = &mut d.core().events;
    if events.is_firing(event) {
        return Err(TriggerError::AlreadyFiring(event.to_owned()));
    }
    if !events.has_triggers(event) {
        return Ok(());
    }
    let name = events.begin_firing(event, Role::Plain)?;
    d.guarded(|d| advance(d, &name));
    Ok(())
}

/// Fires the reactor's own `startup` or `shutdown`. If the user's firing of that event is in
/// progress, the reactor adopts it instead of firing again.
pub fn fire_lifecycle<D: Driver>(d: &mut D, event: &str, role: Role) {
    let name = match d.core().events.firing_mut(event) {
        Some(f) => {
            f.role = role;
            let during_begun = match f.stage {
                Stage::Phase(Phase::Before) => false,
                Stage::Phase(Phase::During) => f.entered,
                Stage::Phase(Phase::After) | Stage::End => true,
            };
            let name = f.name.clone();
            if during_begun {
                // The adopted firing is past the point where the role acts: act now.
                enter_phase(d, role, Phase::During);
            }
            name
        }
        None => match d.core().events.begin_firing(event, role) {
            Ok(name) => name,
            Err(_) => unreachable!("no firing of {event:?} is in progress"),
        },
    };
    advance(d, &name);
}

/// Completes `completion` and moves on every event it was the last hold of.
pub fn complete<D: Driver>(d: &mut D, completion: CompletionId) -> Result<(), TriggerError> {
    let held = d.core().events.complete(completion)?;
    d.record(TraceEvent::Completed(completion));
    d.guarded(|d| {
        for name in held {
            advance(d, &name);
        }
    });
    Ok(())
}

/// Moves on every firing that `crash()` stalled between two triggers.
pub fn resume_stalled<D: Driver>(d: &mut D) {
    for name in d.core().events.stalled() {
        advance(d, &name);
    }
}

/// What entering a phase means to the lifecycle.
fn enter_phase<D: Driver>(d: &mut D, role: Role, phase: Phase) {
    match (role, phase) {
        (Role::Startup, Phase::During) => d.core().life.running = true,
        (Role::Shutdown, Phase::During) if !d.core().life.shutdown_closed => {
            d.core().life.shutdown_closed = true;
            d.close_all();
            d.core().life.running = false;
        }
        _ => {}
    }
}

fn next_stage(p: Phase) -> Stage {
    match p {
        Phase::Before => Stage::Phase(Phase::During),
        Phase::During => Stage::Phase(Phase::After),
        Phase::After => Stage::End,
    }
}

/// Runs the firing of `name` as far as it can go without waiting. Once `crash()` has been
/// called it stops between two triggers, leaving the rest for `resume_stalled`.
fn advance<D: Driver>(d: &mut D, name: &Arc<str>) {
    loop {
        let crashed = d.core().life.crash_requested;
        let Some(f) = d.core().events.firing_mut(name) else {
            return;
        };
        if f.busy || !f.waiting.is_empty() || crashed {
            return;
        }
        let role = f.role;
        let Stage::Phase(phase) = f.stage else {
            d.core().events.end_firing(name);
            d.record(TraceEvent::EventEnded(name.clone()));
            if role == Role::Shutdown {
                d.core().life.stopped = true;
            }
            return;
        };
        f.busy = true;
        if !std::mem::replace(&mut f.entered, true) {
            enter_phase(d, role, phase);
            d.record(TraceEvent::PhaseBegan {
                event: name.clone(),
                phase,
            });
        }
        loop {
            if d.core().life.crash_requested {
                d.core()
                    .events
                    .firing_mut(name)
                    .expect("a busy firing is never ended")
                    .busy = false;
                return;
            }
            let Some((trigger, f)) = d.core().events.take_next(name, phase) else {
                break;
            };
            d.record(TraceEvent::TriggerRan {
                event: name.clone(),
                phase,
                trigger,
            });
            if let Some(completion) = f(d) {
                if d.core().events.hold(name, completion) {
                    d.record(TraceEvent::Waiting {
                        event: name.clone(),
                        completion,
                    });
                }
            }
        }
        let f = d
            .core()
            .events
            .firing_mut(name)
            .expect("a busy firing is never ended");
        f.busy = false;
        f.entered = false;
        f.stage = next_stage(phase);
    }
}
