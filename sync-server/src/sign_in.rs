//! Signing in, under a flood: password work has its own threads and a short queue, and sign-ins
//! are limited per client address and per login, so that devices already signed in never wait
//! behind them.
//!
//! A password check takes tens of milliseconds and 19 MB by design (argon2id). Run on the
//! blocking pool every request needs, a crowd of made-up logins made a signed-in device wait
//! seconds for a pull. Here a sign-in first takes a place in the password queue; with none left
//! it is answered at once (`429` with `Retry-After`) and costs the server nothing more. A place
//! is held by an async task that waits on a channel, not by a thread. After each job the
//! password thread rests as long as the job took, so a flood takes at most half of one core.
//!
//! Failed sign-ins slow down the next ones of that login, from that address most
//! (`auth::SignInLimiter`: guessing one person's password, never locking its owner out), and
//! are counted per client address (guessing many logins from one place); successful ones are
//! not, so a whole office behind one address can sign in at nine.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Request, State};
use census_core::{AuditKind, DeviceId, Person, ServerIdentity, Timestamp, directory};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::api::{AppState, blocking, now, read_body};
use crate::audit;
use crate::auth;
use crate::client_address::ClientAddress;
use crate::error::ApiError;
use crate::security_log::Throttled;

/// Threads that hash and check passwords.
pub const PASSWORD_THREADS: usize = 1;
/// After each password job its thread rests this many times as long as the job took.
pub const PASSWORD_REST: f64 = 1.0;
/// Password jobs waiting or running at once; more are refused straight away.
pub const PASSWORD_QUEUE: usize = 16;
/// Failed sign-ins one client address may make in a burst, and how fast that allowance comes
/// back: past it, the address's sign-ins are refused before any password is checked.
pub const FAILURES_PER_ADDRESS: u32 = 10;
pub const FAILURE_REFILL: Duration = Duration::from_secs(6);
static QUEUE_FULL: Throttled = Throttled::new("sign-ins turned away: the password queue was full");
static ADDRESS_LOCKED: Throttled =
    Throttled::new("sign-ins refused: their addresses had failed too often (per-address limit)");
static LOGIN_SLOWED: Throttled =
    Throttled::new("sign-ins refused: their logins had failed too often from their addresses (growing delays)");

/// Counts a sign-in turned away; once a second, the count goes to the log and the audit trail.
fn turned_away(state: &AppState, why: &Throttled, address: Option<IpAddr>) {
    if let Some(count) = why.happened() {
        let mut entry = audit::entry(AuditKind::SignInsThrottled, why.what());
        entry.count = u32::try_from(count).unwrap_or(u32::MAX);
        entry.address = address.map(|a| a.to_string());
        state.audit.record(entry);
    }
}

/// Largest accepted sign-in body.
const MAX_LOGIN_BYTES: usize = 16 << 10;

enum PasswordJob {
    Verify { password: String, hash: String, answer: oneshot::Sender<bool> },
    Hash { password: String, answer: oneshot::Sender<Result<String, String>> },
}

/// The password threads and the places in their queue.
#[derive(Debug)]
pub struct PasswordWork {
    jobs: Sender<(PasswordJob, OwnedSemaphorePermit)>,
    places: Arc<Semaphore>,
}

impl PasswordWork {
    pub fn start() -> PasswordWork {
        let (jobs, incoming) = channel::<(PasswordJob, OwnedSemaphorePermit)>();
        let incoming = Arc::new(Mutex::new(incoming));
        for n in 0..PASSWORD_THREADS {
            let incoming = incoming.clone();
            // Each check's 19 MB stays with the allocator of the thread that used it, so the
            // memory of password work is bounded by these few threads.
            let spawned = std::thread::Builder::new().name(format!("passwords-{n}")).spawn(move || {
                loop {
                    let next = incoming.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((job, place)) = next else { return };
                    let started = Instant::now();
                    match job {
                        PasswordJob::Verify { password, hash, answer } => {
                            let _ = answer.send(auth::verify_password(&password, &hash));
                        }
                        PasswordJob::Hash { password, answer } => {
                            let _ = answer.send(auth::hash_password(&password).map_err(|e| e.to_string()));
                        }
                    }
                    // Rest as long as the work took, holding the place: under a flood, password
                    // work takes at most half of one core, and the rest serve signed-in devices.
                    std::thread::sleep(started.elapsed().mul_f64(PASSWORD_REST));
                    drop(place);
                }
            });
            if let Err(e) = spawned {
                tracing::error!("cannot start a password thread: {e}");
            }
        }
        PasswordWork { jobs, places: Arc::new(Semaphore::new(PASSWORD_QUEUE)) }
    }

    /// A place in the queue, or `Busy` at once when it is full.
    fn place(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.places.clone().try_acquire_owned().map_err(|_| ApiError::Busy { retry_after_secs: 1 })
    }

    fn send(&self, job: PasswordJob, place: OwnedSemaphorePermit) -> Result<(), ApiError> {
        self.jobs.send((job, place)).map_err(|_| ApiError::Internal("the password threads have stopped".into()))
    }

    /// Checks a password against its hash, in turn.
    pub async fn verify(&self, place: OwnedSemaphorePermit, password: String, hash: String) -> Result<bool, ApiError> {
        let (answer, verdict) = oneshot::channel();
        self.send(PasswordJob::Verify { password, hash, answer }, place)?;
        verdict.await.map_err(|_| ApiError::Internal("a password check was lost".into()))
    }

    /// Hashes a new password, in turn (for a person a manager adds).
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let place = self.place()?;
        let (answer, hashed) = oneshot::channel();
        self.send(PasswordJob::Hash { password, answer }, place)?;
        hashed.await.map_err(|_| ApiError::Internal("a password hash was lost".into()))?.map_err(ApiError::BadRequest)
    }
}

/// Failed sign-ins per client address: an allowance of [`FAILURES_PER_ADDRESS`] that comes back
/// one every [`FAILURE_REFILL`].
#[derive(Debug, Default)]
pub struct AddressLimiter {
    allowances: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

const MAX_TRACKED_ADDRESSES: usize = 100_000;

/// An allowance topped up for the time since it was last seen.
fn refilled((left, at): (f64, Instant)) -> (f64, Instant) {
    let earned = at.elapsed().as_secs_f64() / FAILURE_REFILL.as_secs_f64();
    (f64::min(f64::from(FAILURES_PER_ADDRESS), left + earned), Instant::now())
}

impl AddressLimiter {
    /// `Err(seconds to wait)` while the address has no failures left.
    pub fn check(&self, address: IpAddr) -> Result<(), u64> {
        let allowances = self.allowances.lock().unwrap_or_else(|p| p.into_inner());
        match allowances.get(&address).map(|allowance| refilled(*allowance).0) {
            Some(left) if left < 1.0 => Err(((1.0 - left) * FAILURE_REFILL.as_secs_f64()).ceil().max(1.0) as u64),
            _ => Ok(()),
        }
    }

    pub fn failed(&self, address: IpAddr) {
        let mut allowances = self.allowances.lock().unwrap_or_else(|p| p.into_inner());
        if allowances.len() >= MAX_TRACKED_ADDRESSES {
            // Forget addresses whose allowance is whole again, so many addresses cannot fill memory.
            allowances.retain(|_, allowance| refilled(*allowance).0 < f64::from(FAILURES_PER_ADDRESS));
        }
        let whole = (f64::from(FAILURES_PER_ADDRESS), Instant::now());
        let allowance = allowances.entry(address).or_insert(whole);
        let (left, at) = refilled(*allowance);
        *allowance = ((left - 1.0).max(0.0), at);
    }
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
    /// Which server this is, whatever address the device used (`census_core::server_identity`).
    pub server: ServerIdentity,
}

pub(crate) async fn login(
    State(state): State<Arc<AppState>>,
    request: Request,
) -> Result<Json<LoginResponse>, ApiError> {
    let client = request.extensions().get::<ClientAddress>().copied();
    let body = read_body(request.into_body(), MAX_LOGIN_BYTES).await?;
    let mut request: LoginRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("a sign-in needs login, password and device: {e}")))?;
    // As logins are stored; a longer one names nobody and would only fill the failure counts.
    request.login = directory::directory_text("a login", &request.login, directory::MAX_LOGIN_CHARS)
        .map_err(ApiError::BadRequest)?;
    if let Some(ClientAddress(address)) = client
        && let Err(retry_after_secs) = state.sign_in_addresses.check(address)
    {
        turned_away(&state, &ADDRESS_LOCKED, Some(address));
        return Err(ApiError::TooManySignIns { retry_after_secs });
    }
    let device_name = if request.device_name.trim().is_empty() { "device" } else { &request.device_name };
    let device_name = directory::directory_text("a device's name", device_name, directory::MAX_DEVICE_NAME_CHARS)
        .map_err(ApiError::BadRequest)?;
    let from = client.map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0);
    state.limiter.check(&request.login, from).map_err(|retry_after_secs| {
        turned_away(&state, &LOGIN_SLOWED, Some(from));
        ApiError::TooManyAttempts { retry_after_secs }
    })?;
    let place = state.passwords.place().inspect_err(|_| turned_away(&state, &QUEUE_FULL, Some(from)))?;
    let lookup = state.clone();
    let login = request.login.clone();
    let found = blocking(move || Ok(lookup.store.person_by_login(&login)?)).await?;
    // An unknown login costs a password check too, so timing does not tell who exists.
    let hash = found.as_ref().map_or(auth::UNKNOWN_LOGIN_HASH, |(_, hash)| hash.as_str()).to_owned();
    let verified = state.passwords.verify(place, request.password, hash).await?;
    let person = match found {
        Some((person, _)) if !person.retired && verified => person,
        _ => {
            state.limiter.failed(&request.login, from);
            crate::metrics::Metrics::count(&state.metrics.sign_ins_failed, 1);
            if let Some(ClientAddress(address)) = client {
                state.sign_in_addresses.failed(address);
            }
            let address = client.map(|c| c.0.to_string()).unwrap_or_default();
            tracing::warn!(target: "security", login = %request.login, %address, "failed sign-in");
            let (user, why) = match &found {
                Some((person, _)) if person.retired => (Some(person.id), "a retired person's login"),
                Some((person, _)) => (Some(person.id), "a wrong password"),
                None => (None, "a login nobody has"),
            };
            let mut entry = audit::about(
                audit::entry(AuditKind::SignInFailed, format!("sign-in refused: {why}")),
                user,
                Some(&request.login),
                Some(request.device),
            );
            entry.address = Some(address);
            state.audit.record(entry);
            return Err(ApiError::WrongPassword);
        }
    };
    state.limiter.succeeded(&request.login, from);
    let token = auth::new_token();
    let at = now();
    let lifetime = i64::try_from(state.token_lifetime.as_millis()).unwrap_or(i64::MAX);
    let expires_at = Timestamp::from_unix_millis(at.unix_millis().saturating_add(lifetime));
    let device = request.device;
    let (worker, user, token_hash) = (state.clone(), person.id, auth::token_hash(&token));
    let name = device_name.clone();
    blocking(move || Ok(worker.store.sign_in_device(device, user, &name, &token_hash, at, expires_at)?)).await?;
    crate::request_log::identify(device, person.id);
    tracing::info!(login = %person.login, %device, "signed in");
    let mut entry = audit::about(
        audit::entry(AuditKind::SignedIn, format!("signed in on \"{device_name}\"")),
        Some(person.id),
        Some(&person.login),
        Some(device),
    );
    entry.address = client.map(|c| c.0.to_string());
    state.audit.record(entry);
    Ok(Json(LoginResponse { token, user: person, device, expires_at, server: state.identity.clone() }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    #[test]
    fn an_address_may_fail_a_burst_of_sign_ins_then_waits() {
        let limiter = AddressLimiter::default();
        let address: IpAddr = "127.0.0.7".parse().unwrap();
        for _ in 0..FAILURES_PER_ADDRESS {
            limiter.check(address).unwrap();
            limiter.failed(address);
        }
        let wait = limiter.check(address).unwrap_err();
        assert!((1..=FAILURE_REFILL.as_secs()).contains(&wait), "{wait}");
        // Another address is not held back.
        limiter.check("127.0.0.8".parse().unwrap()).unwrap();
    }
}
