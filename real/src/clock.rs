//! Time on the real reactor: the monotonic clock since the reactor's epoch, and how long one
//! poll may wait.

use std::time::{Duration, Instant};

use twinreactor_kit::WakeHint;

/// The longest single wait in `poll`. A later deadline is reached through several waits, so
/// a deadline near `Duration::MAX` never overflows the operating system's timeout (epoll
/// takes milliseconds in a C `int`, about 24 days).
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(60 * 60);

/// Monotonic time since the reactor was created.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    epoch: Instant,
}

impl Clock {
    /// A clock whose epoch is `epoch`.
    pub(crate) fn since(epoch: Instant) -> Self {
        Self { epoch }
    }

    /// Time elapsed since the epoch.
    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }
}

/// The timeout of the next poll, given the kit's hint and the time now: `None` waits until
/// I/O or a remote call arrives.
pub(crate) fn poll_timeout(hint: WakeHint, now: Duration) -> Option<Duration> {
    match hint {
        WakeHint::Now => Some(Duration::ZERO),
        WakeHint::At(deadline) => Some(deadline.saturating_sub(now).min(MAX_WAIT)),
        WakeHint::Never => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::from_secs(10);

    #[test]
    fn work_waiting_means_no_wait() {
        assert_eq!(poll_timeout(WakeHint::Now, NOW), Some(Duration::ZERO));
    }

    #[test]
    fn a_deadline_in_the_past_means_no_wait() {
        let past = WakeHint::At(Duration::from_secs(3));
        assert_eq!(poll_timeout(past, NOW), Some(Duration::ZERO));
    }

    #[test]
    fn a_near_deadline_is_waited_for_exactly() {
        let soon = WakeHint::At(NOW + Duration::from_millis(250));
        assert_eq!(poll_timeout(soon, NOW), Some(Duration::from_millis(250)));
    }

    #[test]
    fn a_far_deadline_is_clamped() {
        assert_eq!(
            poll_timeout(WakeHint::At(Duration::MAX), NOW),
            Some(MAX_WAIT)
        );
    }

    #[test]
    fn nothing_scheduled_waits_without_timeout() {
        assert_eq!(poll_timeout(WakeHint::Never, NOW), None);
    }

    #[test]
    fn the_clock_is_monotonic() {
        let clock = Clock::since(Instant::now());
        let a = clock.now();
        let b = clock.now();
        assert!(a <= b);
    }
}
