//! A manager's changes to the directory: devices, retiring people, territories, questionnaire
//! versions; the late work the server took, and the audit trail administrators read. They need
//! the server, and fail with "offline" in words when there is no network.

use census_core::{
    AuditEntry, AuditFilter, DeviceId, DeviceRecord, LateArrival, NewPerson, Person, Questionnaire, Retired,
    Retirement, Role, Territory, TerritoryId,
};
use census_replica::{Replica, SyncClient};
use tauri::State;

use crate::{AppError, AppState, ErrorKind, now};

/// Runs `work` with this device's replica and a client for its server, off the window.
async fn with_server<T: Send + 'static>(
    state: State<'_, AppState>,
    work: impl FnOnce(&mut Replica, &SyncClient) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    state
        .run(move |replica| {
            let client = replica.client()?;
            work(replica, &client)
        })
        .await
}

#[tauri::command]
pub async fn devices(state: State<'_, AppState>) -> Result<Vec<DeviceRecord>, AppError> {
    with_server(state, |replica, client| Ok(replica.devices(client)?)).await
}

/// The server's audit trail, newest first (administrators only; the server refuses others).
#[tauri::command]
pub async fn audit_trail(state: State<'_, AppState>, filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
    with_server(state, move |replica, client| Ok(replica.audit_trail(client, &filter)?)).await
}

/// The late work the server took: changes made before their agent lost the prospect, newest
/// first (managers; the server refuses others).
#[tauri::command]
pub async fn late_work(state: State<'_, AppState>, limit: u32) -> Result<Vec<LateArrival>, AppError> {
    with_server(state, move |replica, client| Ok(replica.late_work(client, limit)?)).await
}

#[tauri::command]
pub async fn revoke_device(state: State<'_, AppState>, device: DeviceId) -> Result<(), AppError> {
    with_server(state, move |replica, client| Ok(replica.revoke_device(client, device)?)).await
}

/// Adds someone, who can then sign in with `password`.
#[tauri::command]
pub async fn add_person(
    state: State<'_, AppState>,
    login: String,
    name: String,
    role: Role,
    password: String,
) -> Result<Person, AppError> {
    let new = NewPerson { login, name, role, password };
    new.check().map_err(|problem| AppError::new(ErrorKind::Invalid, problem.en, problem.ru))?;
    with_server(state, move |replica, client| Ok(replica.add_person(client, &new)?)).await
}

/// Retires a departing person and hands their territories to `successor`, in one step.
#[tauri::command]
pub async fn retire_person(
    state: State<'_, AppState>,
    login: String,
    successor: Option<String>,
) -> Result<Retired, AppError> {
    let retirement = Retirement { login, successor: successor.filter(|s| !s.is_empty()) };
    with_server(state, move |replica, client| Ok(replica.retire_person(client, &retirement)?)).await
}

/// Creates (with no id) or updates a territory.
#[tauri::command]
pub async fn save_territory(
    state: State<'_, AppState>,
    id: Option<TerritoryId>,
    name: String,
    planned_prospects: Option<u32>,
    agents: Vec<census_core::UserId>,
    boundary: Vec<[f64; 2]>,
) -> Result<Territory, AppError> {
    let id = id.unwrap_or_else(|| TerritoryId::new_v7(now(), rand::random()));
    let territory = Territory { id, name: name.trim().to_owned(), planned_prospects, agents, boundary };
    territory.check().map_err(|problem| AppError::new(ErrorKind::Invalid, problem.en, problem.ru))?;
    with_server(state, move |replica, client| Ok(replica.save_territory(client, &territory)?)).await
}

/// Publishes a questionnaire version read from a JSON file the manager picked.
#[tauri::command]
pub async fn publish_questionnaire(state: State<'_, AppState>, definition: String) -> Result<Questionnaire, AppError> {
    let questionnaire: Questionnaire = serde_json::from_str(&definition).map_err(|e| {
        AppError::new(
            ErrorKind::Invalid,
            format!("this file is not a Census questionnaire (JSON): {e}"),
            "этот файл — не анкета Census (JSON); выберите файл анкеты",
        )
    })?;
    with_server(state, move |replica, client| Ok(replica.publish_questionnaire(client, &questionnaire)?)).await
}
