//! A response body read from disk a piece at a time (a picture, a map pack), each piece on the
//! blocking pool, so that no file is ever held whole in memory.

use axum::body::Body;

/// How much a streamed body reads at a time.
pub const PIECE_BYTES: usize = 256 * 1024;

/// The bytes from `start` to `length`, each piece read by `read(offset, PIECE_BYTES)`; a file
/// that ends early ends the body with an error (the client sees a cut download, never wrong
/// bytes).
pub fn streamed<F>(start: u64, length: u64, read: F) -> Body
where
    F: Fn(u64, usize) -> std::io::Result<Vec<u8>> + Clone + Send + Sync + 'static,
{
    let pieces = futures_util::stream::unfold(start, move |offset| {
        let read = read.clone();
        async move {
            if offset >= length {
                return None;
            }
            match tokio::task::spawn_blocking(move || read(offset, PIECE_BYTES)).await {
                Ok(Ok(piece)) if !piece.is_empty() => {
                    let next = offset + piece.len() as u64;
                    Some((Ok::<_, std::io::Error>(piece), next))
                }
                Ok(Ok(_)) => Some((Err(std::io::Error::other("the file ended early")), length)),
                Ok(Err(e)) => Some((Err(e), length)),
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), length)),
            }
        }
    });
    Body::from_stream(pieces)
}
