//! The [`Reactor`] trait: the contract protocol code is written against.

use std::time::Duration;

use crate::{
    CompletionId, LifecycleError, Phase, Processes, Remote, Tcp, TimerError, TimerId, TimerState,
    TriggerError, TriggerId, Udp,
};

/// A timer callback.
pub type TimerFn = Box<dyn FnOnce(&mut dyn Reactor)>;

/// A system-event trigger. It may return a completion that holds the next phase of its event
/// (for an `After` trigger: the end of the firing) until it is completed.
pub type TriggerFn = Box<dyn FnOnce(&mut dyn Reactor) -> Option<CompletionId>>;

/// One reactor: time and timers, system events, lifecycle and calls from other threads, plus
/// TCP ([`Tcp`]), UDP and multicast ([`Udp`]) and child processes ([`Processes`]).
///
/// Every callback receives `&mut dyn Reactor`, so the same protocol code runs on the
/// simulator (`twinreactor-sim`) and on the operating system (`twinreactor-real`). The trait
/// is object safe; [`ReactorExt`] adds generic conveniences that take closures directly.
/// What each method guarantees, and what it leaves open, is written in `docs/contract.md`.
pub trait Reactor: Tcp + Udp + Processes {
    /// Monotonic time since this reactor's epoch (its creation).
    fn now(&self) -> Duration;

    /// Schedules `f` to run once at `now() + delay`. The deadline saturates: a delay near
    /// `Duration::MAX` stays pending without overflow. Equal deadlines fire in the order they
    /// were scheduled, and a timer scheduled while timers run never fires in the same pass.
    fn call_later(&mut self, delay: Duration, f: TimerFn) -> TimerId;

    /// Cancels a pending timer; its callback is dropped without being called.
    fn cancel(&mut self, timer: TimerId) -> Result<(), TimerError>;

    /// Moves a pending timer's deadline to `now() + delay`. It then fires after every pending
    /// timer that has the same deadline.
    fn reschedule(&mut self, timer: TimerId, delay: Duration) -> Result<(), TimerError>;

    /// Adds `by` to a pending timer's deadline. It then fires after every pending timer that
    /// has the same deadline.
    fn postpone(&mut self, timer: TimerId, by: Duration) -> Result<(), TimerError>;

    /// The state of a timer this reactor issued.
    fn timer_state(&self, timer: TimerId) -> Result<TimerState, TimerError>;

    /// The deadline of a pending timer, as a time since the epoch.
    fn timer_deadline(&self, timer: TimerId) -> Result<Duration, TimerError>;

    /// The pending timers, in the order they will fire.
    fn pending_timers(&self) -> Vec<TimerId>;

    /// Adds a one-shot trigger for `phase` of the system event `event` (any string).
    fn add_trigger(&mut self, phase: Phase, event: &str, f: TriggerFn) -> TriggerId;

    /// Removes a trigger that has not run yet, also while its event is firing.
    fn remove_trigger(&mut self, trigger: TriggerId) -> Result<(), TriggerError>;

    /// Fires `event` now: its `Before` triggers run within this call, then `During` and
    /// `After` (within this call too, unless a trigger returned a completion that is still
    /// open). Firing an event with no triggers does nothing.
    fn fire_system_event(&mut self, event: &str) -> Result<(), TriggerError>;

    /// Makes an open completion, for a trigger to return.
    fn new_completion(&mut self) -> CompletionId;

    /// Completes a completion. When it is the last one an event is waiting for, the event's
    /// next phase runs within this call.
    fn complete(&mut self, completion: CompletionId) -> Result<(), TriggerError>;

    /// Fires `startup` and runs until `stop()` has shut the reactor down, or `crash()`.
    fn run(&mut self) -> Result<(), LifecycleError>;

    /// Asks for shutdown. No trigger runs within this call: shutdown begins at the next
    /// iteration boundary.
    fn stop(&mut self) -> Result<(), LifecycleError>;

    /// Makes `run()` return once the current callback returns, firing no trigger and keeping
    /// all state; `run()` may be called again.
    fn crash(&mut self) -> Result<(), LifecycleError>;

    /// True from the `During` phase of `startup` through the `Before` phase of `shutdown`.
    fn is_running(&self) -> bool;

    /// A handle that queues calls onto this reactor from other threads.
    fn remote(&self) -> Remote;

    /// Adds the user's own line to the trace, at the current time, on this host:
    /// `note "<text>"` ("leader elected", "retry 3"). The text is escaped, so a line with
    /// newlines or control characters stays one trace line. The simulator always records
    /// it; the real reactor records it when its trace is on.
    fn note(&mut self, text: &str);
}

/// Conveniences over [`Reactor`] that take closures instead of boxes.
///
/// ```
/// use std::time::Duration;
/// use twinreactor::{Reactor, ReactorExt};
///
/// fn arm(r: &mut dyn Reactor) {
///     r.after(Duration::from_secs(1), |r| {
///         r.stop().expect("running");
///     });
/// }
/// # let _ = arm;
/// ```
pub trait ReactorExt: Reactor {
    /// [`Reactor::call_later`] with a closure.
    fn after(&mut self, delay: Duration, f: impl FnOnce(&mut dyn Reactor) + 'static) -> TimerId {
        self.call_later(delay, Box::new(f))
    }

    /// [`Reactor::add_trigger`] with a closure that returns no completion.
    fn on_event(
        &mut self,
        phase: Phase,
        event: &str,
        f: impl FnOnce(&mut dyn Reactor) + 'static,
    ) -> TriggerId {
        self.add_trigger(
            phase,
            event,
            Box::new(move |r| {
                f(r);
                None
            }),
        )
    }

    /// [`Reactor::add_trigger`] with a closure that may return a completion to wait for.
    fn on_event_wait(
        &mut self,
        phase: Phase,
        event: &str,
        f: impl FnOnce(&mut dyn Reactor) -> Option<CompletionId> + 'static,
    ) -> TriggerId {
        self.add_trigger(phase, event, Box::new(f))
    }
}

impl<R: Reactor + ?Sized> ReactorExt for R {}
