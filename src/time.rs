//! Timer states.

/// The state of a timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerState {
    /// Scheduled and not yet fired or cancelled.
    Pending,
    /// Its callback has been called (or is being called).
    Fired,
    /// Cancelled before it fired.
    Cancelled,
}
