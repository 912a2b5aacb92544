//! The ping-pong in turmoil, the simulator's peer in the benches.

use std::time::{Duration, Instant};

use super::callbacks::MSG;

/// turmoil: a tokio-based network simulator, zero latency, both sides as turmoil hosts;
/// the wall time of its run.
pub fn turmoil_sim(conns: usize, rts: usize, seed: u64) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_secs(1_000_000))
        .min_message_latency(Duration::ZERO)
        .max_message_latency(Duration::ZERO)
        .rng_seed(seed)
        .build();
    sim.host("server", || async {
        let listener = turmoil::net::TcpListener::bind("0.0.0.0:7000").await?;
        loop {
            let (mut s, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                loop {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if s.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    sim.client("client", async move {
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                tokio::spawn(async move {
                    let mut s = turmoil::net::TcpStream::connect("server:7000")
                        .await
                        .expect("connect");
                    let mut buf = [0u8; MSG];
                    for _ in 0..rts {
                        s.write_all(&[7; MSG]).await.expect("write");
                        s.read_exact(&mut buf).await.expect("read");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await?;
        }
        Ok(())
    });
    let start = Instant::now();
    sim.run().expect("turmoil run");
    start.elapsed()
}
