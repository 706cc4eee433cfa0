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
use std::time::Duration;

use census_core::wire::{DocKind, PushBatch, PushItem, PushOutcome};
use census_core::{Person, ProspectId, Role, ServerChange, TerritoryId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::bootstrap::store_snapshots;
use crate::error::ReplicaError;
use crate::received::{Received, apply_received};
use crate::replica::{Replica, info, set_info};
use crate::server_change;
use crate::sync_client::{ServerStatus, SyncClient, SyncError, Trust};

/// Changes per push request.
const PUSH_BATCH: u32 = 1_000;

/// Where a sync is, for a progress bar.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Try `attempt` of `attempts` failed for `reason` (the network or the server); the sync is
    /// tried again after a pause.
    Retry { attempt: u32, attempts: u32, reason: String },
    /// Uploading pictures: `done` of `total`.
    Pictures { done: u64, total: u64 },
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
    /// Pictures the server now has whole, and picture bytes sent.
    #[serde(default)]
    pub pictures_uploaded: u64,
    #[serde(default)]
    pub picture_bytes_sent: u64,
    /// Pictures still to upload (a connection failed while they went: the next sync goes on).
    #[serde(default)]
    pub pictures_pending: u64,
    /// Thumbnails of the territories' pictures received.
    #[serde(default)]
    pub thumbnails_fetched: u64,
}

/// A change the server refused, kept aside.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedChange {
    pub prospect: ProspectId,
    pub territory: TerritoryId,
    pub code: String,
    pub message: String,
    /// Why, in Russian (from the code: the server's message is in English).
    #[serde(default)]
    pub russian: String,
    pub refused_at: Timestamp,
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
        match server_change::compare(&tx, client.server(), reply.server.as_ref())? {
            ServerChange::Same => {}
            ServerChange::Restored => server_change::recover_from_restore(&tx, self.device)?,
            // The cursors count another server's feed.
            ServerChange::Other => server_change::forget_cursors(&tx)?,
        }
        if let Some(server) = &reply.server {
            server_change::remember_server(&tx, server)?;
        }
        set_info(&tx, "server", client.server())?;
        let trust = client.trust();
        match &trust.company_ca {
            Some(pem) => set_info(&tx, "server_ca", pem)?,
            None => {
                tx.execute("DELETE FROM replica_info WHERE key = 'server_ca'", []).map_err(ReplicaError::from)?;
            }
        }
        set_info(&tx, "plain_http", if trust.plain_http { "insisted" } else { "no" })?;
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

    /// A client for the server this replica signed in to, trusting what it was told to trust
    /// then (a company's certificate authority, plain http the person insisted on).
    pub fn client(&self) -> Result<SyncClient, SyncError> {
        let server = self.server()?.ok_or(SyncError::SignedOut)?;
        let trust = Trust {
            company_ca: info(&self.conn, "server_ca")?,
            plain_http: info(&self.conn, "plain_http")?.as_deref() == Some("insisted"),
        };
        SyncClient::connect(&server, &trust)
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
            let (prospect, territory, code, message, at): (_, _, String, String, _) = row?;
            refused.push(RefusedChange {
                russian: crate::russian::change_refusal(&code),
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

        let mut pushed = self.push_outbox(client, &token, now, &mut report, progress)?;

        progress(SyncProgress::Directory);
        let reply = client.directory(&token)?;
        if let Some(server) = &reply.server {
            match server_change::compare(&self.conn, client.server(), Some(server))? {
                // A replica signed in before servers said who they are learns it now.
                ServerChange::Same if server_change::known_server(&self.conn)?.as_ref() != Some(server) => {
                    server_change::remember_server(&self.conn, server)?;
                }
                ServerChange::Same => {}
                ServerChange::Restored => {
                    // The new epoch is kept with the outbox it filled, in one transaction.
                    let tx = self.conn.transaction().map_err(ReplicaError::from)?;
                    server_change::recover_from_restore(&tx, self.device)?;
                    server_change::remember_server(&tx, server)?;
                    tx.commit().map_err(ReplicaError::from)?;
                    pushed.extend(self.push_outbox(client, &token, now, &mut report, progress)?);
                }
                ServerChange::Other => {
                    return Err(SyncError::Refused {
                        code: "another_server".into(),
                        message: format!(
                            "another Census server answers at {} now; sign in again to sync with it",
                            client.server()
                        ),
                    });
                }
            }
        }
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
        // Pictures last: the changes that name them are on the server now, and a picture cut
        // off half way by the network does not undo the sync (the next one goes on with it).
        let mut told = |done, total| progress(SyncProgress::Pictures { done, total });
        let mut pictures = crate::PictureReport::default();
        let uploaded = self.upload_pictures(client, &token, &mut pictures, &mut told);
        report.pictures_uploaded = pictures.uploaded;
        report.picture_bytes_sent = pictures.bytes_sent;
        if let Err(SyncError::Replica(ReplicaError::Stopped)) = uploaded {
            return Err(ReplicaError::Stopped.into());
        }
        report.pictures_pending = self.pictures_pending()?.0;
        // Pictures the server has now may make room for others.
        self.trim_picture_cache()?;
        let scopes: Vec<_> = scopes.into_iter().collect();
        match self.fetch_thumbnails(client, &token, &scopes, now) {
            Ok(fetched) => report.thumbnails_fetched = fetched,
            Err(SyncError::Replica(ReplicaError::Stopped)) => return Err(ReplicaError::Stopped.into()),
            Err(_) => {}
        }
        Ok(report)
    }

    /// Waits up to `wait` for others' changes in this device's territories (the server answers
    /// as soon as there are some): true when a sync would bring something. A device that has not
    /// pulled yet has news at once.
    pub fn wait_for_news(&self, client: &SyncClient, wait: Duration) -> Result<bool, SyncError> {
        let token = self.token()?.ok_or(SyncError::SignedOut)?;
        let since: Option<i64> = self
            .conn
            .query_row("SELECT min(cursor) FROM scope_cursors", [], |r| r.get(0))
            .map_err(ReplicaError::from)?;
        match since {
            Some(since) => client.news(&token, since.unsigned_abs(), wait),
            None => Ok(true),
        }
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
                    progress(SyncProgress::Retry { attempt, attempts, reason: e.to_string() });
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
        self.keep_going()?;
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
            self.keep_going()?;
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
            self.keep_going()?;
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
            self.keep_going()?;
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
