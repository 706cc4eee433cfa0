//! The map-pack endpoints (docs/protocol.md, "Map packs"):
//!
//! - `GET /api/v1/maps`: the packs the caller's device should have (`map_packs.rs` says which),
//!   `[{name, sha256, bytes, bounds, added_at}]`;
//! - `GET /api/v1/maps/{sha256}`: a pack's file, read from disk a piece at a time; with
//!   `Range: bytes=N-` only the bytes from `N` (`206`), so that a download cut off goes on
//!   where it stopped.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::api::{AppState, authenticate, blocking};
use crate::error::ApiError;
use crate::map_packs::{MapPackRecord, file_of, for_caller};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new().route("/api/v1/maps", get(list)).route("/api/v1/maps/{sha256}", get(download))
}

/// The packs for the caller.
async fn packs_for(state: &Arc<AppState>, headers: &HeaderMap) -> Result<Vec<MapPackRecord>, ApiError> {
    let caller = authenticate(state, headers).await?;
    let store = state.store.clone();
    let (packs, directory) = blocking(move || Ok((store.map_packs()?, store.directory()?))).await?;
    Ok(for_caller(packs, &caller, &directory))
}

async fn list(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<Vec<MapPackRecord>>, ApiError> {
    Ok(Json(packs_for(&state, &headers).await?))
}

/// The first byte a `Range: bytes=N-` header asks for (any other form of range is not one a
/// device sends, and gets the whole file).
fn range_start(headers: &HeaderMap) -> Option<u64> {
    let value = headers.get(header::RANGE)?.to_str().ok()?;
    value.strip_prefix("bytes=")?.strip_suffix('-')?.trim().parse().ok()
}

async fn download(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let packs = packs_for(&state, &headers).await?;
    let missing = || ApiError::NotFound("there is no such map pack for your territories".into());
    let pack = packs.into_iter().find(|p| p.sha256 == sha256).ok_or_else(missing)?;
    let path = state.map_packs.as_deref().and_then(|folder| file_of(folder, &pack.sha256)).ok_or_else(missing)?;
    let length = pack.bytes;
    let start = range_start(&headers).unwrap_or(0);
    if start > length {
        let mut refused = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
        refused.headers_mut().insert(
            header::CONTENT_RANGE,
            format!("bytes */{length}").parse().unwrap_or(HeaderValue::from_static("bytes */0")),
        );
        return Ok(refused);
    }
    let body = crate::streamed_body::streamed(start, length, move |offset, len| read_piece(&path, offset, len));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.mapbox-vector-tile+mbtiles"));
    headers.insert(header::CONTENT_LENGTH, (length - start).into());
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if start > 0 {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        let range = format!("bytes {start}-{}/{length}", length.saturating_sub(1));
        if let Ok(range) = range.parse() {
            response.headers_mut().insert(header::CONTENT_RANGE, range);
        }
    }
    Ok(response)
}

fn read_piece(path: &std::path::Path, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut piece = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut piece)?;
    Ok(piece)
}
