//! The protocols a sequence installs: each checks its callback against the model, then runs
//! the operations the sequence gave it.

use std::net::SocketAddr;

use twinreactor::{
    ConnId, ConnectError, DatagramProtocol, Disconnect, ExitStatus, Pipe, ProcessId,
    ProcessProtocol, Reactor, Signal, SocketId, StreamFactory, StreamProtocol,
};

use crate::exec::{lock, run_body, Ctx};
use crate::ops::Body;
use crate::shadow::io::{ConnState, ProcState, SockState};

/// A UDP protocol: `started` and the first `datagram` run their bodies.
pub struct Datagrams {
    ctx: Ctx,
    started: Option<Body>,
    datagram: Option<Body>,
}

impl Datagrams {
    /// A protocol with these bodies.
    pub fn new(ctx: &Ctx, started: &Body, datagram: &Body) -> Self {
        Self {
            ctx: ctx.clone(),
            started: Some(started.clone()),
            datagram: Some(datagram.clone()),
        }
    }
}

impl DatagramProtocol for Datagrams {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        // Shutdown delivers a `started` that had not run yet before `stopped`, in its close.
        let closing = {
            let mut m = lock(&self.ctx);
            if m.io.sock(socket).state == SockState::Bound && r.udp_local_addr(socket).is_err() {
                // Closed, and not by the sequence: shutdown is closing everything.
                m.shutdown_evidence();
            }
            let closing = m.life.closing || m.io.shut_sock(socket);
            if closing {
                m.gate_final("started");
                m.finals += 1;
            } else {
                m.gate("started");
            }
            let s = m.io.sock(socket);
            assert!(!s.started, "{socket}: started twice");
            assert_ne!(s.state, SockState::Ended, "{socket}: started after stopped");
            s.started = true;
            closing
        };
        run_body(r, &self.ctx, &self.started.take().unwrap_or_default());
        if closing {
            lock(&self.ctx).finals -= 1;
        }
    }

    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, _: &[u8], from: SocketAddr) {
        {
            let mut m = lock(&self.ctx);
            m.gate("datagram");
            m.io.datagram(socket, from);
        }
        run_body(r, &self.ctx, &self.datagram.take().unwrap_or_default());
    }

    fn stopped(&mut self, _: &mut dyn Reactor, socket: SocketId) {
        let mut m = lock(&self.ctx);
        m.gate_final("stopped");
        if m.io.sock(socket).state == SockState::Bound {
            m.shutdown_evidence();
        }
        let s = m.io.sock(socket);
        assert!(s.started, "{socket}: stopped before started");
        assert_eq!(
            s.state,
            SockState::Closing,
            "{socket}: stopped while not closed"
        );
        s.state = SockState::Ended;
        m.io.shut_socks.retain(|&s| s != socket);
    }
}

/// A listener's factory: `accept` runs its body (on the first connection), then accepts
/// with a [`Stream`] that runs `server`.
pub struct Listener {
    ctx: Ctx,
    accept: Option<Body>,
    server: Body,
}

impl Listener {
    /// A factory with these bodies.
    pub fn new(ctx: &Ctx, accept: &Body, server: &Body) -> Self {
        Self {
            ctx: ctx.clone(),
            accept: Some(accept.clone()),
            server: server.clone(),
        }
    }
}

impl StreamFactory for Listener {
    fn accept(&mut self, r: &mut dyn Reactor, _: SocketAddr) -> Option<Box<dyn StreamProtocol>> {
        lock(&self.ctx).gate("accept");
        run_body(r, &self.ctx, &self.accept.take().unwrap_or_default());
        Some(Box::new(Stream::server(&self.ctx, &self.server)))
    }
}

/// A TCP protocol: its first callback and its final one run `body`.
pub struct Stream {
    ctx: Ctx,
    client: bool,
    first: Option<Body>,
    last: Option<Body>,
}

impl Stream {
    /// The protocol of a connection made with `connect_tcp`.
    pub fn client(ctx: &Ctx, body: &Body) -> Self {
        Self::new(ctx, body, true)
    }

    /// The protocol of an accepted connection.
    fn server(ctx: &Ctx, body: &Body) -> Self {
        Self::new(ctx, body, false)
    }

    fn new(ctx: &Ctx, body: &Body, client: bool) -> Self {
        Self {
            ctx: ctx.clone(),
            client,
            first: Some(body.clone()),
            last: Some(body.clone()),
        }
    }

    /// Checks the end of `conn` (`shutdown`: the reason says shutdown ended it), then runs
    /// the final body.
    fn ended(&mut self, r: &mut dyn Reactor, conn: ConnId, shutdown: bool, what: &str) {
        let in_close = {
            let mut m = lock(&self.ctx);
            m.gate_final(what);
            if shutdown {
                m.shutdown_evidence();
            }
            let state = m.io.conn(conn);
            let state = state.unwrap_or_else(|| panic!("{conn}: {what} before connected"));
            assert_ne!(*state, ConnState::Ended, "{conn}: {what} after its end");
            *state = ConnState::Ended;
            m.io.shut.remove(&conn.raw());
            m.connect_ended(conn);
            // Delivered by shutdown's close, which is not over until it returns.
            m.finals += u32::from(m.life.closing);
            m.life.closing
        };
        self.first = None;
        run_body(r, &self.ctx, &self.last.take().unwrap_or_default());
        if in_close {
            lock(&self.ctx).finals -= 1;
        }
    }
}

impl StreamProtocol for Stream {
    fn connected(&mut self, r: &mut dyn Reactor, conn: ConnId) {
        {
            let mut m = lock(&self.ctx);
            m.gate("connected");
            if self.client {
                let state =
                    m.io.conn(conn)
                        .expect("a client connection the model knows");
                assert_eq!(*state, ConnState::Connecting, "{conn}: connected twice");
                *state = ConnState::Open;
                m.connect_ended(conn);
            } else {
                m.io.new_conn(conn, ConnState::Open);
            }
        }
        run_body(r, &self.ctx, &self.first.take().unwrap_or_default());
    }

    fn data(&mut self, _: &mut dyn Reactor, conn: ConnId, _: &[u8]) {
        let mut m = lock(&self.ctx);
        m.gate("data");
        let state = m.io.conn(conn).map(|s| *s);
        assert_eq!(state, Some(ConnState::Open), "{conn}: data while not open");
    }

    fn disconnected(&mut self, r: &mut dyn Reactor, conn: ConnId, reason: Disconnect) {
        let connected = lock(&self.ctx).io.conn(conn).map(|s| *s);
        assert_ne!(
            connected,
            Some(ConnState::Connecting),
            "{conn}: disconnected ({reason:?}) before connected"
        );
        self.ended(r, conn, reason == Disconnect::Shutdown, "disconnected");
    }

    fn connect_failed(&mut self, r: &mut dyn Reactor, conn: ConnId, error: ConnectError) {
        let state = lock(&self.ctx).io.conn(conn).map(|s| *s);
        assert!(
            matches!(state, Some(ConnState::Connecting | ConnState::Closing)),
            "{conn}: connect_failed ({error:?}) while {state:?}"
        );
        self.ended(r, conn, error == ConnectError::Cancelled, "connect_failed");
    }
}

/// A child's protocol: `exited` and `ended` run `body`.
pub struct Child {
    ctx: Ctx,
    exited: Option<Body>,
    ended: Option<Body>,
}

impl Child {
    /// A protocol with this body.
    pub fn new(ctx: &Ctx, body: &Body) -> Self {
        Self {
            ctx: ctx.clone(),
            exited: Some(body.clone()),
            ended: Some(body.clone()),
        }
    }

    /// Checks a notification other than output (shutdown may deliver it in its close, also
    /// outside `run()` within a `complete()`), then runs `body` with the close kept open.
    fn notified(
        &self,
        r: &mut dyn Reactor,
        what: &str,
        check: impl FnOnce(&mut ProcState),
        body: Option<Body>,
        id: ProcessId,
    ) {
        let in_close = {
            let mut m = lock(&self.ctx);
            m.gate_final(what);
            let state = m.io.proc(id);
            assert_ne!(*state, ProcState::Ended, "{id}: {what} after ended");
            check(state);
            m.finals += u32::from(m.life.closing);
            m.life.closing
        };
        run_body(r, &self.ctx, &body.unwrap_or_default());
        if in_close {
            lock(&self.ctx).finals -= 1;
        }
    }
}

impl ProcessProtocol for Child {
    fn stdout(&mut self, _: &mut dyn Reactor, process: ProcessId, _: &[u8]) {
        let mut m = lock(&self.ctx);
        m.gate("stdout");
        assert_ne!(
            *m.io.proc(process),
            ProcState::Ended,
            "{process}: output after ended"
        );
    }

    fn stderr(&mut self, r: &mut dyn Reactor, process: ProcessId, data: &[u8]) {
        self.stdout(r, process, data);
    }

    fn pipe_closed(&mut self, r: &mut dyn Reactor, process: ProcessId, _: Pipe) {
        self.notified(r, "pipe_closed", |_| {}, None, process);
    }

    fn exited(&mut self, r: &mut dyn Reactor, process: ProcessId, status: ExitStatus) {
        if status == ExitStatus::Signal(Signal::KILL) {
            // Only shutdown kills a child here.
            lock(&self.ctx).shutdown_evidence();
        }
        let check = |s: &mut ProcState| {
            assert_eq!(*s, ProcState::Running, "{process}: exited twice");
            *s = ProcState::Exited;
        };
        let body = self.exited.take();
        self.notified(r, "exited", check, body, process);
    }

    fn ended(&mut self, r: &mut dyn Reactor, process: ProcessId, _: ExitStatus) {
        let check = |s: &mut ProcState| {
            assert_eq!(*s, ProcState::Exited, "{process}: ended before exited");
            *s = ProcState::Ended;
        };
        let body = self.ended.take();
        self.notified(r, "ended", check, body, process);
    }
}
