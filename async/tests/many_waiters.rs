//! Several tasks awaiting one object at once are each woken: two accepts on one listener,
//! two receives on one UDP socket.

use std::rc::Rc;

use twinreactor_async::{block_on, spawn, TcpListener, TcpStream, UdpSocket};
use twinreactor_sim::Sim;

#[test]
fn two_tasks_accepting_on_one_listener_both_get_a_connection() {
    let mut sim = Sim::new(21);
    let accepted = block_on(&mut sim, async {
        let listener =
            Rc::new(TcpListener::bind("127.0.0.1:0".parse().expect("an address")).await?);
        let addr = listener.local_addr()?;
        let acceptors: Vec<_> = (0..2)
            .map(|_| {
                let l = Rc::clone(&listener);
                spawn(async move { l.accept().await.map(|(_, peer)| peer) })
            })
            .collect::<Result<_, _>>()?;
        let a = TcpStream::connect(addr).await?;
        let b = TcpStream::connect(addr).await?;
        let mut peers = Vec::new();
        for acceptor in acceptors {
            peers.push(acceptor.await.expect("not cancelled")?);
        }
        peers.sort();
        let mut mine = vec![a.local_addr()?, b.local_addr()?];
        mine.sort();
        std::io::Result::Ok(peers == mine)
    });
    assert!(matches!(accepted, Ok(Ok(true))), "{accepted:?}");
}

#[test]
fn two_tasks_receiving_on_one_socket_both_get_a_datagram() {
    let mut sim = Sim::new(22);
    let got = block_on(&mut sim, async {
        let socket = Rc::new(UdpSocket::bind("127.0.0.1:0".parse().expect("an address")).await?);
        let addr = socket.local_addr()?;
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let s = Rc::clone(&socket);
                spawn(async move {
                    let mut buf = [0; 8];
                    s.recv_from(&mut buf).await.map(|(n, _)| buf[..n].to_vec())
                })
            })
            .collect::<Result<_, _>>()?;
        let sender = UdpSocket::bind("127.0.0.1:0".parse().expect("an address")).await?;
        sender.send_to(b"one", addr).await?;
        sender.send_to(b"two", addr).await?;
        let mut got = Vec::new();
        for r in receivers {
            got.push(r.await.expect("not cancelled")?);
        }
        got.sort();
        std::io::Result::Ok(got)
    });
    assert_eq!(
        got.expect("finished").expect("no I/O error"),
        [b"one", b"two"]
    );
}
