//! The commands the window calls: each a few lines over the replica, run on the blocking pool
//! over one of its connections (`connections.rs`), never on the window's thread. Long jobs (an
//! import, an export, the duplicate search, a sync) keep a connection of their own, report their
//! progress and can be stopped (`jobs.rs`).
//!
//! This file holds signing in and reading; `sync.rs` syncing (by hand and in the background),
//! `edits.rs` changing a prospect, `duplicates.rs` finding, merging and setting apart duplicates,
//! `administration.rs` a manager's changes to people, devices, territories and questionnaires,
//! `import.rs` importing spreadsheets, `visits.rs` census visits, `pictures.rs` photos and the
//! cache of originals, `maps.rs` the map packs, `export.rs` spreadsheets and map files.

mod administration;
mod duplicates;
mod edits;
mod export;
mod import;
mod maps;
mod pictures;
mod sync;
mod visits;

pub use administration::*;
pub use duplicates::*;
pub use edits::*;
pub use export::*;
pub use import::*;
pub use maps::*;
pub use pictures::*;
pub use sync::*;
pub use visits::*;

use census_core::{Person, ProspectId, Role, Territory, Timestamp};
use census_replica::{
    Dashboard, DashboardFilter, ListFilter, MapSummary, Nearby, ProspectDetail, ProspectRow, SyncClient,
    TerritoryProgress, Trust,
};
use serde::Serialize;
use tauri::State;

use crate::{AppError, AppState, now};

/// Who is signed in on this device, and where it syncs.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub device: String,
    pub server: Option<String>,
    pub user: Option<Person>,
    pub role: Option<Role>,
}

#[tauri::command]
pub async fn session(state: State<'_, AppState>) -> Result<Session, AppError> {
    state
        .run(|replica| {
            let user = match replica.signed_in_user()? {
                Some(id) => replica.people()?.into_iter().find(|p| p.id == id),
                None => None,
            };
            // The role as of the last sync; before the first, the one the person signed in with.
            let role = replica.role()?.or(user.as_ref().map(|u| u.role));
            Ok(Session { device: replica.device().to_string(), server: replica.server()?, user, role })
        })
        .await
}

/// Signs this device in. `company_ca` is a company's own certificate authority (PEM) to trust
/// beside the system's; `plain_http` is the person insisting on plain http beyond this machine.
#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    server: String,
    login: String,
    password: String,
    company_ca: Option<String>,
    plain_http: bool,
) -> Result<Person, AppError> {
    state
        .run(move |replica| {
            let company_ca = company_ca.filter(|pem| !pem.trim().is_empty());
            let client = SyncClient::connect(&server, &Trust { company_ca, plain_http })?;
            let device_name = std::env::var("HOSTNAME").unwrap_or_else(|_| "Census app".into());
            Ok(replica.login(&client, &login, &password, &device_name)?)
        })
        .await
}

#[tauri::command]
pub async fn list_prospects(state: State<'_, AppState>, filter: ListFilter) -> Result<Vec<ProspectRow>, AppError> {
    state.run(move |replica| Ok(replica.list(&filter)?)).await
}

/// Everyone in the directory, for names in history, conflicts and the dashboard.
#[tauri::command]
pub async fn people(state: State<'_, AppState>) -> Result<Vec<Person>, AppError> {
    state.run(|replica| Ok(replica.people()?)).await
}

/// Every dashboard figure for the filter.
#[tauri::command]
pub async fn dashboard(state: State<'_, AppState>, filter: DashboardFilter) -> Result<Dashboard, AppError> {
    state.run(move |replica| Ok(replica.dashboard(&filter)?)).await
}

/// The categories in use, for the list's filter.
#[tauri::command]
pub async fn categories(state: State<'_, AppState>) -> Result<Vec<String>, AppError> {
    state.run(|replica| Ok(replica.categories()?)).await
}

/// How many prospects the filter shows: the scrolled list's length.
#[tauri::command]
pub async fn count_prospects(state: State<'_, AppState>, filter: ListFilter) -> Result<u64, AppError> {
    state.run(move |replica| Ok(replica.count(&filter)?)).await
}

#[tauri::command]
pub async fn search_prospects(
    state: State<'_, AppState>,
    query: String,
    limit: u32,
) -> Result<Vec<ProspectRow>, AppError> {
    state.run(move |replica| Ok(replica.search(&query, limit)?)).await
}

/// How many prospects with a position the filter shows, and the box around them (the markers
/// themselves come as tiles through the map's scheme).
#[tauri::command]
pub async fn map_summary(state: State<'_, AppState>, filter: ListFilter) -> Result<MapSummary, AppError> {
    state.run(move |replica| Ok(replica.map_summary(&filter)?)).await
}

/// The `limit` prospects the filter shows, not yet visited, nearest to `lat, lon`.
#[tauri::command]
pub async fn nearest_unvisited(
    state: State<'_, AppState>,
    lat: f64,
    lon: f64,
    limit: u32,
    filter: ListFilter,
) -> Result<Vec<Nearby>, AppError> {
    let limit = limit.min(100) as usize;
    state.run(move |replica| Ok(replica.nearest_unvisited((lat, lon), limit, &filter)?)).await
}

#[tauri::command]
pub async fn prospect(state: State<'_, AppState>, id: ProspectId) -> Result<ProspectDetail, AppError> {
    state.run(move |replica| Ok(replica.prospect(id)?)).await
}

/// The territories this person works in (every territory, for managers and admins).
#[tauri::command]
pub async fn territories(state: State<'_, AppState>) -> Result<Vec<Territory>, AppError> {
    state
        .run(|replica| {
            let user = replica.signed_in_user()?;
            let everything = matches!(replica.role()?, Some(Role::Manager | Role::Admin));
            let all = replica.territories()?;
            Ok(all.into_iter().filter(|t| everything || user.is_some_and(|u| t.agents.contains(&u))).collect())
        })
        .await
}

/// Each territory's progress on this device; "this week" starts on Monday at 00:00 UTC.
#[tauri::command]
pub async fn territory_progress(state: State<'_, AppState>) -> Result<Vec<TerritoryProgress>, AppError> {
    state.run(|replica| Ok(replica.territory_progress(start_of_week(now()))?)).await
}

/// Monday 00:00 UTC of the week holding `at`, in Unix milliseconds (1 January 1970 was a Thursday).
fn start_of_week(at: Timestamp) -> i64 {
    const DAY: i64 = 86_400_000;
    let days = at.unix_millis().div_euclid(DAY);
    (days - (days + 3).rem_euclid(7)) * DAY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_week_starts_on_monday() {
        // Wednesday 2026-11-25 15:00 UTC → Monday 2026-11-23 00:00 UTC.
        let wednesday = Timestamp::from_unix_millis(1_795_618_800_000);
        assert_eq!(start_of_week(wednesday), 1_795_392_000_000);
        let monday_midnight = Timestamp::from_unix_millis(1_795_392_000_000);
        assert_eq!(start_of_week(monday_midnight), 1_795_392_000_000);
    }
}
