//! The HTTP API under `/api/v1/` (see `docs/protocol.md`). Each handler authenticates, checks
//! the request's shape, and hands the work to the store on the blocking pool. Bodies are read
//! with a size limit and must keep arriving; inflating and decoding them happens on the
//! blocking pool too, never on the async workers that every connection shares.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use census_core::wire::{PushBatch, PushOutcome, PushResult};
use census_core::{DeviceId, Directory, ProspectId, Role, ServerIdentity, TerritoryId, Timestamp, UserId};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use http_body_util::BodyExt;
use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::audit::{self, AuditTrail};
use crate::auth::{self, SignInLimiter, TOKEN_LIFETIME_SECS};
use crate::client_address::Network;
use crate::error::{ApiError, StoreError};
use crate::metrics::Metrics;
use crate::news::FeedNews;
use crate::pictures::PictureStore;
use crate::sign_in::{AddressLimiter, PasswordWork};
use crate::store::{CompactionStatus, PushedChange, Store, TokenCheck};

/// Largest accepted request body (compressed), and largest it may inflate to.
pub const MAX_BODY_BYTES: usize = 8 << 20;
pub const MAX_INFLATED_BYTES: usize = 64 << 20;
/// Most changes in one push, and in one pull page; most documents in one bootstrap page.
pub const MAX_PUSH_ITEMS: usize = 5_000;
pub const MAX_PULL_LIMIT: u32 = 5_000;
pub const MAX_BOOTSTRAP_LIMIT: u32 = 2_000;
/// A body must keep arriving: some bytes at least this often, all of it within the deadline.
pub const BODY_STALL: Duration = Duration::from_secs(15);
pub const BODY_DEADLINE: Duration = Duration::from_secs(100);
/// The media type of the binary frames (`census_core::wire`), always gzip-compressed.
pub const FRAME_TYPE: &str = "application/vnd.census.frame";

pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The bytes of pictures (their descriptions are in `store`).
    pub pictures: Arc<dyn PictureStore>,
    /// Failed sign-ins per login.
    pub limiter: SignInLimiter,
    /// Failed sign-ins per client address.
    pub sign_in_addresses: AddressLimiter,
    /// How long a device token stays valid.
    pub token_lifetime: Duration,
    /// Password hashing and checking, on threads of their own with a short queue.
    pub passwords: PasswordWork,
    /// Security events, written to the database off the path of requests.
    pub audit: AuditTrail,
    /// The server's lasting id and its database's epoch, told to devices with the directory.
    pub identity: ServerIdentity,
    /// Rung when the feed gains changes; news requests wait on it.
    pub news: FeedNews,
    /// What `/metrics` reports, and the networks that may read it.
    pub metrics: Metrics,
    pub metrics_from: Vec<Network>,
    /// Where map packs are kept (`map_packs.rs`); none for a server that hands out no maps.
    pub map_packs: Option<std::path::PathBuf>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, pictures: Arc<dyn PictureStore>) -> Result<AppState, StoreError> {
        Ok(AppState {
            identity: store.identity()?,
            store: store.clone(),
            pictures,
            limiter: SignInLimiter::default(),
            sign_in_addresses: AddressLimiter::default(),
            token_lifetime: Duration::from_secs(TOKEN_LIFETIME_SECS),
            passwords: PasswordWork::start(),
            audit: AuditTrail::start(store),
            news: FeedNews::default(),
            metrics: Metrics::default(),
            metrics_from: crate::config::default_metrics_from(),
            map_packs: None,
        })
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/ready", get(ready))
        .route("/api/v1/login", post(crate::sign_in::login))
        .route("/api/v1/directory", get(directory))
        .route("/api/v1/push", post(push))
        .route("/api/v1/pull", get(pull))
        .route("/api/v1/bootstrap", get(bootstrap))
        .route("/api/v1/status", get(status))
        .route("/api/v1/news", get(crate::news::news))
        .merge(crate::manage::routes())
        .merge(crate::picture_api::routes())
        .merge(crate::map_api::routes())
        .route("/metrics", get(crate::metrics::metrics))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), crate::metrics::count_requests))
        .fallback(|| async { ApiError::NotFound("there is no such address in the Census API".into()) })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(crate::request_log::layer())
        .with_state(state)
}

pub(crate) fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(millis)
}

/// A body of at most `limit` bytes, arriving steadily: a pause of [`BODY_STALL`], or a body
/// still arriving after [`BODY_DEADLINE`], is refused, so a slow client cannot hold the
/// connection. One somewhat over the limit is still read to its end before the refusal, so that
/// the client, still sending, hears `413` instead of a closed connection.
pub(crate) async fn read_body(mut body: Body, limit: usize) -> Result<Vec<u8>, ApiError> {
    // Up to 1 MiB past a large limit, as much again past a small one (an unsigned sign-in may
    // not make the server hold a megabyte).
    let read_past_limit = limit.min(1 << 20);
    let deadline = Instant::now() + BODY_DEADLINE;
    let mut collected = Vec::new();
    loop {
        let wait = BODY_STALL.min(deadline.saturating_duration_since(Instant::now()));
        let frame = match tokio::time::timeout(wait, body.frame()).await {
            Err(_) => return Err(ApiError::SlowBody),
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err(ApiError::BadRequest(format!("the request body could not be read: {e}"))),
            Ok(Some(Ok(frame))) => frame,
        };
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > limit + read_past_limit {
                return Err(ApiError::TooLarge { limit });
            }
            collected.extend_from_slice(&data);
        }
    }
    if collected.len() > limit {
        return Err(ApiError::TooLarge { limit });
    }
    Ok(collected)
}

/// Runs store work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::Internal(format!("a task failed: {e}")))?
}

pub(crate) async fn authenticate(state: &Arc<AppState>, headers: &HeaderMap) -> Result<Caller, ApiError> {
    match check_token(state, headers).await? {
        TokenCheck::Retired(caller) => {
            // The device now knows its person is retired: later work of it is not late work.
            let state = state.clone();
            blocking(move || Ok(state.store.device_seen(caller.device, now())?)).await?;
            Err(ApiError::DeviceRevoked)
        }
        check => signed_in(check),
    }
}

/// As [`authenticate`], but a retired person's device passes too, with no territory: it may
/// still push what it made before (late work), nothing else.
async fn authenticate_pusher(state: &Arc<AppState>, headers: &HeaderMap) -> Result<Caller, ApiError> {
    signed_in(check_token(state, headers).await?)
}

fn signed_in(check: TokenCheck) -> Result<Caller, ApiError> {
    match check {
        TokenCheck::Valid(caller) | TokenCheck::Retired(caller) => {
            crate::request_log::identify(caller.device, caller.user);
            Ok(caller)
        }
        TokenCheck::Revoked => Err(ApiError::DeviceRevoked),
        TokenCheck::Unknown => Err(ApiError::BadToken),
    }
}

async fn check_token(state: &Arc<AppState>, headers: &HeaderMap) -> Result<TokenCheck, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::NoToken)?
        .trim()
        .to_owned();
    let state = state.clone();
    blocking(move || Ok(state.store.check_token(&auth::token_hash(&token), now())?)).await
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "api": 1 }))
}

/// Whether the server can serve: its database answers and is migrated (`503` otherwise, the
/// cause in the log only).
async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.clone();
    let cause = match tokio::task::spawn_blocking(move || store.ready()).await {
        Ok(Ok(schema)) => return Json(serde_json::json!({ "status": "ready", "schema": schema })).into_response(),
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    tracing::error!(%cause, "not ready");
    let body = serde_json::json!({ "status": "not_ready", "reason": "the database does not answer" });
    (axum::http::StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
}

/// The directory, and what the caller may see of it.
#[derive(Debug, Serialize, Deserialize)]
pub struct DirectoryResponse {
    pub directory: Directory,
    pub me: Me,
    pub server: ServerIdentity,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Me {
    pub user: UserId,
    pub role: Role,
    pub device: DeviceId,
    pub scopes: Vec<TerritoryId>,
}

async fn directory(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<DirectoryResponse>, ApiError> {
    let caller = authenticate(&state, &headers).await?;
    let (device, server) = (caller.device, state.identity.clone());
    let directory = blocking(move || {
        state.store.device_seen(device, now())?;
        Ok(state.store.directory()?)
    })
    .await?;
    let directory = people_needed_by(&caller, directory);
    let me = Me { user: caller.user, role: caller.role, device: caller.device, scopes: caller.scopes };
    Ok(Json(DirectoryResponse { directory, me, server }))
}

/// The directory as `caller` receives it: an agent gets the people they work with (managers and
/// administrators, and the agents of their own territories), not every login in the company,
/// which is what a stranger would need to guess passwords or slow sign-ins down.
fn people_needed_by(caller: &Caller, mut directory: Directory) -> Directory {
    if caller.role == Role::Agent {
        let colleagues: std::collections::HashSet<UserId> = directory
            .territories
            .iter()
            .filter(|t| caller.scopes.contains(&t.id))
            .flat_map(|t| t.agents.iter().copied())
            .collect();
        directory.people.retain(|p| p.role != Role::Agent || p.id == caller.user || colleagues.contains(&p.id));
    }
    directory
}

fn inflate(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut inflated = Vec::new();
    GzDecoder::new(body)
        .take(MAX_INFLATED_BYTES as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| ApiError::BadBody(format!("the body is not gzip-compressed: {e}")))?;
    if inflated.len() > MAX_INFLATED_BYTES {
        return Err(ApiError::TooLarge { limit: MAX_INFLATED_BYTES });
    }
    Ok(inflated)
}

/// A frame compressed for its answer: work for the blocking pool (a bootstrap page is megabytes).
fn compress(frame: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    std::io::Write::write_all(&mut encoder, frame)
        .and_then(|()| encoder.finish())
        .map_err(|e| ApiError::Internal(format!("a frame could not be compressed: {e}")))
}

/// The answer carrying a compressed frame.
fn frame_response(compressed: Vec<u8>) -> Response {
    let mut response = Body::from(compressed).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FRAME_TYPE));
    headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    response
}

async fn push(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let caller = authenticate_pusher(&state, &headers).await?;
    let body = read_body(body, MAX_BODY_BYTES).await?;
    // One trip to the blocking pool: inflated, decoded and every change measured and read before
    // the store's writer is taken, then stored, then the answer compressed.
    let answer = blocking(move || {
        let frame = inflate(&body)?;
        let batch = PushBatch::decode(&frame).map_err(|e| ApiError::BadBody(e.to_string()))?;
        if batch.items.len() > MAX_PUSH_ITEMS {
            return Err(ApiError::BadRequest(format!(
                "a push may carry at most {MAX_PUSH_ITEMS} changes; this one has {}",
                batch.items.len()
            )));
        }
        let pushed: Vec<PushedChange> = batch.items.into_iter().map(PushedChange::inspect).collect();
        let outcomes = state.store.push(&caller, &pushed, now())?;
        log_refusals(&state, &caller, &outcomes);
        let stored = outcomes.iter().filter(|o| matches!(o, PushOutcome::Stored { .. })).count();
        Metrics::count(&state.metrics.pushes, 1);
        Metrics::count(&state.metrics.changes_stored, stored as u64);
        if stored > 0 {
            state.news.ring();
        }
        compress(&PushResult { outcomes }.encode())
    })
    .await?;
    Ok(frame_response(answer))
}

/// Logs a push's refused changes as one security event, and keeps it in the audit trail with
/// the first reason of each kind.
fn log_refusals(state: &AppState, caller: &Caller, outcomes: &[PushOutcome]) {
    let refused: Vec<(&str, &str)> = outcomes
        .iter()
        .filter_map(|outcome| match outcome {
            PushOutcome::Refused { code, message } if code != "held_back" => Some((code.as_str(), message.as_str())),
            _ => None,
        })
        .collect();
    let Some((first, _)) = refused.first() else { return };
    tracing::warn!(
        target: "security", user = %caller.user, device = %caller.device, refused = refused.len(), first,
        "refused pushed changes"
    );
    let mut reasons: Vec<String> = Vec::new();
    for (code, message) in &refused {
        if !reasons.iter().any(|r| r.starts_with(&format!("{code}:"))) {
            reasons.push(format!("{code}: {message}"));
        }
    }
    let detail = format!("{} pushed change(s) refused; {}", refused.len(), reasons.join("; "));
    let mut entry = audit::about(
        audit::entry(census_core::AuditKind::PushRefused, detail),
        Some(caller.user),
        None,
        Some(caller.device),
    );
    entry.count = u32::try_from(refused.len()).unwrap_or(u32::MAX);
    state.audit.record(entry);
}

#[derive(Debug, Deserialize)]
struct PullQuery {
    scope: String,
    #[serde(default)]
    since: u64,
    #[serde(default)]
    limit: Option<u32>,
}

async fn pull(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<PullQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &headers).await?;
    let Query(query) =
        query.map_err(|e| ApiError::BadRequest(format!("a pull needs scope, since and limit: {}", e.body_text())))?;
    let scope = readable_scope(&caller, &query.scope)?;
    let limit = query.limit.unwrap_or(1_000).clamp(1, MAX_PULL_LIMIT);
    Metrics::count(&state.metrics.pulls, 1);
    let page = blocking(move || compress(&state.store.pull(scope, query.since, limit)?.encode())).await?;
    Ok(frame_response(page))
}

/// The territory a request names, if the caller may read it.
fn readable_scope(caller: &Caller, scope: &str) -> Result<TerritoryId, ApiError> {
    let scope: TerritoryId =
        scope.parse().map_err(|e: census_core::ids::InvalidId| ApiError::BadRequest(e.to_string()))?;
    if !caller.may_read(scope) {
        return Err(ApiError::Forbidden(format!("territory {scope} is not one of yours")));
    }
    Ok(scope)
}

#[derive(Debug, Deserialize)]
struct BootstrapQuery {
    scope: String,
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

async fn bootstrap(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<BootstrapQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &headers).await?;
    let Query(query) = query
        .map_err(|e| ApiError::BadRequest(format!("a bootstrap needs scope, after and limit: {}", e.body_text())))?;
    let scope = readable_scope(&caller, &query.scope)?;
    let after: Option<ProspectId> = match query.after.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.parse().map_err(|e: census_core::ids::InvalidId| ApiError::BadRequest(e.to_string()))?),
    };
    let limit = query.limit.unwrap_or(1_000).clamp(1, MAX_BOOTSTRAP_LIMIT);
    Metrics::count(&state.metrics.bootstraps, 1);
    let page = blocking(move || compress(&state.store.bootstrap(scope, after, limit)?.encode())).await?;
    Ok(frame_response(page))
}

/// How far the feed and its snapshots have come (for operators and benchmarks).
async fn status(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<CompactionStatus>, ApiError> {
    authenticate(&state, &headers).await?;
    Ok(Json(blocking(move || Ok(state.store.compaction_status()?)).await?))
}
