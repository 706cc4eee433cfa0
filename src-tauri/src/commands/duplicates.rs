//! Duplicates: the agent's warning before adding a shop twice, and the manager's pairs of the
//! whole base, merged or set apart.

use census_core::{DuplicateProbe, MergeSummary, NewProspect, ProspectId};
use census_replica::{DuplicateCandidate, DuplicatePairs};
use tauri::{AppHandle, Runtime, State};

use super::edits::edit_context;
use crate::jobs::{Job, run_job};
use crate::{AppError, AppState};

/// Prospects within 150 m that a new one may duplicate, the likeliest first.
#[tauri::command]
pub async fn likely_duplicates(
    state: State<'_, AppState>,
    new: NewProspect,
) -> Result<Vec<DuplicateCandidate>, AppError> {
    let probe =
        DuplicateProbe { name: new.name, address: new.address.one_line(), phones: Vec::new(), location: new.location };
    state.run(move |replica| Ok(replica.likely_duplicates(&probe, 150.0)?)).await
}

/// The likeliest duplicate pairs of everything on this device, and how many there are: a job
/// the manager may stop, seconds long on a large base.
#[tauri::command]
pub async fn duplicate_pairs<R: Runtime>(app: AppHandle<R>, limit: u32) -> Result<DuplicatePairs, AppError> {
    run_job(&app, Job::DuplicateSearch, move |replica| Ok(replica.duplicate_pairs(limit as usize)?)).await
}

/// Merges `duplicate` into `survivor`, which keeps everything of both.
#[tauri::command]
pub async fn merge_duplicate(
    state: State<'_, AppState>,
    survivor: ProspectId,
    duplicate: ProspectId,
) -> Result<MergeSummary, AppError> {
    let merged = state
        .run(move |replica| {
            let ctx = edit_context(replica)?;
            Ok(replica.merge_duplicate(survivor, duplicate, &ctx)?)
        })
        .await?;
    state.edits.edited();
    Ok(merged)
}

/// Records that two look-alike prospects are different shops.
#[tauri::command]
pub async fn set_apart(state: State<'_, AppState>, first: ProspectId, second: ProspectId) -> Result<(), AppError> {
    state
        .run(move |replica| {
            let ctx = edit_context(replica)?;
            Ok(replica.set_apart(first, second, &ctx)?)
        })
        .await?;
    state.edits.edited();
    Ok(())
}
