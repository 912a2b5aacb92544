//! hyper 1.x, code nobody here wrote: an HTTP/1 server and client over this crate's TCP
//! stream, on the simulator for many seeds with most reads split at random points, and on
//! the real reactor.
//!
//! hyper needs its own `rt::Read`/`rt::Write`; [`HyperIo`] adapts the `futures-io` traits.
//! HTTP/1 needs no hyper executor: each connection future is spawned as a task.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use twinreactor::Reactor;
use twinreactor_async::{block_on, spawn, TcpListener, TcpStream};
use twinreactor_sim::{Sim, SimConfig};

/// hyper's I/O traits over a `futures-io` stream.
struct HyperIo<T>(T);

impl<T: AsyncRead + Unpin> hyper::rt::Read for HyperIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let mut tmp = [0u8; 8192];
        let len = buf.remaining().min(tmp.len());
        match Pin::new(&mut self.0).poll_read(cx, &mut tmp[..len]) {
            Poll::Ready(Ok(n)) => {
                buf.put_slice(&tmp[..n]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for HyperIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// Answers `POST /upper` with the body in upper case, anything else with the path.
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_owned();
    let body = req.into_body().collect().await?.to_bytes();
    let reply = if path == "/upper" {
        body.to_ascii_uppercase()
    } else {
        format!("path {path}, {} bytes", body.len()).into_bytes()
    };
    Ok(Response::new(Full::new(Bytes::from(reply))))
}

/// Serves `connections` connections, then sends three requests on one keep-alive connection
/// and two on another; returns every response body.
async fn exchange() -> io::Result<Vec<Vec<u8>>> {
    let listener = TcpListener::bind("127.0.0.1:0".parse().expect("an address")).await?;
    let addr = listener.local_addr()?;
    let server = spawn(async move {
        for _ in 0..2 {
            let (stream, _) = listener.accept().await?;
            spawn(async move {
                let service = service_fn(handle);
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(HyperIo(stream), service)
                    .await
            })?
            .detach();
        }
        io::Result::Ok(())
    })?;
    let mut bodies = Vec::new();
    for requests in [3usize, 2] {
        let stream = TcpStream::connect(addr).await?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(HyperIo(stream))
            .await
            .map_err(io::Error::other)?;
        let conn = spawn(conn)?;
        for i in 0..requests {
            let body = format!("request {i}: ").repeat(500 * (i + 1));
            let req = Request::post(if i % 2 == 0 { "/upper" } else { "/count" })
                .header("host", addr.to_string())
                .body(Full::new(Bytes::from(body)))
                .map_err(io::Error::other)?;
            let resp = sender.send_request(req).await.map_err(io::Error::other)?;
            assert_eq!(resp.status(), 200);
            let got = resp.into_body().collect().await.map_err(io::Error::other)?;
            bodies.push(got.to_bytes().to_vec());
        }
        drop(sender);
        conn.await
            .expect("not cancelled")
            .map_err(io::Error::other)?;
    }
    server.await.expect("not cancelled")?;
    Ok(bodies)
}

fn check(bodies: &[Vec<u8>]) {
    assert_eq!(bodies.len(), 5);
    assert_eq!(bodies[0], "REQUEST 0: ".repeat(500).as_bytes());
    assert_eq!(bodies[1], b"path /count, 11000 bytes");
    assert_eq!(bodies[2], "REQUEST 2: ".repeat(1500).as_bytes());
    assert_eq!(bodies[3], "REQUEST 0: ".repeat(500).as_bytes());
    assert_eq!(bodies[4], b"path /count, 11000 bytes");
}

fn run(r: &mut dyn Reactor) -> Vec<Vec<u8>> {
    block_on(r, exchange())
        .expect("the future finished")
        .expect("no I/O error")
}

#[test]
fn hyper_http1_over_simulated_tcp_with_random_read_splits_for_many_seeds() {
    for seed in 0..100 {
        let mut config = SimConfig::new(seed);
        config.tcp.read_split = 0.9;
        let mut sim = Sim::with_config(config);
        check(&run(&mut sim));
    }
}

#[test]
fn hyper_http1_on_the_real_reactor() {
    let mut real = twinreactor_real::RealReactor::new().expect("a poll instance");
    check(&run(&mut real));
}
