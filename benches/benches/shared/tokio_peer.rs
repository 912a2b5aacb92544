//! The ping-pong in tokio's current-thread runtime, the real reactor's peer in the benches.

use std::time::{Duration, Instant};

use super::callbacks::MSG;

/// tokio's current-thread runtime: both sides in one runtime, over loopback.
pub fn tokio_current_thread(conns: usize, rts: usize) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            loop {
                let Ok((mut s, _)) = listener.accept().await else {
                    return;
                };
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
        let start = Instant::now();
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                tokio::spawn(async move {
                    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
                    s.set_nodelay(true).expect("nodelay");
                    let mut buf = [0u8; MSG];
                    for _ in 0..rts {
                        s.write_all(&[7; MSG]).await.expect("write");
                        s.read_exact(&mut buf).await.expect("read");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.expect("client");
        }
        start.elapsed()
    })
}
