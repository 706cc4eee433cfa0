//! Census visits: the questionnaire, drafts kept while it is filled in, recording the visit
//! (checked against the questionnaire), and the photos its answers name.

use std::collections::BTreeMap;

use census_core::{
    Answer, EditContext, Location, PhotoAnswer, ProspectId, QuestionId, Questionnaire, QuestionnaireId,
    QuestionnaireRef, Visit, VisitId,
};
use census_replica::{VisitDraft, VisitOutcome};
use serde::Deserialize;
use tauri::State;
use tauri::ipc::{InvokeBody, Request, Response};

use super::edits::edit_context;
use crate::{AppError, AppState, ErrorKind, now};

/// A visit as the form holds it: the id is missing until the first draft is saved.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Deserialize)]
pub struct VisitForm {
    pub id: Option<VisitId>,
    pub questionnaire: QuestionnaireRef,
    pub answers: BTreeMap<QuestionId, Answer>,
    pub location: Option<Location>,
    pub outcome: String,
}

impl VisitForm {
    fn into_visit(self, ctx: &EditContext) -> Visit {
        Visit {
            id: self.id.unwrap_or_else(|| VisitId::new_v7(ctx.at, rand::random())),
            at: ctx.at,
            agent: ctx.user,
            questionnaire: self.questionnaire,
            answers: self.answers,
            location: self.location,
            outcome: self.outcome,
        }
    }
}

/// The latest version of each questionnaire.
#[tauri::command]
pub async fn questionnaires(state: State<'_, AppState>) -> Result<Vec<Questionnaire>, AppError> {
    state.run(|replica| Ok(replica.questionnaires()?)).await
}

/// One version of a questionnaire: a draft is finished on the version it was started on.
#[tauri::command]
pub async fn questionnaire(
    state: State<'_, AppState>,
    id: QuestionnaireId,
    version: u32,
) -> Result<Questionnaire, AppError> {
    state.run(move |replica| Ok(replica.questionnaire(id, Some(version))?)).await
}

#[tauri::command]
pub async fn visit_drafts(state: State<'_, AppState>, prospect: ProspectId) -> Result<Vec<VisitDraft>, AppError> {
    state.run(move |replica| Ok(replica.visit_drafts(Some(prospect))?)).await
}

/// Keeps the form as it is, so nothing is lost if the agent is interrupted.
#[tauri::command]
pub async fn save_visit_draft(
    state: State<'_, AppState>,
    prospect: ProspectId,
    form: VisitForm,
) -> Result<Visit, AppError> {
    state
        .run(move |replica| {
            let visit = form.into_visit(&edit_context(replica)?);
            replica.save_visit_draft(prospect, &visit, now())?;
            Ok(visit)
        })
        .await
}

#[tauri::command]
pub async fn discard_visit_draft(state: State<'_, AppState>, visit: VisitId) -> Result<bool, AppError> {
    state.run(move |replica| Ok(replica.discard_visit_draft(visit)?)).await
}

/// Records the visit if its answers hold; otherwise keeps it as a draft and returns the problems.
#[tauri::command]
pub async fn record_visit(
    state: State<'_, AppState>,
    prospect: ProspectId,
    form: VisitForm,
) -> Result<VisitOutcome, AppError> {
    let outcome = state
        .run(move |replica| {
            let questionnaire = replica.questionnaire(form.questionnaire.id, Some(form.questionnaire.version))?;
            let ctx = edit_context(replica)?;
            let visit = form.into_visit(&ctx);
            let outcome = replica.record_visit(prospect, &ctx, &questionnaire, &visit)?;
            if let VisitOutcome::Invalid { .. } = outcome {
                replica.save_visit_draft(prospect, &visit, now())?;
            }
            Ok(outcome)
        })
        .await?;
    if let VisitOutcome::Recorded { .. } = outcome {
        state.edits.edited();
    }
    Ok(outcome)
}

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
