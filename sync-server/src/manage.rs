//! The managers' part of the API: devices (list, revoke), people (add one; retire a departing
//! one and hand their territories over in one step), territories (outline, planned target, agents) and
//! questionnaire versions, the late work taken, and the audit trail for administrators. Every request needs a
//! manager's or an administrator's device; the directory every device fetches when it syncs then
//! carries the result to everyone. Actions on people and devices go to the audit trail.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use census_core::directory::{MAX_LOGIN_CHARS, MAX_NAME_CHARS, directory_text};
use census_core::{
    AuditEntry, AuditFilter, AuditKind, DeviceId, DeviceRecord, LateArrival, NewPerson, Person, Questionnaire, Retired,
    Retirement, Territory, UserId,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::access::Caller;
use crate::api::{AppState, authenticate, blocking, read_body};
use crate::audit;
use crate::error::ApiError;

/// Largest accepted body: a questionnaire, or a territory with a detailed outline.
pub const MAX_MANAGE_BYTES: usize = 1 << 20;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v1/devices", get(devices))
        .route("/api/v1/devices/revoke", post(revoke_device))
        .route("/api/v1/devices/reinstate", post(reinstate_device))
        .route("/api/v1/people", post(add_person))
        .route("/api/v1/people/retire", post(retire))
        .route("/api/v1/territories", put(save_territory))
        .route("/api/v1/questionnaires", post(publish_questionnaire))
        .route("/api/v1/audit", get(audit_trail))
        .route("/api/v1/late-work", get(late_work))
}

/// The caller, if they may manage.
async fn manager(state: &Arc<AppState>, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let caller = authenticate(state, headers).await?;
    caller.may_manage().map_err(ApiError::Forbidden)?;
    Ok(caller)
}

/// Reads a JSON body of at most [`MAX_MANAGE_BYTES`]; `what` names it in errors.
async fn json_body<T: DeserializeOwned>(body: Body, what: &str) -> Result<T, ApiError> {
    let bytes = read_body(body, MAX_MANAGE_BYTES).await?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::BadRequest(format!("this is not a valid {what}: {e}")))
}

async fn devices(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<Vec<DeviceRecord>>, ApiError> {
    manager(&state, &headers).await?;
    Ok(Json(blocking(move || Ok(state.store.devices()?)).await?))
}

#[derive(Debug, Deserialize)]
struct Revocation {
    device: DeviceId,
}

async fn revoke_device(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let caller = manager(&state, &headers).await?;
    let Revocation { device } = json_body(body, "device revocation (it needs the device's id)").await?;
    if device == caller.device {
        return Err(ApiError::BadRequest("this is the device you are using; revoke it from another one".into()));
    }
    blocking(move || {
        let owner = state
            .store
            .device_owner(device)?
            .ok_or_else(|| ApiError::NotFound(format!("there is no device {device}")))?;
        caller.may_revoke_device_of(&owner).map_err(ApiError::Forbidden)?;
        state.store.revoke_device(device)?;
        tracing::warn!(target: "security", %device, owner = %owner.login, by = %caller.user, "device revoked");
        let detail = format!("{}'s device revoked", owner.name);
        state.audit.record(by(&caller, audit::device_event(AuditKind::DeviceRevoked, detail, device, Some(&owner))));
        Ok(())
    })
    .await?;
    Ok(Json(serde_json::json!({ "revoked": device })))
}

/// An administrator lifts a revocation (a device found again); the device then signs in anew.
async fn reinstate_device(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<serde_json::Value>, ApiError> {
    let caller = manager(&state, &headers).await?;
    caller.may_reinstate_devices().map_err(ApiError::Forbidden)?;
    let Revocation { device } = json_body(body, "device reinstatement (it needs the device's id)").await?;
    blocking(move || {
        state.store.reinstate_device(device)?;
        tracing::warn!(target: "security", %device, by = %caller.user, "device reinstated");
        let owner = state.store.device_owner(device)?;
        let entry = audit::device_event(AuditKind::DeviceReinstated, audit::REINSTATED, device, owner.as_ref());
        state.audit.record(by(&caller, entry));
        Ok(())
    })
    .await?;
    Ok(Json(serde_json::json!({ "reinstated": device })))
}

async fn add_person(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Person>, ApiError> {
    let caller = manager(&state, &headers).await?;
    let new: NewPerson = json_body(body, "new person (it needs login, name, role and password)").await?;
    caller.may_add(new.role).map_err(ApiError::Forbidden)?;
    new.check().map_err(|problem| ApiError::BadRequest(problem.en))?;
    let person = Person {
        id: UserId::new_v7(crate::api::now(), rand::random()),
        name: directory_text("a person's name", &new.name, MAX_NAME_CHARS).map_err(ApiError::BadRequest)?,
        login: directory_text("a login", &new.login, MAX_LOGIN_CHARS).map_err(ApiError::BadRequest)?,
        role: new.role,
        retired: false,
    };
    let added = person.clone();
    // On the password threads, as sign-ins are: each hash takes 19 MB by design.
    let hash = state.passwords.hash(new.password).await?;
    blocking(move || {
        state.store.add_person(&added, &hash)?;
        state.audit.record(by(&caller, audit::person_added(&added)));
        Ok(())
    })
    .await?;
    Ok(Json(person))
}

async fn retire(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Result<Json<Retired>, ApiError> {
    let caller = manager(&state, &headers).await?;
    let retirement: Retirement = json_body(body, "retirement (it needs a login and may name a successor)").await?;
    let retired = blocking(move || {
        let (person, _) = state
            .store
            .person_by_login(&retirement.login)?
            .ok_or_else(|| ApiError::NotFound(format!("there is no one with the login \"{}\"", retirement.login)))?;
        caller.may_retire(&person).map_err(ApiError::Forbidden)?;
        let retired = state.store.retire(&retirement)?;
        state.audit.record(by(&caller, audit::retirement(&retired, retirement.successor.as_deref())));
        Ok(retired)
    })
    .await?;
    Ok(Json(retired))
}

/// Notes who did what an entry records.
fn by(caller: &Caller, mut entry: AuditEntry) -> AuditEntry {
    entry.by = Some(caller.user);
    entry
}

/// The audit trail, newest first, for administrators.
async fn audit_trail(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    filter: Result<Query<AuditFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    let caller = authenticate(&state, &headers).await?;
    caller.may_read_audit().map_err(ApiError::Forbidden)?;
    let Query(filter) = filter.map_err(|e| {
        ApiError::BadRequest(format!(
            "the audit trail is filtered by kind, login, device, since and limit: {}",
            e.body_text()
        ))
    })?;
    Ok(Json(blocking(move || Ok(state.store.audit(&filter)?)).await?))
}

#[derive(Debug, Deserialize)]
struct LateWorkQuery {
    #[serde(default)]
    limit: Option<u32>,
}

/// Most late arrivals listed at once.
const MAX_LATE_WORK_LISTED: u32 = 500;

/// The late work taken (changes made before their pusher lost the right), newest first.
async fn late_work(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<LateWorkQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<LateArrival>>, ApiError> {
    manager(&state, &headers).await?;
    let Query(query) =
        query.map_err(|e| ApiError::BadRequest(format!("late work takes a limit: {}", e.body_text())))?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_LATE_WORK_LISTED);
    Ok(Json(blocking(move || Ok(state.store.late_arrivals(limit)?)).await?))
}

async fn save_territory(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Territory>, ApiError> {
    manager(&state, &headers).await?;
    let mut territory: Territory = json_body(body, "territory").await?;
    territory.check().map_err(|problem| ApiError::BadRequest(problem.en))?;
    territory.name =
        directory_text("a territory's name", &territory.name, MAX_NAME_CHARS).map_err(ApiError::BadRequest)?;
    let saved = territory.clone();
    blocking(move || Ok(state.store.save_territory(&saved)?)).await?;
    Ok(Json(territory))
}

async fn publish_questionnaire(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Questionnaire>, ApiError> {
    manager(&state, &headers).await?;
    let questionnaire: Questionnaire = json_body(body, "questionnaire").await?;
    let published = questionnaire.clone();
    blocking(move || Ok(state.store.publish_questionnaire(&published)?)).await?;
    Ok(Json(questionnaire))
}
