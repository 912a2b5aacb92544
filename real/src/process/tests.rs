//! The polled fallback (for kernels without pidfds), forced.

use std::cell::RefCell;
use std::rc::Rc;

use twinreactor::{ExitStatus, Pipe, ProcessId, ProcessProtocol, ProcessSpec, Processes, Reactor};

use crate::RealReactor;

#[derive(Default)]
struct Seen {
    out: Vec<u8>,
    events: Vec<String>,
}

struct Recorder(Rc<RefCell<Seen>>);

impl ProcessProtocol for Recorder {
    fn stdout(&mut self, _: &mut dyn Reactor, _: ProcessId, data: &[u8]) {
        self.0.borrow_mut().out.extend_from_slice(data);
    }

    fn pipe_closed(&mut self, _: &mut dyn Reactor, _: ProcessId, pipe: Pipe) {
        self.0.borrow_mut().events.push(format!("closed {pipe:?}"));
    }

    fn exited(&mut self, _: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.0.borrow_mut().events.push(format!("exited {status}"));
    }

    fn ended(&mut self, r: &mut dyn Reactor, _: ProcessId, status: ExitStatus) {
        self.0.borrow_mut().events.push(format!("ended {status}"));
        r.stop().expect("running");
    }
}

/// Without a pidfd the child is polled at each tick of a timerfd: it is still reaped and
/// reported, and the timerfd is gone once no child is polled.
#[test]
fn polled_fallback_reaps_and_reports() {
    let mut r = RealReactor::new().expect("poll");
    r.processes.force_polling = true;
    let seen = Rc::new(RefCell::new(Seen::default()));
    let spec = ProcessSpec::new("/bin/sh")
        .arg("-c")
        .arg("echo polled; exit 7");
    r.spawn_process(spec, Box::new(Recorder(seen.clone())))
        .expect("sh exists");
    assert!(
        r.processes.tick.is_some(),
        "the tick runs while a child is polled"
    );
    r.run().expect("stops at ended");
    let seen = seen.borrow();
    assert_eq!(seen.out, b"polled\n");
    assert_eq!(seen.events.len(), 5, "{:?}", seen.events);
    assert!(seen.events.contains(&"exited code 7".to_owned()));
    assert_eq!(seen.events.last().map(String::as_str), Some("ended code 7"));
    assert!(r.processes.tick.is_none(), "no polled child, no tick");
    assert!(r.processes.table.is_empty());
}
