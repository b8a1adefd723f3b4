//! Streamed answers. A blocking task renders into a [`Write`] whose pieces
//! go to the client as they are made (chunked transfer), so an export of
//! any size holds one piece of text at a time, never the whole answer, and
//! the first bytes leave at once. There is no cap on rows or cells.
//!
//! A failure after the first bytes cannot change the status any more: the
//! stream is cut (the client sees an incomplete transfer, never a short
//! file that looks whole) and the failure is logged.

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use http_body::Frame;
use tokio::sync::mpsc;

/// Bytes per piece sent.
pub const PIECE: usize = 256 << 10;

type Piece = Result<Bytes, std::io::Error>;

struct ChannelBody(mpsc::Receiver<Piece>);

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.0.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }
}

/// A [`Write`] that sends what it is given in pieces of [`PIECE`] bytes.
pub struct Sink {
    buf: Vec<u8>,
    tx: mpsc::Sender<Piece>,
}

impl Sink {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE)));
        self.tx.blocking_send(Ok(piece)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A `200` whose body `render` writes from a blocking task.
pub fn streamed(
    media: &str,
    file_name: Option<&str>,
    render: impl FnOnce(&mut Sink) -> anyhow::Result<()> + Send + 'static,
) -> Response {
    let (tx, rx) = mpsc::channel::<Piece>(4);
    tokio::task::spawn_blocking(move || {
        let mut sink = Sink {
            buf: Vec::with_capacity(PIECE),
            tx,
        };
        let done = render(&mut sink).and_then(|()| Ok(sink.send()?));
        if let Err(e) = done {
            let gone = e
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe);
            if !gone {
                tracing::error!("a streamed answer failed: {e:#}");
                let _ = sink
                    .tx
                    .blocking_send(Err(std::io::Error::other("the answer failed")));
            }
        }
    });
    let mut res = Response::new(Body::new(ChannelBody(rx)));
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(media) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Some(name) = file_name {
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    res
}
