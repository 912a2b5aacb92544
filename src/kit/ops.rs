//! The [`Reactor`](crate::Reactor) methods that are the same in every reactor, written once.

/// Implements, inside an `impl Reactor for X` block where `X: Driver`, every method of the
/// contract except `now` and `run`, which depend on how the reactor keeps time and waits.
#[macro_export]
macro_rules! impl_reactor_via_kit {
    () => {
        fn call_later(
            &mut self,
            delay: ::std::time::Duration,
            f: $crate::TimerFn,
        ) -> $crate::TimerId {
            let now = $crate::Reactor::now(self);
            $crate::kit::Driver::core(self)
                .timers
                .schedule(now, delay, f)
        }

        fn cancel(
            &mut self,
            timer: $crate::TimerId,
        ) -> ::std::result::Result<(), $crate::TimerError> {
            $crate::kit::Driver::core(self).timers.cancel(timer)
        }

        fn reschedule(
            &mut self,
            timer: $crate::TimerId,
            delay: ::std::time::Duration,
        ) -> ::std::result::Result<(), $crate::TimerError> {
            let now = $crate::Reactor::now(self);
            $crate::kit::Driver::core(self)
                .timers
                .reschedule(timer, now, delay)
        }

        fn postpone(
            &mut self,
            timer: $crate::TimerId,
            by: ::std::time::Duration,
        ) -> ::std::result::Result<(), $crate::TimerError> {
            $crate::kit::Driver::core(self).timers.postpone(timer, by)
        }

        fn timer_state(
            &self,
            timer: $crate::TimerId,
        ) -> ::std::result::Result<$crate::TimerState, $crate::TimerError> {
            $crate::kit::Driver::core_ref(self).timers.state(timer)
        }

        fn timer_deadline(
            &self,
            timer: $crate::TimerId,
        ) -> ::std::result::Result<::std::time::Duration, $crate::TimerError> {
            $crate::kit::Driver::core_ref(self).timers.deadline(timer)
        }

        fn pending_timers(&self) -> ::std::vec::Vec<$crate::TimerId> {
            $crate::kit::Driver::core_ref(self).timers.pending()
        }

        fn add_trigger(
            &mut self,
            phase: $crate::Phase,
            event: &str,
            f: $crate::TriggerFn,
        ) -> $crate::TriggerId {
            $crate::kit::Driver::core(self).events.add(phase, event, f)
        }

        fn remove_trigger(
            &mut self,
            trigger: $crate::TriggerId,
        ) -> ::std::result::Result<(), $crate::TriggerError> {
            $crate::kit::Driver::core(self).events.remove(trigger)
        }

        fn fire_system_event(
            &mut self,
            event: &str,
        ) -> ::std::result::Result<(), $crate::TriggerError> {
            $crate::kit::fire(self, event)
        }

        fn new_completion(&mut self) -> $crate::CompletionId {
            $crate::kit::Driver::core(self).events.new_completion()
        }

        fn complete(
            &mut self,
            completion: $crate::CompletionId,
        ) -> ::std::result::Result<(), $crate::TriggerError> {
            $crate::kit::complete(self, completion)
        }

        fn stop(&mut self) -> ::std::result::Result<(), $crate::LifecycleError> {
            $crate::kit::Driver::core(self).life.request_stop()?;
            $crate::kit::Driver::record(self, $crate::TraceEvent::StopRequested);
            Ok(())
        }

        fn crash(&mut self) -> ::std::result::Result<(), $crate::LifecycleError> {
            $crate::kit::Driver::core(self).life.request_crash()
        }

        fn is_running(&self) -> bool {
            $crate::kit::Driver::core_ref(self).life.running
        }

        fn remote(&self) -> $crate::Remote {
            $crate::Remote::new($crate::kit::Driver::core_ref(self).inbox.clone())
        }
    };
}
