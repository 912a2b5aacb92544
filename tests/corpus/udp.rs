//! UDP and multicast: binding, datagrams, connected sockets and refusals, close, multicast
//! on one host, bad input, and a panic in a datagram callback.
//!
//! Everything binds 127.0.0.1 (or a multicast group address, which receives only that
//! group's datagrams), and every multicast socket sends and joins on the loopback interface
//! with TTL 1 at most, so nothing leaves the machine on the real reactor. Each multicast case
//! uses a group of its own, so that cases running in parallel never hear each other.
//!
//! The order of events of *different* sockets at one instant is not specified (the
//! simulator shuffles it with its seed), so cases compare each socket's own log.

use std::cell::Cell;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::udp::MAX_DATAGRAM;
use twinreactor::{
    DatagramProtocol, LifecycleError, Reactor, ReactorExt, SocketId, UdpError, UdpOptions,
};

use crate::harness::{run_catching, stop, Backend, Log, MS};

corpus! {
    udp::udp_bind_port_zero_gives_the_port_and_a_taken_port_is_addr_in_use,
    udp::udp_thousand_datagrams_of_1_to_1400_bytes_arrive_intact,
    udp::udp_vectored_send_arrives_as_one_datagram,
    udp::udp_65507_bytes_are_sent_and_65508_are_message_too_large,
    udp::udp_connected_socket_sends_to_its_peer_and_hears_only_it,
    udp::udp_connect_twice_is_already_connected,
    udp::udp_refusal_on_a_connected_socket_is_reported_and_the_socket_keeps_working,
    udp::udp_refusal_on_an_unconnected_socket_is_ignored,
    udp::udp_close_delivers_stopped_later_and_the_port_binds_again,
    udp::udp_shutdown_stops_every_socket_and_drops_its_protocol,
    udp::udp_multicast_two_sockets_on_one_port_with_reuse_both_receive,
    udp::udp_multicast_after_leave_the_leaver_does_not_receive,
    udp::udp_multicast_loopback_off_the_sender_does_not_hear_its_own,
    udp::udp_multicast_membership_errors,
    udp::udp_multicast_ttl_and_loopback_read_back,
    udp::udp_bad_input_gets_typed_errors,
    udp::udp_panic_in_datagram_propagates_and_poisons,
}

/// 127.0.0.1 with port 0.
fn lo() -> SocketAddr {
    SocketAddr::new(Ipv4Addr::LOCALHOST.into(), 0)
}

/// Reuse of the address, for sockets sharing a port.
const REUSE: UdpOptions = UdpOptions {
    reuse_address: true,
    reuse_port: false,
    broadcast: false,
};

/// What a [`Peer`] does with a datagram.
type OnDatagram = Box<dyn FnMut(&mut dyn Reactor, SocketId, &[u8], SocketAddr)>;
/// What a [`Peer`] does when started or refused.
type OnEvent = Box<dyn FnMut(&mut dyn Reactor, SocketId)>;

/// A datagram protocol that logs `<name> <event>` and then runs the hooks it was given.
/// Small datagrams are logged as text, big ones by size.
struct Peer {
    name: &'static str,
    log: Log,
    on_started: Option<OnEvent>,
    on_datagram: Option<OnDatagram>,
    on_refused: Option<OnEvent>,
    dropped: Rc<Cell<bool>>,
}

impl Peer {
    fn new(name: &'static str, log: &Log) -> Self {
        Self {
            name,
            log: log.clone(),
            on_started: None,
            on_datagram: None,
            on_refused: None,
            dropped: Rc::new(Cell::new(false)),
        }
    }

    fn started(mut self, f: impl FnMut(&mut dyn Reactor, SocketId) + 'static) -> Self {
        self.on_started = Some(Box::new(f));
        self
    }

    fn datagram(
        mut self,
        f: impl FnMut(&mut dyn Reactor, SocketId, &[u8], SocketAddr) + 'static,
    ) -> Self {
        self.on_datagram = Some(Box::new(f));
        self
    }

    fn refused(mut self, f: impl FnMut(&mut dyn Reactor, SocketId) + 'static) -> Self {
        self.on_refused = Some(Box::new(f));
        self
    }

    /// A flag that turns true when the reactor drops this protocol.
    fn drop_flag(&self) -> Rc<Cell<bool>> {
        self.dropped.clone()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.dropped.set(true);
    }
}

/// How a datagram appears in a log.
fn text(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(s) if data.len() <= 32 => s.to_owned(),
        _ => format!("<{} bytes>", data.len()),
    }
}

impl DatagramProtocol for Peer {
    fn started(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        self.log.push(format!("{} started", self.name));
        if let Some(f) = &mut self.on_started {
            f(r, socket);
        }
    }

    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        self.log.push(format!("{} got {}", self.name, text(data)));
        if let Some(f) = &mut self.on_datagram {
            f(r, socket, data, from);
        }
    }

    fn refused(&mut self, r: &mut dyn Reactor, socket: SocketId) {
        self.log.push(format!("{} refused", self.name));
        if let Some(f) = &mut self.on_refused {
            f(r, socket);
        }
    }

    fn stopped(&mut self, _r: &mut dyn Reactor, _socket: SocketId) {
        self.log.push(format!("{} stopped", self.name));
    }
}

/// The entries of `log` that concern socket `name`, in order, without the name.
fn of(log: &Log, name: &str) -> Vec<String> {
    let prefix = format!("{name} ");
    log.entries()
        .into_iter()
        .filter_map(|e| e.strip_prefix(&prefix).map(str::to_owned))
        .collect()
}

/// Asserts socket `name`'s own entries are exactly `expected`.
#[track_caller]
fn assert_of(log: &Log, name: &str, expected: &[&str]) {
    assert_eq!(of(log, name), expected, "the log of {name}");
}

/// Binds `peer` on 127.0.0.1, port 0, without options.
fn bind(r: &mut dyn Reactor, peer: Peer) -> SocketId {
    r.bind_udp(lo(), Box::new(peer), UdpOptions::default())
        .expect("bind 127.0.0.1:0")
}

/// The address of an open socket.
fn addr(r: &dyn Reactor, socket: SocketId) -> SocketAddr {
    r.udp_local_addr(socket).expect("an open socket")
}

/// Stops the reactor after a short grace (for a case that checks something did *not*
/// arrive after something that must have arrived first).
fn stop_soon(r: &mut dyn Reactor) {
    r.after(20 * MS, stop);
}

/// Binding port 0 gives a port (read back with `udp_local_addr`); binding a taken port is
/// `AddrInUse` unless both sockets allow address reuse.
pub fn udp_bind_port_zero_gives_the_port_and_a_taken_port_is_addr_in_use(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let a = bind(&mut *r, Peer::new("a", &log));
    let at = addr(&*r, a);
    assert_eq!(at.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_ne!(at.port(), 0);
    assert_eq!(
        r.bind_udp(at, Box::new(Peer::new("x", &log)), UdpOptions::default()),
        Err(UdpError::AddrInUse(at))
    );
    assert_eq!(
        r.bind_udp(at, Box::new(Peer::new("x", &log)), REUSE),
        Err(UdpError::AddrInUse(at)),
        "reuse on the new socket alone is not enough"
    );
    let c = r
        .bind_udp(lo(), Box::new(Peer::new("c", &log)), REUSE)
        .expect("bind");
    let ct = addr(&*r, c);
    assert_eq!(
        r.bind_udp(ct, Box::new(Peer::new("x", &log)), UdpOptions::default()),
        Err(UdpError::AddrInUse(ct)),
        "reuse on the old socket alone is not enough"
    );
    let d = r
        .bind_udp(ct, Box::new(Peer::new("d", &log)), REUSE)
        .expect("reuse on both shares the port");
    assert_eq!(addr(&*r, d), ct);
    assert!(
        log.entries().is_empty(),
        "nothing is delivered inside bind_udp"
    );
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    for name in ["a", "c", "d"] {
        assert_of(&log, name, &["started", "stopped"]);
    }
    assert!(
        of(&log, "x").is_empty(),
        "a refused bind drops its protocol unused"
    );
}

/// The datagram of round `i` of the exchange below: 1 to 1,400 bytes, content from `i`.
fn payload(i: usize) -> Vec<u8> {
    let len = 1 + (i * 613) % 1400;
    (0..len).map(|j| (i * 31 + j * 7) as u8).collect()
}

/// 1,000 datagrams of 1 to 1,400 bytes go from `a` to `b` and back, one round trip at a
/// time; each arrives intact at both ends. (The real reactor loses none on loopback, where
/// one datagram in flight never overflows a receive buffer: a property of loopback, not of
/// the contract.)
pub fn udp_thousand_datagrams_of_1_to_1400_bytes_arrive_intact(b: &mut dyn Backend) {
    const ROUNDS: usize = 1000;
    let mut r = b.reactor();
    let log = Log::new();
    let echoed = Rc::new(Cell::new(0usize));
    let n = echoed.clone();
    let echo = bind(
        &mut *r,
        Peer::new("echo", &Log::new()).datagram(move |r, s, data, from| {
            assert_eq!(data, payload(n.get()), "round {} at the echo", n.get());
            n.set(n.get() + 1);
            r.send_to(s, data, from).expect("echo");
        }),
    );
    let to = addr(&*r, echo);
    let round = Rc::new(Cell::new(0usize));
    let (r1, r2, l) = (round.clone(), round.clone(), log.clone());
    let client = Peer::new("client", &Log::new())
        .started(move |r, s| r.send_to(s, &payload(0), to).expect("send"))
        .datagram(move |r, s, data, from| {
            let i = r2.get();
            assert_eq!(from, to, "the echo answers");
            assert_eq!(data, payload(i), "round {i} back at the client");
            r2.set(i + 1);
            if i + 1 == ROUNDS {
                l.push("client done");
                r.stop().expect("running");
            } else {
                r.send_to(s, &payload(i + 1), to).expect("send");
            }
        });
    bind(&mut *r, client);
    assert_eq!(r.run(), Ok(()));
    log.assert(&["client done"]);
    assert_eq!(r1.get(), ROUNDS);
    assert_eq!(echoed.get(), ROUNDS);
}

/// A vectored send arrives as one datagram: the slices concatenated.
pub fn udp_vectored_send_arrives_as_one_datagram(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let rx = bind(
        &mut *r,
        Peer::new("rx", &log).datagram(|r, _, _, _| stop_soon(r)),
    );
    let to = addr(&*r, rx);
    bind(
        &mut *r,
        Peer::new("tx", &log).started(move |r, s| {
            let parts: [&[u8]; 4] = [b"hel", b"", b"lo ", b"world"];
            r.send_to_vectored(s, &parts, to).expect("send");
        }),
    );
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "rx", &["started", "got hello world", "stopped"]);
}

/// 65,507 bytes (the IPv4 maximum) are sent as one datagram; 65,508 are `MessageTooLarge`,
/// plain or vectored, and nothing is sent.
pub fn udp_65507_bytes_are_sent_and_65508_are_message_too_large(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let big: Vec<u8> = (0..MAX_DATAGRAM).map(|i| (i % 251) as u8).collect();
    let expected = big.clone();
    let rx = bind(
        &mut *r,
        Peer::new("rx", &log).datagram(move |r, _, data, _| {
            assert!(data == expected.as_slice(), "the big datagram is intact");
            stop_soon(r);
        }),
    );
    let to = addr(&*r, rx);
    let tx = bind(&mut *r, Peer::new("tx", &log));
    let over = vec![0u8; MAX_DATAGRAM + 1];
    assert_eq!(
        r.send_to(tx, &over, to),
        Err(UdpError::MessageTooLarge(65_508))
    );
    assert_eq!(
        r.send_to_vectored(tx, &[&big, b"!"], to),
        Err(UdpError::MessageTooLarge(65_508))
    );
    r.send_to(tx, &big, to).expect("65,507 bytes fit");
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "rx", &["started", "got <65507 bytes>", "stopped"]);
}

/// After `connect_udp`, `send` goes to the peer, which sees the socket's address as the
/// source; the connected socket hears its peer and not a third socket.
pub fn udp_connected_socket_sends_to_its_peer_and_hears_only_it(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let a = bind(
        &mut *r,
        Peer::new("a", &log).datagram(|r, _, _, _| stop_soon(r)),
    );
    let a_at = addr(&*r, a);
    let third = bind(&mut *r, Peer::new("third", &log));
    let l = log.clone();
    let peer = bind(
        &mut *r,
        Peer::new("peer", &log).datagram(move |r, s, _, from| {
            l.push(format!("peer: from a is {}", from == a_at));
            // The third socket's datagram is sent first, and is not heard by `a`.
            r.send_to(third, b"from third", a_at).expect("send");
            r.send_to(s, b"from peer", from).expect("send");
        }),
    );
    let peer_at = addr(&*r, peer);
    assert_eq!(r.send(a, b"early"), Err(UdpError::NotConnected(a)));
    r.connect_udp(a, peer_at).expect("connect");
    r.send(a, b"hello").expect("send on a connected socket");
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "a", &["started", "got from peer", "stopped"]);
    assert_of(&log, "peer", &["started", "got hello", "stopped"]);
    assert!(log.entries().contains(&"peer: from a is true".to_owned()));
}

/// Connecting a connected socket is `AlreadyConnected`, and changes nothing.
pub fn udp_connect_twice_is_already_connected(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let a = bind(&mut *r, Peer::new("a", &log));
    let p = bind(
        &mut *r,
        Peer::new("p", &log).datagram(|r, _, _, _| stop_soon(r)),
    );
    let q = bind(&mut *r, Peer::new("q", &log));
    let (p_at, q_at) = (addr(&*r, p), addr(&*r, q));
    r.connect_udp(a, p_at).expect("connect");
    assert_eq!(r.connect_udp(a, q_at), Err(UdpError::AlreadyConnected(a)));
    assert_eq!(r.connect_udp(a, p_at), Err(UdpError::AlreadyConnected(a)));
    r.send(a, b"still to p").expect("send");
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "p", &["started", "got still to p", "stopped"]);
    assert_of(&log, "q", &["started", "stopped"]);
}

/// A free port: bound, read, closed. (On the real reactor another program could take it
/// in between; the system picks ports at random, so that is unlikely.)
fn free_port(r: &mut dyn Reactor) -> SocketAddr {
    let s = r
        .bind_udp(
            lo(),
            Box::new(Peer::new("tmp", &Log::new())),
            UdpOptions::default(),
        )
        .expect("bind");
    let at = addr(r, s);
    r.close_udp(s).expect("close");
    at
}

/// A datagram from a connected socket to a port nobody holds is reported to its protocol
/// as `refused`, later; the socket then still sends and receives (here to and from a
/// socket bound on that port afterwards).
pub fn udp_refusal_on_a_connected_socket_is_reported_and_the_socket_keeps_working(
    b: &mut dyn Backend,
) {
    let mut r = b.reactor();
    let log = Log::new();
    let dead = free_port(&mut *r);
    let l = log.clone();
    let a = bind(
        &mut *r,
        Peer::new("a", &log)
            .refused(move |r, s| {
                let l = l.clone();
                let late = Peer::new("late", &l).datagram(|r, s, data, from| {
                    r.send_to(s, data, from).expect("echo");
                });
                r.bind_udp(dead, Box::new(late), UdpOptions::default())
                    .expect("the dead port is free");
                r.send(s, b"again").expect("the socket still sends");
            })
            .datagram(|r, _, _, _| r.stop().expect("running")),
    );
    r.connect_udp(a, dead).expect("connect");
    r.send(a, b"ping").expect("send");
    assert!(log.entries().is_empty(), "the refusal comes later");
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "a", &["started", "refused", "got again", "stopped"]);
    assert_of(&log, "late", &["started", "got again", "stopped"]);
}

/// An unconnected socket is told nothing of a datagram to a port nobody holds, and goes on
/// working.
pub fn udp_refusal_on_an_unconnected_socket_is_ignored(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let dead = free_port(&mut *r);
    let echo = bind(
        &mut *r,
        Peer::new("echo", &log).datagram(|r, s, data, from| {
            r.send_to(s, data, from).expect("echo");
        }),
    );
    let echo_at = addr(&*r, echo);
    bind(
        &mut *r,
        Peer::new("u", &log)
            .started(move |r, s| {
                r.send_to(s, b"to nobody", dead).expect("send");
                r.after(5 * MS, move |r| {
                    r.send_to(s, b"to echo", echo_at).expect("send");
                });
            })
            .datagram(|r, _, _, _| stop_soon(r)),
    );
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "u", &["started", "got to echo", "stopped"]);
}

/// `close_udp` delivers nothing inside the call; `stopped` comes later (after `started`,
/// even for a socket closed before `started` ran) and the protocol is then dropped. The
/// port is free at once: binding it again without reuse works. A second close does
/// nothing; other operations on a closed socket are `UnknownSocket`.
pub fn udp_close_delivers_stopped_later_and_the_port_binds_again(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let peer = Peer::new("a", &log);
    let dropped = peer.drop_flag();
    let a = bind(&mut *r, peer);
    let at = addr(&*r, a);
    assert_eq!(r.close_udp(a), Ok(()));
    assert!(
        log.entries().is_empty(),
        "nothing is delivered inside close_udp"
    );
    assert!(!dropped.get(), "the protocol waits for its stopped");
    assert_eq!(r.close_udp(a), Ok(()), "a second close does nothing");
    assert_eq!(r.udp_local_addr(a), Err(UdpError::UnknownSocket(a)));
    assert_eq!(r.send_to(a, b"x", at), Err(UdpError::UnknownSocket(a)));
    let again = r
        .bind_udp(at, Box::new(Peer::new("b", &log)), UdpOptions::default())
        .expect("the port is free again");
    assert_eq!(addr(&*r, again), at);
    let d = dropped.clone();
    let l = log.clone();
    r.after(MS, move |r| {
        l.push(format!("a dropped: {}", d.get()));
        r.stop().expect("running");
    });
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "a", &["started", "stopped", "dropped: true"]);
    assert_of(&log, "b", &["started", "stopped"]);
}

/// At shutdown every socket is stopped before `run()` returns, its protocol is dropped, and
/// the socket is gone.
pub fn udp_shutdown_stops_every_socket_and_drops_its_protocol(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let (pa, pb) = (Peer::new("a", &log), Peer::new("b", &log));
    let flags = [pa.drop_flag(), pb.drop_flag()];
    let a = bind(&mut *r, pa);
    let s = bind(&mut *r, pb);
    r.on_event(
        twinreactor::Phase::Before,
        twinreactor::SHUTDOWN,
        log.note("before-shutdown"),
    );
    r.on_event(
        twinreactor::Phase::After,
        twinreactor::SHUTDOWN,
        log.note("after-shutdown"),
    );
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert!(flags.iter().all(|f| f.get()), "both protocols were dropped");
    assert_eq!(r.udp_local_addr(a), Err(UdpError::UnknownSocket(a)));
    assert_eq!(
        r.close_udp(s),
        Ok(()),
        "closing after shutdown does nothing"
    );
    let entries = log.entries();
    let at = |e: &str| entries.iter().position(|x| x == e).expect(e);
    assert!(at("before-shutdown") < at("a stopped"));
    assert!(at("b stopped") < at("after-shutdown"));
    assert_of(&log, "a", &["started", "stopped"]);
}

/// Two member sockets for group `group` on one port (with address reuse), joined on the
/// loopback interface, and a sender on 127.0.0.1 whose group datagrams leave by loopback.
fn two_members(
    r: &mut dyn Reactor,
    group: Ipv4Addr,
    m1: Peer,
    m2: Peer,
    sender: Peer,
) -> [SocketId; 3] {
    let a = r
        .bind_udp(SocketAddr::new(group.into(), 0), Box::new(m1), REUSE)
        .expect("bind the group address");
    let port = addr(r, a).port();
    let b = r
        .bind_udp(SocketAddr::new(group.into(), port), Box::new(m2), REUSE)
        .expect("reuse shares the port");
    for s in [a, b] {
        r.join_multicast(s, group, Ipv4Addr::LOCALHOST)
            .expect("join on loopback");
    }
    let tx = bind(r, sender);
    r.set_multicast_interface(tx, Ipv4Addr::LOCALHOST)
        .expect("send by loopback");
    [a, b, tx]
}

/// Two sockets bound to one port with address reuse, both members of a group, each receive
/// a group datagram, with the sender's address as its source.
pub fn udp_multicast_two_sockets_on_one_port_with_reuse_both_receive(b: &mut dyn Backend) {
    let group = Ipv4Addr::new(239, 255, 43, 1);
    let mut r = b.reactor();
    let log = Log::new();
    let got = Rc::new(Cell::new(0));
    let on = |name: &'static str| {
        let (got, l) = (got.clone(), log.clone());
        Peer::new(name, &log).datagram(move |r, _, _, from| {
            l.push(format!("{name} from {}", from.ip()));
            got.set(got.get() + 1);
            if got.get() == 2 {
                r.stop().expect("running");
            }
        })
    };
    let [m1, _, tx] = two_members(&mut *r, group, on("m1"), on("m2"), Peer::new("tx", &log));
    let port = addr(&*r, m1).port();
    r.send_to(tx, b"hi group", SocketAddr::new(group.into(), port))
        .expect("send to the group");
    assert_eq!(r.run(), Ok(()));
    for m in ["m1", "m2"] {
        assert_of(
            &log,
            m,
            &["started", "got hi group", "from 127.0.0.1", "stopped"],
        );
    }
}

/// After `leave_multicast` the leaver no longer receives the group's datagrams; the other
/// member still does. Leaving again is `NotMember`.
pub fn udp_multicast_after_leave_the_leaver_does_not_receive(b: &mut dyn Backend) {
    let group = Ipv4Addr::new(239, 255, 43, 2);
    let mut r = b.reactor();
    let log = Log::new();
    let [stayer, leaver, tx] = two_members(
        &mut *r,
        group,
        Peer::new("stayer", &log).datagram(|r, _, _, _| stop_soon(r)),
        Peer::new("leaver", &log),
        Peer::new("tx", &log),
    );
    r.leave_multicast(leaver, group, Ipv4Addr::LOCALHOST)
        .expect("leave");
    assert_eq!(
        r.leave_multicast(leaver, group, Ipv4Addr::LOCALHOST),
        Err(UdpError::NotMember(leaver, group.into()))
    );
    let port = addr(&*r, stayer).port();
    r.send_to(tx, b"after leave", SocketAddr::new(group.into(), port))
        .expect("send");
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "stayer", &["started", "got after leave", "stopped"]);
    assert_of(&log, "leaver", &["started", "stopped"]);
}

/// With multicast loopback off, a member that sends to its own group does not hear its own
/// datagram, and neither does any other member on its host; a datagram from a sender with
/// loopback on (the default), sent after it, reaches both.
pub fn udp_multicast_loopback_off_the_sender_does_not_hear_its_own(b: &mut dyn Backend) {
    let group = Ipv4Addr::new(239, 255, 43, 3);
    let mut r = b.reactor();
    let log = Log::new();
    let got = Rc::new(Cell::new(0));
    let on = |name: &'static str| {
        let got = got.clone();
        Peer::new(name, &log).datagram(move |r, _, _, _| {
            got.set(got.get() + 1);
            if got.get() == 2 {
                stop_soon(r);
            }
        })
    };
    let [quiet, _, tx] = two_members(
        &mut *r,
        group,
        on("quiet"),
        on("other"),
        Peer::new("tx", &log),
    );
    r.set_multicast_interface(quiet, Ipv4Addr::LOCALHOST)
        .expect("send by loopback");
    r.set_multicast_loop(quiet, false).expect("loopback off");
    let to = SocketAddr::new(group.into(), addr(&*r, quiet).port());
    r.send_to(quiet, b"own", to).expect("send");
    r.send_to(tx, b"marker", to).expect("send");
    assert_eq!(r.run(), Ok(()));
    for m in ["quiet", "other"] {
        assert_of(&log, m, &["started", "got marker", "stopped"]);
    }
}

/// Joining a non-multicast address is `NotMulticast`; joining twice is `AlreadyMember`;
/// leaving a group not joined is `NotMember`.
pub fn udp_multicast_membership_errors(b: &mut dyn Backend) {
    let group = Ipv4Addr::new(239, 255, 43, 4);
    let mut r = b.reactor();
    let log = Log::new();
    let s = bind(&mut *r, Peer::new("s", &log));
    let lo4 = Ipv4Addr::LOCALHOST;
    assert_eq!(
        r.join_multicast(s, lo4, lo4),
        Err(UdpError::NotMulticast(lo4.into()))
    );
    assert_eq!(
        r.join_multicast(s, Ipv4Addr::new(10, 0, 0, 2), lo4),
        Err(UdpError::NotMulticast(Ipv4Addr::new(10, 0, 0, 2).into()))
    );
    assert_eq!(
        r.leave_multicast(s, group, lo4),
        Err(UdpError::NotMember(s, group.into()))
    );
    r.join_multicast(s, group, lo4).expect("join");
    assert_eq!(
        r.join_multicast(s, group, lo4),
        Err(UdpError::AlreadyMember(s, group.into()))
    );
    r.leave_multicast(s, group, lo4).expect("leave");
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "s", &["started", "stopped"]);
}

/// Multicast loopback is on and the TTL is 1 by default; both read back what was set; a
/// TTL over 255 is `InvalidTtl` and changes nothing.
pub fn udp_multicast_ttl_and_loopback_read_back(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let s = bind(&mut *r, Peer::new("s", &log));
    assert_eq!(r.multicast_loop(s), Ok(true));
    assert_eq!(r.multicast_ttl(s), Ok(1));
    r.set_multicast_loop(s, false).expect("set");
    assert_eq!(r.multicast_loop(s), Ok(false));
    r.set_multicast_loop(s, true).expect("set");
    assert_eq!(r.multicast_loop(s), Ok(true));
    for ttl in [0, 255, 1] {
        r.set_multicast_ttl(s, ttl).expect("set");
        assert_eq!(r.multicast_ttl(s), Ok(ttl));
    }
    assert_eq!(r.set_multicast_ttl(s, 256), Err(UdpError::InvalidTtl(256)));
    assert_eq!(r.multicast_ttl(s), Ok(1));
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "s", &["started", "stopped"]);
}

/// Bad input gets a typed error, never a panic: unknown ids, closed sockets, addresses
/// not on this host, bad destinations, broadcast without permission, multicast on IPv6.
pub fn udp_bad_input_gets_typed_errors(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let s = bind(&mut *r, Peer::new("s", &log));
    let at = addr(&*r, s);
    let unknown = SocketId::from_raw(9_999);
    let lo4 = Ipv4Addr::LOCALHOST;
    let group = Ipv4Addr::new(239, 255, 43, 5);
    let gone = UdpError::UnknownSocket(unknown);
    assert_eq!(r.udp_local_addr(unknown), Err(gone.clone()));
    assert_eq!(r.send_to(unknown, b"x", at), Err(gone.clone()));
    assert_eq!(r.send_to_vectored(unknown, &[b"x"], at), Err(gone.clone()));
    assert_eq!(r.send(unknown, b"x"), Err(gone.clone()));
    assert_eq!(r.connect_udp(unknown, at), Err(gone.clone()));
    assert_eq!(r.close_udp(unknown), Err(gone.clone()));
    assert_eq!(r.join_multicast(unknown, group, lo4), Err(gone.clone()));
    assert_eq!(r.leave_multicast(unknown, group, lo4), Err(gone.clone()));
    assert_eq!(r.set_multicast_loop(unknown, true), Err(gone.clone()));
    assert_eq!(r.multicast_loop(unknown), Err(gone.clone()));
    assert_eq!(r.set_multicast_ttl(unknown, 1), Err(gone.clone()));
    assert_eq!(r.multicast_ttl(unknown), Err(gone.clone()));
    assert_eq!(r.set_multicast_interface(unknown, lo4), Err(gone.clone()));
    assert_eq!(r.set_broadcast(unknown, true), Err(gone));

    // Addresses this host does not have (TEST-NET-3: on no machine).
    let foreign = SocketAddr::new(Ipv4Addr::new(203, 0, 113, 9).into(), 0);
    assert_eq!(
        r.bind_udp(
            foreign,
            Box::new(Peer::new("x", &log)),
            UdpOptions::default()
        ),
        Err(UdpError::AddrNotAvailable(foreign))
    );

    // Destinations: port 0, the other family, beyond loopback from a loopback socket.
    let port0 = SocketAddr::new(lo4.into(), 0);
    let v6 = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), at.port());
    let beyond = SocketAddr::new(Ipv4Addr::new(203, 0, 113, 9).into(), 9);
    for to in [port0, v6, beyond] {
        assert_eq!(r.send_to(s, b"x", to), Err(UdpError::BadDestination(to)));
        assert_eq!(r.connect_udp(s, to), Err(UdpError::BadDestination(to)));
    }
    let broadcast = SocketAddr::new(Ipv4Addr::BROADCAST.into(), at.port());
    assert_eq!(
        r.send_to(s, b"x", broadcast),
        Err(UdpError::BadDestination(broadcast)),
        "a loopback socket cannot broadcast"
    );

    // Multicast operations on an IPv6 socket.
    let v6_socket = r
        .bind_udp(
            SocketAddr::new(Ipv6Addr::LOCALHOST.into(), 0),
            Box::new(Peer::new("six", &log)),
            UdpOptions::default(),
        )
        .expect("bind ::1");
    assert_eq!(
        r.join_multicast(v6_socket, group, lo4),
        Err(UdpError::NotIpv4(v6_socket))
    );
    assert_eq!(
        r.multicast_ttl(v6_socket),
        Err(UdpError::NotIpv4(v6_socket))
    );

    // A closed socket.
    r.close_udp(s).expect("close");
    assert_eq!(r.send_to(s, b"x", at), Err(UdpError::UnknownSocket(s)));
    assert_eq!(r.send(s, b"x"), Err(UdpError::UnknownSocket(s)));
    assert_eq!(
        r.join_multicast(s, group, lo4),
        Err(UdpError::UnknownSocket(s))
    );
    r.after(MS, stop);
    assert_eq!(r.run(), Ok(()));
    assert_of(&log, "s", &["started", "stopped"]);
    assert!(of(&log, "x").is_empty());
}

/// A panic in a `datagram` callback propagates out of `run()` with its message; the
/// reactor is poisoned and refuses to run again.
pub fn udp_panic_in_datagram_propagates_and_poisons(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let rx = bind(
        &mut *r,
        Peer::new("rx", &log).datagram(|_, _, _, _| panic!("boom in a datagram callback")),
    );
    let to = addr(&*r, rx);
    let tx = bind(&mut *r, Peer::new("tx", &log));
    r.send_to(tx, b"fuse", to).expect("send");
    r.after(Duration::from_secs(3600), stop);
    let message = run_catching(&mut *r).expect_err("the panic propagates out of run()");
    assert!(
        message.contains("boom in a datagram callback"),
        "message: {message}"
    );
    assert!(!r.is_running());
    assert_eq!(r.run(), Err(LifecycleError::Poisoned));
    assert_eq!(r.run(), Err(LifecycleError::Poisoned));
    assert!(of(&log, "rx").contains(&"got fuse".to_owned()));
}
