//! The operations of a random call sequence, and the strategies that draw them.
//!
//! An operation that registers a callback carries a [`Body`]: the operations that callback
//! makes when it runs. So every kind of callback calls the reactor, as deeply as the
//! strategy nests bodies.

use proptest::prelude::*;
use proptest::strategy::Union;
use twinreactor::Phase;

/// The operations a callback makes, in order.
pub type Body = Vec<Op>;

/// Which object of a kind an operation names: an index into the objects the model knows of
/// that kind (modulo their number, plus one for an id the reactor never issued).
pub type Pick = u8;

/// The events a sequence uses: two plain ones and the reactor's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    /// A plain event.
    E0,
    /// Another plain event.
    E1,
    /// `startup`.
    Startup,
    /// `shutdown` (never fired by hand in a sequence).
    Shutdown,
}

impl Event {
    /// The event's name.
    pub fn name(self) -> &'static str {
        match self {
            Event::E0 => "e0",
            Event::E1 => "e1",
            Event::Startup => twinreactor::STARTUP,
            Event::Shutdown => twinreactor::SHUTDOWN,
        }
    }
}

/// One contract operation.
#[derive(Clone, Debug)]
pub enum Op {
    /// `call_later` with delay 0 (fires) or an hour (never fires within a sequence).
    CallLater { far: bool, body: Body },
    /// `cancel`.
    Cancel(Pick),
    /// `reschedule` by 0 or an hour.
    Reschedule(Pick, bool),
    /// `postpone` by an hour.
    Postpone(Pick),
    /// `timer_state`.
    TimerState(Pick),
    /// `pending_timers`.
    PendingTimers,
    /// `add_trigger`; with `hold` the trigger returns a new completion.
    AddTrigger {
        phase: Phase,
        event: Event,
        hold: bool,
        body: Body,
    },
    /// `remove_trigger`.
    RemoveTrigger(Pick),
    /// `fire_system_event` (never `shutdown`).
    Fire(Event),
    /// `new_completion`.
    NewCompletion,
    /// `complete`.
    Complete(Pick),
    /// `stop`.
    Stop,
    /// `crash`; the rest of the body is skipped (the run ends once the callback returns).
    Crash,
    /// `is_running`.
    IsRunning,
    /// `run` from inside a callback.
    RunInside,
    /// A call queued through `remote()`.
    Remote(Body),
    /// `bind_udp` on 127.0.0.1 port 0; `started` and the first `datagram` run their bodies.
    BindUdp { started: Body, datagram: Body },
    /// `send_to` from one socket to another's address.
    SendUdp(Pick, Pick),
    /// `close_udp`.
    CloseUdp(Pick),
    /// `listen_tcp` on 127.0.0.1 port 0; `accept` runs its body, then accepts with a
    /// protocol whose first `connected` and `data` run `server`.
    Listen { accept: Body, server: Body },
    /// `stop_listening`.
    StopListening(Pick),
    /// `connect_tcp` to a listener; the first `connected`, `data` and the final callback run
    /// `client`.
    Connect { to: Pick, client: Body },
    /// `write` of one byte.
    Write(Pick),
    /// `close`.
    Close(Pick),
    /// `abort`.
    Abort(Pick),
    /// `spawn_process` of the corpus helper (its stubs on the simulator): `sleep` runs until
    /// signalled or shut down, else it writes to stdout and stderr and exits; `exited` and
    /// `ended` run `body`.
    Spawn { sleep: bool, body: Body },
    /// `signal` with `TERM`.
    Terminate(Pick),
}

/// Where a body runs: `crash()` is drawn only where the contract says what it does to the
/// rest of the iteration (timers, remote calls and top level), not inside a trigger, where
/// it stalls a firing between two triggers (pinned by the corpus, not modelled).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// Outside `run()`.
    Top,
    /// A timer or a remote call.
    TimerOrRemote,
    /// A trigger or an I/O callback.
    Other,
}

fn phase() -> impl Strategy<Value = Phase> {
    prop_oneof![Just(Phase::Before), Just(Phase::During), Just(Phase::After)]
}

fn trigger_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        3 => Just(Event::E0),
        2 => Just(Event::E1),
        2 => Just(Event::Startup),
        2 => Just(Event::Shutdown),
    ]
}

fn fired_event() -> impl Strategy<Value = Event> {
    prop_oneof![3 => Just(Event::E0), 2 => Just(Event::E1), 1 => Just(Event::Startup)]
}

/// Operations without a body.
fn leaf(place: Place) -> BoxedStrategy<Op> {
    let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (3, any::<Pick>().prop_map(Op::Cancel).boxed()),
        (
            2,
            (any::<Pick>(), any::<bool>())
                .prop_map(|(p, far)| Op::Reschedule(p, far))
                .boxed(),
        ),
        (2, any::<Pick>().prop_map(Op::Postpone).boxed()),
        (1, any::<Pick>().prop_map(Op::TimerState).boxed()),
        (1, Just(Op::PendingTimers).boxed()),
        (2, any::<Pick>().prop_map(Op::RemoveTrigger).boxed()),
        (3, fired_event().prop_map(Op::Fire).boxed()),
        (1, Just(Op::NewCompletion).boxed()),
        (3, any::<Pick>().prop_map(Op::Complete).boxed()),
        (2, Just(Op::Stop).boxed()),
        (1, Just(Op::IsRunning).boxed()),
        (
            2,
            (any::<Pick>(), any::<Pick>())
                .prop_map(|(a, b)| Op::SendUdp(a, b))
                .boxed(),
        ),
        (1, any::<Pick>().prop_map(Op::CloseUdp).boxed()),
        (1, any::<Pick>().prop_map(Op::StopListening).boxed()),
        (2, any::<Pick>().prop_map(Op::Write).boxed()),
        (1, any::<Pick>().prop_map(Op::Close).boxed()),
        (1, any::<Pick>().prop_map(Op::Abort).boxed()),
        (1, any::<Pick>().prop_map(Op::Terminate).boxed()),
    ];
    if place != Place::Other {
        ops.push((1, Just(Op::Crash).boxed()));
    }
    if place != Place::Top {
        ops.push((1, Just(Op::RunInside).boxed()));
    }
    Union::new_weighted(ops).boxed()
}

/// Bodies of callbacks, nested at most `depth` deep.
pub fn body(depth: u32, place: Place) -> BoxedStrategy<Body> {
    proptest::collection::vec(op(depth, place), 0..4).boxed()
}

/// One operation whose bodies nest at most `depth` deep.
pub fn op(depth: u32, place: Place) -> BoxedStrategy<Op> {
    if depth == 0 {
        return leaf(place);
    }
    let d = depth - 1;
    let tr = || body(d, Place::TimerOrRemote);
    let other = || body(d, Place::Other);
    prop_oneof![
        6 => leaf(place),
        3 => (any::<bool>(), tr()).prop_map(|(far, body)| Op::CallLater { far, body }),
        3 => (phase(), trigger_event(), any::<bool>(), other()).prop_map(
            |(phase, event, hold, body)| Op::AddTrigger { phase, event, hold, body }
        ),
        1 => tr().prop_map(Op::Remote),
        1 => (other(), other()).prop_map(|(started, datagram)| Op::BindUdp { started, datagram }),
        1 => (other(), other()).prop_map(|(accept, server)| Op::Listen { accept, server }),
        1 => (any::<Pick>(), other()).prop_map(|(to, client)| Op::Connect { to, client }),
        1 => (any::<bool>(), other()).prop_map(|(sleep, body)| Op::Spawn { sleep, body }),
    ]
    .boxed()
}
