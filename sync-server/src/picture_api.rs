//! The picture endpoints (docs/protocol.md, "Pictures"): a resumable upload in the manner of
//! tus, and the download.
//!
//! - `GET /api/v1/pictures/{name}/upload?prospect=ID`: how much of the picture the server has
//!   (`{"offset": n, "complete": bool}`); a picture stored whole, from any device, is never
//!   sent again.
//! - `PATCH /api/v1/pictures/{name}?prospect=ID` with `Upload-Offset` and `Upload-Length`: the
//!   next chunk (at most [`MAX_CHUNK_BYTES`]), appended only at the offset the server has
//!   reached (else `409 wrong_offset` with the right one). The last chunk is followed by the
//!   hash check: bytes that do not hash to the name are refused (`422 picture_mismatch`) and
//!   not kept.
//! - `GET /api/v1/pictures/{name}`: the picture, read from disk a piece at a time.
//! - `GET /api/v1/thumbnails?scope=T&after=NAME`: the thumbnails of the territory's pictures (a
//!   thumbnail is uploaded like any picture, with `thumbnail_of` naming the picture it shows).
//! - `GET /api/v1/pictures?scope=T&after=NAME`: the territory's pictures and their lengths, for
//!   a device to download them all.
//!
//! Uploading needs a device that may write the prospect, whose document names the picture; the
//! first bytes must show a picture Census takes (`census_core::pictures::ImageKind`), and the
//! whole at most `MAX_PICTURE_BYTES`. Reading needs a person who may read one of the prospects
//! the picture was uploaded for.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use census_core::pictures::{ImageKind, MAX_PICTURE_BYTES, SNIFFED_BYTES, is_picture_name};
use census_core::{ProspectId, TerritoryId};
use serde::Deserialize;

use crate::access::Caller;
use crate::api::{AppState, authenticate, blocking, now, read_body};
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::pictures::Appended;

/// The most one upload request carries: a lost connection costs at most this much again.
pub const MAX_CHUNK_BYTES: usize = 4 * 1024 * 1024;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/pictures/{name}", get(download).patch(upload))
        .route("/api/v1/pictures/{name}/upload", get(upload_status))
        .route("/api/v1/thumbnails", get(thumbnails))
        .route("/api/v1/pictures", get(territory_pictures))
}

/// Thumbnails and pictures listed a page at a time.
const LIST_PAGE: u32 = 1_000;

#[derive(Debug, Deserialize)]
struct ScopeQuery {
    scope: String,
    #[serde(default)]
    after: String,
}

/// The territory a list is asked for, once the caller is found to read it, and the name to list
/// after.
async fn readable_scope(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    query: Result<Query<ScopeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<(TerritoryId, String), ApiError> {
    let caller = authenticate(state, headers).await?;
    let Query(query) =
        query.map_err(|e| ApiError::BadRequest(format!("a list of pictures needs a scope: {}", e.body_text())))?;
    let scope: TerritoryId =
        query.scope.parse().map_err(|e: census_core::ids::InvalidId| ApiError::BadRequest(e.to_string()))?;
    if !caller.may_read(scope) {
        return Err(ApiError::Forbidden(format!("territory {scope} is not one of yours")));
    }
    Ok((scope, query.after.chars().take(64).collect()))
}

/// The thumbnails of the pictures of a territory's prospects (`[{"picture", "thumbnail"}]`, by
/// picture, after `after`), for a device to fetch after its pull.
async fn thumbnails(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ScopeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (scope, after) = readable_scope(&state, &headers, query).await?;
    let found = blocking(move || Ok(state.store.thumbnails(scope, &after, LIST_PAGE)?)).await?;
    let entries =
        found.into_iter().map(|(picture, thumbnail)| serde_json::json!({ "picture": picture, "thumbnail": thumbnail }));
    Ok(Json(entries.collect()))
}

/// The pictures of a territory's prospects stored whole, not thumbnails (`[{"name", "bytes"}]`,
/// by name after `after`), for a device to download them all before going where there is no
/// network.
async fn territory_pictures(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ScopeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (scope, after) = readable_scope(&state, &headers, query).await?;
    let found = blocking(move || Ok(state.store.territory_pictures(scope, &after, LIST_PAGE)?)).await?;
    let entries = found.into_iter().map(|(name, bytes)| serde_json::json!({ "name": name, "bytes": bytes }));
    Ok(Json(entries.collect()))
}

#[derive(Debug, Deserialize)]
struct ForProspect {
    prospect: String,
    /// The picture this one is a thumbnail of (which the prospect's document names).
    #[serde(default)]
    thumbnail_of: Option<String>,
}

/// Where an upload stands: the bytes the server has, and whether the picture is whole.
#[derive(Debug, serde::Serialize)]
struct UploadState {
    offset: u64,
    complete: bool,
}

/// The picture's name, checked, and the prospect it is uploaded for, once the caller is found
/// to be allowed to upload it.
async fn upload_rights(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    name: &str,
    query: Result<Query<ForProspect>, axum::extract::rejection::QueryRejection>,
) -> Result<(Caller, ProspectId), ApiError> {
    let caller = authenticate(state, headers).await?;
    if !is_picture_name(name) {
        return Err(ApiError::BadRequest("a picture is named by the lower-case hex SHA-256 of its bytes".into()));
    }
    let Query(query) =
        query.map_err(|e| ApiError::BadRequest(format!("say which prospect the picture is for: {}", e.body_text())))?;
    let doc: ProspectId =
        query.prospect.parse().map_err(|e: census_core::ids::InvalidId| ApiError::BadRequest(e.to_string()))?;
    if query.thumbnail_of.as_deref().is_some_and(|of| !is_picture_name(of)) {
        return Err(ApiError::BadRequest("thumbnail_of names a picture by its SHA-256".into()));
    }
    // A thumbnail goes where its picture goes: the document must name the picture.
    let shown = query.thumbnail_of.clone().unwrap_or_else(|| name.to_owned());
    let store = state.store.clone();
    let territory = blocking(move || Ok(store.picture_upload_territory(&shown, doc)?)).await?;
    let Some(territory) = territory else {
        return Err(refused(
            &caller,
            name,
            format!("prospect {doc} is not on the server or does not show this picture"),
        ));
    };
    caller.may_write(Some(territory), territory).map_err(|reason| refused(&caller, name, reason))?;
    if let Some(picture) = query.thumbnail_of {
        let (store, thumbnail) = (state.store.clone(), name.to_owned());
        blocking(move || Ok(store.record_thumbnail(&picture, &thumbnail, doc)?)).await?;
    }
    Ok((caller, doc))
}

/// A refusal, logged as a security event (a device asking for what it may not do).
fn refused(caller: &Caller, name: &str, reason: String) -> ApiError {
    tracing::warn!(target: "security", user = %caller.user, device = %caller.device, picture = name, "picture refused: {reason}");
    ApiError::Forbidden(reason)
}

async fn upload_status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    query: Result<Query<ForProspect>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    upload_rights(&state, &headers, &name, query).await?;
    let answer = blocking(move || {
        let stored = state.pictures.stored(&name).map_err(io_failed)?;
        Ok(match stored {
            Some(length) => UploadState { offset: length, complete: true },
            None => UploadState { offset: state.pictures.partial(&name).map_err(io_failed)?, complete: false },
        })
    })
    .await?;
    Ok(Json(serde_json::json!(answer)))
}

async fn upload(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    query: Result<Query<ForProspect>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Result<Response, ApiError> {
    let (caller, _) = upload_rights(&state, &headers, &name, query).await?;
    let number = |header: &str| -> Result<u64, ApiError> {
        let value = headers.get(header).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok());
        value.ok_or_else(|| ApiError::BadRequest(format!("an upload needs the {header} header (a number of bytes)")))
    };
    let (offset, length) = (number("upload-offset")?, number("upload-length")?);
    if length == 0 || length > MAX_PICTURE_BYTES {
        return Err(ApiError::BadRequest(format!(
            "a picture is 1 byte to {} MB; this one says it is {length} bytes",
            MAX_PICTURE_BYTES / 1_048_576
        )));
    }
    let chunk = read_body(body, MAX_CHUNK_BYTES).await?;
    Metrics::count(&state.metrics.picture_bytes_received, chunk.len() as u64);
    if offset.checked_add(chunk.len() as u64).is_none_or(|end| end > length) {
        return Err(ApiError::BadRequest("the chunk goes past the picture's Upload-Length".into()));
    }
    if offset == 0 && ImageKind::of(&chunk[..chunk.len().min(SNIFFED_BYTES)]).is_none() {
        tracing::warn!(target: "security", user = %caller.user, device = %caller.device, picture = name, "an upload that is not a picture");
        return Err(ApiError::BadRequest("this is not a picture Census takes (JPEG, PNG, WebP or HEIC)".into()));
    }
    blocking(move || {
        if let Some(stored) = state.pictures.stored(&name).map_err(io_failed)? {
            return Ok(progress(UploadState { offset: stored, complete: true }));
        }
        let grown = match state.pictures.append(&name, offset, &chunk).map_err(io_failed)? {
            Appended::Grown(grown) => grown,
            Appended::WrongOffset(stored) => return Ok(wrong_offset(stored)),
        };
        if grown < length {
            return Ok(progress(UploadState { offset: grown, complete: false }));
        }
        if !state.pictures.complete(&name).map_err(io_failed)? {
            tracing::warn!(target: "security", user = %caller.user, device = %caller.device, picture = name, "an upload whose bytes are not its name's");
            return Ok(mismatch());
        }
        let first = state.pictures.read(&name, 0, SNIFFED_BYTES).map_err(io_failed)?;
        let mime = ImageKind::of(&first).map_or("application/octet-stream", ImageKind::mime);
        state.store.picture_stored(&name, mime, grown, now())?;
        Metrics::count(&state.metrics.pictures_stored, 1);
        Ok(progress(UploadState { offset: grown, complete: true }))
    })
    .await
}

fn progress(state: UploadState) -> Response {
    Json(serde_json::json!(state)).into_response()
}

fn wrong_offset(stored: u64) -> Response {
    let body = serde_json::json!({
        "code": "wrong_offset",
        "message": format!("the server has {stored} bytes of this picture; go on from there"),
        "offset": stored,
    });
    (StatusCode::CONFLICT, Json(body)).into_response()
}

fn mismatch() -> Response {
    let body = serde_json::json!({
        "code": "picture_mismatch",
        "message": "the bytes sent do not hash to the picture's name; nothing of it was kept",
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

fn io_failed(e: std::io::Error) -> ApiError {
    ApiError::Internal(format!("the picture store failed: {e}"))
}

async fn download(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &headers).await?;
    if !is_picture_name(&name) {
        return Err(ApiError::BadRequest("a picture is named by the lower-case hex SHA-256 of its bytes".into()));
    }
    let (store, named) = (state.store.clone(), name.clone());
    let (described, territories) =
        blocking(move || Ok((store.picture(&named)?, store.picture_territories(&named)?))).await?;
    let readable = territories.iter().any(|territory: &TerritoryId| caller.may_read(*territory));
    let Some((mime, length)) = described.filter(|_| readable) else {
        // The same answer whether the picture is missing or not the caller's to read.
        return Err(ApiError::NotFound("there is no such picture among the prospects you may read".into()));
    };
    let pictures = state.pictures.clone();
    let body = crate::streamed_body::streamed(0, length, move |offset, len| pictures.read(&name, offset, len));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_str(&mime).unwrap_or(HeaderValue::from_static("image/jpeg")));
    headers.insert(header::CONTENT_LENGTH, length.into());
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=31536000, immutable"));
    Ok(response)
}
