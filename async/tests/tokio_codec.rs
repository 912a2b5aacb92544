//! tokio-util's `Framed` with `LinesCodec`, over this crate's TCP stream through tokio's io
//! traits (feature `tokio`), on the simulator and the real reactor.

use futures_util::{SinkExt, StreamExt};
use tokio_util::codec::{Framed, LinesCodec};
use twinreactor::Reactor;
use twinreactor_async::{block_on, spawn, TcpListener, TcpStream};
use twinreactor_sim::{Sim, SimConfig};

/// A line server that answers each line with its length; the client sends three lines.
fn run(r: &mut dyn Reactor) -> Vec<String> {
    block_on(r, async {
        let listener = TcpListener::bind("127.0.0.1:0".parse().expect("an address")).await?;
        let addr = listener.local_addr()?;
        let server = spawn(async move {
            let (stream, _) = listener.accept().await?;
            let mut lines = Framed::new(stream, LinesCodec::new());
            while let Some(line) = lines.next().await {
                let line = line.map_err(std::io::Error::other)?;
                lines
                    .send(format!("{} has {} bytes", line, line.len()))
                    .await
                    .map_err(std::io::Error::other)?;
            }
            std::io::Result::Ok(())
        })?;
        let mut client = Framed::new(TcpStream::connect(addr).await?, LinesCodec::new());
        let mut replies = Vec::new();
        for line in ["one", "two two", &"long ".repeat(2000)] {
            client.send(line).await.map_err(std::io::Error::other)?;
            let reply = client.next().await.expect("a reply");
            replies.push(reply.map_err(std::io::Error::other)?);
        }
        drop(client);
        server.await.expect("not cancelled")?;
        std::io::Result::Ok(replies)
    })
    .expect("the future finished")
    .expect("no I/O error")
}

fn check(replies: &[String]) {
    assert_eq!(replies[0], "one has 3 bytes");
    assert_eq!(replies[1], "two two has 7 bytes");
    assert!(replies[2].ends_with("has 10000 bytes"));
}

#[test]
fn framed_lines_over_simulated_tcp_for_several_seeds() {
    for seed in 0..10 {
        let mut config = SimConfig::new(seed);
        config.tcp.read_split = 0.9;
        check(&run(&mut Sim::with_config(config)));
    }
}

#[test]
fn framed_lines_on_the_real_reactor() {
    check(&run(
        &mut twinreactor_real::RealReactor::new().expect("a poll instance")
    ));
}
