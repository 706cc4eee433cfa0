//! Pictures on this device: keeping a photo taken for a visit, showing one (its thumbnail, or
//! the picture itself, fetched from the server the first time), taking one out of its
//! prospect, and the cache of originals: its size, its cap, and downloading the photos of the
//! territories before going where there is no network.

use census_core::{PhotoAnswer, Prospect, ProspectId, TerritoryId};
use census_replica::{PictureCache, PictureDownload};
use tauri::ipc::{InvokeBody, Request, Response};
use tauri::{AppHandle, Runtime, State};

use super::edits::edit;
use crate::jobs::{Job, run_job};
use crate::{AppError, AppState, ErrorKind, now};

/// The request header naming a picture's type (the IPC keeps `content-type` for itself).
const PHOTO_TYPE_HEADER: &str = "census-photo-type";

/// Keeps a picture sent as the raw request body, its type in the [`PHOTO_TYPE_HEADER`] header.
#[tauri::command]
pub async fn store_photo(state: State<'_, AppState>, request: Request<'_>) -> Result<PhotoAnswer, AppError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::new(
            ErrorKind::Invalid,
            "the picture did not arrive as bytes",
            "фото не дошло; добавьте его ещё раз",
        ));
    };
    let mime = request.headers().get(PHOTO_TYPE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let bytes = bytes.clone();
    state.run(move |replica| Ok(replica.store_photo(&bytes, &mime, now())?)).await
}

/// A picture's bytes, for showing it: its thumbnail when `thumbnail` and this device has one
/// (lists and cards), else the picture itself, from this device or fetched from the server
/// (and kept here) when someone is signed in and the server can be reached.
#[tauri::command]
pub async fn photo(state: State<'_, AppState>, sha256: String, thumbnail: bool) -> Result<Response, AppError> {
    let bytes = state
        .run(move |replica| {
            if thumbnail && let Some(small) = replica.thumbnail(&sha256)? {
                return Ok(small.bytes);
            }
            if let Some(photo) = replica.photo(&sha256)? {
                return Ok(photo.bytes);
            }
            if replica.server()?.is_none() {
                return Err(AppError::new(
                    ErrorKind::Invalid,
                    "this picture is not on this device",
                    "этого фото нет на этом устройстве",
                ));
            }
            let client = replica.client()?;
            Ok(replica.fetch_picture(&client, &sha256, now())?)
        })
        .await?;
    Ok(Response::new(bytes))
}

/// Takes a photo out of the prospect: its photos and its visits' answers no longer show it.
#[tauri::command]
pub async fn remove_photo(state: State<'_, AppState>, id: ProspectId, sha256: String) -> Result<Prospect, AppError> {
    edit(&state, id, move |p| p.remove_photo(&sha256).map(drop)).await
}

/// The originals kept on this device, against the cap.
#[tauri::command]
pub async fn picture_cache(state: State<'_, AppState>) -> Result<PictureCache, AppError> {
    state.run(|replica| Ok(replica.picture_cache()?)).await
}

/// Sets the room for originals on this device (making room under it at once).
#[tauri::command]
pub async fn set_picture_cache_limit(state: State<'_, AppState>, bytes: u64) -> Result<PictureCache, AppError> {
    state.run(move |replica| Ok(replica.set_picture_cache_limit(bytes)?)).await
}

/// Downloads the photos of `territory` (or of every territory this device syncs) that are not
/// here yet, as many as the room allows; a job that tells how far it got and may be stopped.
#[tauri::command]
pub async fn download_pictures<R: Runtime>(
    app: AppHandle<R>,
    territory: Option<TerritoryId>,
) -> Result<PictureDownload, AppError> {
    run_job(&app, Job::PictureDownload, move |replica| {
        let client = replica.client()?;
        Ok(replica.download_pictures(&client, territory, now())?)
    })
    .await
}
