//! On the simulator the order in which tasks run is a function of the seed: the same seed
//! gives the same order of task events and the same trace; other seeds may give others.

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::{AsyncReadExt, AsyncWriteExt};
use twinreactor_async::{block_on, now, spawn, TcpListener, TcpStream};
use twinreactor_sim::Sim;

/// Eight clients exchange messages with an echo server; returns the log of which client
/// finished when, and the simulator's trace.
fn run(seed: u64) -> (Vec<String>, String) {
    let mut sim = Sim::new(seed);
    let trace = sim.trace();
    let log = Rc::new(RefCell::new(Vec::new()));
    let events = Rc::clone(&log);
    block_on(&mut sim, async move {
        let listener = TcpListener::bind("127.0.0.1:0".parse().expect("an address")).await?;
        let addr = listener.local_addr()?;
        let server = spawn(async move {
            for _ in 0..8 {
                let (mut s, _) = listener.accept().await?;
                spawn(async move {
                    let mut buf = Vec::new();
                    s.read_to_end(&mut buf).await?;
                    s.write_all(&buf).await?;
                    std::io::Result::Ok(())
                })
                .expect("in a task")
                .detach();
            }
            std::io::Result::Ok(())
        })?;
        let mut clients = Vec::new();
        for i in 0..8u8 {
            let events = Rc::clone(&events);
            clients.push(spawn(async move {
                let mut c = TcpStream::connect(addr).await?;
                c.write_all(&vec![i; 3000 * usize::from(i + 1)]).await?;
                c.close().await?;
                let mut back = Vec::new();
                c.read_to_end(&mut back).await?;
                let at = now().map_err(std::io::Error::from)?;
                events
                    .borrow_mut()
                    .push(format!("client {i} got {}B at {at:?}", back.len()));
                std::io::Result::Ok(())
            })?);
        }
        for c in clients {
            c.await.expect("not cancelled")?;
        }
        server.await.expect("not cancelled")
    })
    .expect("the future finished")
    .expect("no I/O error");
    let log = log.borrow().clone();
    (log, trace.render())
}

#[test]
fn the_same_seed_gives_the_same_task_order_and_trace() {
    for seed in [1, 2, 3] {
        let (log_a, trace_a) = run(seed);
        let (log_b, trace_b) = run(seed);
        assert_eq!(log_a.len(), 8);
        assert_eq!(log_a, log_b, "seed {seed}: task order differs");
        assert!(trace_a == trace_b, "seed {seed}: trace differs");
    }
}
