//! The HTTP API under `/api/v1/` (see `docs/protocol.md`). Each handler authenticates, checks
//! the request's shape, and hands the work to the store on the blocking pool.

use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use census_core::wire::{BootstrapPage, PullPage, PushBatch, PushResult};
use census_core::{DeviceId, Directory, Person, ProspectId, Role, TerritoryId, Timestamp, UserId};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::auth::{self, SignInLimiter, TOKEN_LIFETIME_SECS};
use crate::error::ApiError;
use crate::store::{CompactionStatus, Store, TokenCheck};

/// Largest accepted request body (compressed), and largest it may inflate to.
pub const MAX_BODY_BYTES: usize = 8 << 20;
pub const MAX_INFLATED_BYTES: usize = 64 << 20;
/// Most changes in one push, and in one pull page; most documents in one bootstrap page.
pub const MAX_PUSH_ITEMS: usize = 5_000;
pub const MAX_PULL_LIMIT: u32 = 5_000;
pub const MAX_BOOTSTRAP_LIMIT: u32 = 2_000;
/// The media type of the binary frames (`census_core::wire`), always gzip-compressed.
pub const FRAME_TYPE: &str = "application/vnd.census.frame";

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub limiter: SignInLimiter,
    /// Password checks run one at a time: each takes 19 MB and tens of milliseconds by design,
    /// and a crowd of sign-ins must not multiply either.
    pub password_checks: std::sync::Mutex<()>,
    /// How long a device token stays valid.
    pub token_lifetime: std::time::Duration,
    pub passwords: auth::PasswordChecker,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState {
            store,
            limiter: SignInLimiter::default(),
            password_checks: std::sync::Mutex::new(()),
            token_lifetime: std::time::Duration::from_secs(TOKEN_LIFETIME_SECS),
            passwords: auth::PasswordChecker::start(),
        }
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
        .route("/api/v1/login", post(login))
        .route("/api/v1/directory", get(directory))
        .route("/api/v1/push", post(push))
        .route("/api/v1/pull", get(pull))
        .route("/api/v1/bootstrap", get(bootstrap))
        .route("/api/v1/status", get(status))
        .merge(crate::manage::routes())
        .fallback(|| async { ApiError::NotFound("there is no such address in the Census API".into()) })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(state)
}

pub(crate) fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(millis)
}

/// A body of at most `limit` bytes. One somewhat over the limit is still read to its end before
/// the refusal, so that the client, still sending, hears `413` instead of a closed connection.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<axum::body::Bytes, ApiError> {
    const READ_PAST_LIMIT: usize = 1 << 20;
    match axum::body::to_bytes(body, limit + READ_PAST_LIMIT).await {
        Ok(bytes) if bytes.len() <= limit => Ok(bytes),
        _ => Err(ApiError::TooLarge { limit }),
    }
}

/// Runs store work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::Internal(e.to_string()))?
}

pub(crate) async fn authenticate(state: &Arc<AppState>, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::NoToken)?
        .trim()
        .to_owned();
    let state = state.clone();
    let check = blocking(move || Ok(state.store.check_token(&auth::token_hash(&token), now())?)).await?;
    match check {
        TokenCheck::Valid(caller) => Ok(caller),
        TokenCheck::Revoked => Err(ApiError::DeviceRevoked),
        TokenCheck::Unknown => Err(ApiError::BadToken),
    }
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "api": 1 }))
}

#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    pub login: String,
    pub password: String,
    /// The device's id, which is also the Automerge actor of every change it makes.
    pub device: DeviceId,
    #[serde(default)]
    pub device_name: String,
}

#[derive(Debug, Serialize)]
pub struct LoginResponse {
    pub token: String,
    pub user: Person,
    pub device: DeviceId,
    pub expires_at: Timestamp,
}

/// Largest accepted sign-in body.
const MAX_LOGIN_BYTES: usize = 16 << 10;

async fn login(State(state): State<Arc<AppState>>, body: Body) -> Result<Json<LoginResponse>, ApiError> {
    let body = read_body(body, MAX_LOGIN_BYTES).await?;
    let request: LoginRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("a sign-in needs login, password and device: {e}")))?;
    state.limiter.check(&request.login).map_err(|minutes| ApiError::TooManyAttempts { minutes })?;
    let worker = state.clone();
    blocking(move || {
        let found = worker.store.person_by_login(&request.login)?;
        let _one_at_a_time = worker.password_checks.lock().unwrap_or_else(|p| p.into_inner());
        // Checked again in turn, so that many sign-ins sent at once get no more guesses.
        worker.limiter.check(&request.login).map_err(|minutes| ApiError::TooManyAttempts { minutes })?;
        // An unknown login costs a password check too, so timing does not tell who exists.
        let hash = found.as_ref().map_or(auth::UNKNOWN_LOGIN_HASH, |(_, hash)| hash.as_str());
        let verified = worker.passwords.verify(&request.password, hash);
        let person = match found {
            Some((person, _)) if !person.retired && verified => person,
            _ => {
                worker.limiter.failed(&request.login);
                return Err(ApiError::WrongPassword);
            }
        };
        worker.limiter.succeeded(&request.login);
        let token = auth::new_token();
        let at = now();
        let lifetime = i64::try_from(worker.token_lifetime.as_millis()).unwrap_or(i64::MAX);
        let expires_at = Timestamp::from_unix_millis(at.unix_millis().saturating_add(lifetime));
        let name = if request.device_name.is_empty() { "device".to_owned() } else { request.device_name };
        worker.store.sign_in_device(request.device, person.id, &name, &auth::token_hash(&token), at, expires_at)?;
        Ok(Json(LoginResponse { token, user: person, device: request.device, expires_at }))
    })
    .await
}

/// The directory, and what the caller may see of it.
#[derive(Debug, Serialize, Deserialize)]
pub struct DirectoryResponse {
    pub directory: Directory,
    pub me: Me,
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
    let device = caller.device;
    let directory = blocking(move || {
        state.store.device_seen(device, now())?;
        Ok(state.store.directory()?)
    })
    .await?;
    let me = Me { user: caller.user, role: caller.role, device: caller.device, scopes: caller.scopes };
    Ok(Json(DirectoryResponse { directory, me }))
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

fn frame_response(frame: &[u8]) -> Response {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    let compressed = std::io::Write::write_all(&mut encoder, frame).and_then(|()| encoder.finish());
    match compressed {
        Ok(bytes) => {
            let mut response = Body::from(bytes).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FRAME_TYPE));
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        }
        Err(e) => ApiError::Internal(e.to_string()).into_response(),
    }
}

async fn push(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let caller = authenticate(&state, &headers).await?;
    let body = read_body(body, MAX_BODY_BYTES).await?;
    let frame = inflate(&body)?;
    let batch = PushBatch::decode(&frame).map_err(|e| ApiError::BadBody(e.to_string()))?;
    if batch.items.len() > MAX_PUSH_ITEMS {
        return Err(ApiError::BadRequest(format!(
            "a push may carry at most {MAX_PUSH_ITEMS} changes; this one has {}",
            batch.items.len()
        )));
    }
    let outcomes = blocking(move || Ok(state.store.push(&caller, &batch.items, now())?)).await?;
    Ok(frame_response(&PushResult { outcomes }.encode()))
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
    let page: PullPage = blocking(move || Ok(state.store.pull(scope, query.since, limit)?)).await?;
    Ok(frame_response(&page.encode()))
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
    let page: BootstrapPage = blocking(move || Ok(state.store.bootstrap(scope, after, limit)?)).await?;
    Ok(frame_response(&page.encode()))
}

/// How far the feed and its snapshots have come (for operators and benchmarks).
async fn status(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<CompactionStatus>, ApiError> {
    authenticate(&state, &headers).await?;
    Ok(Json(blocking(move || Ok(state.store.compaction_status()?)).await?))
}
