//! Simulator-only network partitions: UDP datagrams across a blocked direction are lost, TCP
//! segments are held until it heals (or the sender gives up), loopback is never
//! partitioned, bad calls are typed errors, and one seed gives one trace.
//!
//! Two hosts throughout: h0 (10.0.0.1) and h1 (10.0.0.2), both started, driven with
//! `Sim::advance` / `Sim::run_until`, partitions set and healed between steps.

use std::rc::Rc;
use std::time::Duration;

use twinreactor::Reactor;
use twinreactor_sim::{Sim, SimError, TcpConfig};

mod multihost;

use multihost::*;

/// The seed of these tests.
const SEED: u64 = 0x9a27_1710;

// ---------------------------------------------------------------------------------------
// UDP

/// Datagrams sent across a partition are lost (both ways); those already on their way
/// arrive; after the heal they flow again.
#[test]
fn partition_udp_datagrams_are_lost_then_flow_after_heal() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let (s0, heard0) = udp_socket(&mut sim, h0);
    let (s1, heard1) = udp_socket(&mut sim, h1);
    sim.advance(Duration::from_millis(1)).expect("run");
    udp_send(&mut sim, h0, s0, "before", addr(H1, PORT));
    // Sent before the partition: on its way, it still arrives.
    sim.partition(h0, h1).expect("partition");
    assert_eq!(sim.is_partitioned(h0, h1), Ok(true));
    assert_eq!(sim.is_partitioned(h1, h0), Ok(true));
    udp_send(&mut sim, h0, s0, "during 0->1", addr(H1, PORT));
    udp_send(&mut sim, h1, s1, "during 1->0", addr(H0, PORT));
    sim.advance(Duration::from_millis(10)).expect("run");
    sim.heal(h0, h1).expect("heal");
    assert_eq!(sim.is_partitioned(h0, h1), Ok(false));
    udp_send(&mut sim, h0, s0, "after 0->1", addr(H1, PORT));
    udp_send(&mut sim, h1, s1, "after 1->0", addr(H0, PORT));
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(texts(&heard1), ["before", "after 0->1"]);
    assert_eq!(texts(&heard0), ["after 1->0"]);
    let trace = sim.trace().render();
    assert!(
        trace.contains("0.001000000 h0 partition h0->h1 blocked\n"),
        "{trace}"
    );
    assert!(
        trace.contains("0.001000000 h1 partition h1->h0 blocked\n"),
        "{trace}"
    );
    assert!(
        trace.contains("0.011000000 h0 partition h0->h1 healed\n"),
        "{trace}"
    );
    assert!(
        trace.contains("0.011000000 h1 partition h1->h0 healed\n"),
        "{trace}"
    );
}

/// A one-way partition blocks only its direction: h0 to h1 is lost (a broadcast too), h1
/// to h0 flows; blocking it again changes nothing; after `heal_all` both flow.
#[test]
fn partition_one_way_blocks_only_one_direction() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let (s0, heard0) = udp_socket(&mut sim, h0);
    let (s1, heard1) = udp_socket(&mut sim, h1);
    sim.partition_one_way(h0, h1).expect("partition");
    sim.partition_one_way(h0, h1)
        .expect("blocked already: nothing changes");
    assert_eq!(sim.is_partitioned(h0, h1), Ok(true));
    assert_eq!(sim.is_partitioned(h1, h0), Ok(false));
    udp_send(&mut sim, h0, s0, "0->1 blocked", addr(H1, PORT));
    udp_send(&mut sim, h1, s1, "1->0 flows", addr(H0, PORT));
    // A broadcast from h0 reaches h0's own socket, not h1's.
    sim.with_host(h0, |r| r.set_broadcast(s0, true))
        .expect("a host")
        .expect("broadcast");
    udp_send(&mut sim, h0, s0, "broadcast", addr([255; 4], PORT));
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(texts(&heard1), Vec::<String>::new());
    assert_eq!(texts(&heard0), ["1->0 flows", "broadcast"]);
    sim.heal_all();
    assert_eq!(sim.is_partitioned(h0, h1), Ok(false));
    udp_send(&mut sim, h0, s0, "0->1 healed", addr(H1, PORT));
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(texts(&heard1), ["0->1 healed"]);
    let trace = sim.trace().render();
    assert_eq!(trace.matches(" partition ").count(), 2, "{trace}");
    assert!(trace.contains("h0 partition h0->h1 blocked\n"), "{trace}");
    assert!(trace.contains("h0 partition h0->h1 healed\n"), "{trace}");
}

/// A host is never partitioned from itself: naming one host twice is `SameHost`, and while
/// h0 is cut off from h1, its traffic to 127.0.0.1 and to its own address flows.
#[test]
fn partition_loopback_is_never_partitioned() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    assert_eq!(sim.partition(h0, h0), Err(SimError::SameHost(h0)));
    assert_eq!(sim.partition_one_way(h1, h1), Err(SimError::SameHost(h1)));
    assert_eq!(sim.heal(h1, h1), Err(SimError::SameHost(h1)));
    assert_eq!(sim.is_partitioned(h0, h0), Ok(false));
    let (s0, heard0) = udp_socket(&mut sim, h0);
    sim.partition(h0, h1).expect("partition");
    udp_send(&mut sim, h0, s0, "loopback", addr([127, 0, 0, 1], PORT));
    udp_send(&mut sim, h0, s0, "own address", addr(H0, PORT));
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(texts(&heard0), ["loopback", "own address"]);
    assert!(
        !sim.trace().render().contains("partition h0->h0"),
        "nothing is traced for a refused call"
    );
}

/// Host ids this simulation never issued are `UnknownHost`, and change nothing.
#[test]
fn partition_unknown_hosts_are_errors() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let mut other = Sim::new(1);
    other.add_host();
    let stranger = other.add_host();
    assert_eq!(
        sim.partition(h0, stranger),
        Err(SimError::UnknownHost(stranger))
    );
    assert_eq!(
        sim.partition_one_way(stranger, h1),
        Err(SimError::UnknownHost(stranger))
    );
    assert_eq!(sim.heal(stranger, h0), Err(SimError::UnknownHost(stranger)));
    assert_eq!(
        sim.is_partitioned(h0, stranger),
        Err(SimError::UnknownHost(stranger))
    );
    assert_eq!(sim.is_partitioned(h0, h1), Ok(false));
    assert!(!sim.trace().render().contains("partition"));
}

// ---------------------------------------------------------------------------------------
// TCP

/// Data written during a short partition (more than the 256 KiB receive window, so the
/// writer also buffers) is held, and arrives intact and in order one latency after the
/// heal; nothing of it arrives before.
#[test]
fn partition_tcp_data_held_during_a_short_partition_arrives_in_order_after_heal() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let (client, server) = established(&mut sim, h0, h1);
    write(&mut sim, h0, &client, b"before;");
    sim.advance(Duration::from_millis(5)).expect("run");
    assert_eq!(server.bytes.borrow().as_slice(), b"before;");
    sim.partition(h0, h1).expect("partition");
    let mut sent = b"before;".to_vec();
    for i in 0..40u32 {
        let chunk: Vec<u8> = (0..8 * 1024u32).map(|j| (i * 31 + j * 7) as u8).collect();
        write(&mut sim, h0, &client, &chunk);
        sent.extend_from_slice(&chunk);
        sim.advance(Duration::from_millis(3)).expect("run");
    }
    sim.advance(Duration::from_millis(500)).expect("run");
    assert_eq!(
        server.bytes.borrow().as_slice(),
        b"before;",
        "nothing crosses the partition"
    );
    let healed_at = sim.now();
    sim.heal(h0, h1).expect("heal");
    let all = sim
        .run_until(
            |_| server.bytes.borrow().len() == sent.len(),
            healed_at + Duration::from_secs(1),
        )
        .expect("run");
    assert!(
        all,
        "{} of {} bytes",
        server.bytes.borrow().len(),
        sent.len()
    );
    assert!(*server.bytes.borrow() == sent, "intact and in order");
    let trace = sim.trace().render();
    let heal_line = format!(
        "{}.{:09} h0 partition h0->h1 healed\n",
        healed_at.as_secs(),
        healed_at.subsec_nanos()
    );
    let arrival = healed_at + Duration::from_millis(1);
    let arrival = format!("{}.{:09} ", arrival.as_secs(), arrival.subsec_nanos());
    let heal_pos = trace.find(&heal_line).expect("the heal is traced");
    let first_data = trace[heal_pos..]
        .lines()
        .find(|l| l.contains(" h1 tcp data "))
        .expect("data after the heal");
    assert!(
        first_data.starts_with(&arrival),
        "the first data after the heal comes one latency after it: {first_data}\n{trace}"
    );
    assert!(server.events().iter().all(|e| !e.contains("disconnected")));
    assert!(client.events().iter().all(|e| !e.contains("disconnected")));
}

/// A partition longer than `give_up` ends the sender's connection with `Io(TimedOut)`,
/// `give_up` after its first segment was held, and discards what it held; a shorter one
/// before it does not count (the heal starts the count afresh). The other end learns
/// nothing; after the heal, its next write reaches an endpoint that is gone and it sees
/// `Reset`.
#[test]
fn partition_tcp_longer_than_give_up_ends_the_sender_with_timed_out() {
    let give_up = Duration::from_secs(2);
    let (mut sim, h0, h1) = two_hosts(
        SEED,
        TcpConfig {
            give_up: Some(give_up),
            ..TcpConfig::default()
        },
    );
    let (client, server) = established(&mut sim, h0, h1);
    sim.advance(Duration::from_millis(10)).expect("run");
    // A short partition: held for 1.5 s, then delivered.
    sim.partition(h0, h1).expect("partition");
    write(&mut sim, h0, &client, b"late;");
    sim.advance(Duration::from_millis(1500)).expect("run");
    sim.heal(h0, h1).expect("heal");
    let first_heal = sim.now().as_millis();
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(server.bytes.borrow().as_slice(), b"late;");
    let server_saw = vec![
        "3ms connected".to_owned(),
        format!("{}ms first data", first_heal + 1),
    ];
    // A long one.
    sim.partition(h0, h1).expect("partition");
    let held_at = sim.now();
    write(&mut sim, h0, &client, b"never arrives");
    sim.advance(give_up - Duration::from_millis(1))
        .expect("run");
    assert!(
        client.events().iter().all(|e| !e.contains("disconnected")),
        "the count started afresh at this partition: {:?}",
        client.events()
    );
    sim.advance(Duration::from_millis(1)).expect("run");
    let gave_up_at = (held_at + give_up).as_millis();
    assert_eq!(
        client.events().last().cloned(),
        Some(format!("{gave_up_at}ms disconnected Io(TimedOut)"))
    );
    assert_eq!(server.events(), server_saw, "the server learns nothing");
    sim.advance(Duration::from_secs(5)).expect("run");
    assert_eq!(server.events(), server_saw, "still nothing");
    sim.heal(h0, h1).expect("heal");
    sim.advance(Duration::from_millis(10)).expect("run");
    assert_eq!(
        server.bytes.borrow().as_slice(),
        b"late;",
        "held data was discarded"
    );
    let healed = sim.now().as_millis();
    write(&mut sim, h1, &server, b"anyone there?");
    sim.advance(Duration::from_millis(10)).expect("run");
    // Data there (1 ms), RST back (1 ms).
    let mut expected = server_saw.clone();
    expected.push(format!("{}ms disconnected Reset", healed + 2));
    assert_eq!(server.events(), expected);
}

/// A heal cancels the sender's give-up check: once the held data has arrived nothing is left
/// scheduled, so the simulation goes idle at once instead of waking the sender `give_up`
/// after the partition began.
#[test]
fn partition_tcp_heal_cancels_the_give_up_check() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    let (client, server) = established(&mut sim, h0, h1);
    sim.partition(h0, h1).expect("partition");
    write(&mut sim, h0, &client, b"held;");
    sim.advance(Duration::from_millis(100)).expect("run");
    sim.heal(h0, h1).expect("heal");
    let healed_at = sim.now();
    sim.run_until_idle().expect("run");
    assert_eq!(server.bytes.borrow().as_slice(), b"held;");
    let give_up = TcpConfig::default().give_up.expect("on by default");
    assert!(
        sim.now() < healed_at + Duration::from_secs(1),
        "idle at {:?}, healed at {healed_at:?} (give_up {give_up:?})",
        sim.now()
    );
    assert!(client.events().iter().all(|e| !e.contains("disconnected")));
}

/// A connect across a partition times out at its own timeout (its SYN is held, and not
/// sent at the heal, since the connect has ended); a connect whose SYN is held by a
/// partition that heals before its timeout succeeds one round trip after the heal.
#[test]
fn partition_tcp_connect_across_a_partition_times_out() {
    let (mut sim, h0, h1) = two_hosts(SEED, TcpConfig::default());
    sim.partition(h0, h1).expect("partition");
    let (server, _) = listen(&mut sim, h1, TCP_PORT);
    let early = connect(&mut sim, h0, addr(H1, TCP_PORT), Duration::from_millis(500));
    let late = Rc::new(Seen::default());
    let protocol = Box::new(Recorder(late.clone()));
    sim.with_host(h0, |r| {
        r.connect_tcp(addr(H1, TCP_PORT), protocol, Duration::from_secs(2))
    })
    .expect("a host")
    .expect("connect");
    sim.advance(Duration::from_secs(1)).expect("run");
    assert_eq!(early.events(), ["500ms connect-failed TimedOut"]);
    assert_eq!(late.events(), Vec::<String>::new());
    sim.heal(h0, h1).expect("heal");
    sim.advance(Duration::from_secs(5)).expect("run");
    assert_eq!(early.events(), ["500ms connect-failed TimedOut"]);
    assert_eq!(late.events(), ["1002ms connected"]);
    assert_eq!(server.events(), ["1003ms connected"], "one connection only");
    let trace = sim.trace().render();
    assert_eq!(trace.matches("tcp accepted").count(), 1, "{trace}");
}

/// A run with partitions, heals, a give-up, TCP under read splitting and UDP under jitter
/// and loss: the same seed gives the same trace, partition lines included; another seed
/// another.
#[test]
fn partition_same_seed_same_trace() {
    fn run(seed: u64) -> String {
        let (mut sim, h0, h1) = faulty_two_hosts(seed);
        let (s0, _) = udp_socket(&mut sim, h0);
        let (s1, _) = udp_socket(&mut sim, h1);
        let (client, server) = established(&mut sim, h0, h1);
        for round in 0..12u32 {
            match round % 4 {
                0 => sim.partition(h0, h1).expect("partition"),
                1 => sim.heal(h0, h1).expect("heal"),
                2 => sim.partition_one_way(h1, h0).expect("partition"),
                _ => sim.heal_all(),
            }
            for i in 0..5u8 {
                udp_send(&mut sim, h0, s0, &format!("{round}.{i}"), addr(H1, PORT));
                udp_send(&mut sim, h1, s1, &format!("{round}.{i}"), addr(H0, PORT));
            }
            if client.events().iter().all(|e| !e.contains("disconnected")) {
                write(&mut sim, h0, &client, &[round as u8; 3000]);
            }
            if server.events().iter().all(|e| !e.contains("disconnected")) {
                write(&mut sim, h1, &server, &[round as u8; 2000]);
            }
            sim.advance(Duration::from_millis(37 * u64::from(round % 3 + 1)))
                .expect("run");
        }
        sim.heal_all();
        sim.advance(Duration::from_secs(1)).expect("run");
        sim.trace().render()
    }
    let first = run(SEED);
    assert!(first.contains("partition h1->h0 blocked"), "{first}");
    assert!(first.contains("partition h1->h0 healed"), "{first}");
    assert!(first.contains("tcp data"), "{first}");
    assert!(first.contains("disconnected conn0 Io(TimedOut)"), "{first}");
    assert!(first.contains("udp datagram"), "{first}");
    assert_eq!(first, run(SEED), "one seed, one trace");
    assert_ne!(first, run(SEED ^ 1), "the trace depends on the seed");
}
