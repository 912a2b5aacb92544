//! tokio's `AsyncRead` / `AsyncWrite` on the stream types (feature `tokio`: tokio's io
//! traits only, no runtime). Each forwards to the type's `futures-io` implementation.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use crate::process::{ChildStdin, ChildStdout};
use crate::tcp::TcpStream;

/// Implements tokio's `AsyncRead` over the type's `futures_io::AsyncRead`.
macro_rules! tokio_read {
    ($t:ty) => {
        impl tokio::io::AsyncRead for $t {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                let unfilled = buf.initialize_unfilled();
                match futures_io::AsyncRead::poll_read(self, cx, unfilled) {
                    Poll::Ready(Ok(n)) => {
                        buf.advance(n);
                        Poll::Ready(Ok(()))
                    }
                    Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    };
}

/// Implements tokio's `AsyncWrite` over the type's `futures_io::AsyncWrite`
/// (`poll_shutdown` is `poll_close`).
macro_rules! tokio_write {
    ($t:ty) => {
        impl tokio::io::AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                futures_io::AsyncWrite::poll_write(self, cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_flush(self, cx)
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                futures_io::AsyncWrite::poll_close(self, cx)
            }
        }
    };
}

tokio_read!(TcpStream);
tokio_write!(TcpStream);
tokio_read!(ChildStdout);
tokio_write!(ChildStdin);
