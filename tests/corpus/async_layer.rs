//! The async layer (`twinreactor-async`) on both reactors: TCP echo and half-close, timeouts
//! on the reactor's clock, UDP, a child process, cancellation, and misuse that must be a
//! clear error.
//!
//! Each case is one `block_on` on a fresh reactor. Bytes arrive in splits that differ
//! between reactors and seeds, so cases check whole byte strings, never read boundaries.

use futures_util::{AsyncReadExt, AsyncWriteExt};
use std::net::{Ipv4Addr, SocketAddr};
use twinreactor::{ExitStatus, ProcessSpec};
use twinreactor_async::{
    block_on, now, sleep, sleep_until, spawn, spawn_named, timeout, yield_now, Child, ContextError,
    Executor, JoinError, TcpListener, TcpStream, TimeoutError, UdpSocket,
};

use crate::harness::{Backend, HOUR, MS};

/// Instantiates each case as `async_layer::sim::<case>` and `async_layer::real::<case>`.
macro_rules! async_corpus {
    ($($case:ident,)*) => {
        mod sim {
            $(
                #[test]
                fn $case() {
                    crate::harness::run_sim(super::$case);
                }
            )*
        }

        mod real {
            $(
                #[test]
                fn $case() {
                    crate::harness::run_real(stringify!($case), super::$case);
                }
            )*
        }
    };
}

async_corpus! {
    async_tcp_echo_of_256_kib_comes_back_whole,
    async_tcp_half_close_then_reply_then_eof,
    async_tcp_addresses_and_refusal,
    async_tcp_abort_resets_the_peer,
    async_time_sleep_timeout_and_yield_follow_the_reactor_clock,
    async_udp_exchange_connect_and_refusal,
    async_udp_multicast_on_loopback,
    async_process_stdin_stdout_stderr_wait_and_kill,
    async_process_stdin_waits_for_a_child_that_reads_late,
    async_cancel_by_dropping_the_handle_closes_the_task_stream,
    async_foreign_executor_is_an_error,
}

const LOOPBACK: &str = "127.0.0.1:0";

/// The corpus helper (a program stub of the same path on the simulator).
const HELPER: &str = env!("CARGO_BIN_EXE_twinreactor-corpus-helper");

fn loopback() -> SocketAddr {
    LOOPBACK.parse().expect("a socket address")
}

/// A pattern of `len` bytes that shows misplaced or missing bytes.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Echoes every byte of one connection until the peer's FIN, then closes (by drop).
async fn echo_one(listener: TcpListener) -> std::io::Result<usize> {
    let (mut stream, _) = listener.accept().await?;
    let mut buf = vec![0; 4096];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n]).await?;
        total += n;
    }
}

pub fn async_tcp_echo_of_256_kib_comes_back_whole(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let sent = pattern(256 * 1024);
    let expected = sent.clone();
    let got = block_on(&mut *r, async move {
        let listener = TcpListener::bind(loopback()).await?;
        let addr = listener.local_addr()?;
        let server = spawn_named("echo server", echo_one(listener))?;
        let stream = TcpStream::connect(addr).await?;
        let (mut rd, mut wr) = stream.split();
        let writer = spawn_named("writer", async move {
            for chunk in sent.chunks(10_000) {
                wr.write_all(chunk).await?;
            }
            wr.close().await
        })?;
        let mut back = Vec::new();
        rd.read_to_end(&mut back).await?;
        writer.await.expect("not cancelled")?;
        let echoed = server.await.expect("not cancelled")?;
        std::io::Result::Ok((echoed, back))
    })
    .expect("the future finished")
    .expect("no I/O error");
    assert_eq!(got.0, expected.len());
    assert!(got.1 == expected, "the echo differs from what was sent");
}

pub fn async_tcp_half_close_then_reply_then_eof(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let (request, reply) = block_on(&mut *r, async {
        let listener = TcpListener::bind(loopback()).await?;
        let addr = listener.local_addr()?;
        let server = spawn(async move {
            let (mut s, _) = listener.accept().await?;
            let mut request = Vec::new();
            s.read_to_end(&mut request).await?;
            s.write_all(b"reply to ").await?;
            s.write_all(&request).await?;
            std::io::Result::Ok(request)
        })?;
        let mut c = TcpStream::connect(addr).await?;
        c.write_all(b"request").await?;
        c.close().await?;
        assert_eq!(
            c.write(b"more").await.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::BrokenPipe),
            "writing after the half-close is an error"
        );
        let mut reply = Vec::new();
        c.read_to_end(&mut reply).await?;
        assert_eq!(c.read(&mut [0; 8]).await?, 0, "EOF stays EOF");
        let request = server.await.expect("not cancelled")?;
        std::io::Result::Ok((request, reply))
    })
    .expect("the future finished")
    .expect("no I/O error");
    assert_eq!(request, b"request");
    assert_eq!(reply, b"reply to request");
}

pub fn async_tcp_addresses_and_refusal(b: &mut dyn Backend) {
    let mut r = b.reactor();
    block_on(&mut *r, async {
        let listener = TcpListener::bind(loopback()).await?;
        let addr = listener.local_addr()?;
        assert_ne!(addr.port(), 0);
        let again = TcpListener::bind(addr).await.map(|_| ());
        assert_eq!(
            again.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::AddrInUse)
        );
        let accept = spawn(async move {
            let (s, peer) = listener.accept().await?;
            // Closed here, inside the task's poll, not whenever the finished task is
            // dropped: the refused connect below must not race the close.
            drop(listener);
            std::io::Result::Ok((s.local_addr()?, s.peer_addr()?, peer))
        })?;
        let c = TcpStream::connect(addr).await?;
        let (server_local, server_peer, peer) = accept.await.expect("not cancelled")?;
        assert_eq!(c.peer_addr()?, addr);
        assert_eq!(server_local, addr);
        assert_eq!(server_peer, c.local_addr()?);
        assert_eq!(peer, c.local_addr()?);
        // Nobody listens once the listener is dropped (with its accept task).
        let refused = TcpStream::connect(addr).await.map(|_| ());
        assert_eq!(
            refused.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::ConnectionRefused)
        );
        std::io::Result::Ok(())
    })
    .expect("the future finished")
    .expect("no I/O error");
}

pub fn async_tcp_abort_resets_the_peer(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let kinds = block_on(&mut *r, async {
        let listener = TcpListener::bind(loopback()).await?;
        let addr = listener.local_addr()?;
        let server = spawn(async move {
            let (mut s, _) = listener.accept().await?;
            let mut buf = Vec::new();
            std::io::Result::Ok(s.read_to_end(&mut buf).await.map_err(|e| e.kind()))
        })?;
        let mut c = TcpStream::connect(addr).await?;
        c.write_all(b"hello").await?;
        sleep(MS).await?;
        c.abort()?;
        let mut buf = [0; 8];
        let mine = c.read(&mut buf).await.map_err(|e| e.kind());
        let theirs = server.await.expect("not cancelled")?;
        std::io::Result::Ok((mine, theirs))
    })
    .expect("the future finished")
    .expect("no I/O error");
    assert_eq!(kinds.0, Err(std::io::ErrorKind::ConnectionAborted));
    assert_eq!(kinds.1, Err(std::io::ErrorKind::ConnectionReset));
}

pub fn async_time_sleep_timeout_and_yield_follow_the_reactor_clock(b: &mut dyn Backend) {
    let mut r = b.reactor();
    block_on(&mut *r, async {
        let start = now()?;
        sleep(5 * MS).await?;
        assert!(now()? >= start + 5 * MS, "a sleep never ends early");
        let deadline = now()? + 3 * MS;
        sleep_until(deadline).await?;
        assert!(now()? >= deadline);
        sleep_until(start).await?; // a deadline in the past is ready at once
        let slow = timeout(2 * MS, sleep(HOUR)).await;
        assert!(matches!(slow, Err(TimeoutError::Elapsed)), "{slow:?}");
        let quick = timeout(HOUR, async { 7 }).await;
        assert_eq!(quick, Ok(7));
        // Yielding lets another ready task run in between.
        let flag = std::rc::Rc::new(std::cell::Cell::new(false));
        let set = std::rc::Rc::clone(&flag);
        let other = spawn(async move { set.set(true) })?;
        yield_now().await?;
        yield_now().await?;
        assert!(flag.get(), "the other task ran while this one yielded");
        other.await.expect("not cancelled");
        Ok::<_, ContextError>(())
    })
    .expect("the future finished")
    .expect("inside the executor");
}

pub fn async_udp_exchange_connect_and_refusal(b: &mut dyn Backend) {
    let mut r = b.reactor();
    block_on(&mut *r, async {
        let a = UdpSocket::bind(loopback()).await?;
        let b = UdpSocket::bind(loopback()).await?;
        let (a_addr, b_addr) = (a.local_addr()?, b.local_addr()?);
        assert_eq!(a.send_to(b"ping", b_addr).await?, 4);
        let mut buf = [0; 64];
        let (n, from) = b.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"ping"[..], a_addr));
        b.send_to(b"pong", from).await?;
        let (n, from) = a.recv_from(&mut buf).await?;
        assert_eq!((&buf[..n], from), (&b"pong"[..], b_addr));
        let too_big = a.send_to(&vec![0; 70_000], b_addr).await.map(|_| ());
        assert_eq!(
            too_big.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::InvalidInput)
        );
        // A connected socket hears a refusal from a port nobody holds.
        let gone = UdpSocket::bind(loopback()).await?;
        let gone_addr = gone.local_addr()?;
        drop(gone);
        sleep(MS).await?;
        let c = UdpSocket::bind(loopback()).await?;
        c.connect(gone_addr).await?;
        c.send(b"anyone?").await?;
        let refused = c.recv(&mut buf).await.map_err(|e| e.kind());
        assert_eq!(refused, Err(std::io::ErrorKind::ConnectionRefused));
        // It keeps working: connect a fresh pair and talk.
        let d = UdpSocket::bind(loopback()).await?;
        d.connect(b_addr).await?;
        d.send(b"still here").await?;
        let (n, _) = b.recv_from(&mut buf).await?;
        assert_eq!(&buf[..n], b"still here");
        std::io::Result::Ok(())
    })
    .expect("the future finished")
    .expect("no I/O error");
}

pub fn async_udp_multicast_on_loopback(b: &mut dyn Backend) {
    let group = Ipv4Addr::new(239, 255, 43, 13);
    let lo = Ipv4Addr::LOCALHOST;
    let mut r = b.reactor();
    block_on(&mut *r, async move {
        let reuse = twinreactor::UdpOptions {
            reuse_address: true,
            ..Default::default()
        };
        let member = UdpSocket::bind_with(SocketAddr::new(group.into(), 0), reuse).await?;
        let port = member.local_addr()?.port();
        member.join_multicast_v4(group, lo).await?;
        let again = member.join_multicast_v4(group, lo).await;
        assert_eq!(
            again.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::AddrInUse)
        );
        let not_a_group = member.join_multicast_v4(lo, lo).await;
        assert_eq!(
            not_a_group.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::InvalidInput)
        );
        let sender = UdpSocket::bind(loopback()).await?;
        assert!(
            sender.multicast_loop_v4().await?,
            "loopback is on by default"
        );
        assert_eq!(sender.multicast_ttl_v4().await?, 1);
        sender.set_multicast_ttl_v4(0).await?;
        assert_eq!(sender.multicast_ttl_v4().await?, 0);
        sender.set_multicast_interface_v4(lo).await?;
        sender
            .send_to(b"to the group", SocketAddr::new(group.into(), port))
            .await?;
        let mut buf = [0; 64];
        let (n, from) = member.recv_from(&mut buf).await?;
        assert_eq!(
            (&buf[..n], from),
            (&b"to the group"[..], sender.local_addr()?)
        );
        member.leave_multicast_v4(group, lo).await?;
        let left = member.leave_multicast_v4(group, lo).await;
        assert_eq!(
            left.map_err(|e| e.kind()),
            Err(std::io::ErrorKind::AddrNotAvailable)
        );
        std::io::Result::Ok(())
    })
    .expect("the future finished")
    .expect("no I/O error");
}

/// Back-pressure through the async layer: writing 512 KiB to a child that reads nothing for
/// its first 200 ms cannot finish before the child reads (its pipe, the reactor's buffer up
/// to the pause and the writes waiting for the reactor hold about half of it), and
/// everything comes back intact.
pub fn async_process_stdin_waits_for_a_child_that_reads_late(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let data: Vec<u8> = (0..1u32 << 19).map(|i| (i % 239) as u8).collect();
    let input = data.clone();
    let (out, written_at, started) = block_on(&mut *r, async move {
        let started = now()?;
        let spec = ProcessSpec::new(HELPER).arg("late-echo").arg("200");
        let mut child = Child::spawn(spec).await?;
        let mut stdin = child.stdin.take().expect("stdin is there once");
        let mut stdout = child.stdout.take().expect("stdout is there once");
        // Reads in 64 KiB steps (`read_to_end` zero-fills its spare room at every poll,
        // which a debug build pays dearly for over many small reads).
        let reader = spawn(async move {
            let (mut out, mut buf) = (Vec::new(), vec![0; 64 * 1024]);
            loop {
                match stdout.read(&mut buf).await? {
                    0 => return std::io::Result::Ok(out),
                    n => out.extend_from_slice(&buf[..n]),
                }
            }
        })?;
        stdin.write_all(&input).await?;
        let written_at = now()?;
        stdin.close().await?;
        let out = reader.await.expect("not cancelled")?;
        assert_eq!(child.wait().await?, ExitStatus::Code(0));
        std::io::Result::Ok((out, written_at, started))
    })
    .expect("the future finished")
    .expect("no I/O error");
    assert!(
        out == data,
        "{} of 512 KiB came back, or out of order",
        out.len()
    );
    assert!(
        written_at - started >= 200 * MS,
        "the write finished {:?} after the spawn, before the child read anything",
        written_at - started
    );
}

pub fn async_process_stdin_stdout_stderr_wait_and_kill(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let (out, status) = block_on(&mut *r, async {
        let mut child = Child::spawn(ProcessSpec::new(HELPER).arg("echo")).await?;
        let mut stdin = child.stdin.take().expect("stdin is there once");
        let mut stdout = child.stdout.take().expect("stdout is there once");
        stdin.write_all(b"hello, ").await?;
        stdin.write_all(b"child").await?;
        stdin.close().await?;
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).await?;
        let status = child.wait().await?;
        std::io::Result::Ok((out, status))
    })
    .expect("the future finished")
    .expect("no I/O error");
    assert_eq!(out, b"hello, child");
    assert_eq!(status, ExitStatus::Code(0));

    let mut r = b.reactor();
    let (out, err, killed) = block_on(&mut *r, async {
        let mut child = Child::spawn(
            ProcessSpec::new(HELPER)
                .arg("both")
                .arg("to out")
                .arg("to err"),
        )
        .await?;
        let mut stderr = child.stderr.take().expect("stderr is there once");
        let err = spawn(async move {
            let mut err = Vec::new();
            stderr.read_to_end(&mut err).await.map(|_| err)
        })?;
        let mut out = Vec::new();
        child
            .stdout
            .take()
            .expect("stdout is there once")
            .read_to_end(&mut out)
            .await?;
        assert_eq!(child.wait().await?, ExitStatus::Code(0));
        let err = err.await.expect("not cancelled")?;
        let sleeper = Child::spawn(ProcessSpec::new(HELPER).arg("sleep")).await?;
        sleeper.kill().await?;
        let killed = sleeper.wait().await?;
        let again = sleeper.kill().await.map_err(|e| e.kind());
        assert_eq!(
            again,
            Err(std::io::ErrorKind::InvalidInput),
            "it has exited"
        );
        std::io::Result::Ok((out, err, killed))
    })
    .expect("the future finished")
    .expect("no I/O error");
    assert_eq!(
        (out.as_slice(), err.as_slice()),
        (&b"to out"[..], &b"to err"[..])
    );
    assert_eq!(killed, ExitStatus::Signal(twinreactor::Signal::KILL));

    let mut r = b.reactor();
    let missing = block_on(&mut *r, async {
        Child::spawn(ProcessSpec::new("/nonexistent/program"))
            .await
            .map(|_| ())
            .map_err(|e| e.kind())
    })
    .expect("the future finished");
    assert_eq!(missing, Err(std::io::ErrorKind::NotFound));
}

pub fn async_cancel_by_dropping_the_handle_closes_the_task_stream(b: &mut dyn Backend) {
    let mut r = b.reactor();
    block_on(&mut *r, async {
        let listener = TcpListener::bind(loopback()).await?;
        let addr = listener.local_addr()?;
        let sleeper = spawn_named("holds a stream", async move {
            let _stream = TcpStream::connect(addr).await?;
            sleep(HOUR).await?;
            std::io::Result::Ok(())
        })?;
        let (mut s, _) = listener.accept().await?;
        drop(sleeper);
        // The task's stream closes as its future is dropped: the peer reads EOF.
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await?;
        assert!(rest.is_empty());
        // An explicit cancel: awaiting the handle then says so.
        let long = spawn(sleep(HOUR))?;
        long.cancel();
        assert_eq!(long.await.map(|_| ()), Err(JoinError::Cancelled));
        // A timeout drops the future it gave up on (and so its timer).
        let gave_up = timeout(MS, sleep(HOUR)).await;
        assert!(gave_up.is_err());
        std::io::Result::Ok(())
    })
    .expect("the future finished")
    .expect("no I/O error");
}

pub fn async_foreign_executor_is_an_error(b: &mut dyn Backend) {
    let mut r = b.reactor();
    let other = Executor::new(&*r);
    let outcome = block_on(&mut *r, async move {
        let listener = TcpListener::bind(loopback()).await?;
        let polled_there = other.spawn(async move {
            let result = listener.accept().await.map(|_| ());
            result.map_err(|e| e.to_string())
        });
        std::io::Result::Ok(polled_there.await.expect("not cancelled"))
    })
    .expect("the future finished")
    .expect("no I/O error");
    let message = outcome.expect_err("polled by another executor");
    assert!(
        message.contains("polled by a task of executor"),
        "unexpected message: {message}"
    );
}
