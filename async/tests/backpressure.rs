//! Back-pressure follows the contract's pause/resume: a writer into a reader that does not
//! read is held back (simulator: its bounded receive window and the high-water mark make
//! this exact), and everything arrives once the reader reads.

use std::time::Duration;

use futures_util::{AsyncReadExt, AsyncWriteExt};
use twinreactor_async::{block_on, now, sleep, spawn, TcpListener, TcpStream};
use twinreactor_sim::Sim;

#[test]
fn a_writer_into_a_reader_that_waits_is_held_back_until_it_reads() {
    const LEN: usize = 4 * 1024 * 1024;
    const READER_WAKES: Duration = Duration::from_secs(1);
    let mut sim = Sim::new(11);
    let (finished_writing, got) = block_on(&mut sim, async {
        let listener = TcpListener::bind("127.0.0.1:0".parse().expect("an address")).await?;
        let addr = listener.local_addr()?;
        let reader = spawn(async move {
            let (mut s, _) = listener.accept().await?;
            sleep(READER_WAKES).await?;
            let mut got = Vec::new();
            s.read_to_end(&mut got).await?;
            std::io::Result::Ok(got)
        })?;
        let mut c = TcpStream::connect(addr).await?;
        let data: Vec<u8> = (0..LEN).map(|i| (i % 253) as u8).collect();
        c.write_all(&data).await?;
        let finished_writing = now()?;
        c.close().await?;
        drop(c);
        let got = reader.await.expect("not cancelled")?;
        assert!(got == data, "the bytes arrived whole and in order");
        std::io::Result::Ok((finished_writing, got.len()))
    })
    .expect("the future finished")
    .expect("no I/O error");
    assert_eq!(got, LEN);
    assert!(
        finished_writing >= READER_WAKES,
        "the writer finished at {finished_writing:?}, before the reader read"
    );
}
