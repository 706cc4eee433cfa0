//! Syncing a replica with the Census server (`docs/protocol.md`): sign in once, then push the
//! outbox in batches and pull every territory the person may see until up to date.
//!
//! A territory the device has never pulled starts from the server's snapshots (a bootstrap:
//! compacted documents with their list rows, stored without loading them), then pulls the feed
//! from the point the snapshots cover.
//!
//! Every step is safe to interrupt and to repeat: a push is acknowledged per change and the
//! server stores each change once, so a retried push changes nothing; a pulled page is applied
//! and its cursor moved in one transaction, so an interrupted pull resumes where it stopped.
//! Changes the server refuses are kept aside and reported, never dropped; a prospect leaves the
//! device (when its territory is no longer the person's) only once nothing of it waits to be
//! pushed.

use std::collections::{BTreeSet, HashSet};
use std::io::{Read, Write};
use std::time::Duration;

use census_core::wire::{BootstrapPage, DocKind, PullPage, PushBatch, PushItem, PushOutcome, PushResult};
use census_core::{DeviceId, Directory, Person, ProspectId, Role, TerritoryId, Timestamp};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::bootstrap::store_snapshots;
use crate::error::ReplicaError;
use crate::received::{Received, apply_received};
use crate::replica::{Replica, info, set_info};

/// Changes per push request, and per pull page; documents per bootstrap page.
const PUSH_BATCH: u32 = 1_000;
const PULL_PAGE: u32 = 2_000;
const BOOTSTRAP_PAGE: u32 = 1_000;
const FRAME_TYPE: &str = "application/vnd.census.frame";

/// Why a sync or sign-in did not complete, in words for the person at the device.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error("the server cannot be reached ({0}); your work is kept on this device and will sync later")]
    Offline(String),
    #[error("the login or password is wrong")]
    WrongPassword,
    #[error("{0}")]
    TooManyAttempts(String),
    #[error("this device was revoked by an administrator and can no longer sync; your work stays on it")]
    Revoked,
    #[error("sign in to sync: this device has no valid sign-in (it may have expired)")]
    SignedOut,
    #[error("the server refused the request: {message}")]
    Refused { code: String, message: String },
    #[error("the server failed ({0}); try again later")]
    Server(String),
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}

impl SyncError {
    /// Whether trying again later may succeed without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Offline(_) | SyncError::Server(_))
    }
}

/// Where a sync is, for a progress bar.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum SyncProgress {
    /// Fetching the directory.
    Directory,
    /// Pushing: `done` of `total` changes.
    Push { done: u64, total: u64 },
    /// Receiving a territory new to this device: `received` of `total` prospects.
    Bootstrap { scope: TerritoryId, received: u64, total: u64 },
    /// Pulling a territory: `received` of `total` changes so far in this sync.
    Pull { scope: TerritoryId, received: u64, total: u64 },
}

/// What a sync did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub pushed: u64,
    /// Changes the server refused in this sync; kept on the device, see [`Replica::refused_changes`].
    pub refused: u64,
    pub pulled: u64,
    /// Prospects received whole, as snapshots, for territories new to this device.
    pub bootstrapped: u64,
    /// Prospects that changed on this device.
    pub updated: u64,
    /// Prospects that left this device because their territory is no longer the person's.
    pub removed: u64,
    /// Prospects whose received changes could not be applied here; kept aside with the reason
    /// (see [`Replica::set_aside_changes`]) instead of stopping the sync.
    pub set_aside: u64,
    /// Compressed change bytes sent and received (frames only, without HTTP headers).
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// A change the server refused, kept aside.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedChange {
    pub prospect: ProspectId,
    pub territory: TerritoryId,
    pub code: String,
    pub message: String,
    pub refused_at: Timestamp,
}

#[derive(Debug, Serialize)]
struct LoginRequest<'a> {
    login: &'a str,
    password: &'a str,
    device: DeviceId,
    device_name: &'a str,
}

#[derive(Debug, Deserialize)]
struct LoginReply {
    token: String,
    user: Person,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DirectoryReply {
    pub(crate) directory: Directory,
    me: Me,
}

#[derive(Debug, Deserialize)]
struct Me {
    role: Role,
    scopes: Vec<TerritoryId>,
}

/// How far the server's feed and its snapshots have come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStatus {
    /// The last sequence number of the feed.
    pub feed_end: u64,
    /// Snapshots hold every change up to here; a new device starts from them.
    pub snapshots_through: u64,
}

#[derive(Debug, Deserialize)]
struct ErrorReply {
    code: String,
    message: String,
}

/// An HTTP client for one Census server.
#[derive(Debug, Clone)]
pub struct SyncClient {
    http: reqwest::blocking::Client,
    server: String,
}

impl SyncClient {
    /// A client for the server at `server`, e.g. `http://127.0.0.1:8737`.
    pub fn new(server: &str) -> Result<SyncClient, SyncError> {
        // TLS through rustls with the ring provider, for servers behind https.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        Ok(SyncClient { http, server: server.trim_end_matches('/').to_owned() })
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.server)
    }

    fn send(&self, request: reqwest::blocking::RequestBuilder) -> Result<reqwest::blocking::Response, SyncError> {
        let response = request.send().map_err(|e| SyncError::Offline(plain(&e)))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().unwrap_or_default();
        let reply: Option<ErrorReply> = serde_json::from_str(&text).ok();
        Err(match reply {
            Some(e) if e.code == "wrong_password" => SyncError::WrongPassword,
            Some(e) if e.code == "too_many_attempts" => SyncError::TooManyAttempts(e.message),
            Some(e) if e.code == "device_revoked" => SyncError::Revoked,
            Some(e) if e.code == "bad_token" || e.code == "no_token" => SyncError::SignedOut,
            Some(e) if status.is_server_error() => SyncError::Server(e.message),
            Some(e) => SyncError::Refused { code: e.code, message: e.message },
            None if status.is_server_error() => SyncError::Server(format!("status {status}")),
            None => {
                SyncError::Refused { code: status.as_u16().to_string(), message: format!("status {status}: {text}") }
            }
        })
    }

    fn login(&self, login: &str, password: &str, device: DeviceId, device_name: &str) -> Result<LoginReply, SyncError> {
        let request = LoginRequest { login, password, device, device_name };
        let response = self.send(self.http.post(self.url("login")).json(&request))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable sign-in reply: {e}")))
    }

    /// GETs `path` and reads the JSON reply; `what` names it if it cannot be read.
    pub(crate) fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        what: &str,
    ) -> Result<T, SyncError> {
        self.get_json_with(token, path, &(), what)
    }

    /// GETs `path` with `query` as its query string, and reads the JSON reply.
    pub(crate) fn get_json_with<Q: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        query: &Q,
        what: &str,
    ) -> Result<T, SyncError> {
        let response = self.send(self.http.get(self.url(path)).query(query).bearer_auth(token))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable {what}: {e}")))
    }

    /// Sends `body` as JSON with `method` to `path` and reads the JSON reply.
    pub(crate) fn send_json<B: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T, SyncError> {
        let response = self.send(self.http.request(method, self.url(path)).bearer_auth(token).json(body))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable reply to {path}: {e}")))
    }

    pub(crate) fn directory(&self, token: &str) -> Result<DirectoryReply, SyncError> {
        let response = self.send(self.http.get(self.url("directory")).bearer_auth(token))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable directory: {e}")))
    }

    fn status(&self, token: &str) -> Result<ServerStatus, SyncError> {
        let response = self.send(self.http.get(self.url("status")).bearer_auth(token))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable status: {e}")))
    }

    /// Pushes a batch; returns the server's answer and the bytes sent.
    fn push(&self, token: &str, batch: &PushBatch) -> Result<(PushResult, u64), SyncError> {
        let body = gzip(&batch.encode());
        let sent = body.len() as u64;
        let request = self
            .http
            .post(self.url("push"))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, FRAME_TYPE)
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(body);
        let frame = gunzip(&self.send(request)?.bytes().map_err(|e| SyncError::Offline(plain(&e)))?)?;
        let result =
            PushResult::decode(&frame).map_err(|e| SyncError::Server(format!("an unreadable push reply: {e}")))?;
        Ok((result, sent))
    }

    /// Fetches a page of a territory's snapshots; returns it and the bytes received.
    fn bootstrap(
        &self,
        token: &str,
        scope: TerritoryId,
        after: Option<ProspectId>,
    ) -> Result<(BootstrapPage, u64), SyncError> {
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        let query = [("scope", scope.to_string()), ("after", after), ("limit", BOOTSTRAP_PAGE.to_string())];
        let response = self.send(self.http.get(self.url("bootstrap")).bearer_auth(token).query(&query))?;
        let body = response.bytes().map_err(|e| SyncError::Offline(plain(&e)))?;
        let page = BootstrapPage::decode(&gunzip(&body)?)
            .map_err(|e| SyncError::Server(format!("an unreadable bootstrap page: {e}")))?;
        Ok((page, body.len() as u64))
    }

    /// Pulls a page; returns it and the bytes received.
    fn pull(&self, token: &str, scope: TerritoryId, since: u64) -> Result<(PullPage, u64), SyncError> {
        let query = [("scope", scope.to_string()), ("since", since.to_string()), ("limit", PULL_PAGE.to_string())];
        let response = self.send(self.http.get(self.url("pull")).bearer_auth(token).query(&query))?;
        let body = response.bytes().map_err(|e| SyncError::Offline(plain(&e)))?;
        let page = PullPage::decode(&gunzip(&body)?)
            .map_err(|e| SyncError::Server(format!("an unreadable pull page: {e}")))?;
        Ok((page, body.len() as u64))
    }
}

/// The cause of a transport error, without the request's internals.
fn plain(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn gzip(frame: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    // Writing to memory cannot fail.
    let _ = encoder.write_all(frame);
    encoder.finish().unwrap_or_default()
}

/// Largest reply accepted once inflated: the server ends a bootstrap page at 16 MiB of snapshots
/// and a pull page at 4 MiB of changes, so a reply past this is not the server's doing.
const MAX_REPLY_BYTES: u64 = 64 << 20;

fn gunzip(body: &[u8]) -> Result<Vec<u8>, SyncError> {
    let mut frame = Vec::new();
    GzDecoder::new(body)
        .take(MAX_REPLY_BYTES + 1)
        .read_to_end(&mut frame)
        .map_err(|e| SyncError::Server(format!("an unreadable reply: {e}")))?;
    if frame.len() as u64 > MAX_REPLY_BYTES {
        return Err(SyncError::Server("the server's reply is too large".into()));
    }
    Ok(frame)
}

impl Replica {
    /// Signs this device in as `login`; afterwards it syncs with no password. The person
    /// becomes the one whose name goes on this device's edits.
    pub fn login(
        &mut self,
        client: &SyncClient,
        login: &str,
        password: &str,
        device_name: &str,
    ) -> Result<Person, SyncError> {
        let reply = client.login(login, password, self.device, device_name)?;
        let tx = self.conn.transaction().map_err(ReplicaError::from)?;
        if info(&tx, "server")?.is_some_and(|server| server != client.server()) {
            // The cursors count another server's feed.
            tx.execute("DELETE FROM scope_cursors", []).map_err(ReplicaError::from)?;
            tx.execute("DELETE FROM bootstraps", []).map_err(ReplicaError::from)?;
            tx.execute("DELETE FROM replica_info WHERE key = 'scopes'", []).map_err(ReplicaError::from)?;
        }
        set_info(&tx, "server", client.server())?;
        crate::token::store_token(self.vault.as_ref(), self.device, &tx, &reply.token)?;
        set_info(&tx, "user", &reply.user.id.to_string())?;
        Replica::cache_person(&tx, &reply.user)?;
        tx.commit().map_err(ReplicaError::from)?;
        Ok(reply.user)
    }

    /// The server this replica syncs with, once signed in.
    pub fn server(&self) -> Result<Option<String>, ReplicaError> {
        info(&self.conn, "server")
    }

    /// How far the server's feed and its snapshots have come.
    pub fn server_status(&self, client: &SyncClient) -> Result<ServerStatus, SyncError> {
        client.status(&self.token()?.ok_or(SyncError::SignedOut)?)
    }

    /// When the last complete sync finished.
    pub fn last_sync(&self) -> Result<Option<Timestamp>, ReplicaError> {
        Ok(info(&self.conn, "last_sync")?.and_then(|t| t.parse().ok()).map(Timestamp::from_unix_millis))
    }

    /// The signed-in person's role, as of the last sync.
    pub fn role(&self) -> Result<Option<Role>, ReplicaError> {
        Ok(info(&self.conn, "role")?.and_then(|r| r.parse().ok()))
    }

    /// Changes the server refused, kept on this device.
    pub fn refused_changes(&self) -> Result<Vec<RefusedChange>, ReplicaError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT prospect_id, territory, code, message, refused_at FROM refused_changes ORDER BY refused_at",
        )?;
        let damaged = || ReplicaError::Corrupt("a refused change is damaged".into());
        let rows = statement.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)?))
        })?;
        let mut refused = Vec::new();
        for row in rows {
            let (prospect, territory, code, message, at) = row?;
            refused.push(RefusedChange {
                prospect: ProspectId::from_bytes(prospect.try_into().map_err(|_| damaged())?),
                territory: TerritoryId::from_bytes(territory.try_into().map_err(|_| damaged())?),
                code,
                message,
                refused_at: Timestamp::from_unix_millis(at),
            });
        }
        Ok(refused)
    }

    /// Syncs once: push, directory, pull. `now` stamps refused changes. Pushing first tells the
    /// server that what it receives was made before the device learnt of any change in its
    /// person's territories (late work is taken on that ground).
    pub fn sync(
        &mut self,
        client: &SyncClient,
        now: Timestamp,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<SyncReport, SyncError> {
        let token = self.token()?.ok_or(SyncError::SignedOut)?;
        let mut report = SyncReport::default();

        let pushed = self.push_outbox(client, &token, now, &mut report, progress)?;

        progress(SyncProgress::Directory);
        let reply = client.directory(&token)?;
        self.cache_directory(&reply.directory)?;
        set_info(&self.conn, "role", reply.me.role.as_str())?;
        let scopes: BTreeSet<TerritoryId> = reply.me.scopes.iter().copied().collect();
        for scope in &scopes {
            if self.cursor(*scope)?.is_none() {
                self.bootstrap_scope(client, &token, *scope, &mut report, progress)?;
            }
            let context = PullContext { client, token: &token, scopes: &scopes, pushed: &pushed };
            self.pull_scope(&context, *scope, &mut report, progress)?;
        }
        // Prospects only need sorting out when the person's territories changed.
        let scope_list = scopes.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        if info(&self.conn, "scopes")?.as_deref() != Some(scope_list.as_str()) {
            let (removed, kept) = self.leave_other_territories(&scopes)?;
            report.removed += removed;
            // Prospects kept for pending work are looked at again next time.
            if kept == 0 {
                set_info(&self.conn, "scopes", &scope_list)?;
            }
        }
        // Merges made apart that ring round hide every prospect on the ring until one is freed.
        if let Ok(ctx) = self.edit_context(now) {
            self.break_merge_rings(&ctx)?;
        }
        set_info(&self.conn, "last_sync", &now.unix_millis().to_string())?;
        Ok(report)
    }

    /// [`Replica::sync`], tried again after a pause when the network or server fails, up to
    /// `attempts` times in all (0.5 s, 1 s, 2 s, ... between tries).
    pub fn sync_with_retries(
        &mut self,
        client: &SyncClient,
        now: Timestamp,
        attempts: u32,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<SyncReport, SyncError> {
        let mut pause = Duration::from_millis(500);
        let mut attempt = 1;
        loop {
            match self.sync(client, now, progress) {
                Err(e) if e.is_transient() && attempt < attempts => {
                    std::thread::sleep(pause);
                    pause *= 2;
                    attempt += 1;
                }
                outcome => return outcome,
            }
        }
    }

    /// Pushes the outbox; returns the sequence numbers the server filed the changes under, so
    /// that the pull that follows can pass over them (this device holds them already).
    fn push_outbox(
        &mut self,
        client: &SyncClient,
        token: &str,
        now: Timestamp,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<HashSet<u64>, SyncError> {
        let total = self.outbox_len()?;
        let mut done = 0;
        let mut pushed = HashSet::new();
        progress(SyncProgress::Push { done, total });
        loop {
            let entries = self.outbox(PUSH_BATCH)?;
            if entries.is_empty() {
                return Ok(pushed);
            }
            let batch = PushBatch {
                items: entries
                    .iter()
                    .map(|e| PushItem {
                        doc: e.prospect,
                        kind: DocKind::Prospect,
                        territory: e.territory,
                        change: e.bytes.clone(),
                    })
                    .collect(),
            };
            let (result, sent) = client.push(token, &batch)?;
            report.bytes_sent += sent;
            if result.outcomes.len() != entries.len() {
                return Err(SyncError::Server("the push reply does not answer every change".into()));
            }
            let tx = self.conn.transaction().map_err(ReplicaError::from)?;
            let mut refused_prospects = BTreeSet::new();
            for (entry, outcome) in entries.iter().zip(&result.outcomes) {
                match outcome {
                    PushOutcome::Refused { code, message } => {
                        set_aside(&tx, &entry.hash.0, entry.prospect, entry.territory.as_bytes(), code, message, now)?;
                        refused_prospects.insert(entry.prospect);
                        report.refused += 1;
                    }
                    PushOutcome::Stored { seq } | PushOutcome::AlreadyStored { seq } => {
                        pushed.insert(*seq);
                        report.pushed += 1;
                    }
                }
                tx.execute("DELETE FROM outbox WHERE seq = ?1", [entry.seq]).map_err(ReplicaError::from)?;
            }
            // Later changes of a refused prospect build on the refused one: they wait with it.
            for prospect in refused_prospects {
                let held: Vec<(Vec<u8>, Vec<u8>)> = {
                    let mut statement = tx
                        .prepare("SELECT hash, territory FROM outbox WHERE prospect_id = ?1")
                        .map_err(ReplicaError::from)?;
                    let rows = statement
                        .query_map([prospect.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
                        .map_err(ReplicaError::from)?;
                    rows.collect::<Result<_, _>>().map_err(ReplicaError::from)?
                };
                for (hash, territory) in held {
                    let message = "an earlier change of this prospect was refused";
                    set_aside(&tx, &hash, prospect, &territory, "held_back", message, now)?;
                    report.refused += 1;
                }
                tx.execute("DELETE FROM outbox WHERE prospect_id = ?1", [prospect.as_bytes()])
                    .map_err(ReplicaError::from)?;
            }
            tx.commit().map_err(ReplicaError::from)?;
            done += entries.len() as u64;
            progress(SyncProgress::Push { done, total: total.max(done) });
        }
    }

    fn pull_scope(
        &mut self,
        context: &PullContext<'_>,
        scope: TerritoryId,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<(), SyncError> {
        let PullContext { client, token, scopes, pushed } = *context;
        let mut received = 0;
        loop {
            let cursor = self.cursor(scope)?.unwrap_or(0);
            let (page, received_bytes) = client.pull(token, scope, cursor)?;
            report.bytes_received += received_bytes;
            if page.scope != scope {
                return Err(SyncError::Server("the server sent another territory's changes".into()));
            }
            let pulled = page.changes.len() as u64;
            // The changes this sync just pushed come back as they were filed: nothing to apply.
            let changes: Vec<(ProspectId, Vec<u8>)> =
                page.changes.into_iter().filter(|c| !pushed.contains(&c.seq)).map(|c| (c.doc, c.change)).collect();
            let tx = self.conn.transaction().map_err(ReplicaError::from)?;
            let applied = apply_received(&tx, self.device, &changes, Received::FromServer)?;
            report.updated += applied.touched as u64;
            report.set_aside += applied.set_aside as u64;
            for doc in &page.departed {
                report.removed += u64::from(leave_if_gone(&tx, *doc, scope, scopes)?);
            }
            tx.execute(
                "INSERT OR REPLACE INTO scope_cursors (scope, cursor) VALUES (?1, ?2)",
                params![scope.as_bytes(), i64::try_from(page.next_cursor).unwrap_or(i64::MAX)],
            )
            .map_err(ReplicaError::from)?;
            tx.commit().map_err(ReplicaError::from)?;
            received += pulled;
            report.pulled += pulled;
            progress(SyncProgress::Pull { scope, received, total: received.saturating_add(page.remaining) });
            if page.up_to_date {
                return Ok(());
            }
        }
    }

    /// Where the pull of a territory stands, if it has begun.
    fn cursor(&self, scope: TerritoryId) -> Result<Option<u64>, ReplicaError> {
        let cursor: Option<i64> = self
            .conn
            .query_row("SELECT cursor FROM scope_cursors WHERE scope = ?1", [scope.as_bytes()], |r| r.get(0))
            .optional()?;
        Ok(cursor.map(i64::unsigned_abs))
    }

    /// Receives a territory new to this device as snapshots, page by page, each page stored
    /// with the place to resume in one transaction; at the end its pull starts from the
    /// watermark the first page named.
    fn bootstrap_scope(
        &mut self,
        client: &SyncClient,
        token: &str,
        scope: TerritoryId,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<(), SyncError> {
        let resume: Option<(i64, Option<Vec<u8>>)> = self
            .conn
            .query_row("SELECT watermark, after FROM bootstraps WHERE scope = ?1", [scope.as_bytes()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(ReplicaError::from)?;
        let damaged = || ReplicaError::Corrupt("a bootstrap in progress is damaged".into());
        let (mut watermark, mut after) = match resume {
            Some((watermark, after)) => {
                let after =
                    after.map(|a| a.try_into().map(ProspectId::from_bytes)).transpose().map_err(|_| damaged())?;
                (Some(watermark.unsigned_abs()), after)
            }
            None => (None, None),
        };
        let mut received = 0;
        loop {
            let (page, received_bytes) = client.bootstrap(token, scope, after)?;
            report.bytes_received += received_bytes;
            if page.scope != scope {
                return Err(SyncError::Server("the server sent another territory's snapshots".into()));
            }
            let watermark = *watermark.get_or_insert(page.watermark);
            let stored_watermark = i64::try_from(watermark).unwrap_or(i64::MAX);
            after = page.docs.last().map(|d| d.doc).or(after);
            let tx = self.conn.transaction().map_err(ReplicaError::from)?;
            let applied = store_snapshots(&tx, self.device, &page.docs)?;
            report.updated += applied.touched as u64;
            report.set_aside += applied.set_aside as u64;
            if page.up_to_date {
                tx.execute("DELETE FROM bootstraps WHERE scope = ?1", [scope.as_bytes()])
                    .map_err(ReplicaError::from)?;
                tx.execute(
                    "INSERT OR REPLACE INTO scope_cursors (scope, cursor) VALUES (?1, ?2)",
                    params![scope.as_bytes(), stored_watermark],
                )
                .map_err(ReplicaError::from)?;
            } else {
                tx.execute(
                    "INSERT OR REPLACE INTO bootstraps (scope, watermark, after) VALUES (?1, ?2, ?3)",
                    params![scope.as_bytes(), stored_watermark, after.map(|a| a.as_bytes().to_vec())],
                )
                .map_err(ReplicaError::from)?;
            }
            tx.commit().map_err(ReplicaError::from)?;
            received += page.docs.len() as u64;
            report.bootstrapped += page.docs.len() as u64;
            progress(SyncProgress::Bootstrap { scope, received, total: received.saturating_add(page.remaining) });
            if page.up_to_date {
                return Ok(());
            }
        }
    }

    /// Removes prospects of territories the person no longer works in, except any with work
    /// still on this device; forgets those territories' cursors. Returns how many left.
    fn leave_other_territories(&mut self, scopes: &BTreeSet<TerritoryId>) -> Result<(u64, u64), ReplicaError> {
        let tx = self.conn.transaction()?;
        let keep: BTreeSet<String> = scopes.iter().map(ToString::to_string).collect();
        let outside: Vec<(Vec<u8>, String)> = {
            let mut statement = tx.prepare("SELECT id, territory FROM prospects")?;
            let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.filter(|row| row.as_ref().map_or(true, |(_, t)| !keep.contains(t))).collect::<Result<_, _>>()?
        };
        let (mut removed, mut kept) = (0, 0);
        for (id, _) in outside {
            let id = ProspectId::from_bytes(
                id.try_into().map_err(|_| ReplicaError::Corrupt("a prospect id is damaged".into()))?,
            );
            if remove_unless_pending(&tx, id)? {
                removed += 1;
            } else {
                kept += 1;
            }
        }
        let cursors: Vec<Vec<u8>> = {
            let mut statement = tx.prepare("SELECT scope FROM scope_cursors")?;
            statement.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        for scope in cursors {
            if !scopes.iter().any(|s| s.as_bytes().as_slice() == scope.as_slice()) {
                tx.execute("DELETE FROM scope_cursors WHERE scope = ?1", [&scope])?;
                tx.execute("DELETE FROM bootstraps WHERE scope = ?1", [&scope])?;
            }
        }
        tx.commit()?;
        Ok((removed, kept))
    }
}

/// What every territory's pull in one sync shares.
#[derive(Clone, Copy)]
struct PullContext<'a> {
    client: &'a SyncClient,
    token: &'a str,
    /// The person's territories.
    scopes: &'a BTreeSet<TerritoryId>,
    /// Where the server filed the changes this sync pushed.
    pushed: &'a HashSet<u64>,
}

/// Keeps a change the server refused on the device, with the server's reason.
fn set_aside(
    conn: &Connection,
    hash: &[u8],
    prospect: ProspectId,
    territory: &[u8],
    code: &str,
    message: &str,
    now: Timestamp,
) -> Result<(), ReplicaError> {
    conn.execute(
        "INSERT OR REPLACE INTO refused_changes (hash, prospect_id, territory, code, message, refused_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![hash, prospect.as_bytes(), territory, code, message, now.unix_millis()],
    )?;
    Ok(())
}

/// A prospect the server says left `scope`: removed unless this device still sees it in one of
/// its territories (it moved to another of them) or has work on it not yet accepted.
fn leave_if_gone(
    conn: &Connection,
    id: ProspectId,
    scope: TerritoryId,
    scopes: &BTreeSet<TerritoryId>,
) -> Result<bool, ReplicaError> {
    let territory: Option<String> =
        conn.query_row("SELECT territory FROM prospects WHERE id = ?1", [id.as_bytes()], |r| r.get(0)).optional()?;
    let Some(territory) = territory else { return Ok(false) };
    let still_mine = territory != scope.to_string() && scopes.iter().any(|s| s.to_string() == territory);
    if still_mine {
        return Ok(false);
    }
    remove_unless_pending(conn, id)
}

/// Removes a prospect from the device unless changes of it wait to be pushed, were refused, or
/// a visit draft of it is open.
fn remove_unless_pending(conn: &Connection, id: ProspectId) -> Result<bool, ReplicaError> {
    let pending: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE prospect_id = ?1) \
         OR EXISTS (SELECT 1 FROM refused_changes WHERE prospect_id = ?1) \
         OR EXISTS (SELECT 1 FROM visit_drafts WHERE prospect_id = ?1)",
        [id.as_bytes()],
        |r| r.get(0),
    )?;
    if pending {
        return Ok(false);
    }
    let row: Option<i64> =
        conn.query_row("SELECT row FROM prospects WHERE id = ?1", [id.as_bytes()], |r| r.get(0)).optional()?;
    if let Some(row) = row {
        conn.execute("DELETE FROM prospect_text WHERE rowid = ?1", [row])?;
        conn.execute("DELETE FROM prospect_places WHERE row = ?1", [row])?;
        conn.execute("DELETE FROM prospect_visits WHERE row = ?1", [row])?;
        conn.execute("DELETE FROM prospects WHERE row = ?1", [row])?;
    }
    conn.execute("DELETE FROM document_changes WHERE prospect_id = ?1", [id.as_bytes()])?;
    conn.execute("DELETE FROM waiting_changes WHERE prospect_id = ?1", [id.as_bytes()])?;
    conn.execute("DELETE FROM documents WHERE prospect_id = ?1", [id.as_bytes()])?;
    Ok(true)
}
