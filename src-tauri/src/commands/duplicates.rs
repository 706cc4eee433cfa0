//! Duplicates: the agent's warning before adding a shop twice, and the manager's pairs of the
//! whole base, merged or set apart.

use census_core::{DuplicateProbe, MergeSummary, NewProspect, ProspectId};
use census_replica::{DuplicateCandidate, DuplicatePairs};
use tauri::State;

use super::edits::edit_context;
use crate::{AppError, AppState};

/// Prospects within 150 m that a new one may duplicate, the likeliest first.
#[tauri::command]
pub fn likely_duplicates(state: State<'_, AppState>, new: NewProspect) -> Result<Vec<DuplicateCandidate>, AppError> {
    let probe =
        DuplicateProbe { name: new.name, address: new.address.one_line(), phones: Vec::new(), location: new.location };
    Ok(state.replica().likely_duplicates(&probe, 150.0)?)
}

/// The likeliest duplicate pairs of everything on this device, and how many there are.
#[tauri::command]
pub fn duplicate_pairs(state: State<'_, AppState>, limit: u32) -> Result<DuplicatePairs, AppError> {
    Ok(state.replica().duplicate_pairs(limit as usize)?)
}

/// Merges `duplicate` into `survivor`, which keeps everything of both.
#[tauri::command]
pub fn merge_duplicate(
    state: State<'_, AppState>,
    survivor: ProspectId,
    duplicate: ProspectId,
) -> Result<MergeSummary, AppError> {
    let mut replica = state.replica();
    let ctx = edit_context(&replica)?;
    let merged = replica.merge_duplicate(survivor, duplicate, &ctx)?;
    state.edits.edited();
    Ok(merged)
}

/// Records that two look-alike prospects are different shops.
#[tauri::command]
pub fn set_apart(state: State<'_, AppState>, first: ProspectId, second: ProspectId) -> Result<(), AppError> {
    let mut replica = state.replica();
    let ctx = edit_context(&replica)?;
    replica.set_apart(first, second, &ctx)?;
    state.edits.edited();
    Ok(())
}
