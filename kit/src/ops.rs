//! The [`Reactor`](twinreactor::Reactor) methods that are the same in every reactor, written once.

/// Implements, inside an `impl Reactor for X` block where `X: Driver`, every method of the
/// contract except `now` and `run`, which depend on how the reactor keeps time and waits,
/// and `random_u64`, which depends on where its randomness comes from.
#[macro_export]
macro_rules! impl_reactor_via_kit {
    () => {
        fn call_later(
            &mut self,
            delay: ::std::time::Duration,
            f: $crate::contract::TimerFn,
        ) -> $crate::contract::TimerId {
            let now = $crate::contract::Reactor::now(self);
            $crate::Driver::core(self).timers.schedule(now, delay, f)
        }

        fn call_at(
            &mut self,
            deadline: ::std::time::Duration,
            f: $crate::contract::TimerFn,
        ) -> $crate::contract::TimerId {
            let now = $crate::contract::Reactor::now(self);
            $crate::Driver::core(self)
                .timers
                .schedule_at(deadline.max(now), f)
        }

        fn cancel(
            &mut self,
            timer: $crate::contract::TimerId,
        ) -> ::std::result::Result<(), $crate::contract::TimerError> {
            $crate::Driver::core(self).timers.cancel(timer)
        }

        fn reschedule(
            &mut self,
            timer: $crate::contract::TimerId,
            delay: ::std::time::Duration,
        ) -> ::std::result::Result<(), $crate::contract::TimerError> {
            let now = $crate::contract::Reactor::now(self);
            $crate::Driver::core(self)
                .timers
                .reschedule(timer, now, delay)
        }

        fn postpone(
            &mut self,
            timer: $crate::contract::TimerId,
            by: ::std::time::Duration,
        ) -> ::std::result::Result<(), $crate::contract::TimerError> {
            $crate::Driver::core(self).timers.postpone(timer, by)
        }

        fn timer_state(
            &self,
            timer: $crate::contract::TimerId,
        ) -> ::std::result::Result<$crate::contract::TimerState, $crate::contract::TimerError> {
            $crate::Driver::core_ref(self).timers.state(timer)
        }

        fn timer_deadline(
            &self,
            timer: $crate::contract::TimerId,
        ) -> ::std::result::Result<::std::time::Duration, $crate::contract::TimerError> {
            $crate::Driver::core_ref(self).timers.deadline(timer)
        }

        fn pending_timers(&self) -> ::std::vec::Vec<$crate::contract::TimerId> {
            $crate::Driver::core_ref(self).timers.pending()
        }

        fn add_trigger(
            &mut self,
            phase: $crate::contract::Phase,
            event: &str,
            f: $crate::contract::TriggerFn,
        ) -> $crate::contract::TriggerId {
            $crate::Driver::core(self).events.add(phase, event, f)
        }

        fn remove_trigger(
            &mut self,
            trigger: $crate::contract::TriggerId,
        ) -> ::std::result::Result<(), $crate::contract::TriggerError> {
            $crate::Driver::core(self).events.remove(trigger)
        }

        fn fire_system_event(
            &mut self,
            event: &str,
        ) -> ::std::result::Result<(), $crate::contract::TriggerError> {
            $crate::fire(self, event)
        }

        fn new_completion(&mut self) -> $crate::contract::CompletionId {
            $crate::Driver::core(self).events.new_completion()
        }

        fn complete(
            &mut self,
            completion: $crate::contract::CompletionId,
        ) -> ::std::result::Result<(), $crate::contract::TriggerError> {
            $crate::complete(self, completion)
        }

        fn stop(&mut self) -> ::std::result::Result<(), $crate::contract::LifecycleError> {
            $crate::Driver::core(self).life.request_stop()?;
            $crate::Driver::record(self, $crate::contract::TraceEvent::StopRequested);
            Ok(())
        }

        fn crash(&mut self) -> ::std::result::Result<(), $crate::contract::LifecycleError> {
            $crate::Driver::core(self).life.request_crash()
        }

        fn is_running(&self) -> bool {
            $crate::Driver::core_ref(self).life.running
        }

        fn remote(&self) -> $crate::contract::Remote {
            $crate::contract::Remote::new($crate::Driver::core_ref(self).inbox().clone())
        }

        fn epoch_instant(&self) -> ::std::time::Instant {
            $crate::Driver::core_ref(self).epoch
        }

        fn insert_object(
            &mut self,
            object: ::std::boxed::Box<dyn ::std::any::Any>,
        ) -> $crate::contract::ObjectId {
            $crate::Driver::core(self).objects.insert(object)
        }

        fn take_object(
            &mut self,
            id: $crate::contract::ObjectId,
        ) -> ::std::result::Result<
            ::std::boxed::Box<dyn ::std::any::Any>,
            $crate::contract::ObjectError,
        > {
            $crate::Driver::core(self).objects.take(id)
        }

        fn return_object(
            &mut self,
            id: $crate::contract::ObjectId,
            object: ::std::boxed::Box<dyn ::std::any::Any>,
        ) -> ::std::result::Result<(), $crate::contract::ObjectError> {
            $crate::Driver::core(self).objects.put_back(id, object)
        }

        fn remove_object(
            &mut self,
            id: $crate::contract::ObjectId,
        ) -> ::std::result::Result<
            ::std::boxed::Box<dyn ::std::any::Any>,
            $crate::contract::ObjectError,
        > {
            $crate::Driver::core(self).objects.remove(id)
        }

        fn note(&mut self, text: &str) {
            $crate::Driver::record(self, $crate::contract::TraceEvent::Note(text.into()));
        }
    };
}
