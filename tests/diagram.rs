//! Sequence diagrams of simulator traces: the SVG is valid (an SVG renderer, resvg, parses
//! and draws it), messages are arrows from send to arrival, losses end in a cross, a
//! partition is a band, and a window says what it left out.

use std::cell::RefCell;
use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use twinreactor::prelude::*;
use twinreactor::trace::{Diagram, TraceLine};
use twinreactor::{DatagramProtocol, SocketId, UdpOptions};
use twinreactor_sim::{HostId, Sim, SimConfig, UdpConfig};

/// Answers every datagram with the same bytes.
struct Echo;

impl DatagramProtocol for Echo {
    fn datagram(&mut self, r: &mut dyn Reactor, socket: SocketId, data: &[u8], from: SocketAddr) {
        r.send_to(socket, data, from).ok();
    }
}

/// Two hosts: h0 pings h1 five times, 100 ms apart, with a partition from 150 to 350 ms
/// and 20% loss; the user notes each ping.
fn pings() -> Vec<TraceLine> {
    let mut sim = Sim::with_config(SimConfig {
        udp: UdpConfig {
            loss: 0.2,
            ..UdpConfig::default()
        },
        ..SimConfig::exact(3)
    });
    let server = sim.add_host();
    sim.with_host(server, |r| {
        r.bind_udp(
            "0.0.0.0:7".parse().unwrap(),
            Box::new(Echo),
            UdpOptions::default(),
        )
        .unwrap();
    })
    .unwrap();
    sim.start(server).unwrap();
    let heard = Rc::new(RefCell::new(0));
    struct Count(Rc<RefCell<u32>>);
    impl DatagramProtocol for Count {
        fn datagram(&mut self, _: &mut dyn Reactor, _: SocketId, _: &[u8], _: SocketAddr) {
            *self.0.borrow_mut() += 1;
        }
    }
    let socket = sim
        .bind_udp(
            "0.0.0.0:0".parse().unwrap(),
            Box::new(Count(heard)),
            UdpOptions::default(),
        )
        .unwrap();
    let to = SocketAddr::new(Ipv4Addr::new(10, 0, 0, 2).into(), 7);
    for i in 0..5u64 {
        sim.after(Duration::from_millis(100 * i), move |r| {
            r.note(&format!("ping {i}"));
            r.send_to(socket, b"ping", to).unwrap();
        });
    }
    sim.start(HostId::FIRST).unwrap();
    sim.advance(Duration::from_millis(150)).unwrap();
    sim.partition(HostId::FIRST, server).unwrap();
    sim.advance(Duration::from_millis(200)).unwrap();
    sim.heal(HostId::FIRST, server).unwrap();
    sim.run_until_idle().unwrap();
    sim.trace().lines()
}

#[test]
fn the_svg_is_valid_and_draws_messages_losses_and_the_partition() {
    let lines = pings();
    let svg = Diagram::new(&lines).title("pings").svg();
    let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default())
        .expect("an SVG renderer reads the diagram");
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).expect("a size");
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let inked = pixmap.pixels().iter().filter(|p| p.red() < 200).count();
    assert!(
        inked > 1000,
        "the diagram draws something: {inked} dark pixels"
    );
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("pings.png");
    pixmap.save_png(&out).expect("the picture is written");

    let arrows = svg.matches("marker-end=\"url(#arrow)\"").count();
    let delivered = lines
        .iter()
        .filter(|l| l.event.to_string().starts_with("udp datagram"))
        .count();
    assert_eq!(arrows, delivered, "one arrow per delivery");
    let lost = lines
        .iter()
        .filter(|l| l.event.to_string().starts_with("udp lost"))
        .count();
    assert!(lost >= 2, "the partition loses pings");
    assert_eq!(
        svg.matches("stroke=\"#c33\" stroke-dasharray").count(),
        lost
    );
    assert!(svg.contains("<title>partition h0-&gt;h1</title>"), "a band");
    assert!(
        svg.contains("note &quot;ping 0&quot;"),
        "the user's notes are labels"
    );
}

#[test]
fn mermaid_has_participants_arrows_and_crosses() {
    let lines = pings();
    let text = Diagram::new(&lines).mermaid();
    assert!(text.starts_with("sequenceDiagram\n"));
    assert!(text.contains("    participant h0\n    participant h1\n"));
    assert!(text.contains("h0->>h1: m0 4B to 10.0.0.2:7"), "{text}");
    assert!(text.contains("h0-xh1: "), "{text}");
}

#[test]
fn a_window_says_what_it_left_out() {
    let lines = pings();
    let n = lines.len();
    let svg = Diagram::new(&lines).window(10..20).svg();
    assert!(
        svg.contains(&format!(
            "lines 10..20 of {n} (10 before and {} after not shown)",
            n - 20
        )),
        "{svg}"
    );
    let last = Diagram::new(&lines).last(5).mermaid();
    assert!(last.contains(&format!("lines {}..{n} of {n}", n - 5)));
    let early = Diagram::new(&lines).between(Duration::ZERO, Duration::from_millis(1));
    assert!(early.svg().contains("0.000000000"));
}
