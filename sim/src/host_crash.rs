//! Host crash and restart: a host loses power, and later comes back with a fresh reactor.
//!
//! A crash ([`Sim::crash_host`]) drops everything the host had at once, with no callback on
//! it: timers, triggers, queued remote calls (its [`Remote`](twinreactor::Remote) handles
//! answer `ReactorGone` from then on), TCP listeners and connections, UDP sockets, child
//! processes, the deliveries scheduled for it and the TCP segments it held. Its protocols
//! are dropped without being told. If it was running, it no longer is.
//!
//! The other hosts see what a real network shows them:
//!
//! * UDP: datagrams to a host that is down are lost, and nothing comes back (no refusal).
//! * TCP: a down host is treated as a partition that never heals until the restart. Segments
//!   sent to it are held by their sender (`tcp/hold.rs`), and so are the data and FIN
//!   segments that were on their way to it when it crashed (retransmitted, as a real stack
//!   does). A sender that keeps them longer than
//!   [`TcpConfig::give_up`](crate::TcpConfig::give_up) gives up: its connection ends with
//!   `Disconnect::Io(TimedOut)`. At the restart the held segments go, one latency away:
//!   they reach no connection there, so data is answered with RST and the sender sees
//!   `Reset`. A connect to a down host times out, unless the host restarts before its
//!   timeout (its SYN, held, then reaches whatever listens there by then). A peer that
//!   sends nothing learns nothing, as on a real network without keepalives.
//!
//! [`Sim::restart_host`] brings the host back, same address, as [`Sim::add_host`] makes one:
//! not running, nothing installed, ephemeral ports from the start again. Only its program
//! stubs carry over (and its count of connection ids, so that segments addressed to its old
//! connections never reach new ones). Crashes and restarts draw nothing from the seed, and
//! both are traced on the host's own line: `host-crashed h1`, `host-restarted h1`.

use std::collections::BTreeSet;

use twinreactor::TraceEvent;
use twinreactor_kit::Driver;

use crate::host::SUBSYSTEMS;
use crate::{HostId, Sim, SimError};

/// The hosts that are down, by number.
#[derive(Default)]
pub(crate) struct Down {
    hosts: BTreeSet<usize>,
}

impl Down {
    /// Whether any host is down (nearly free; the common case is none).
    #[inline]
    pub(crate) fn any(&self) -> bool {
        !self.hosts.is_empty()
    }

    /// Whether host `host` is down.
    #[inline]
    pub(crate) fn contains(&self, host: usize) -> bool {
        self.any() && self.hosts.contains(&host)
    }

    /// Whether traffic between `from` and `to` is lost because one of them is down.
    #[inline]
    pub(crate) fn blocks(&self, from: usize, to: usize) -> bool {
        self.any() && (self.hosts.contains(&from) || self.hosts.contains(&to))
    }
}

impl Sim {
    /// Crashes `host`: it loses power, and everything it had is dropped at once, with no
    /// callback on it (no `disconnected`, `stopped` or `ended`, no trigger, no shutdown).
    /// The other hosts find out as on a real network (see the module notes: UDP to it is
    /// lost; TCP to it is held until its restart, or until the sender gives up with
    /// `Io(TimedOut)`). Until [`Sim::restart_host`], [`Sim::with_host`] and [`Sim::start`]
    /// on it are [`SimError::HostDown`], and so is crashing it again.
    ///
    /// Any host may crash, the one this `Sim` acts as too: `run()` on it is then
    /// `LifecycleError::NotRunning`, and the other `Reactor` methods called on the `Sim`
    /// act on a blank reactor that reaches nobody and that the restart discards. (No
    /// `run()` is driving the simulation when this is called: it takes the `Sim` itself,
    /// which callbacks never get.) Draws nothing from the seed; traced as
    /// `host-crashed h1` on the host's own line.
    pub fn crash_host(&mut self, host: HostId) -> Result<(), SimError> {
        let index = self.check_host(host)?;
        if self.down.contains(index) {
            return Err(SimError::HostDown(host));
        }
        self.record_power(index, false);
        let blank = self.host_ref(index).reborn(self.blank_host(index));
        let mut old = std::mem::replace(self.host_mut(index), blank);
        self.host_changed(index);
        self.down.hosts.insert(index);
        for subsystem in SUBSYSTEMS {
            subsystem.crashed(self, index, &mut old);
        }
        // Protocols, stubs, timers and triggers go here, told nothing; dropping the core
        // closes the remote queue.
        drop(old);
        Ok(())
    }

    /// Restarts `host`, which crashed: it comes back with a fresh reactor, as
    /// [`Sim::add_host`] makes one (not running, nothing installed, ephemeral ports from the
    /// start again), with its address and its registered program stubs. Install its
    /// protocols again with [`Sim::with_host`], then start it with [`Sim::start`]. TCP
    /// segments other hosts held for it leave now (those not across a partition) and arrive
    /// one latency later. [`SimError::HostUp`] if it is not down. Draws nothing from the
    /// seed; traced as `host-restarted h1` on the host's own line.
    ///
    /// ```
    /// use std::time::Duration;
    /// use twinreactor::{Reactor, ReactorExt};
    /// use twinreactor_sim::{HostId, Sim, SimError};
    ///
    /// let mut sim = Sim::new(7);
    /// let server = sim.add_host();
    /// sim.with_host(server, |r| r.after(Duration::from_secs(1), |_| panic!("lost")))?;
    /// sim.start(server)?;
    /// sim.crash_host(server)?;
    /// assert_eq!(sim.is_up(server), Ok(false));
    /// assert_eq!(sim.with_host(server, |r| r.now()), Err(SimError::HostDown(server)));
    ///
    /// sim.restart_host(server)?;
    /// // A fresh reactor: install what it runs again, then start it.
    /// sim.with_host(server, |r| r.after(Duration::from_secs(2), |r| r.stop().unwrap()))?;
    /// sim.start(server)?;
    /// sim.run_until_idle()?;
    /// let trace = sim.trace().render();
    /// assert!(trace.contains("0.000000000 h1 host-crashed h1\n"));
    /// assert!(trace.contains("2.000000000 h1 run-ended stopped\n"));
    /// # Ok::<(), SimError>(())
    /// ```
    pub fn restart_host(&mut self, host: HostId) -> Result<(), SimError> {
        let index = self.check_host(host)?;
        if !self.down.contains(index) {
            return Err(SimError::HostUp(host));
        }
        let fresh = self.host_ref(index).reborn(self.blank_host(index));
        // Whatever was done to the blank reactor while the host was down goes too.
        let blank = std::mem::replace(self.host_mut(index), fresh);
        self.host_changed(index);
        self.down.hosts.remove(&index);
        self.record_power(index, true);
        for subsystem in SUBSYSTEMS {
            subsystem.restarted(self, index);
        }
        drop(blank);
        Ok(())
    }

    /// Whether `host` is up (false between [`Sim::crash_host`] and [`Sim::restart_host`]).
    pub fn is_up(&self, host: HostId) -> Result<bool, SimError> {
        let index = self.check_host(host)?;
        Ok(!self.down.contains(index))
    }

    /// The number of `host` if it is one of this simulation's and it is up.
    pub(crate) fn check_up(&self, host: HostId) -> Result<usize, SimError> {
        let index = self.check_host(host)?;
        if self.down.contains(index) {
            return Err(SimError::HostDown(host));
        }
        Ok(index)
    }

    /// Traces a crash (`up` false) or a restart of host number `index`, on its line.
    fn record_power(&mut self, index: usize, up: bool) {
        let before = self.current_index();
        self.current_set(index);
        self.record(TraceEvent::HostPower {
            host: index as u32,
            up,
        });
        self.current_set(before);
    }
}
