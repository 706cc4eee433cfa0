//! Changing prospects on this device: each edit is saved at once and sent with the next sync.

use census_core::{
    Contact, ContactId, ContactPatch, DocumentError, EditContext, FieldPath, FieldValue, Location, NewProspect,
    Prospect, ProspectEditor, ProspectId, ReviewState, Status,
};
use tauri::State;

use crate::{AppError, AppState, ErrorKind, now};

/// Records a new prospect on this device; it is sent with the next sync.
#[tauri::command]
pub async fn create_prospect(state: State<'_, AppState>, new: NewProspect) -> Result<Prospect, AppError> {
    if new.name.trim().is_empty() {
        return Err(AppError::new(ErrorKind::Invalid, "a prospect needs a name", "у точки должно быть название"));
    }
    let created = state
        .run(move |replica| {
            let ctx = edit_context(replica)?;
            let id = ProspectId::new_v7(ctx.at, rand::random());
            Ok(replica.create_prospect(id, &ctx, &new)?)
        })
        .await?;
    state.edits.edited();
    Ok(created)
}

#[tauri::command]
pub async fn set_status(state: State<'_, AppState>, id: ProspectId, status: Status) -> Result<Prospect, AppError> {
    edit(&state, id, move |p| p.set_status(status)).await
}

#[tauri::command]
pub async fn set_notes(state: State<'_, AppState>, id: ProspectId, notes: String) -> Result<Prospect, AppError> {
    edit(&state, id, move |p| p.set_notes(&notes)).await
}

#[tauri::command]
pub async fn set_location(
    state: State<'_, AppState>,
    id: ProspectId,
    location: Location,
) -> Result<Prospect, AppError> {
    edit(&state, id, move |p| p.set_location(&location)).await
}

#[tauri::command]
pub async fn add_contact(state: State<'_, AppState>, id: ProspectId, contact: Contact) -> Result<Prospect, AppError> {
    let contact_id = ContactId::new_v7(now(), rand::random());
    edit(&state, id, move |p| p.add_contact(contact_id, &contact)).await
}

#[tauri::command]
pub async fn edit_contact(
    state: State<'_, AppState>,
    id: ProspectId,
    contact: ContactId,
    patch: ContactPatch,
) -> Result<Prospect, AppError> {
    edit(&state, id, move |p| p.edit_contact(contact, &patch)).await
}

#[tauri::command]
pub async fn remove_contact(
    state: State<'_, AppState>,
    id: ProspectId,
    contact: ContactId,
) -> Result<Prospect, AppError> {
    edit(&state, id, move |p| p.remove_contact(contact)).await
}

/// The manager's verdict: approve (recording what was approved), or flag with a comment the
/// agent sees after the next sync.
#[tauri::command]
pub async fn set_review(
    state: State<'_, AppState>,
    id: ProspectId,
    review: ReviewState,
    comment: String,
) -> Result<Prospect, AppError> {
    edit(&state, id, move |p| p.set_review(review, &comment)).await
}

/// Settles a conflict with one of its values (or a new one), as `Replica::resolve_conflict` does.
#[tauri::command]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    id: ProspectId,
    path: FieldPath,
    value: FieldValue,
) -> Result<Prospect, AppError> {
    edit(&state, id, move |p| p.resolve(&path, &value)).await
}

/// Makes one edit of a prospect as the signed-in person, now.
pub(super) async fn edit(
    state: &AppState,
    id: ProspectId,
    change: impl FnOnce(&mut ProspectEditor<'_>) -> Result<(), DocumentError> + Send + 'static,
) -> Result<Prospect, AppError> {
    let edited = state
        .run(move |replica| {
            let ctx = edit_context(replica)?;
            Ok(replica.edit_prospect(id, &ctx, change)?)
        })
        .await?;
    state.edits.edited();
    Ok(edited)
}

/// Who is making an edit, and when.
pub(crate) fn edit_context(replica: &census_replica::Replica) -> Result<EditContext, AppError> {
    match replica.edit_context(now()) {
        Err(census_replica::ReplicaError::SignedOut) => {
            Err(AppError::new(ErrorKind::SignedOut, "sign in first", "сначала войдите в систему"))
        }
        other => Ok(other?),
    }
}
