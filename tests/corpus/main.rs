//! The shared corpus: every behaviour of the contract written once (in the case modules) and
//! run on both reactors. Test names read `sim::<case>` and `real::<case>`.
//!
//! To replay a simulator failure with another seed: `TWINREACTOR_SEED=<seed> cargo test
//! --test corpus sim::<case>`.

mod async_layer;
mod events;
mod failure;
mod harness;
mod lifecycle;
mod own_callback;
mod reentrant;
mod remote;
mod shutdown_io;
mod timers;
mod user_api;

/// Instantiates each listed case as a test in module `sim` and one in module `real`.
/// Attributes written before a case (for example `#[ignore = "why"]`) apply to both.
macro_rules! corpus {
    ($($(#[$attr:meta])* $module:ident :: $case:ident,)*) => {
        mod sim {
            $(
                #[test]
                $(#[$attr])*
                fn $case() {
                    crate::harness::run_sim(crate::$module::$case);
                }
            )*
        }

        mod real {
            $(
                #[test]
                $(#[$attr])*
                fn $case() {
                    crate::harness::run_real(stringify!($case), crate::$module::$case);
                }
            )*
        }
    };
}

corpus! {
    user_api::user_random_u64_varies_and_fills_bytes,
    user_api::user_call_at_a_past_deadline_fires_at_the_next_pass,
    user_api::user_call_at_equal_deadlines_fire_in_scheduling_order,
    user_api::user_instant_is_the_epoch_plus_now,
    user_api::user_owned_object_routes_timers_without_shared_pointers,

    shutdown_io::shutdown_closes_what_opens_before_it_and_refuses_what_comes_after,
    own_callback::own_callback_udp_socket_closed_by_shutdown_sees_stopped_after,
    own_callback::own_callback_tcp_connection_ended_by_shutdown_sees_disconnected_after,
    own_callback::own_callback_child_cleaned_up_by_shutdown_sees_ended_after,
    own_callback::own_callback_run_from_a_shutdown_trigger_run_by_complete_is_not_restartable,
    reentrant::reentrant_udp_callbacks_call_the_reactor,
    reentrant::reentrant_tcp_callbacks_call_the_reactor,
    reentrant::reentrant_child_callbacks_call_the_reactor,
    lifecycle::lifecycle_stop_before_run_is_not_running,
    lifecycle::lifecycle_stop_twice_is_not_running,
    lifecycle::lifecycle_stop_from_startup_triggers,
    lifecycle::lifecycle_run_inside_a_callback_is_already_running,
    lifecycle::lifecycle_run_after_stop_is_not_restartable,
    lifecycle::lifecycle_run_after_crash_runs_again,
    lifecycle::lifecycle_crash_fires_no_shutdown_trigger,
    lifecycle::lifecycle_crash_outside_run_is_not_running,
    lifecycle::lifecycle_crash_ends_the_pass_after_the_current_callback,
    lifecycle::lifecycle_is_running_in_startup_phases,
    lifecycle::lifecycle_is_running_in_shutdown_phases,
    lifecycle::lifecycle_stop_runs_no_trigger_synchronously,
    lifecycle::lifecycle_shutdown_phases_run_in_order_before_run_returns,
    lifecycle::lifecycle_timers_due_in_the_stopping_pass_fire_before_shutdown,
    lifecycle::lifecycle_pending_timers_survive_shutdown,
    lifecycle::lifecycle_crash_in_a_trigger_stalls_the_firing_until_the_next_run,
    lifecycle::lifecycle_run_after_crash_while_stopping_finishes_the_shutdown,

    events::events_phases_run_in_order_fifo_within_a_phase,
    events::events_startup_phases_run_in_order_before_the_first_timer,
    events::events_triggers_are_one_shot,
    events::events_any_string_is_an_event_name,
    events::events_firing_an_event_without_triggers_does_nothing,
    events::events_firing_shutdown_by_hand_runs_its_triggers_and_stops_nothing,
    events::events_firing_startup_by_hand_does_not_start_the_reactor,
    events::events_firing_an_event_inside_its_own_trigger_is_already_firing,
    events::events_firing_another_event_inside_a_trigger_nests,
    events::events_trigger_added_while_firing_runs_if_its_phase_is_ahead,
    events::events_during_waits_for_every_before_completion,
    events::events_completing_in_a_later_before_trigger_does_not_start_during_early,
    events::events_two_events_wait_independently,
    events::events_one_completion_can_hold_two_events,
    events::events_completion_from_a_timer_runs_during_inside_complete,
    events::events_completing_twice_is_already_completed,
    events::events_unknown_completion_is_an_error,
    events::events_returning_a_completed_or_unknown_completion_holds_nothing,
    events::events_firing_again_while_waiting_is_already_firing,
    events::events_during_completion_holds_after,
    events::events_after_completion_holds_the_end_of_the_firing,
    events::events_startup_completion_delays_is_running,
    events::events_shutdown_completion_keeps_run_going,
    events::events_after_shutdown_completion_holds_run,
    events::events_startup_fired_by_hand_and_waiting_is_adopted_by_run,
    events::events_shutdown_fired_by_hand_and_waiting_is_adopted_by_stop,
    events::events_startup_still_waiting_after_a_crash_is_resumed_by_the_next_run,
    events::events_removed_trigger_does_not_run,
    events::events_trigger_removed_during_its_firing_does_not_run,
    events::events_remove_unknown_trigger_is_an_error,
    events::events_remove_already_run_trigger_is_an_error,
    events::events_remove_trigger_twice_is_already_removed,

    timers::timers_equal_deadlines_fifo,
    timers::timers_saturated_deadlines_list_in_fifo_order,
    timers::timers_zero_delay_timer_scheduled_in_a_pass_fires_in_the_next_pass,
    timers::timers_zero_delay_chain_does_not_starve_remote_calls,
    timers::timers_cancelled_timer_never_fires,
    timers::timers_cancelled_in_the_same_pass_does_not_fire,
    timers::timers_operations_on_a_fired_timer_are_already_fired,
    timers::timers_operations_on_a_cancelled_timer_are_already_cancelled,
    timers::timers_cancel_inside_own_callback_is_already_fired,
    timers::timers_unknown_id_is_unknown,
    timers::timers_pending_timers_in_firing_order,
    timers::timers_timer_state_is_pending_fired_or_cancelled,
    timers::timers_reschedule_moves_behind_timers_at_the_same_deadline,
    timers::timers_postpone_moves_behind_timers_at_the_same_deadline,
    timers::timers_moved_timer_does_not_fire_in_the_pass_it_was_moved,
    timers::timers_reschedule_and_postpone_set_the_deadline,
    timers::timers_deadline_is_now_plus_delay,
    timers::timers_near_max_delay_stays_pending_and_lets_the_reactor_stop,
    timers::timers_timer_callback_can_stop_the_reactor,
    timers::timers_now_is_monotonic_and_reaches_the_deadline,

    remote::remote_calls_run_on_the_reactor_thread_in_queue_order,
    remote::remote_thousand_calls_from_four_threads_run_once_each_in_order,
    remote::remote_calls_do_not_run_before_run,
    remote::remote_calls_run_before_timers_due_in_the_same_iteration,
    remote::remote_call_queued_during_the_drain_runs_next_iteration,
    remote::remote_call_from_a_startup_thread_stops_before_a_far_timer,
    remote::remote_call_after_the_reactor_is_dropped_is_reactor_gone,
    remote::remote_handle_is_send_sync_clone,

    failure::failure_panic_in_a_timer_propagates_and_poisons,
    failure::failure_panic_in_a_startup_trigger_propagates_and_poisons,
    failure::failure_panic_in_a_remote_call_propagates_and_poisons,
    failure::failure_panic_in_a_shutdown_trigger_propagates_and_poisons,
    failure::failure_panic_in_a_trigger_fired_by_hand_poisons,
}
mod process;
mod tcp;
mod udp;
