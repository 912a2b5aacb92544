//! The simulation: one virtual clock, many hosts, one seed.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use twinreactor::{LifecycleError, Reactor, RunEnd, TraceEvent};
use twinreactor_kit::{self as kit, Core, Driver, WakeHint};

use crate::agenda::{Agenda, Knocks};
use crate::choice::{unit, Choices, Site};
use crate::host::{Host, SUBSYSTEMS};
use crate::host_crash::Down;
use crate::partition::Partitions;
use crate::report::{self, Failure, SimSnapshot, TAIL_LINES};
use crate::tcp::SpareBytes;
use crate::{HostClock, HostId, SimConfig, SimError, TraceHandle};

/// What one [`Sim::step`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// One iteration of this host ran at the current virtual time.
    Ran(HostId),
    /// Nothing was due: the clock jumped to this time.
    Advanced(Duration),
    /// Nothing can ever happen again.
    Idle,
}

/// Up to this many hosts, the next event is found by asking every host at each step, which
/// costs less than keeping the agenda (see `Sim::scanned`).
const SCAN_HOSTS: usize = 8;

/// What happens next, without doing it.
enum Next {
    /// Some hosts have work at the current time (the agenda's due hosts).
    Due,
    /// The earliest deadline of any running host.
    At(Duration),
    Idle,
}

/// A deterministic simulation: virtual time, hosts, and every choice drawn from one seed.
///
/// A `Sim` is a [`Reactor`]: it acts as its *current* host, which is [`HostId::FIRST`]
/// unless [`Sim::with_host`] selects another, and which is always the host whose callback
/// is running. A single-host simulation is used exactly like a reactor; multi-host tests
/// start hosts with [`Sim::start`] and drive them with [`Sim::step`], [`Sim::advance`],
/// [`Sim::run_until_idle`] and [`Sim::run_until`].
///
/// ```
/// use std::time::Duration;
/// use twinreactor::{Reactor, ReactorExt};
/// use twinreactor_sim::Sim;
///
/// let mut sim = Sim::new(7);
/// sim.after(Duration::from_secs(3600), |r| r.stop().unwrap());
/// sim.run().unwrap();
/// assert_eq!(sim.now(), Duration::from_secs(3600)); // an hour, in no time
/// assert!(sim.trace().render().contains("timer-fired t0"));
/// ```
pub struct Sim {
    config: SimConfig,
    clock: Duration,
    hosts: Vec<Host>,
    current: usize,
    /// Where every random choice comes from (the seed's streams, or a tape).
    choices: Choices,
    trace: TraceHandle,
    /// The hosts by when they next have work (kept unless `Sim::scanned`).
    agenda: Agenda,
    /// Hosts with work now, found by a scan (see `Sim::scanned`).
    due: Vec<usize>,
    /// Hosts whose next work is at the earliest future time, found by the same scan.
    soonest: Vec<usize>,
    /// The hosts whose inbox got a remote call.
    knocks: Arc<Knocks>,
    /// The directions of traffic blocked by partitions.
    pub(crate) partitions: Partitions,
    /// The hosts that crashed and have not restarted.
    pub(crate) down: Down,
    /// Whether a failure report for this simulation has been printed already.
    reported: bool,
    /// Iterations run in a row at the current virtual time (livelock detection).
    stalled: u64,
    /// The next message id (`m<n>` in the trace: a datagram's send, loss and delivery).
    next_msg: u64,
    /// Each host's own clock (by host number).
    clocks: Vec<HostClock>,
    /// Links with network settings of their own.
    pub(crate) links: crate::link::Links,
    /// Byte vectors of delivered TCP segments, for the next ones sent.
    pub(crate) spare_bytes: SpareBytes,
    /// The buffers of step 4's batches of deliveries, kept between steps.
    pub(crate) due_batch: crate::deliveries::DueBatch,
}

impl Sim {
    /// A simulation with one host and `seed` (unless `TWINREACTOR_SEED` overrides it; see
    /// [`SimConfig::new`], which also says when this panics).
    pub fn new(seed: u64) -> Self {
        Self::with_config(SimConfig::new(seed))
    }

    /// A simulation with one host and these settings, once [`SimConfig::validate`] finds
    /// nothing wrong with them.
    pub fn try_with_config(config: SimConfig) -> Result<Self, crate::ConfigError> {
        config.validate()?;
        Ok(Self::with_config(config))
    }

    /// A simulation with one host and these settings.
    ///
    /// # Panics
    /// If a setting is impossible (see [`SimConfig::validate`]; the message names it):
    /// use [`Sim::try_with_config`] to get the error instead.
    pub fn with_config(config: SimConfig) -> Self {
        if let Err(e) = config.validate() {
            panic!("twinreactor-sim: impossible setting {e}");
        }
        report::hook::install();
        let mut sim = Self {
            choices: Choices::new(config.seed),
            config,
            clock: Duration::ZERO,
            hosts: Vec::new(),
            current: 0,
            trace: TraceHandle::default(),
            agenda: Agenda::default(),
            knocks: Arc::default(),
            due: Vec::new(),
            soonest: Vec::new(),
            partitions: Partitions::default(),
            down: Down::default(),
            reported: false,
            stalled: 0,
            next_msg: 0,
            clocks: Vec::new(),
            links: Default::default(),
            spare_bytes: SpareBytes::default(),
            due_batch: Default::default(),
        };
        sim.add_host();
        sim
    }

    /// The seed in use (after any override).
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// The settings in use.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The recorded trace.
    pub fn trace(&self) -> TraceHandle {
        self.trace.clone()
    }

    /// Adds a host, which shares the virtual clock and starts not running.
    pub fn add_host(&mut self) -> HostId {
        let index = self.hosts.len();
        let clock = self.draw_clock();
        self.clocks.push(clock);
        if clock != HostClock::default() {
            self.record_clock(index, clock);
        }
        let host = self.blank_host(index);
        self.hosts.push(host);
        if !self.scanned() {
            // A new host is not running (nothing to ask); when the agenda starts to be kept,
            // the hosts it did not have are asked first.
            let switching = self.agenda.hosts() < index;
            while self.agenda.hosts() < self.hosts.len() {
                self.agenda.add_host();
            }
            if switching {
                self.agenda.mark_all();
            }
        }
        HostId(index as u32)
    }

    /// Gives `host` a clock of its own (see [`HostClock`]); [`SimError::UnknownHost`] if
    /// there is no such host.
    pub fn set_clock(&mut self, host: HostId, clock: HostClock) -> Result<(), SimError> {
        let index = self.check_host(host)?;
        self.clocks[index] = clock;
        self.record_clock(index, clock);
        self.host_changed(index);
        Ok(())
    }

    /// The clock of `host` (see [`HostClock`]); [`SimError::UnknownHost`] if there is no
    /// such host.
    pub fn clock(&self, host: HostId) -> Result<HostClock, SimError> {
        Ok(self.clocks[self.check_host(host)?])
    }

    /// The hosts of this simulation, in the order they were added.
    pub fn hosts(&self) -> impl Iterator<Item = HostId> {
        (0..self.hosts.len() as u32).map(HostId)
    }

    /// The host this `Sim` acts as now.
    pub fn current_host(&self) -> HostId {
        HostId(self.current as u32)
    }

    /// Calls `f` with this simulation acting as `host`, then goes back to the host it acted
    /// as before. [`SimError::HostDown`] if `host` has crashed and not restarted.
    pub fn with_host<T>(
        &mut self,
        host: HostId,
        f: impl FnOnce(&mut dyn Reactor) -> T,
    ) -> Result<T, SimError> {
        let index = self.check_up(host)?;
        let before = self.current;
        self.act_as(index);
        let out = self.guarded(|sim| f(sim));
        self.act_as(before);
        Ok(out)
    }

    /// Begins `run()` on `host` without driving the simulation: fires its `startup`
    /// triggers, and from then on the host takes part in [`Sim::step`].
    /// [`SimError::HostDown`] if `host` has crashed and not restarted.
    pub fn start(&mut self, host: HostId) -> Result<(), SimError> {
        let index = self.check_up(host)?;
        let before = self.current;
        self.act_as(index);
        let out = self.guarded(kit::begin_run);
        self.act_as(before);
        Ok(out?)
    }

    /// Does one thing: runs one iteration of one host that has work now (several such hosts
    /// are chosen among with the seed), or moves the clock to the next deadline.
    pub fn step(&mut self) -> Result<Step, SimError> {
        let before = self.current;
        let out = self.guarded(|sim| sim.step_inner(false));
        self.act_as(before);
        Ok(out?)
    }

    /// Steps until nothing can happen any more.
    pub fn run_until_idle(&mut self) -> Result<(), SimError> {
        while self.step()? != Step::Idle {}
        Ok(())
    }

    /// Steps through everything due up to `now() + by`, then sets the clock there.
    pub fn advance(&mut self, by: Duration) -> Result<(), SimError> {
        let target = self.clock.saturating_add(by);
        loop {
            match self.next() {
                Next::Due => {}
                Next::At(t) if t <= target => {}
                Next::At(_) | Next::Idle => break,
            }
            self.step()?;
        }
        if target > self.clock {
            self.clock = target;
            self.stalled = 0;
        }
        Ok(())
    }

    /// Steps until `done` holds (true), or until the next step would pass the virtual time
    /// `deadline` or nothing can happen any more (false).
    pub fn run_until(
        &mut self,
        mut done: impl FnMut(&mut Sim) -> bool,
        deadline: Duration,
    ) -> Result<bool, SimError> {
        loop {
            if done(self) {
                return Ok(true);
            }
            match self.next() {
                Next::Due => {}
                Next::At(t) if t <= deadline => {}
                Next::At(_) | Next::Idle => return Ok(false),
            }
            self.step()?;
        }
    }

    /// The virtual time now.
    pub(crate) fn now_virtual(&self) -> Duration {
        self.clock
    }

    /// How many hosts there are.
    pub(crate) fn host_count(&self) -> usize {
        self.hosts.len()
    }

    /// Host number `index`. Code that changes its timers, lifecycle or deliveries acts as
    /// it, or marks it with [`Sim::host_changed`].
    pub(crate) fn host_mut(&mut self, index: usize) -> &mut Host {
        &mut self.hosts[index]
    }

    /// Host number `index` may have work at another time: its deliveries changed, or it
    /// was replaced.
    pub(crate) fn host_changed(&mut self, index: usize) {
        self.agenda.mark(index);
    }

    /// A host with nothing installed, to be host number `index`.
    pub(crate) fn blank_host(&self, index: usize) -> Host {
        Host::new(self.knocks.waker(index))
    }

    /// Host number `index`, shared.
    pub(crate) fn host_ref(&self, index: usize) -> &Host {
        &self.hosts[index]
    }

    /// The number of the host this `Sim` acts as now.
    pub(crate) fn current_index(&self) -> usize {
        self.current
    }

    /// Makes this `Sim` act as host number `index` (a delivery for that host is running).
    pub(crate) fn current_set(&mut self, index: usize) {
        self.act_as(index);
    }

    /// Makes this `Sim` act as host number `index`, whose next deadline is looked at again
    /// before the next step (acting as a host is what changes its timers and lifecycle).
    fn act_as(&mut self, index: usize) {
        self.current = index;
        self.agenda.mark(index);
    }

    /// Whether the current host's run should end at once (`crash()` was called).
    pub(crate) fn crash_requested(&self) -> bool {
        self.hosts[self.current].core.life.crash_requested
    }

    /// A raw number drawn at `site`.
    pub(crate) fn draw(&mut self, site: Site) -> u64 {
        self.choices.draw(site, f64::NAN)
    }

    /// A number in `0..n` drawn at `site` (Lemire's multiply-shift; `n` must be non-zero).
    pub(crate) fn draw_below(&mut self, site: Site, n: usize) -> usize {
        debug_assert!(n > 0, "below(0) has no answer");
        ((u128::from(self.draw(site)) * n as u128) >> 64) as usize
    }

    /// The raw number of a fault of probability `p` drawn at `site`: the fault strikes if
    /// [`unit`] of it is below `p` (its low bits may decide more, as a read split's place).
    pub(crate) fn draw_fault(&mut self, site: Site, p: f64) -> u64 {
        self.choices.draw(site, p)
    }

    /// `latency` plus a uniform draw at `site` of up to `jitter` (nothing is drawn without
    /// jitter).
    pub(crate) fn draw_delay(
        &mut self,
        latency: Duration,
        jitter: Duration,
        site: Site,
    ) -> Duration {
        let span = u64::try_from(jitter.as_nanos()).unwrap_or(u64::MAX);
        if span == 0 {
            return latency;
        }
        let raw = u128::from(self.draw(site));
        let extra = ((raw * (u128::from(span) + 1)) >> 64) as u64;
        latency.saturating_add(Duration::from_nanos(extra))
    }

    /// Whether a fault of probability `p` strikes, drawn at `site`.
    pub(crate) fn draw_chance(&mut self, site: Site, p: f64) -> bool {
        unit(self.draw_fault(site, p)) < p
    }

    /// The index of `host`, if it is one of this simulation's.
    pub(crate) fn check_host(&self, host: HostId) -> Result<usize, SimError> {
        self.index(host)
    }

    /// A fresh message id.
    pub(crate) fn next_message(&mut self) -> u64 {
        self.next_msg += 1;
        self.next_msg - 1
    }

    /// Records a `tcp sent` line, as `record` would, without building the event (unless
    /// the `tracing` bridge needs it).
    pub(crate) fn record_sent(
        &mut self,
        conn: Option<u64>,
        segment: twinreactor::trace::SegmentKind,
        msg: u64,
        to_host: u32,
    ) {
        if self.config.record_trace {
            #[cfg(feature = "tracing")]
            crate::tracing_bridge::recorded(
                self.clock,
                self.current as u32,
                &TraceEvent::Tcp(twinreactor::trace::TcpTrace::Sent {
                    conn: conn.map(twinreactor::ConnId::from_raw),
                    segment,
                    msg,
                    to_host,
                }),
            );
            self.trace
                .push_sent(self.clock, self.current as u32, conn, segment, msg, to_host);
        }
    }

    /// Records a `tcp data` line, as `record` would, without building the event (unless
    /// the `tracing` bridge needs it).
    pub(crate) fn record_data(&mut self, conn: u64, len: usize, waiting: usize) {
        if self.config.record_trace {
            #[cfg(feature = "tracing")]
            crate::tracing_bridge::recorded(
                self.clock,
                self.current as u32,
                &TraceEvent::Tcp(twinreactor::trace::TcpTrace::Data {
                    conn: twinreactor::ConnId::from_raw(conn),
                    len,
                    waiting,
                }),
            );
            self.trace
                .push_data(self.clock, self.current as u32, conn, len, waiting);
        }
    }

    /// Records a `udp sent` (`sent`) or `udp datagram` line of datagram `msg`, as `record`
    /// would, without building the event (unless the `tracing` bridge needs it).
    pub(crate) fn record_udp(
        &mut self,
        sent: bool,
        socket: twinreactor::SocketId,
        addr: std::net::SocketAddr,
        len: usize,
        msg: u64,
    ) {
        if self.config.record_trace {
            #[cfg(feature = "tracing")]
            crate::tracing_bridge::recorded(
                self.clock,
                self.current as u32,
                &TraceEvent::Udp(crate::trace_log::udp_line(sent, socket, addr, len, msg)),
            );
            self.trace.push_udp(
                self.clock,
                self.current as u32,
                sent,
                socket,
                addr,
                len,
                msg,
            );
        }
    }

    /// Records the `tcp arrived` line of message ids `first` and `more`, as `record` would,
    /// without building the event's `Vec` (unless the `tracing` bridge needs the event).
    pub(crate) fn record_arrived(&mut self, first: u64, more: &[u64]) {
        if self.config.record_trace {
            #[cfg(feature = "tracing")]
            crate::tracing_bridge::recorded(
                self.clock,
                self.current as u32,
                &TraceEvent::Tcp(twinreactor::trace::TcpTrace::Arrived {
                    msgs: std::iter::once(first).chain(more.iter().copied()).collect(),
                }),
            );
            self.trace
                .push_arrived(self.clock, self.current as u32, first, more);
        }
    }

    /// This simulation's state for a failure report.
    fn snapshot(&self, callback_host: Option<u32>) -> SimSnapshot {
        SimSnapshot {
            seed: self.config.seed,
            at: self.clock,
            callback_host,
            trace: self.trace.clone(),
            traced: self.config.record_trace,
            mix: self.config.mix_in_words(),
        }
    }

    fn index(&self, host: HostId) -> Result<usize, SimError> {
        let i = host.0 as usize;
        if i < self.hosts.len() {
            Ok(i)
        } else {
            Err(SimError::UnknownHost(host))
        }
    }

    /// What happens next: asks every host (few hosts), or brings the agenda up to date (the
    /// hosts marked stale, the host this `Sim` acts as, and those whose inbox got a call)
    /// and reads it.
    fn next(&mut self) -> Next {
        if self.scanned() {
            return self.scan();
        }
        self.knocks.mark(&mut self.agenda);
        self.agenda.mark(self.current);
        self.agenda.advance(self.clock);
        while let Some(i) = self.agenda.pop_stale() {
            let at = self.wake_time(i);
            self.agenda.set(i, at);
        }
        let next = if self.agenda.due_count() > 0 {
            Next::Due
        } else {
            self.agenda.earliest_later().map_or(Next::Idle, Next::At)
        };
        #[cfg(debug_assertions)]
        self.check_agenda(&next);
        next
    }

    /// Whether the next event is found by a scan rather than the agenda: few hosts, in a
    /// release build (debug builds always keep the agenda, and check it against a scan).
    fn scanned(&self) -> bool {
        !cfg!(debug_assertions) && self.hosts.len() <= SCAN_HOSTS
    }

    /// What happens next, found by asking every host; fills `due` and `soonest`.
    fn scan(&mut self) -> Next {
        self.due.clear();
        self.soonest.clear();
        let mut earliest: Option<Duration> = None;
        for i in 0..self.hosts.len() {
            match self.wake_time(i) {
                Some(t) if t <= self.clock => self.due.push(i),
                Some(t) if earliest.is_none_or(|e| t < e) => {
                    earliest = Some(t);
                    self.soonest.clear();
                    self.soonest.push(i);
                }
                Some(t) if earliest == Some(t) => self.soonest.push(i),
                Some(_) | None => {}
            }
        }
        match (self.due.is_empty(), earliest) {
            (false, _) => Next::Due,
            (true, Some(t)) => Next::At(t),
            (true, None) => Next::Idle,
        }
    }

    /// When host number `i` next has work: its timers, its lifecycle, its inbox and its
    /// deliveries (`None` if it is not running or has nothing scheduled).
    fn wake_time(&mut self, i: usize) -> Option<Duration> {
        if !self.hosts[i].core.life.in_run {
            return None;
        }
        let before = std::mem::replace(&mut self.current, i);
        let timers = match kit::wake_hint(self) {
            WakeHint::Now => Some(self.clock),
            // Timers run on the host's own clock.
            WakeHint::At(t) => Some(self.clocks[i].global(t)),
            WakeHint::Never => None,
        };
        self.current = before;
        let io = self.hosts[i].io.front();
        timers.into_iter().chain(io).min()
    }

    /// Checks the agenda against a scan of every host (debug builds: a missed mark would
    /// change which host runs next).
    #[cfg(debug_assertions)]
    fn check_agenda(&mut self, next: &Next) {
        let scanned = self.scan();
        let due: Vec<usize> = (0..self.agenda.due_count())
            .map(|k| self.agenda.due_nth(k))
            .collect();
        assert_eq!(due, self.due, "the agenda's due hosts");
        let same = match (next, scanned) {
            (Next::At(a), Next::At(b)) => *a == b,
            (Next::Due, Next::Due) | (Next::Idle, Next::Idle) => true,
            _ => false,
        };
        assert!(same, "the agenda and a scan disagree on what happens next");
    }

    /// One step. With `fused`, a jump of the clock is followed at once by the iteration it
    /// was for, which is exactly what the next step would do (the hosts due after the jump
    /// are the soonest ones `next` found), without looking again.
    fn step_inner(&mut self, fused: bool) -> Result<Step, LifecycleError> {
        match self.next() {
            Next::Due => {
                self.stalled += 1;
                if self.stalled > self.config.livelock_iterations {
                    self.stalled = 0;
                    return Err(LifecycleError::Livelock {
                        at: self.clock,
                        iterations: self.config.livelock_iterations,
                        seed: self.config.seed,
                        trace_tail: self.trace.tail(TAIL_LINES),
                    });
                }
                Ok(Step::Ran(self.run_one_due()))
            }
            Next::At(t) if t > self.config.time_limit => Err(LifecycleError::TimeLimit {
                limit: self.config.time_limit,
                trace_tail: self.trace.tail(TAIL_LINES),
            }),
            Next::At(t) => {
                self.clock = t;
                self.stalled = 0;
                if fused {
                    if self.scanned() {
                        std::mem::swap(&mut self.due, &mut self.soonest);
                    } else {
                        self.agenda.advance(t);
                    }
                    Ok(Step::Ran(self.run_one_due()))
                } else {
                    Ok(Step::Advanced(t))
                }
            }
            Next::Idle => Ok(Step::Idle),
        }
    }

    /// Runs one iteration of one of the hosts due now (chosen with the seed if several, by
    /// the draw's index among them in host order).
    fn run_one_due(&mut self) -> HostId {
        let scanned = self.scanned();
        let due = if scanned {
            self.due.len()
        } else {
            self.agenda.due_count()
        };
        let k = if due == 1 {
            0
        } else {
            self.draw_below(Site::HostOrder, due)
        };
        let pick = if scanned {
            self.due[k]
        } else {
            self.agenda.due_nth(k)
        };
        self.act_as(pick);
        kit::iterate(self);
        if kit::run_ended(self).is_none() {
            self.deliver_io();
        }
        if let Some(end) = kit::run_ended(self) {
            kit::end_run(self, end);
        }
        if let Some(cpu) = self.config.cpu {
            // The work took time: the shared clock moves on, and what fell due meanwhile
            // runs late, as on a busy machine.
            let cost = cpu.cost(self.draw(Site::CpuTime));
            self.clock = self.clock.saturating_add(cost);
            self.stalled = 0;
        }
        HostId(pick as u32)
    }

    /// Drives the simulation until `host`'s run ends.
    fn drive(&mut self, host: usize) -> Result<(), LifecycleError> {
        while self.hosts[host].core.life.in_run {
            let step = self.step_inner(true);
            if matches!(step, Ok(Step::Idle)) || step.is_err() {
                self.act_as(host);
                kit::end_run(self, RunEnd::Failed);
                return Err(step.err().unwrap_or_else(|| LifecycleError::Quiescent {
                    at: self.clock,
                    trace_tail: self.trace.tail(TAIL_LINES),
                }));
            }
        }
        Ok(())
    }
}

impl Reactor for Sim {
    fn now(&self) -> Duration {
        self.clocks[self.current].local(self.clock)
    }

    fn run(&mut self) -> Result<(), LifecycleError> {
        let host = self.current;
        if self.down.contains(host) {
            // Crashed and not restarted: it cannot run (see `Sim::crash_host`).
            return Err(LifecycleError::NotRunning);
        }
        self.guarded(|sim| {
            kit::begin_run(sim)?;
            let out = sim.drive(host);
            sim.act_as(host);
            out
        })
    }

    fn random_u64(&mut self) -> u64 {
        self.draw(Site::User)
    }

    twinreactor_kit::impl_reactor_via_kit!();
}

impl Driver for Sim {
    fn core(&mut self) -> &mut Core {
        &mut self.hosts[self.current].core
    }

    fn core_ref(&self) -> &Core {
        &self.hosts[self.current].core
    }

    #[inline]
    fn record(&mut self, event: TraceEvent) {
        if self.config.record_trace {
            #[cfg(feature = "tracing")]
            crate::tracing_bridge::recorded(self.clock, self.current as u32, &event);
            self.trace.push(self.clock, self.current as u32, event);
        }
    }

    /// If user code panics inside `f`, poisons every running host and panics again with
    /// the seed and the command that replays the run.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Sim) -> T) -> T {
        #[cfg(feature = "tracing")]
        let _active = self
            .config
            .record_trace
            .then(|| crate::tracing_bridge::activate(&self.trace));
        match catch_unwind(AssertUnwindSafe(|| f(self))) {
            Ok(out) => out,
            Err(payload) => {
                let culprit = self.current;
                if !kit::poison(self) {
                    // Already poisoned: an inner guard has said everything.
                    resume_unwind(payload);
                }
                for i in 0..self.hosts.len() {
                    if self.hosts[i].core.life.in_run {
                        self.current = i;
                        kit::poison(self);
                    }
                }
                self.agenda.mark_all();
                self.act_as(culprit);
                let snapshot = self.snapshot(Some(culprit as u32));
                report::remember(snapshot.clone());
                let original = report::payload_text(payload.as_ref());
                if !report::collecting() {
                    eprintln!(
                        "{}",
                        Failure::from_panic(snapshot.clone(), original).report()
                    );
                    self.reported = true;
                }
                resume_unwind(Box::new(report::payload_message(original, &snapshot)))
            }
        }
    }

    fn close_all(&mut self) {
        for subsystem in SUBSYSTEMS {
            subsystem.close_all(self);
        }
    }
}

/// A `Sim` dropped by a panic (an assertion in the test after `run()`, say) prints the
/// failure report with its seed, unless one was printed already; while a sweep collects,
/// it only leaves its state for the sweep's report.
impl Drop for Sim {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        let collecting = report::collecting();
        if !panicking && !collecting {
            return;
        }
        let snapshot = self.snapshot(None);
        report::remember(snapshot.clone());
        if panicking && !collecting && !self.reported {
            let failure = Failure::from_panic(snapshot, "(the panic's message was not seen)");
            eprintln!("{}", failure.report());
        }
    }
}
