//! The [`Reactor`] trait: the contract protocol code is written against.

use std::any::Any;
use std::time::{Duration, Instant};

use smallbox::space::S2;
use smallbox::{smallbox, SmallBox};

use crate::{
    CompletionId, LifecycleError, ObjectError, ObjectId, Owned, Phase, Processes, Remote, Tcp,
    TimerError, TimerId, TimerState, TriggerError, TriggerId, Udp,
};

/// A timer callback: any `FnOnce(&mut dyn Reactor)`, kept without a heap allocation when
/// what it captures fits in two words (an `Rc` and an id, say), since a timer is the most
/// frequent thing a reactor schedules. Made with [`TimerFn::new`] or `.into()`;
/// [`ReactorExt::after`] and [`ReactorExt::at`] make it for you.
///
/// ```
/// use std::time::Duration;
/// use twinreactor::{Reactor, TimerFn};
///
/// fn arm(r: &mut dyn Reactor) {
///     r.call_later(Duration::from_secs(1), TimerFn::new(|r| r.stop().expect("running")));
/// }
/// # let _ = arm;
/// ```
pub struct TimerFn(SmallBox<OnceCall, S2>);

/// What a [`TimerFn`] holds: the callback, as an `FnMut` that runs it once.
type OnceCall = dyn FnMut(&mut dyn Reactor);

impl TimerFn {
    /// Wraps `f`.
    #[inline]
    pub fn new(f: impl FnOnce(&mut dyn Reactor) + 'static) -> Self {
        // A `dyn FnOnce` cannot be called out of a small box: the box holds an `FnMut`
        // that runs `f` the first time (and only time) it is called.
        let mut f = Some(f);
        Self(smallbox!(move |r: &mut dyn Reactor| {
            if let Some(f) = f.take() {
                f(r);
            }
        }))
    }

    /// Runs the callback.
    #[inline]
    pub fn call(mut self, r: &mut dyn Reactor) {
        (self.0)(r);
    }
}

impl<F: FnOnce(&mut dyn Reactor) + 'static> From<F> for TimerFn {
    fn from(f: F) -> Self {
        Self::new(f)
    }
}

impl std::fmt::Debug for TimerFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TimerFn")
    }
}

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

    /// Schedules `f` to run once at the absolute `deadline` (a time since the epoch). A
    /// deadline already past is taken as `now()`: it fires at the next timer pass, never
    /// within this call. Equal deadlines fire in the order they were scheduled, as with
    /// [`Reactor::call_later`].
    fn call_at(&mut self, deadline: Duration, f: TimerFn) -> TimerId;

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

    /// A random number for user code (keys, connection ids, protocol jitter). On the
    /// simulator it comes from a stream of its own, derived from the seed and recorded on
    /// tapes, so drawing it changes no other choice; on the real reactor it comes from the
    /// operating system's randomness.
    fn random_u64(&mut self) -> u64;

    /// The [`Instant`] of this reactor's epoch (where [`Reactor::now`] is zero), fixed for
    /// the reactor's life. The real reactor maps its monotonic clock: the epoch plus `now()`
    /// is the OS clock. On the simulator the base is arbitrary, so only differences between
    /// such instants are deterministic; see [`ReactorExt::instant`].
    fn epoch_instant(&self) -> Instant;

    /// Hands `object` to the reactor, which keeps it until [`Reactor::remove_object`] or
    /// until the reactor is dropped. [`ReactorExt::own`] is the typed form.
    fn insert_object(&mut self, object: Box<dyn Any>) -> ObjectId;

    /// Lends a kept object out; its id stays reserved until [`Reactor::return_object`].
    /// [`ReactorExt::with_owned`] lends and returns it around a closure.
    fn take_object(&mut self, id: ObjectId) -> Result<Box<dyn Any>, ObjectError>;

    /// Returns an object lent by [`Reactor::take_object`] to its place.
    fn return_object(&mut self, id: ObjectId, object: Box<dyn Any>) -> Result<(), ObjectError>;

    /// Removes a kept object (not one lent out) and gives it back; its id is then unknown.
    fn remove_object(&mut self, id: ObjectId) -> Result<Box<dyn Any>, ObjectError>;
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
        self.call_later(delay, TimerFn::new(f))
    }

    /// [`Reactor::call_at`] with a closure.
    fn at(&mut self, deadline: Duration, f: impl FnOnce(&mut dyn Reactor) + 'static) -> TimerId {
        self.call_at(deadline, TimerFn::new(f))
    }

    /// The reactor's clock as an [`Instant`]: [`Reactor::epoch_instant`] plus
    /// [`Reactor::now`], for libraries that take `Instant` (as sans-I/O protocol stacks do).
    /// On the simulator only differences between these instants are deterministic: the
    /// epoch is fixed per reactor but arbitrary. Past the range of `Instant` it saturates.
    fn instant(&self) -> Instant {
        instant_at(self.epoch_instant(), self.now())
    }

    /// The time since the epoch of `instant`, an instant of this reactor's clock (zero for
    /// one before the epoch): the inverse of [`ReactorExt::instant`].
    fn since_epoch(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.epoch_instant())
    }

    /// [`Reactor::call_at`] at an [`Instant`] of this reactor's clock: a deadline already
    /// past fires at the next timer pass, never within this call.
    fn at_instant(
        &mut self,
        deadline: Instant,
        f: impl FnOnce(&mut dyn Reactor) + 'static,
    ) -> TimerId {
        let deadline = self.since_epoch(deadline);
        self.call_at(deadline, TimerFn::new(f))
    }

    /// Fills `buf` from [`Reactor::random_u64`].
    fn fill_random(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.random_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    /// Hands `object` to the reactor and returns its typed handle: callbacks reach it with
    /// [`ReactorExt::with_owned`], with no `Rc<RefCell<..>>` around it.
    fn own<T: 'static>(&mut self, object: T) -> Owned<T> {
        Owned::new(self.insert_object(Box::new(object)))
    }

    /// Runs `f` on the kept object and the reactor, then puts the object back. Fails with
    /// [`ObjectError::Busy`] inside another `with_owned` on the same object, with
    /// [`ObjectError::Unknown`] once it is removed, and with [`ObjectError::WrongType`] for
    /// a handle another reactor issued.
    fn with_owned<T: 'static, R>(
        &mut self,
        owned: Owned<T>,
        f: impl FnOnce(&mut T, &mut Self) -> R,
    ) -> Result<R, ObjectError> {
        let id = owned.id();
        let mut object = self.take_object(id)?;
        let Some(value) = object.downcast_mut::<T>() else {
            self.return_object(id, object)?;
            return Err(ObjectError::WrongType(id));
        };
        let out = f(value, self);
        self.return_object(id, object)?;
        Ok(out)
    }

    /// Removes a kept object and gives it back.
    fn disown<T: 'static>(&mut self, owned: Owned<T>) -> Result<T, ObjectError> {
        let id = owned.id();
        let object = self.take_object(id)?;
        let fits = object.is::<T>();
        self.return_object(id, object)?;
        if !fits {
            return Err(ObjectError::WrongType(id));
        }
        let object = self.remove_object(id)?;
        object
            .downcast::<T>()
            .map(|object| *object)
            .map_err(|_| ObjectError::WrongType(id))
    }

    /// A timer at `deadline` routed to a kept object: at its deadline `f` runs on the object
    /// as in [`ReactorExt::with_owned`]. If the object was removed by then (or is lent out
    /// further up the stack) the timer does nothing, so a protocol owns its timers through
    /// the handle alone.
    fn at_owned<T: 'static>(
        &mut self,
        deadline: Duration,
        owned: Owned<T>,
        f: impl FnOnce(&mut T, &mut dyn Reactor) + 'static,
    ) -> TimerId {
        self.call_at(
            deadline,
            TimerFn::new(move |r: &mut dyn Reactor| {
                // A removed object disarms its timers: nothing to run.
                let _ = r.with_owned(owned, |object, r| f(object, r));
            }),
        )
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

/// `base + since`, saturating at the latest instant `base` can reach.
fn instant_at(base: Instant, since: Duration) -> Instant {
    if let Some(t) = base.checked_add(since) {
        return t;
    }
    // Add the largest representable part, halving the step each time.
    let (mut t, mut step) = (base, since);
    while !step.is_zero() {
        match t.checked_add(step) {
            Some(next) => t = next,
            None => step /= 2,
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::instant_at;

    #[test]
    fn an_instant_past_the_range_saturates() {
        let base = Instant::now();
        assert_eq!(
            instant_at(base, Duration::from_secs(3)),
            base + Duration::from_secs(3)
        );
        let far = instant_at(base, Duration::MAX);
        assert!(far > base);
        assert_eq!(far.checked_add(Duration::from_secs(1)), None);
    }
}
