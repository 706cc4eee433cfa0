//! Census visits: the questionnaire, drafts kept while it is filled in, and recording the visit
//! (checked against the questionnaire). The photos its answers name are in `pictures.rs`.

use std::collections::BTreeMap;

use census_core::{
    Answer, EditContext, Location, ProspectId, QuestionId, Questionnaire, QuestionnaireId, QuestionnaireRef, Visit,
    VisitId,
};
use census_replica::{VisitDraft, VisitOutcome};
use serde::Deserialize;
use tauri::State;

use super::edits::edit_context;
use crate::{AppError, AppState, now};

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
