//! Results the real reactor ignores on purpose, each for a stated reason.
//!
//! Every ignored `Result` in this crate goes through [`ignore`] with a [`Why`], so that a
//! reader finds the reason where the result is dropped, and all of them in one place.

/// Why a result may be ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Why {
    /// Deregistering a source that is closed right after cannot usefully fail: closing its
    /// descriptor removes it from the poll anyway, and its token is freed either way.
    Closing,
    /// Cancelling a timer that may have fired or been cancelled already: either way it will
    /// not fire again, which is all the caller needs.
    TimerSettled,
    /// A connect timeout cancels a connect that may have settled meanwhile (connected,
    /// failed or cancelled by the user): there is then nothing left to cancel.
    ConnectSettled,
    /// Shutting down a listening socket just before it is closed: where it fails (an OS on
    /// which a listening socket cannot be shut down), the close that follows stops the
    /// listener as before, once no other copy of its descriptor is left.
    ListenerClosing,
    /// Stopping a listener whose id was just read from the table: it cannot be unknown.
    KnownListener,
    /// `SO_LINGER` 0 makes the close send RST. Should setting it fail, the close sends FIN
    /// instead; the protocol sees `Aborted` all the same.
    LingerBestEffort,
    /// Killing a child fails only when it has exited already; the wait that follows reaps
    /// it either way.
    ChildExited,
    /// The wait that reaps a child when the reactor is dropped: one that fails was reaped
    /// already, and a destructor has nobody to report to.
    ReapOnDrop,
    /// Reading a timerfd only clears its readiness: how many ticks passed does not matter,
    /// and `WouldBlock` means there was nothing to clear.
    TickCleared,
    /// The waker runs on the caller's thread after its call is already queued, so it must
    /// not panic. mio's waker fails only in rare OS conditions (its eventfd or pipe cannot
    /// be written); the call then stays queued and runs at the next iteration that
    /// something else (a timer, I/O, another call) starts. Nothing better can be done from
    /// a thread that does not own the reactor.
    WakeFailed,
}

/// Drops `result` for the reason `why`, which documents the call site (nothing is
/// logged: every reason above says why nothing needs to be).
#[inline]
pub(crate) fn ignore<T, E>(result: Result<T, E>, why: Why) {
    drop((result, why));
}
