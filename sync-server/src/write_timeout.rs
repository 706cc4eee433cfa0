//! A connection whose writes must make progress: a client that stops reading its answer (so the
//! socket's buffer fills and the server's write waits) is cut off after [`WRITE_STALL`], instead
//! of holding its connection, and the answer's memory, for as long as it likes.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// How long a write may wait for the client to read.
pub const WRITE_STALL: Duration = Duration::from_secs(30);

/// A stream whose writes fail with `TimedOut` once one has waited `stall` (the server uses
/// [`WRITE_STALL`]).
#[derive(Debug)]
pub struct WriteTimeout<S> {
    inner: S,
    stall: Duration,
    /// Running while a write waits; cleared whenever one goes through.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<S> WriteTimeout<S> {
    pub fn new(inner: S, stall: Duration) -> Self {
        WriteTimeout { inner, stall, stalled: None }
    }

    /// Called when the inner write is pending: an error once it has been pending too long.
    fn waiting(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let after = self.stall;
        let stall = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(after)));
        match stall.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading")),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progressed<T>(&mut self, outcome: Poll<io::Result<T>>, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        match outcome {
            Poll::Pending => self.waiting(cx).map(Err),
            ready => {
                self.stalled = None;
                ready
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteTimeout<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteTimeout<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let outcome = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.progressed(outcome, cx)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let outcome = Pin::new(&mut self.inner).poll_flush(cx);
        self.progressed(outcome, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let outcome = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.progressed(outcome, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let outcome = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.progressed(outcome, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_write_the_other_side_never_reads_fails_and_one_it_reads_goes_through() {
        let (server, mut client) = tokio::io::duplex(1024);
        let mut server = WriteTimeout::new(server, Duration::from_millis(200));
        // The client reads: a megabyte goes through a buffer of a kilobyte.
        let reading = tokio::spawn(async move {
            let mut received = vec![0u8; 1 << 20];
            client.read_exact(&mut received).await.unwrap();
            client
        });
        server.write_all(&vec![7u8; 1 << 20]).await.unwrap();
        let _client = reading.await.unwrap();
        // Now nobody reads: the write fails once it has waited the stall.
        let refused = server.write_all(&vec![7u8; 1 << 20]).await.unwrap_err();
        assert_eq!(refused.kind(), io::ErrorKind::TimedOut);
    }
}
