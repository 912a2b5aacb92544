//! Async code on two simulated hosts: an executor per host, the server's on a host started
//! by hand, the client's driven by `block_on` on the simulation's first host.

use std::net::SocketAddr;

use futures_util::{AsyncReadExt, AsyncWriteExt};
use twinreactor::Reactor;
use twinreactor_async::{block_on, Executor, TcpListener, TcpStream};
use twinreactor_sim::Sim;

#[test]
fn an_async_server_and_client_on_two_simulated_hosts() {
    let mut sim = Sim::new(31);
    let server = sim.add_host();
    let executor = sim
        .with_host(server, |r: &mut dyn Reactor| Executor::new(r))
        .expect("the host is up");
    executor
        .spawn_named("echo server", async {
            let listener = TcpListener::bind("0.0.0.0:7000".parse().expect("an address")).await?;
            let (mut s, _) = listener.accept().await?;
            let mut buf = Vec::new();
            s.read_to_end(&mut buf).await?;
            s.write_all(&buf).await?;
            std::io::Result::Ok(())
        })
        .detach();
    sim.start(server).expect("start the server host");
    let addr = SocketAddr::new(sim.host_ip(server).expect("a host"), 7000);
    let back = block_on(&mut sim, async move {
        let mut c = TcpStream::connect(addr).await?;
        assert_eq!(c.peer_addr()?, addr);
        c.write_all(b"across the virtual network").await?;
        c.close().await?;
        let mut back = Vec::new();
        c.read_to_end(&mut back).await?;
        std::io::Result::Ok(back)
    })
    .expect("the future finished")
    .expect("no I/O error");
    assert_eq!(back, b"across the virtual network");
    assert!(
        executor.pending_tasks().is_empty(),
        "the server task finished"
    );
}
