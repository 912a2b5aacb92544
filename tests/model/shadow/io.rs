//! The model of I/O objects: UDP sockets, TCP listeners and connections. Their callbacks
//! come when the OS says, so the model checks each object's own order (first callback,
//! nothing after the last) and each operation's answer, not the order across objects.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use twinreactor::{
    ConnId, ListenerId, ProcessError, ProcessId, SocketId, TcpError, TimerId, UdpError,
};

/// Where a UDP socket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockState {
    /// Bound (`started` may not have come yet).
    Bound,
    /// Closed by `close_udp` or by shutdown; `stopped` is due.
    Closing,
    /// `stopped` came.
    Ended,
}

/// One UDP socket.
#[derive(Clone, Debug)]
pub struct Sock {
    /// Its id.
    pub id: SocketId,
    /// Its address.
    pub addr: SocketAddr,
    /// Where it is in its life.
    pub state: SockState,
    /// `started` came.
    pub started: bool,
}

/// Where a TCP connection is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnState {
    /// `connect_tcp` returned; no outcome yet.
    Connecting,
    /// `connected` came.
    Open,
    /// `close` or `abort` was called; the final callback is due.
    Closing,
    /// The final callback came.
    Ended,
}

/// Where a child process is in its life, as its protocol saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    /// Spawned; `exited` has not come.
    Running,
    /// `exited` came.
    Exited,
    /// `ended` came.
    Ended,
}

/// All I/O objects the reactor issued.
#[derive(Clone, Debug, Default)]
pub struct Io {
    /// UDP sockets in the order bound.
    pub socks: Vec<Sock>,
    /// Datagrams sent to each address and not yet delivered.
    pub in_flight: BTreeMap<SocketAddr, usize>,
    /// TCP listeners in the order opened: id, address, still listening.
    pub listeners: Vec<(ListenerId, SocketAddr, bool)>,
    /// TCP connections, in the order the model learnt of them.
    pub conns: Vec<(ConnId, ConnState)>,
    /// The timeout timer of each connect, while it may be pending.
    pub connect_timers: BTreeMap<u64, TimerId>,
    /// What shutdown closed, with the state each connection had: until its final callback
    /// comes, an object may still answer as before (the close order is not fixed).
    pub shut: BTreeMap<u64, ConnState>,
    /// The sockets shutdown closed, until their `stopped`.
    pub shut_socks: Vec<SocketId>,
    /// Child processes in the order spawned.
    pub procs: Vec<(ProcessId, ProcState)>,
}

impl Io {
    /// Records a bound socket; checks its id is new.
    pub fn bound(&mut self, id: SocketId, addr: SocketAddr) {
        assert!(
            self.socks.iter().all(|s| s.id.raw() < id.raw()),
            "socket id {id} reused or out of order"
        );
        self.socks.push(Sock {
            id,
            addr,
            state: SockState::Bound,
            started: false,
        });
    }

    /// The socket with `id`.
    pub fn sock(&mut self, id: SocketId) -> &mut Sock {
        self.socks
            .iter_mut()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("a callback for socket {id}, which the model never saw"))
    }

    /// `send_to` from `id`: the expected answer, applied.
    pub fn send(&mut self, id: SocketId, to: SocketAddr) -> Result<(), UdpError> {
        match self.socks.iter().find(|s| s.id == id).map(|s| s.state) {
            Some(SockState::Bound) => {
                *self.in_flight.entry(to).or_default() += 1;
                Ok(())
            }
            _ => Err(UdpError::UnknownSocket(id)),
        }
    }

    /// `close_udp`: the expected answer, applied. Closing a closed socket does nothing.
    pub fn close_udp(&mut self, id: SocketId) -> Result<(), UdpError> {
        let s = self.socks.iter_mut().find(|s| s.id == id);
        let s = s.ok_or(UdpError::UnknownSocket(id))?;
        if s.state == SockState::Bound {
            s.state = SockState::Closing;
        }
        Ok(())
    }

    /// Whether shutdown closed socket `id` and its `stopped` has not come yet.
    pub fn shut_sock(&self, id: SocketId) -> bool {
        self.shut_socks.contains(&id)
    }

    /// What a connection operation would answer had shutdown not closed `id` yet.
    pub fn conn_op_before_shutdown(
        &self,
        id: ConnId,
        ends: bool,
        write: bool,
    ) -> Option<Result<(), TcpError>> {
        let before = *self.shut.get(&id.raw())?;
        let mut copy = Io {
            conns: vec![(id, before)],
            ..Io::default()
        };
        Some(copy.conn_op(id, ends, write))
    }

    /// Checks a datagram delivered to `id` from `from`.
    pub fn datagram(&mut self, id: SocketId, from: SocketAddr) {
        let s = self.sock(id);
        assert!(s.started, "{id}: datagram before started");
        assert_eq!(s.state, SockState::Bound, "{id}: datagram after close");
        let addr = s.addr;
        let known = self.socks.iter().any(|s| s.addr == from);
        assert!(
            known,
            "{id}: datagram from {from}, which no socket of ours has"
        );
        let left = self.in_flight.get_mut(&addr).filter(|n| **n > 0);
        let left = left.unwrap_or_else(|| panic!("{id}: more datagrams than were sent to it"));
        *left -= 1;
    }

    /// Records a new listener; checks its id is new.
    pub fn listening(&mut self, id: ListenerId, addr: SocketAddr) {
        assert!(
            self.listeners.iter().all(|l| l.0.raw() < id.raw()),
            "listener id {id} reused or out of order"
        );
        self.listeners.push((id, addr, true));
    }

    /// `stop_listening`: the expected answer, applied.
    pub fn stop_listening(&mut self, id: ListenerId) -> Result<(), TcpError> {
        match self.listeners.iter_mut().find(|l| l.0 == id) {
            Some(l) if l.2 => {
                l.2 = false;
                Ok(())
            }
            _ => Err(TcpError::UnknownListener(id)),
        }
    }

    /// Records a connection the model had not seen; checks its id is new.
    pub fn new_conn(&mut self, id: ConnId, state: ConnState) {
        assert!(
            self.conns.iter().all(|c| c.0 != id),
            "connection id {id} given twice"
        );
        self.conns.push((id, state));
    }

    /// The state of connection `id`, if the model knows it.
    pub fn conn(&mut self, id: ConnId) -> Option<&mut ConnState> {
        self.conns.iter_mut().find(|c| c.0 == id).map(|c| &mut c.1)
    }

    /// `write`, `close` or `abort` (`ends`: whether it starts the end): the expected answer,
    /// applied.
    pub fn conn_op(&mut self, id: ConnId, ends: bool, write: bool) -> Result<(), TcpError> {
        let Some(state) = self.conn(id) else {
            return Err(TcpError::UnknownConnection(id));
        };
        match *state {
            ConnState::Connecting => Err(TcpError::NotConnected(id)),
            ConnState::Open => {
                if ends {
                    *state = ConnState::Closing;
                }
                Ok(())
            }
            ConnState::Closing if write => Err(TcpError::Closed(id)),
            ConnState::Closing => Ok(()),
            ConnState::Ended => Err(TcpError::UnknownConnection(id)),
        }
    }

    /// Records a spawned child; checks its id is new.
    pub fn spawned(&mut self, id: ProcessId) {
        assert!(
            self.procs.iter().all(|p| p.0.raw() < id.raw()),
            "process id {id} reused or out of order"
        );
        self.procs.push((id, ProcState::Running));
    }

    /// The state of child `id`.
    pub fn proc(&mut self, id: ProcessId) -> &mut ProcState {
        let p = self.procs.iter_mut().find(|p| p.0 == id);
        &mut p
            .unwrap_or_else(|| panic!("a callback for {id}, which the model never saw"))
            .1
    }

    /// `signal`: the answers the contract allows now (a running child may have exited
    /// already, with `exited` still to come).
    pub fn signal(&self, id: ProcessId) -> Vec<Result<(), ProcessError>> {
        match self.procs.iter().find(|p| p.0 == id).map(|p| p.1) {
            None => vec![Err(ProcessError::UnknownProcess(id))],
            Some(ProcState::Running) => vec![Ok(()), Err(ProcessError::ExitedAlready(id))],
            Some(_) => vec![Err(ProcessError::ExitedAlready(id))],
        }
    }

    /// Shutdown closes everything: every socket and connection is due its final callback.
    pub fn close_all(&mut self) {
        for s in &mut self.socks {
            if s.state == SockState::Bound {
                s.state = SockState::Closing;
                self.shut_socks.push(s.id);
            }
        }
        for l in &mut self.listeners {
            l.2 = false;
        }
        for c in &mut self.conns {
            if c.1 != ConnState::Ended {
                self.shut.insert(c.0.raw(), c.1);
                c.1 = ConnState::Closing;
            }
        }
    }

    /// Checks that every object has had its final callback (after a completed shutdown).
    pub fn check_all_ended(&self) {
        for s in &self.socks {
            assert_eq!(s.state, SockState::Ended, "{} never saw stopped", s.id);
        }
        for (id, state) in &self.conns {
            assert_eq!(
                *state,
                ConnState::Ended,
                "{id} never saw its final callback"
            );
        }
        for (id, state) in &self.procs {
            assert_eq!(*state, ProcState::Ended, "{id} never saw ended");
        }
    }
}
