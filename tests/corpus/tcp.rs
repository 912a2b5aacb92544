//! TCP: addresses, refusals, timeouts, echo of small and large streams, close, abort,
//! half-close, backpressure, bad input, shutdown, reconnection, many connections.
//!
//! Data arrives in splits that differ between reactors and seeds, so cases log every event
//! but `data`, and check the bytes themselves (whole, in order) against what was sent.

mod support;

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;

use twinreactor::tcp::HIGH_WATER;
use twinreactor::{ConnId, Disconnect, ListenerId, Reactor, ReactorExt, StreamProtocol, TcpError};

use crate::harness::{stop, Backend, Log, MS};
use support::{echo_server, factory, Blackhole, Pattern, Probe, Tally, LOOPBACK, NO_TIMEOUT};

/// Instantiates cases in modules `sim` and `real`, like `corpus!`, and also cases that take
/// a per-reactor argument (`case(sim_arg, real_arg)`): an address that drops SYNs is made
/// differently on each, and the real reactor runs fewer simultaneous connections.
macro_rules! tcp_corpus {
    (
        plain: [$($case:ident,)*]
        with: [$($wcase:ident($sim:expr, $real:expr),)*]
    ) => {
        mod sim {
            $(
                #[test]
                fn $case() {
                    crate::harness::run_sim(super::$case);
                }
            )*
            $(
                #[test]
                fn $wcase() {
                    crate::harness::run_sim(|b| super::$wcase(b, $sim));
                }
            )*
        }

        mod real {
            $(
                #[test]
                fn $case() {
                    crate::harness::run_real(stringify!($case), super::$case);
                }
            )*
            $(
                #[test]
                fn $wcase() {
                    crate::harness::run_real(stringify!($wcase), |b| {
                        super::$wcase(b, $real)
                    });
                }
            )*
        }
    };
}

tcp_corpus! {
    plain: [
        tcp_port_zero_addresses_match_on_both_sides,
        tcp_listen_on_a_port_in_use_is_addr_in_use_at_once,
        tcp_connect_to_a_closed_port_is_refused_later,
        tcp_factory_refusal_is_a_clean_close_for_the_client,
        tcp_echo_one_byte,
        tcp_echo_one_mebibyte,
        tcp_echo_64_mebibytes_both_ways,
        tcp_close_with_8_mebibytes_buffered_delivers_all_before_done,
        tcp_abort_resets_the_peer_and_is_aborted_later,
        tcp_half_close_aware_server_replies_then_closes,
        tcp_half_close_unaware_server_is_simply_closed,
        tcp_read_closed_then_shutdown_write_then_close_ends_cleanly,
        tcp_writer_into_a_paused_reader_is_paused_then_resumed,
        tcp_pause_then_resume_reading_delivers_16_kib_intact,
        tcp_peer_close_while_paused_comes_after_resume_and_data,
        tcp_write_after_close_is_an_error,
        tcp_no_data_is_delivered_after_close,
        tcp_unknown_ids_are_errors,
        tcp_stop_ends_every_connection_with_shutdown_and_drops_protocols,
        tcp_reconnect_from_inside_disconnected,
        tcp_connect_from_inside_accept_gets_its_own_connection,
        tcp_multicast_and_broadcast_addresses_are_refused_alike,
        tcp_abort_inside_connected_is_a_reset_or_a_failed_connect,
    ]
    with: [
        tcp_connect_times_out(crate::tcp::support::sim_blackhole, crate::tcp::support::real_blackhole),
        tcp_cancel_connect_is_cancelled_later(crate::tcp::support::sim_blackhole, crate::tcp::support::real_blackhole),
        tcp_simultaneous_connections_each_echo(1000, 500),
    ]
}

/// Asserts the entries of `log` that `name` made (they start with `name `), in order. The
/// two sides of a connection run concurrently, so only each side's own order is fixed.
#[track_caller]
fn assert_side(log: &Log, name: &str, expected: &[&str]) {
    let prefix = format!("{name} ");
    let got: Vec<String> = log
        .entries()
        .into_iter()
        .filter(|e| e.starts_with(&prefix))
        .collect();
    assert_eq!(got, expected, "the entries of {name}");
}

/// Stops the reactor once `n` calls of the returned callback were made.
fn countdown(n: usize) -> impl Fn(&mut dyn Reactor) + Clone {
    let left = Rc::new(Cell::new(n));
    move |r| {
        left.set(left.get() - 1);
        if left.get() == 0 {
            stop(r);
        }
    }
}

/// A listener on port 0 tells its port; the listener's address is the client's peer
/// address, the server side's peer address is the client's local address, and the factory
/// sees that address too.
pub fn tcp_port_zero_addresses_match_on_both_sides(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let seen: Rc<RefCell<Vec<(&str, SocketAddr)>>> = Rc::default();
    let (s, l) = (seen.clone(), log.clone());
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, peer| {
                s.borrow_mut().push(("factory peer", peer));
                let s = s.clone();
                Some(
                    Probe::new("server", &l)
                        .connected(move |r, c| {
                            s.borrow_mut()
                                .push(("server local", r.local_addr(c).unwrap()));
                            s.borrow_mut()
                                .push(("server peer", r.peer_addr(c).unwrap()));
                        })
                        .ended(|r, _, _| stop(r))
                        .boxed(),
                )
            }),
        )
        .expect("listen");
    let addr = r.listener_addr(listener).expect("listening");
    assert_eq!(addr.ip(), LOOPBACK.ip());
    assert_ne!(addr.port(), 0, "port 0 is resolved");
    let s = seen.clone();
    r.connect_tcp(
        addr,
        Probe::new("client", &log)
            .connected(move |r, c| {
                s.borrow_mut()
                    .push(("client local", r.local_addr(c).unwrap()));
                s.borrow_mut()
                    .push(("client peer", r.peer_addr(c).unwrap()));
                r.close(c).unwrap();
            })
            .boxed(),
        NO_TIMEOUT,
    )
    .expect("connect");
    r.run().expect("run");
    let seen = seen.borrow();
    let get = |what: &str| seen.iter().find(|(w, _)| *w == what).expect(what).1;
    assert_eq!(get("client peer"), addr);
    assert_eq!(get("server local"), addr);
    assert_eq!(get("server peer"), get("client local"));
    assert_eq!(get("factory peer"), get("client local"));
    assert_eq!(get("client local").ip(), LOOPBACK.ip());
    assert_side(
        &log,
        "client",
        &["client connected", "client disconnected Done"],
    );
    assert_side(
        &log,
        "server",
        &["server connected", "server disconnected Done"],
    );
}

/// Listening on an address in use fails at once with `AddrInUse`; the first listener goes
/// on working.
pub fn tcp_listen_on_a_port_in_use_is_addr_in_use_at_once(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let first = r
        .listen_tcp(LOOPBACK, factory(|_, _| None))
        .expect("listen");
    let addr = r.listener_addr(first).unwrap();
    assert_eq!(
        r.listen_tcp(addr, factory(|_, _| None)),
        Err(TcpError::AddrInUse(addr))
    );
    assert_eq!(r.listener_addr(first), Ok(addr));
    r.stop_listening(first).unwrap();
    assert_eq!(
        r.stop_listening(first),
        Err(TcpError::UnknownListener(first))
    );
}

/// A connect to a port nobody listens on fails with `Refused`, after `connect_tcp` returned.
pub fn tcp_connect_to_a_closed_port_is_refused_later(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = r.listen_tcp(LOOPBACK, factory(|_, _| None)).unwrap();
    let closed = r.listener_addr(l).unwrap();
    r.stop_listening(l).unwrap();
    let returned = Rc::new(Cell::new(false));
    let ret = returned.clone();
    let c = r
        .connect_tcp(
            closed,
            Probe::new("client", &log)
                .failed(move |r, _, _| {
                    assert!(ret.get(), "connect_failed ran inside connect_tcp");
                    stop(r);
                })
                .boxed(),
            NO_TIMEOUT,
        )
        .expect("connect starts");
    returned.set(true);
    let not_connected = Err(TcpError::NotConnected(c));
    assert_eq!(r.write(c, b"x"), not_connected);
    assert_eq!(r.close(c), not_connected);
    assert_eq!(r.abort(c), not_connected);
    assert_eq!(r.shutdown_write(c), not_connected);
    assert_eq!(r.pause_reading(c), not_connected);
    assert_eq!(r.resume_reading(c), not_connected);
    assert_eq!(r.peer_addr(c), Ok(closed), "the address being connected to");
    r.run().expect("run");
    log.assert(&["client connect-failed Refused"]);
    assert_eq!(r.write(c, b"x"), Err(TcpError::UnknownConnection(c)));
}

/// A connect whose SYNs are dropped fails with `TimedOut` once its timeout passes.
pub fn tcp_connect_times_out(b: &mut dyn Backend, target: fn() -> Blackhole) {
    let hole = target();
    let mut r = b.reactor();
    let log = Log::new();
    let start = r.now();
    let timeout = 50 * MS;
    r.connect_tcp(
        hole.addr,
        Probe::new("client", &log)
            .failed(move |r, _, _| {
                assert!(r.now() >= start + timeout, "timed out early");
                stop(r);
            })
            .boxed(),
        timeout,
    )
    .expect("connect starts");
    r.run().expect("run");
    log.assert(&["client connect-failed TimedOut"]);
}

/// `cancel_connect` fails a pending connect with `Cancelled`, later; a second cancel is
/// `NotConnecting`, and the timeout never fires afterwards.
pub fn tcp_cancel_connect_is_cancelled_later(b: &mut dyn Backend, target: fn() -> Blackhole) {
    let hole = target();
    let mut r = b.reactor();
    let log = Log::new();
    let c = r
        .connect_tcp(hole.addr, Probe::new("client", &log).boxed(), 20 * MS)
        .expect("connect starts");
    r.cancel_connect(c).expect("pending");
    log.assert(&[]);
    assert_eq!(r.cancel_connect(c), Err(TcpError::NotConnecting(c)));
    r.after(100 * MS, stop);
    r.run().expect("run");
    log.assert(&["client connect-failed Cancelled"]);
    assert_eq!(r.cancel_connect(c), Err(TcpError::UnknownConnection(c)));
}

/// A factory that returns no protocol refuses the connection: the client sees it connect,
/// then a clean close (`Done`).
pub fn tcp_factory_refusal_is_a_clean_close_for_the_client(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                l.push("factory refuses");
                None
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    r.connect_tcp(
        addr,
        Probe::new("client", &log).ended(|r, _, _| stop(r)).boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_side(
        &log,
        "client",
        &["client connected", "client disconnected Done"],
    );
    assert_side(&log, "factory", &["factory refuses"]);
}

/// Sends `total` bytes of the pattern to an echo server in chunks, honouring pause and
/// resume, checks what comes back, closes when all of it is back, and stops on `Done`.
fn echo_round_trip(b: &mut dyn Backend, total: usize) {
    const CHUNK: usize = 16 * 1024;
    let mut r = b.reactor();
    let log = Log::new();
    let addr = echo_server(&mut *r);
    let pattern = Rc::new(Pattern::new());
    let tally = Tally::new();
    let sent = Rc::new(Cell::new(0usize));
    let paused = Rc::new(Cell::new(false));
    // Writes chunks until everything is sent or the reactor says to pause.
    let pump = {
        let (pattern, sent, paused) = (pattern.clone(), sent.clone(), paused.clone());
        Rc::new(move |r: &mut dyn Reactor, c: ConnId| {
            while !paused.get() && sent.get() < total {
                let n = CHUNK.min(total - sent.get());
                r.write(c, pattern.at(sent.get(), n)).expect("open");
                sent.set(sent.get() + n);
                if r.buffered(c).expect("open") > HIGH_WATER {
                    break;
                }
            }
        })
    };
    let (p1, p2, pa1, pa2) = (pump.clone(), pump, paused.clone(), paused);
    let (t, pat) = (tally.clone(), pattern.clone());
    r.connect_tcp(
        addr,
        Probe::new("client", &log)
            .quiet_producing()
            .connected(move |r, c| p1(r, c))
            .paused(move |_, _| pa1.set(true))
            .resumed(move |r, c| {
                pa2.set(false);
                p2(r, c);
            })
            .data(move |r, c, bytes| {
                t.add(&pat, bytes);
                if t.count.get() == total {
                    r.close(c).unwrap();
                }
            })
            .ended(|r, _, _| stop(r))
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    log.assert(&["client connected", "client disconnected Done"]);
    assert_eq!(tally.count.get(), total, "every byte came back");
    assert!(
        tally.intact.get(),
        "the bytes came back intact and in order"
    );
}

/// One byte goes to an echo server and comes back.
pub fn tcp_echo_one_byte(b: &mut dyn Backend) {
    echo_round_trip(b, 1);
}

/// One MiB goes to an echo server and comes back intact.
pub fn tcp_echo_one_mebibyte(b: &mut dyn Backend) {
    echo_round_trip(b, 1 << 20);
}

/// 64 MiB go to an echo server and come back intact (both directions at once).
pub fn tcp_echo_64_mebibytes_both_ways(b: &mut dyn Backend) {
    echo_round_trip(b, 64 << 20);
}

/// `close()` right after writing 8 MiB in one call: every byte arrives before `Done`.
pub fn tcp_close_with_8_mebibytes_buffered_delivers_all_before_done(b: &mut dyn Backend) {
    const TOTAL: usize = 8 << 20;
    let mut r = b.reactor();
    let log = Log::new();
    let pattern = Rc::new(Pattern::new());
    let tally = Tally::new();
    let (t, pat, l) = (tally.clone(), pattern.clone(), log.clone());
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                let (t, pat, t2) = (t.clone(), pat.clone(), t.clone());
                let done = move |r: &mut dyn Reactor, _, _| {
                    assert_eq!(t2.count.get(), TOTAL, "all bytes before Done");
                    r.stop().unwrap();
                };
                Some(
                    Probe::new("server", &l)
                        .data(move |_, _, bytes| t.add(&pat, bytes))
                        .ended(done)
                        .boxed(),
                )
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    let whole: Vec<u8> = (0..TOTAL / 65_536)
        .flat_map(|i| pattern.at(i * 65_536, 65_536).to_vec())
        .collect();
    let whole = RefCell::new(Some(whole));
    r.connect_tcp(
        addr,
        Probe::new("client", &log)
            .quiet_producing()
            .connected(move |r, c| {
                let bytes = whole.borrow_mut().take().expect("connected once");
                r.write(c, &bytes).unwrap();
                r.close(c).unwrap();
                assert_eq!(r.write(c, b"late"), Err(TcpError::Closed(c)));
                r.close(c).expect("a second close does nothing");
            })
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_eq!(tally.count.get(), TOTAL);
    assert!(tally.intact.get(), "intact and in order");
    let entries = log.entries();
    assert!(
        entries.contains(&"client disconnected Done".to_owned()),
        "{entries:?}"
    );
    assert!(
        entries.contains(&"server disconnected Done".to_owned()),
        "{entries:?}"
    );
}

/// `abort()` with data buffered: the peer sees `Reset`, the aborter `Aborted` afterwards,
/// never inside the call; aborting twice, or closing after, does nothing.
pub fn tcp_abort_resets_the_peer_and_is_aborted_later(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let client_log = Log::new();
    let server_log = Log::new();
    let finish = countdown(2);
    let (f1, f2) = (finish.clone(), finish);
    let sl = server_log.clone();
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                let f = f1.clone();
                Some(Probe::new("server", &sl).ended(move |r, _, _| f(r)).boxed())
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    let cl = client_log.clone();
    r.connect_tcp(
        addr,
        Probe::new("client", &client_log)
            .quiet_producing()
            .connected(move |r, c| {
                r.write(c, &vec![7u8; 4 << 20]).unwrap();
                r.abort(c).unwrap();
                cl.push("abort returned");
                r.abort(c).expect("a second abort does nothing");
                r.close(c).expect("a close after abort does nothing");
                assert_eq!(r.write(c, b"x"), Err(TcpError::Closed(c)));
            })
            .ended(move |r, _, _| f2(r))
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    client_log.assert(&[
        "client connected",
        "abort returned",
        "client disconnected Aborted",
    ]);
    server_log.assert(&["server connected", "server disconnected Reset"]);
}

/// A client that shuts down writing still gets the reply of a server that accepts
/// half-close: the server sees `read_closed`, writes, closes.
pub fn tcp_half_close_aware_server_replies_then_closes(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let finish = countdown(2);
    let (f1, f2) = (finish.clone(), finish);
    let l = log.clone();
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                let f = f1.clone();
                let probe = Probe::new("server", &l);
                let got = probe.received.clone();
                Some(
                    probe
                        .read_closed(move |r, c| {
                            let reply = [b"reply:".as_slice(), &got.borrow()].concat();
                            r.write(c, &reply).expect("still open for writing");
                            r.close(c).unwrap();
                        })
                        .ended(move |r, _, _| f(r))
                        .boxed(),
                )
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    let client = Probe::new("client", &log);
    let got = client.received.clone();
    r.connect_tcp(
        addr,
        client
            .connected(|r, c| {
                r.write(c, b"request").unwrap();
                r.shutdown_write(c).unwrap();
                r.shutdown_write(c)
                    .expect("a second shutdown_write does nothing");
                assert_eq!(r.write(c, b"more"), Err(TcpError::Closed(c)));
            })
            .ended(move |r, _, _| f2(r))
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_eq!(got.borrow().as_slice(), b"reply:request");
    assert_side(
        &log,
        "client",
        &["client connected", "client disconnected Done"],
    );
    assert_side(
        &log,
        "server",
        &[
            "server connected",
            "server read-closed",
            "server disconnected Done",
        ],
    );
}

/// A server that does not accept half-close is simply closed by the client's FIN (`Done`),
/// and the client then sees `Done` too.
pub fn tcp_half_close_unaware_server_is_simply_closed(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let finish = countdown(2);
    let (f1, f2) = (finish.clone(), finish);
    let l = log.clone();
    let server_got: Rc<RefCell<Vec<u8>>> = Rc::default();
    let sg = server_got.clone();
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                let f = f1.clone();
                let probe = Probe::new("server", &l);
                *sg.borrow_mut() = Vec::new();
                let got = probe.received.clone();
                let sg = sg.clone();
                Some(
                    probe
                        .ended(move |r, _, _| {
                            *sg.borrow_mut() = got.borrow().clone();
                            f(r);
                        })
                        .boxed(),
                )
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    r.connect_tcp(
        addr,
        Probe::new("client", &log)
            .connected(|r, c| {
                r.write(c, b"bye").unwrap();
                r.shutdown_write(c).unwrap();
            })
            .ended(move |r, _, _| f2(r))
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_eq!(server_got.borrow().as_slice(), b"bye");
    assert_side(
        &log,
        "client",
        &["client connected", "client disconnected Done"],
    );
    assert_side(
        &log,
        "server",
        &["server connected", "server disconnected Done"],
    );
}

/// `read_closed`, then `shutdown_write`, then `close`: the connection ends cleanly on both
/// sides.
pub fn tcp_read_closed_then_shutdown_write_then_close_ends_cleanly(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let finish = countdown(2);
    let (f1, f2) = (finish.clone(), finish);
    let l = log.clone();
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                let f = f1.clone();
                Some(
                    Probe::new("server", &l)
                        .read_closed(|r, c| {
                            r.write(c, b"last words").unwrap();
                            r.shutdown_write(c).unwrap();
                            r.close(c).unwrap();
                            r.close(c).expect("a second close does nothing");
                        })
                        .ended(move |r, _, _| f(r))
                        .boxed(),
                )
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    let client = Probe::new("client", &log);
    let got = client.received.clone();
    r.connect_tcp(
        addr,
        client
            .connected(|r, c| r.shutdown_write(c).unwrap())
            .ended(move |r, _, _| f2(r))
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_eq!(got.borrow().as_slice(), b"last words");
    assert_side(
        &log,
        "client",
        &["client connected", "client disconnected Done"],
    );
    assert_side(
        &log,
        "server",
        &[
            "server connected",
            "server read-closed",
            "server disconnected Done",
        ],
    );
}

/// The server side's id, once connected, for the client to act on.
type Slot = Rc<Cell<Option<ConnId>>>;

/// A listener whose protocol pauses reading as soon as it is connected, stores its id in
/// the returned slot and tallies what it gets; `on_end` runs at its end.
fn paused_server(
    r: &mut dyn Reactor,
    log: &Log,
    tally: &Tally,
    on_end: impl Fn(&mut dyn Reactor, Disconnect) + 'static,
) -> (SocketAddr, Slot) {
    let slot: Slot = Rc::default();
    let pattern = Rc::new(Pattern::new());
    let (s, l, t, on_end) = (slot.clone(), log.clone(), tally.clone(), Rc::new(on_end));
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                let (s, t, pat, on_end) = (s.clone(), t.clone(), pattern.clone(), on_end.clone());
                Some(
                    Probe::new("server", &l)
                        .connected(move |r, c| {
                            r.pause_reading(c).unwrap();
                            s.set(Some(c));
                        })
                        .data(move |_, _, bytes| t.add(&pat, bytes))
                        .ended(move |r, _, why| on_end(r, why))
                        .boxed(),
                )
            }),
        )
        .unwrap();
    (r.listener_addr(listener).unwrap(), slot)
}

/// A writer pushing into a paused reader is told to pause; once the reader resumes and
/// drains, to resume. Everything arrives intact.
pub fn tcp_writer_into_a_paused_reader_is_paused_then_resumed(b: &mut dyn Backend) {
    const CHUNK: usize = 64 * 1024;
    const LIMIT: usize = 256 << 20;
    let mut r = b.reactor();
    let log = Log::new();
    let tally = Tally::new();
    let (addr, slot) = paused_server(&mut *r, &log, &tally, |r, _| stop(r));
    let pattern = Rc::new(Pattern::new());
    let sent = Rc::new(Cell::new(0usize));
    let (p1, p2, s1, s2) = (pattern.clone(), pattern, sent.clone(), sent.clone());
    r.connect_tcp(
        addr,
        Probe::new("client", &log)
            .connected(move |r, c| {
                // Write until the buffer is above the high-water mark: the paused reader's
                // window and the kernel's buffers fill first.
                while r.buffered(c).unwrap() <= HIGH_WATER && s1.get() < LIMIT {
                    r.write(c, p1.at(s1.get(), CHUNK)).unwrap();
                    s1.set(s1.get() + CHUNK);
                }
                assert!(
                    s1.get() < LIMIT,
                    "the buffer never passed the high-water mark"
                );
            })
            .paused(move |r, _| {
                // The reader resumes a little later (its side may not be connected yet).
                let slot = slot.clone();
                r.after(10 * MS, move |r| {
                    let server = slot.get().expect("the server is connected by now");
                    r.resume_reading(server).unwrap();
                });
            })
            .resumed(move |r, c| {
                // A last small write (the buffer is at the low-water mark, so this one
                // cannot pass the high-water mark again), then close.
                r.write(c, p2.at(s2.get(), 1024)).unwrap();
                s2.set(s2.get() + 1024);
                r.close(c).unwrap();
            })
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_side(
        &log,
        "client",
        &[
            "client connected",
            "client pause-producing",
            "client resume-producing",
            "client disconnected Done",
        ],
    );
    assert_side(
        &log,
        "server",
        &["server connected", "server disconnected Done"],
    );
    assert_eq!(tally.count.get(), sent.get());
    assert!(tally.intact.get());
}

/// `pause_reading` holds data back; `resume_reading` delivers all 16 KiB, intact.
pub fn tcp_pause_then_resume_reading_delivers_16_kib_intact(b: &mut dyn Backend) {
    const TOTAL: usize = 16 * 1024;
    let mut r = b.reactor();
    let log = Log::new();
    let tally = Tally::new();
    let t = tally.clone();
    let (addr, slot) = paused_server(&mut *r, &log, &tally, move |r, _| {
        assert_eq!(t.count.get(), TOTAL);
        stop(r);
    });
    let pattern = Rc::new(Pattern::new());
    let t = tally.clone();
    r.connect_tcp(
        addr,
        Probe::new("client", &log)
            .connected(move |r, c| {
                r.write(c, pattern.at(0, TOTAL)).unwrap();
                let t = t.clone();
                let slot = slot.clone();
                r.after(20 * MS, move |r| {
                    assert_eq!(t.count.get(), 0, "nothing is delivered while paused");
                    r.resume_reading(slot.get().expect("connected")).unwrap();
                    r.after(20 * MS, move |r| r.close(c).unwrap());
                });
            })
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_eq!(tally.count.get(), TOTAL);
    assert!(tally.intact.get());
}

/// A peer's close that arrives while reading is paused is delivered after resume, after
/// the data that came before it.
pub fn tcp_peer_close_while_paused_comes_after_resume_and_data(b: &mut dyn Backend) {
    const TOTAL: usize = 4096;
    let mut r = b.reactor();
    let log = Log::new();
    let tally = Tally::new();
    let (t, l) = (tally.clone(), log.clone());
    let (addr, slot) = paused_server(&mut *r, &log, &tally, move |r, why| {
        l.push(format!("server saw {} bytes before {why:?}", t.count.get()));
        stop(r);
    });
    let pattern = Rc::new(Pattern::new());
    let l = log.clone();
    r.connect_tcp(
        addr,
        Probe::new("client", &log)
            .connected(move |r, c| {
                r.write(c, pattern.at(0, TOTAL)).unwrap();
                r.close(c).unwrap();
            })
            .ended(move |r, _, _| {
                let (l, slot) = (l.clone(), slot.clone());
                r.after(20 * MS, move |r| {
                    l.push("server resumes");
                    r.resume_reading(slot.get().expect("connected by now"))
                        .unwrap();
                });
            })
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_side(
        &log,
        "client",
        &["client connected", "client disconnected Done"],
    );
    assert_side(
        &log,
        "server",
        &[
            "server connected",
            "server resumes",
            "server disconnected Done",
            "server saw 4096 bytes before Done",
        ],
    );
    assert!(tally.intact.get());
}

/// Writing after `close` is `Closed` and writes nothing; after the end, the id is unknown.
pub fn tcp_write_after_close_is_an_error(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let addr = echo_server(&mut *r);
    let ended: Slot = Rc::default();
    let e = ended.clone();
    r.connect_tcp(
        addr,
        Probe::new("client", &log)
            .connected(|r, c| {
                r.close(c).unwrap();
                assert_eq!(r.write(c, b"x"), Err(TcpError::Closed(c)));
                assert_eq!(r.write_vectored(c, &[b"x", b"y"]), Err(TcpError::Closed(c)));
                assert_eq!(r.shutdown_write(c), Err(TcpError::Closed(c)));
                assert_eq!(r.buffered(c), Ok(0));
            })
            .ended(move |r, c, _| {
                e.set(Some(c));
                stop(r);
            })
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    let c = ended.get().expect("ended");
    assert_eq!(r.write(c, b"x"), Err(TcpError::UnknownConnection(c)));
    assert_eq!(r.close(c), Err(TcpError::UnknownConnection(c)));
    log.assert(&["client connected", "client disconnected Done"]);
}

/// After `close()` reading stops: bytes the peer sends afterwards are not delivered.
pub fn tcp_no_data_is_delivered_after_close(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let finish = countdown(2);
    let (f1, f2) = (finish.clone(), finish);
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                let f = f1.clone();
                // How the server's end comes (FIN, or RST for bytes sent to a closed end)
                // is a race on the real reactor: only the client is checked.
                Some(
                    Probe::new("server", &Log::new())
                        .connected(|r, c| r.write(c, &[1; 1024]).unwrap())
                        .ended(move |r, _, _| f(r))
                        .boxed(),
                )
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    let client = Probe::new("client", &log);
    let got = client.received.clone();
    r.connect_tcp(
        addr,
        client
            .connected(|r, c| r.close(c).unwrap())
            .ended(move |r, _, _| f2(r))
            .boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert!(got.borrow().is_empty(), "no data after close");
    log.assert(&["client connected", "client disconnected Done"]);
}

/// Every operation on an id this reactor never issued is an error, and changes nothing.
pub fn tcp_unknown_ids_are_errors(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let c = ConnId::from_raw(999);
    let l = ListenerId::from_raw(999);
    let unknown = Err(TcpError::UnknownConnection(c));
    assert_eq!(r.write(c, b"x"), unknown);
    assert_eq!(r.write_vectored(c, &[b"x"]), unknown);
    assert_eq!(r.close(c), unknown);
    assert_eq!(r.abort(c), unknown);
    assert_eq!(r.shutdown_write(c), unknown);
    assert_eq!(r.pause_reading(c), unknown);
    assert_eq!(r.resume_reading(c), unknown);
    assert_eq!(r.cancel_connect(c), unknown);
    assert_eq!(r.local_addr(c), Err(TcpError::UnknownConnection(c)));
    assert_eq!(r.peer_addr(c), Err(TcpError::UnknownConnection(c)));
    assert_eq!(r.buffered(c), Err(TcpError::UnknownConnection(c)));
    assert_eq!(r.listener_addr(l), Err(TcpError::UnknownListener(l)));
    assert_eq!(r.stop_listening(l), Err(TcpError::UnknownListener(l)));
    // An address this host does not have is not bindable.
    let foreign: SocketAddr = "192.0.2.1:0".parse().unwrap();
    assert_eq!(
        r.listen_tcp(foreign, factory(|_, _| None)),
        Err(TcpError::AddrNotAvailable(foreign))
    );
    r.after(MS, stop);
    r.run().expect("run");
}

/// Records its drop in the log.
struct DropNote(&'static str, Log);

impl Drop for DropNote {
    fn drop(&mut self) {
        self.1.push(format!("{} dropped", self.0));
    }
}

/// A protocol that logs its end and its drop.
fn noting(name: &'static str, log: &Log) -> Box<dyn StreamProtocol> {
    let note = DropNote(name, log.clone());
    Probe::new(name, log)
        .ended(move |_, _, _| {
            let _ = &note;
        })
        .boxed()
}

/// `stop()` with connections open: every protocol sees `Shutdown` and is dropped by the
/// time `run()` returns; listeners are closed too.
pub fn tcp_stop_ends_every_connection_with_shutdown_and_drops_protocols(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    let listener = r
        .listen_tcp(LOOPBACK, factory(move |_, _| Some(noting("server", &l))))
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    let client = noting("client", &log);
    r.connect_tcp(addr, client, NO_TIMEOUT).unwrap();
    let l = log.clone();
    r.after(50 * MS, move |r| {
        l.push("stop");
        stop(r);
    });
    r.run().expect("run");
    let entries = log.entries();
    assert_eq!(
        entries[2..],
        [
            "stop",
            "client disconnected Shutdown",
            "client dropped",
            "server disconnected Shutdown",
            "server dropped"
        ],
        "{entries:?}"
    );
    assert_side(
        &log,
        "client",
        &[
            "client connected",
            "client disconnected Shutdown",
            "client dropped",
        ],
    );
    assert_side(
        &log,
        "server",
        &[
            "server connected",
            "server disconnected Shutdown",
            "server dropped",
        ],
    );
    assert_eq!(
        r.listener_addr(listener),
        Err(TcpError::UnknownListener(listener))
    );
}

/// A protocol may connect again from inside `disconnected`.
pub fn tcp_reconnect_from_inside_disconnected(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let addr = echo_server(&mut *r);
    let l = log.clone();
    let first = Probe::new("first", &log)
        .connected(|r, c| r.close(c).unwrap())
        .ended(move |r, _, _| {
            let second = Probe::new("second", &l);
            let got = second.received.clone();
            // The echo may come back in pieces: close once all of it is here.
            let second =
                second
                    .connected(|r, c| r.write(c, b"ping").unwrap())
                    .data(move |r, c, _| {
                        if got.borrow().len() == 4 {
                            r.close(c).unwrap();
                        }
                    });
            r.connect_tcp(addr, second.ended(|r, _, _| stop(r)).boxed(), NO_TIMEOUT)
                .expect("connect from inside disconnected");
        });
    r.connect_tcp(addr, first.boxed(), NO_TIMEOUT).unwrap();
    r.run().expect("run");
    log.assert(&[
        "first connected",
        "first disconnected Done",
        "second connected",
        "second disconnected Done",
    ]);
}

/// A factory that opens a connection of its own inside `accept` (a relay, say): the
/// accepted connection and the new one are two connections with two ids, and both work.
pub fn tcp_connect_from_inside_accept_gets_its_own_connection(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let upstream = echo_server(&mut *r);
    let relay_id: Rc<Cell<Option<ConnId>>> = Rc::default();
    let done = countdown(2);
    let (l, id, d) = (log.clone(), relay_id.clone(), done.clone());
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |r, _| {
                let relay = Probe::new("relay", &l);
                let got = relay.received.clone();
                let d2 = d.clone();
                let relay = relay
                    .connected(|r, c| r.write(c, b"up").unwrap())
                    .data(move |r, c, _| {
                        if got.borrow().len() == 2 {
                            r.close(c).unwrap();
                        }
                    })
                    .ended(move |r, _, _| d2(r));
                let opened = r.connect_tcp(upstream, relay.boxed(), NO_TIMEOUT);
                id.set(Some(opened.expect("connect from inside accept")));
                let id = id.clone();
                Some(
                    Probe::new("server", &l)
                        .connected(move |r, c| {
                            assert_ne!(Some(c), id.get(), "the accepted connection has its own id");
                            r.write(c, b"hi").unwrap();
                            r.close(c).unwrap();
                        })
                        .boxed(),
                )
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    let client = Probe::new("client", &log);
    let heard = client.received.clone();
    r.connect_tcp(
        addr,
        client.ended(move |r, _, _| done(r)).boxed(),
        NO_TIMEOUT,
    )
    .unwrap();
    r.run().expect("run");
    assert_eq!(*heard.borrow(), b"hi");
    assert_side(
        &log,
        "server",
        &["server connected", "server disconnected Done"],
    );
    assert_side(
        &log,
        "relay",
        &["relay connected", "relay disconnected Done"],
    );
    assert_side(
        &log,
        "client",
        &["client connected", "client disconnected Done"],
    );
}

/// TCP needs a unicast address: listening on or connecting to a multicast or the broadcast
/// address is `NotUnicast` at once, on both reactors, before any system call.
pub fn tcp_multicast_and_broadcast_addresses_are_refused_alike(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    for text in [
        "224.0.0.1:7000",
        "239.255.0.1:0",
        "255.255.255.255:7000",
        "[ff02::1]:7000",
    ] {
        let addr: SocketAddr = text.parse().unwrap();
        let listen = r.listen_tcp(addr, factory(|_, _| None));
        assert_eq!(listen, Err(TcpError::NotUnicast(addr)), "listen on {addr}");
        let connect = r.connect_tcp(addr, Probe::new("client", &log).boxed(), NO_TIMEOUT);
        assert_eq!(
            connect,
            Err(TcpError::NotUnicast(addr)),
            "connect to {addr}"
        );
    }
    r.after(MS, stop);
    r.run().expect("run");
    log.assert(&[]);
}

/// A server that aborts inside `connected`: the contract allows the client either
/// `connected` then `Reset`, or `connect_failed(Io(ConnectionReset))` (a loopback OS
/// reports the second; the simulator draws both, see `sim_tcp_abort_at_accept_...`).
pub fn tcp_abort_inside_connected_is_a_reset_or_a_failed_connect(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let log = Log::new();
    let l = log.clone();
    let listener = r
        .listen_tcp(
            LOOPBACK,
            factory(move |_, _| {
                Some(
                    Probe::new("server", &l)
                        .connected(|r, c| r.abort(c).unwrap())
                        .boxed(),
                )
            }),
        )
        .unwrap();
    let addr = r.listener_addr(listener).unwrap();
    let client = Probe::new("client", &log)
        .ended(|r, _, _| stop(r))
        .failed(|r, _, _| stop(r));
    r.connect_tcp(addr, client.boxed(), NO_TIMEOUT).unwrap();
    r.run().expect("run");
    let client: Vec<String> = log
        .entries()
        .into_iter()
        .filter(|e| e.starts_with("client "))
        .collect();
    let reset = ["client connected", "client disconnected Reset"];
    let failed = ["client connect-failed Io(ConnectionReset)"];
    assert!(
        client == reset || client == failed,
        "the client saw {client:?}"
    );
    assert_side(
        &log,
        "server",
        &["server connected", "server disconnected Aborted"],
    );
}

/// Many simultaneous connections, each sending its own message to an echo server and
/// checking it comes back whole.
pub fn tcp_simultaneous_connections_each_echo(b: &mut dyn Backend, count: usize) {
    let mut r = b.reactor();
    let log = Log::new();
    let addr = echo_server(&mut *r);
    let done = Rc::new(Cell::new(0usize));
    let connected = Rc::new(Cell::new(0usize));
    for i in 0..count {
        let message = format!("connection {i} says hello").into_bytes();
        let probe = Probe::new("client", &log);
        let got = probe.received.clone();
        let (d, k, expect) = (done.clone(), connected.clone(), message.clone());
        let probe = probe
            .connected(move |r, c| {
                k.set(k.get() + 1);
                r.write(c, &message).unwrap();
            })
            .data(move |r, c, _| {
                if got.borrow().len() == expect.len() {
                    assert_eq!(*got.borrow(), expect);
                    r.close(c).unwrap();
                }
            })
            .ended(move |r, _, why| {
                assert_eq!(why, Disconnect::Done);
                d.set(d.get() + 1);
                if d.get() == count {
                    stop(r);
                }
            });
        r.connect_tcp(addr, probe.boxed(), NO_TIMEOUT).unwrap();
    }
    r.run().expect("run");
    assert_eq!(connected.get(), count);
    assert_eq!(done.get(), count);
}
