//! A heartbeat protocol, written once against the contract and driven by both reactors.
//!
//! The protocol beats every 100 ms, stops the reactor after five beats, and asks shutdown
//! to wait 30 ms for a last flush (a before-shutdown trigger returning a completion). The
//! simulator runs it in virtual time and prints its trace; the real reactor runs it on the
//! operating system and prints what it saw.
//!
//! ```text
//! cargo run --example heartbeat            # seed 1
//! cargo run --example heartbeat -- 0x2a    # another seed
//! ```

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use twinreactor::{Phase, Reactor, ReactorExt, SHUTDOWN, STARTUP};
use twinreactor_real::RealReactor;
use twinreactor_sim::{parse_seed, Sim};

const INTERVAL: Duration = Duration::from_millis(100);
const BEATS: u32 = 5;
const FLUSH: Duration = Duration::from_millis(30);

type Log = Rc<RefCell<Vec<String>>>;

/// The protocol: only `&mut dyn Reactor`, so it runs on either reactor.
fn install(r: &mut dyn Reactor, log: &Log) {
    let beat_log = log.clone();
    r.on_event(Phase::During, STARTUP, move |r| beat(r, 1, beat_log));

    let flush_log = log.clone();
    r.on_event_wait(Phase::Before, SHUTDOWN, move |r| {
        let flushed = r.new_completion();
        flush_log
            .borrow_mut()
            .push(format!("{:?} flushing", r.now()));
        r.after(FLUSH, move |r| {
            flush_log
                .borrow_mut()
                .push(format!("{:?} flushed", r.now()));
            r.complete(flushed).expect("completed once");
        });
        Some(flushed)
    });

    let done_log = log.clone();
    r.on_event(Phase::After, SHUTDOWN, move |r| {
        done_log
            .borrow_mut()
            .push(format!("{:?} shut down", r.now()));
    });
}

fn beat(r: &mut dyn Reactor, n: u32, log: Log) {
    log.borrow_mut().push(format!("{:?} beat {n}", r.now()));
    if n == BEATS {
        r.stop().expect("the reactor is running");
        return;
    }
    r.after(INTERVAL, move |r| beat(r, n + 1, log));
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seed = match std::env::args().nth(1) {
        Some(text) => parse_seed(&text).ok_or(format!("not a seed: {text:?}"))?,
        None => 1,
    };

    let sim_log = Log::default();
    let mut sim = Sim::new(seed);
    install(&mut sim, &sim_log);
    sim.run()?;
    println!("== simulator, seed {}: its trace ==", sim.seed());
    print!("{}", sim.trace().render());
    println!("== simulator: what the protocol saw ==");
    sim_log.borrow().iter().for_each(|line| println!("{line}"));

    let real_log = Log::default();
    let mut real = RealReactor::new()?;
    install(&mut real, &real_log);
    real.run()?;
    println!("== real reactor: what the protocol saw (times vary) ==");
    real_log.borrow().iter().for_each(|line| println!("{line}"));
    Ok(())
}
