//! [`RealReactor`]: the contract on mio.

use std::fmt;
use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use rand_chacha::ChaCha12Rng;
use rand_core::{Rng, SeedableRng};
use twinreactor::{LifecycleError, Reactor, RunEnd, TraceEvent, TraceLine};
use twinreactor_kit::{self as kit, Core, Driver, Subsystem, WakeHint};

use crate::clock::{poll_timeout, Clock};
use crate::dispatch::Tokens;
use crate::poller::Poller;
use crate::process::{ProcessSubsystem, RealProcesses};
use crate::tcp::{RealTcp, TcpSubsystem};
use crate::udp::{RealUdp, UdpSubsystem};

/// The reactor's subsystems, in the order shutdown closes them.
const SUBSYSTEMS: [&dyn Subsystem<RealReactor>; 3] =
    [&TcpSubsystem, &UdpSubsystem, &ProcessSubsystem];

/// A reactor on the operating system: monotonic time, mio readiness, and calls from other
/// threads that wake its poll.
///
/// Build one per thread that needs it with [`RealReactor::new`]; it is not `Send`, since the
/// callbacks it holds need not be. Other threads reach it through [`Reactor::remote`].
///
/// A panic in a callback propagates out of [`Reactor::run`]; the reactor is then poisoned
/// and a later `run()` returns [`LifecycleError::Poisoned`]. Dropping the reactor drops its
/// pending callbacks and makes every [`Remote`](twinreactor::Remote) call return
/// [`RemoteError::ReactorGone`](twinreactor::RemoteError::ReactorGone).
///
/// ```
/// use std::time::Duration;
/// use twinreactor::{Reactor, ReactorExt, TimerState};
/// use twinreactor_real::RealReactor;
///
/// let mut reactor = RealReactor::new()?;
/// let tick = reactor.after(Duration::from_millis(10), |r| {
///     r.stop().expect("the reactor is running");
/// });
/// reactor.run()?;
/// assert_eq!(reactor.timer_state(tick)?, TimerState::Fired);
/// assert!(reactor.now() >= Duration::from_millis(10));
/// assert!(!reactor.is_running());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RealReactor {
    core: Core,
    clock: Clock,
    /// User code's randomness (`Reactor::random_u64`), seeded from the operating system.
    rng: ChaCha12Rng,
    pub(crate) poller: Poller,
    trace: Option<Vec<TraceLine>>,
    pub(crate) tokens: Tokens,
    pub(crate) tcp: RealTcp,
    pub(crate) udp: RealUdp,
    pub(crate) processes: RealProcesses,
}

impl RealReactor {
    /// A reactor whose epoch is now, with no timers or triggers.
    ///
    /// Fails if the operating system refuses a poll instance or its waker (for example when
    /// the process is out of file descriptors), or gives no randomness.
    pub fn new() -> io::Result<RealReactor> {
        let poller = Poller::new()?;
        let core = Core::new(poller.wake_fn());
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| io::Error::other(format!("no OS randomness: {e}")))?;
        Ok(RealReactor {
            clock: Clock::since(core.epoch),
            rng: ChaCha12Rng::from_seed(seed),
            core,
            poller,
            trace: None,
            tokens: Tokens::default(),
            tcp: RealTcp::default(),
            udp: RealUdp::default(),
            processes: RealProcesses::default(),
        })
    }

    /// Starts keeping a trace of every event delivered from now on, for debugging and tests.
    /// It is off by default, since a long-running reactor would grow it without bound.
    pub fn enable_trace(&mut self) {
        self.trace.get_or_insert_with(Vec::new);
    }

    /// The trace kept since [`RealReactor::enable_trace`]: empty if it was never enabled.
    /// Render it with [`twinreactor::trace::render`].
    pub fn trace(&self) -> &[TraceLine] {
        self.trace.as_deref().unwrap_or_default()
    }

    /// Waits for I/O, a remote call, or the next timer's deadline (not at all when step 4
    /// already has work), and queues the readiness found for step 4.
    fn wait(&mut self) -> io::Result<()> {
        let timeout = if self.tokens.has_work() {
            Some(Duration::ZERO)
        } else {
            match kit::wake_hint(self) {
                // Only a deadline needs the time now.
                hint @ WakeHint::At(_) => poll_timeout(hint, self.now()),
                hint => poll_timeout(hint, Duration::ZERO),
            }
        };
        self.poller.wait(timeout, &mut self.tokens.ready)
    }

    /// Whether `crash()` was called during this run.
    pub(crate) fn crash_requested(&self) -> bool {
        self.core.life.crash_requested
    }
}

impl Reactor for RealReactor {
    twinreactor_kit::impl_reactor_via_kit!();

    fn now(&self) -> Duration {
        self.clock.now()
    }

    fn random_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }

    fn run(&mut self) -> Result<(), LifecycleError> {
        self.guarded(kit::begin_run)?;
        loop {
            if let Some(end) = kit::run_ended(self) {
                kit::end_run(self, end);
                return Ok(());
            }
            self.guarded(kit::iterate);
            if kit::run_ended(self).is_some() {
                continue;
            }
            if let Err(e) = self.wait() {
                // The run ends as a crash would end it: state is kept and `run()` may be
                // called again, which polls afresh.
                kit::end_run(self, RunEnd::Failed);
                return Err(LifecycleError::Poll(e.to_string()));
            }
            self.guarded(RealReactor::dispatch);
        }
    }
}

impl Driver for RealReactor {
    fn core(&mut self) -> &mut Core {
        &mut self.core
    }

    fn core_ref(&self) -> &Core {
        &self.core
    }

    fn record(&mut self, event: TraceEvent) {
        if self.trace.is_some() {
            let at = self.now();
            if let Some(trace) = &mut self.trace {
                trace.push(TraceLine { at, host: 0, event });
            }
        }
    }

    /// If user code panics inside `step`, poisons the reactor and lets the panic go on.
    fn guarded<T>(&mut self, step: impl FnOnce(&mut Self) -> T) -> T {
        match panic::catch_unwind(AssertUnwindSafe(|| step(&mut *self))) {
            Ok(out) => out,
            Err(payload) => {
                kit::poison(self);
                panic::resume_unwind(payload)
            }
        }
    }

    fn close_all(&mut self) {
        for subsystem in SUBSYSTEMS {
            subsystem.close_all(self);
        }
    }
}

impl fmt::Debug for RealReactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RealReactor")
            .field("now", &self.now())
            .field("life", &self.core.life)
            .field("pending_timers", &self.core.timers.pending_count())
            .field("tracing", &self.trace.is_some())
            .finish_non_exhaustive()
    }
}
