//! The SQLite store: one file in WAL mode, one writer, every commit synced to disk before the
//! server answers (`synchronous = FULL`), a few reader connections for pulls.
//!
//! The change log is `changes (seq, doc, territory, hash, bytes)`, unique on (doc, hash) so a
//! repeated push stores nothing. Sequence numbers come from one counter. A prospect that moves to
//! another territory has its whole history given new sequence numbers in the new territory (so
//! its new readers receive it complete) and leaves a departure in the old one.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use census_core::directory::{MAX_DEVICE_NAME_CHARS, MAX_LOGIN_CHARS, MAX_NAME_CHARS, directory_text};
use census_core::wire::{BootstrapPage, DocKind, PullPage, PulledChange, PushItem, PushOutcome};
use census_core::{
    AuditEntry, AuditFilter, DeviceId, Directory, LateArrival, Person, ProspectId, Pusher, Questionnaire, Retired,
    Retirement, Role, ServerIdentity, Size, Territory, TerritoryId, Timestamp, UserId,
};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::access::Caller;
use crate::document_objects;
use crate::error::StoreError;
use crate::late_work;
use crate::picture_records;
use crate::snapshots::{self, CompactionStatus};
use crate::store::{DeviceRecord, PushedChange, Store, TokenCheck};

const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE people (
        id BLOB PRIMARY KEY,
        login TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        retired INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE devices (
        id BLOB PRIMARY KEY,
        user_id BLOB NOT NULL REFERENCES people (id),
        name TEXT NOT NULL,
        token_hash BLOB NOT NULL UNIQUE,
        signed_in_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        last_seen_at INTEGER,
        revoked INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE territories (
        id BLOB PRIMARY KEY,
        name TEXT NOT NULL,
        planned_prospects INTEGER
    ) WITHOUT ROWID;
    CREATE TABLE assignments (
        territory BLOB NOT NULL REFERENCES territories (id),
        user_id BLOB NOT NULL REFERENCES people (id),
        PRIMARY KEY (territory, user_id)
    ) WITHOUT ROWID;
    CREATE TABLE questionnaires (
        id BLOB NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (id, version)
    ) WITHOUT ROWID;

    -- Where each document is now.
    CREATE TABLE documents (
        doc BLOB PRIMARY KEY,
        kind INTEGER NOT NULL,
        territory BLOB NOT NULL
    ) WITHOUT ROWID;
    -- The change log; `seq` orders the feed.
    CREATE TABLE changes (
        seq INTEGER PRIMARY KEY,
        doc BLOB NOT NULL,
        territory BLOB NOT NULL,
        hash BLOB NOT NULL,
        bytes BLOB NOT NULL,
        device BLOB NOT NULL,
        change_seq INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        UNIQUE (doc, hash),
        UNIQUE (doc, device, change_seq)
    );
    CREATE INDEX changes_by_scope ON changes (territory, seq);
    -- Documents that moved out of a territory, in the same sequence as changes.
    CREATE TABLE departures (
        seq INTEGER PRIMARY KEY,
        doc BLOB NOT NULL,
        territory BLOB NOT NULL
    );
    CREATE INDEX departures_by_scope ON departures (territory, seq);
    CREATE TABLE sequence (only INTEGER PRIMARY KEY CHECK (only = 1), last INTEGER NOT NULL);
    INSERT INTO sequence (only, last) VALUES (1, 0);
"#,
    r#"
    -- Each document compacted, with its projection, for bootstrapping devices (snapshots.rs).
    CREATE INDEX documents_by_scope ON documents (territory, doc);
    CREATE TABLE snapshots (
        doc BLOB PRIMARY KEY,
        bytes BLOB NOT NULL,
        projection BLOB
    );
    -- Snapshots hold every change up to `through`, with projections of `projection_version`.
    CREATE TABLE compaction (
        only INTEGER PRIMARY KEY CHECK (only = 1),
        through INTEGER NOT NULL,
        projection_version INTEGER NOT NULL
    );
    INSERT INTO compaction (only, through, projection_version) VALUES (1, 0, 0);
"#,
    r#"
    -- Each territory's outline on the map: a JSON list of [latitude, longitude] corners.
    ALTER TABLE territories ADD COLUMN boundary TEXT NOT NULL DEFAULT '[]';
"#,
    r#"
    -- Each document's size as the sum of its changes (census_core::limits), kept below the
    -- limits as changes arrive. Changes stored before this counted as stored (compressed ones
    -- less than they inflate to) and with no operations.
    ALTER TABLE documents ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE documents ADD COLUMN ops INTEGER NOT NULL DEFAULT 0;
    UPDATE documents SET bytes = (SELECT coalesce(sum(length(bytes)), 0) FROM changes WHERE changes.doc = documents.doc);
"#,
    r#"
    -- The devices whose changes are in the feed, so a new device cannot take one's id.
    CREATE INDEX changes_by_device ON changes (device);
"#,
    r#"
    -- The objects of each prospect that the rules of who may write what recognise (its visits,
    -- reviews, `created`, `distinct_from`): see document_objects.rs. Filled from the changes
    -- already stored when this migration runs.
    CREATE TABLE document_objects (
        doc BLOB NOT NULL,
        object BLOB NOT NULL,
        region INTEGER NOT NULL,
        PRIMARY KEY (doc, object)
    ) WITHOUT ROWID;
"#,
    r#"
    -- The audit trail: security events (audit.rs). Ids and logins as the event named them.
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        user BLOB,
        login TEXT,
        device BLOB,
        by BLOB,
        address TEXT,
        count INTEGER NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_by_time ON audit (at);
"#,
    r#"
    -- Late work (late_work.rs): when each person stopped being allowed to write a territory
    -- (`doc` NULL) or one prospect that moved out of it; `territory` NULL is every territory (a
    -- retired manager). When each device last received the directory, and why a device was
    -- revoked ('revoked' by hand, 'retired' with its person). What late work was taken.
    CREATE TABLE access_losses (
        user_id BLOB NOT NULL,
        territory BLOB,
        doc BLOB,
        lost_at INTEGER NOT NULL
    );
    CREATE INDEX access_losses_by_user ON access_losses (user_id, lost_at);
    ALTER TABLE devices ADD COLUMN told_at INTEGER;
    ALTER TABLE devices ADD COLUMN revoked_for TEXT;
    CREATE TABLE late_arrivals (
        id INTEGER PRIMARY KEY,
        doc BLOB NOT NULL,
        territory BLOB NOT NULL,
        user_id BLOB NOT NULL,
        device BLOB NOT NULL,
        changes INTEGER NOT NULL,
        lost_at INTEGER NOT NULL,
        arrived_at INTEGER NOT NULL
    );
    CREATE INDEX late_arrivals_by_time ON late_arrivals (arrived_at);
"#,
    r#"
    -- The server's lasting id and its database's epoch (census_core::server_identity); one row.
    -- A restore keeps the id and starts a new epoch.
    CREATE TABLE server_identity (id TEXT NOT NULL, epoch TEXT NOT NULL);
    INSERT INTO server_identity VALUES (lower(hex(randomblob(16))), lower(hex(randomblob(8))));
"#,
    r#"
    -- Pictures stored whole (their bytes are files: pictures.rs), and the prospects each was
    -- uploaded for, which say who may read it (picture_records.rs).
    CREATE TABLE pictures (
        name TEXT PRIMARY KEY,
        mime TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        stored_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE picture_refs (
        name TEXT NOT NULL,
        doc BLOB NOT NULL,
        PRIMARY KEY (name, doc)
    ) WITHOUT ROWID;
"#,
    r#"
    -- Each picture's thumbnails, which devices fetch for their territories after a pull.
    CREATE TABLE picture_thumbnails (
        picture TEXT NOT NULL,
        thumbnail TEXT NOT NULL,
        PRIMARY KEY (picture, thumbnail)
    ) WITHOUT ROWID;
"#,
    r#"
    -- The picture sweep (picture_sweep.rs): when a picture lost its last reference, the
    -- references of each document, and how far along the feed the references were checked.
    ALTER TABLE pictures ADD COLUMN unreferenced_since INTEGER;
    CREATE INDEX picture_refs_by_doc ON picture_refs (doc);
    CREATE TABLE picture_sweep (checked_through INTEGER NOT NULL);
    INSERT INTO picture_sweep VALUES (0);
"#,
    r#"
    -- Map packs for devices (map_packs.rs): each file kept beside the database by its SHA-256,
    -- under the name an administrator gave it, with the region it covers.
    CREATE TABLE map_packs (
        name TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        bytes INTEGER NOT NULL,
        west REAL NOT NULL,
        south REAL NOT NULL,
        east REAL NOT NULL,
        north REAL NOT NULL,
        added_at INTEGER NOT NULL
    ) WITHOUT ROWID;
"#,
];

/// The migration that made `document_objects`, which learns from the changes stored before it.
const DOCUMENT_OBJECTS_MIGRATION: usize = 5;

/// Most bytes of changes in one pull page, and of snapshots in one bootstrap page (a page holds
/// at least one, whatever its size).
pub const MAX_PULL_PAGE_BYTES: usize = 4 << 20;
pub const MAX_BOOTSTRAP_PAGE_BYTES: usize = 16 << 20;
/// Largest questionnaire version, as stored.
pub const MAX_QUESTIONNAIRE_BYTES: usize = 256 << 10;

/// Marks the file as a Census server database.
const APPLICATION_ID: i32 = 0x4353_5256; // "CSRV"
const READERS: usize = 4;

#[derive(Debug)]
pub struct SqliteStore {
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // Acknowledge nothing that a power cut could take back.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.set_transaction_behavior(TransactionBehavior::Immediate);
    Ok(conn)
}

impl SqliteStore {
    /// Creates or updates a territory; its agents are added to those assigned, or (with
    /// `exactly`) become the only ones.
    fn write_territory(&self, territory: &Territory, exactly: bool) -> Result<(), StoreError> {
        territory.check().map_err(|problem| StoreError::Invalid(problem.en))?;
        let name =
            directory_text("a territory's name", &territory.name, MAX_NAME_CHARS).map_err(StoreError::Invalid)?;
        let boundary = serde_json::to_string(&territory.boundary).map_err(|e| StoreError::Storage(e.to_string()))?;
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO territories (id, name, planned_prospects, boundary) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, planned_prospects = excluded.planned_prospects, \
             boundary = excluded.boundary",
            params![territory.id.as_bytes(), name, territory.planned_prospects, boundary],
        )?;
        if exactly {
            let before: Vec<UserId> = tx
                .prepare("SELECT user_id FROM assignments WHERE territory = ?1")?
                .query_map([territory.id.as_bytes()], |r| Ok(UserId::from_bytes(id16(r.get(0)?)?)))?
                .collect::<Result<_, _>>()?;
            tx.execute("DELETE FROM assignments WHERE territory = ?1", [territory.id.as_bytes()])?;
            for gone in before.into_iter().filter(|user| !territory.agents.contains(user)) {
                late_work::territory_lost(&tx, gone, Some(territory.id), crate::api::now())?;
            }
        }
        for agent in &territory.agents {
            let known: Option<bool> = tx
                .query_row("SELECT retired FROM people WHERE id = ?1", [agent.as_bytes()], |r| r.get(0))
                .optional()?;
            match known {
                None => return Err(StoreError::NotFound(format!("there is no person {agent} to assign"))),
                Some(true) => {
                    return Err(StoreError::Invalid("a retired person cannot be assigned a territory".into()));
                }
                Some(false) => {}
            }
            tx.execute(
                "INSERT OR IGNORE INTO assignments (territory, user_id) VALUES (?1, ?2)",
                params![territory.id.as_bytes(), agent.as_bytes()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Opens (creating if need be) the server database at `path`, migrating it.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let mut writer = connect(path)?;
        migrate(&mut writer)?;
        snapshots::forget_stale_projections(&writer)?;
        let readers = (0..READERS).map(|_| connect(path).map(Mutex::new)).collect::<Result<_, _>>()?;
        Ok(SqliteStore { writer: Mutex::new(writer), readers })
    }

    fn writer(&self) -> MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn reader(&self) -> MutexGuard<'_, Connection> {
        for reader in &self.readers {
            if let Ok(guard) = reader.try_lock() {
                return guard;
            }
        }
        self.readers[0].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let application_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let empty: bool = conn.query_row("SELECT count(*) = 0 FROM sqlite_schema", [], |r| r.get(0))?;
    if application_id != APPLICATION_ID && !(application_id == 0 && version == 0 && empty) {
        return Err(StoreError::Invalid("this file is not a Census server database".into()));
    }
    if version > MIGRATIONS.len() as i64 {
        return Err(StoreError::Invalid(format!(
            "this database was written by a newer Census server (schema {version}); update the server"
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        if index == DOCUMENT_OBJECTS_MIGRATION {
            crate::document_objects::learn_stored(&tx)?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

pub(crate) fn id16(bytes: Vec<u8>) -> rusqlite::Result<[u8; 16]> {
    bytes.try_into().map_err(|_| rusqlite::Error::InvalidColumnType(0, "id".into(), rusqlite::types::Type::Blob))
}

fn person_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Person, String)> {
    let role: String = r.get(3)?;
    Ok((
        Person {
            id: UserId::from_bytes(id16(r.get(0)?)?),
            login: r.get(1)?,
            name: r.get(2)?,
            role: role.parse().unwrap_or(Role::Agent),
            retired: r.get(5)?,
        },
        r.get(4)?,
    ))
}

/// The person (and password hash) matching `condition` on `value`, e.g. `"login = ?1"`.
fn person_where(
    conn: &Connection,
    condition: &str,
    value: impl rusqlite::ToSql,
) -> Result<Option<(Person, String)>, StoreError> {
    let sql = format!("SELECT id, login, name, role, password_hash, retired FROM people WHERE {condition}");
    Ok(conn.query_row(&sql, [value], person_from).optional()?)
}

fn user_id(conn: &Connection, login: &str) -> Result<UserId, StoreError> {
    let id: Option<Vec<u8>> =
        conn.query_row("SELECT id FROM people WHERE login = ?1", [login], |r| r.get(0)).optional()?;
    let id = id.ok_or_else(|| StoreError::NotFound(format!("there is no one with the login \"{login}\"")))?;
    Ok(UserId::from_bytes(id16(id)?))
}

fn territory_exists(conn: &Connection, territory: TerritoryId) -> Result<bool, StoreError> {
    Ok(conn
        .query_row("SELECT 1 FROM territories WHERE id = ?1", [territory.as_bytes()], |_| Ok(()))
        .optional()?
        .is_some())
}

fn scopes_of(conn: &Connection, user: UserId, role: Role) -> Result<Vec<TerritoryId>, StoreError> {
    let sql = match role {
        Role::Agent => "SELECT territory FROM assignments WHERE user_id = ?1 ORDER BY territory",
        Role::Manager | Role::Admin => "SELECT id FROM territories WHERE ?1 IS NOT NULL ORDER BY id",
    };
    let mut statement = conn.prepare_cached(sql)?;
    let rows = statement.query_map([user.as_bytes()], |r| Ok(TerritoryId::from_bytes(id16(r.get(0)?)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn next_seq(conn: &Connection) -> Result<u64, StoreError> {
    let seq: i64 = conn.query_row("UPDATE sequence SET last = last + 1 RETURNING last", [], |r| r.get(0))?;
    Ok(seq.unsigned_abs())
}

/// Why one pushed change was refused, as a code and a message.
fn refused(code: &str, message: impl Into<String>) -> PushOutcome {
    PushOutcome::Refused { code: code.into(), message: message.into() }
}

impl Store for SqliteStore {
    fn add_person(&self, person: &Person, password_hash: &str) -> Result<(), StoreError> {
        let login = directory_text("a login", &person.login, MAX_LOGIN_CHARS).map_err(StoreError::Invalid)?;
        let name = directory_text("a person's name", &person.name, MAX_NAME_CHARS).map_err(StoreError::Invalid)?;
        if login.is_empty() || name.is_empty() {
            return Err(StoreError::Invalid("a person needs a login and a name".into()));
        }
        let conn = self.writer();
        let inserted = conn.execute(
            "INSERT INTO people (id, login, name, role, password_hash, retired) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT DO NOTHING",
            params![person.id.as_bytes(), login, name, person.role.as_str(), password_hash, person.retired],
        )?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!("the login \"{}\" is already taken", person.login)));
        }
        Ok(())
    }

    fn person_by_login(&self, login: &str) -> Result<Option<(Person, String)>, StoreError> {
        person_where(&self.reader(), "login = ?1", login)
    }

    fn set_password(&self, login: &str, password_hash: &str) -> Result<(), StoreError> {
        let conn = self.writer();
        user_id(&conn, login)?;
        conn.execute("UPDATE people SET password_hash = ?2 WHERE login = ?1", params![login, password_hash])?;
        Ok(())
    }

    fn set_role(&self, login: &str, role: Role) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let user = user_id(&tx, login)?;
        let before: String = tx.query_row("SELECT role FROM people WHERE id = ?1", [user.as_bytes()], |r| r.get(0))?;
        tx.execute("UPDATE people SET role = ?2 WHERE login = ?1", params![login, role.as_str()])?;
        if role == Role::Agent && before != Role::Agent.as_str() {
            // Every territory but their own is no longer theirs; their late work still arrives.
            late_work::territory_lost(&tx, user, None, crate::api::now())?;
        }
        tx.commit()?;
        Ok(())
    }

    fn retire(&self, retirement: &Retirement) -> Result<Retired, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let user = user_id(&tx, &retirement.login)?;
        let successor = match retirement.successor.as_deref() {
            Some(login) => {
                let (person, _) = person_where(&tx, "login = ?1", login)?
                    .ok_or_else(|| StoreError::NotFound(format!("there is no one with the login \"{login}\"")))?;
                if person.id == user {
                    return Err(StoreError::Invalid("a person cannot hand their territories to themselves".into()));
                }
                if person.retired {
                    return Err(StoreError::Invalid(format!(
                        "{} is retired and cannot take territories over",
                        person.name
                    )));
                }
                Some(person.id)
            }
            None => None,
        };
        let territories: Vec<TerritoryId> = tx
            .prepare("SELECT territory FROM assignments WHERE user_id = ?1 ORDER BY territory")?
            .query_map([user.as_bytes()], |r| Ok(TerritoryId::from_bytes(id16(r.get(0)?)?)))?
            .collect::<Result<_, _>>()?;
        tx.execute("UPDATE people SET retired = 1 WHERE id = ?1", [user.as_bytes()])?;
        // Their devices may still deliver what they made before (late_work.rs), nothing else.
        tx.execute(
            "UPDATE devices SET revoked = 1, revoked_for = coalesce(revoked_for, 'retired') WHERE user_id = ?1",
            [user.as_bytes()],
        )?;
        tx.execute("DELETE FROM assignments WHERE user_id = ?1", [user.as_bytes()])?;
        let at = crate::api::now();
        for territory in &territories {
            late_work::territory_lost(&tx, user, Some(*territory), at)?;
        }
        let role: String = tx.query_row("SELECT role FROM people WHERE id = ?1", [user.as_bytes()], |r| r.get(0))?;
        if role != Role::Agent.as_str() {
            late_work::territory_lost(&tx, user, None, at)?;
        }
        for territory in territories.iter().filter(|_| successor.is_some()) {
            tx.execute(
                "INSERT OR IGNORE INTO assignments (territory, user_id) VALUES (?1, ?2)",
                params![territory.as_bytes(), successor.map(|s| *s.as_bytes())],
            )?;
        }
        let (person, _) = person_where(&tx, "id = ?1", user.as_bytes())?
            .ok_or_else(|| StoreError::Storage("a person vanished while being retired".into()))?;
        tx.commit()?;
        let handed_over = if successor.is_some() { territories } else { Vec::new() };
        Ok(Retired { person, handed_over })
    }

    fn sign_in_device(
        &self,
        device: DeviceId,
        user: UserId,
        name: &str,
        token_hash: &[u8],
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<(), StoreError> {
        let name = directory_text("a device's name", name, MAX_DEVICE_NAME_CHARS).map_err(StoreError::Invalid)?;
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let owner: Option<(Vec<u8>, bool)> = tx
            .query_row("SELECT user_id, revoked FROM devices WHERE id = ?1", [device.as_bytes()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        match owner {
            Some((owner, _)) if owner != user.as_bytes() => {
                return Err(StoreError::Conflict(
                    "this device is registered to someone else; reset the app's data before signing in as another person"
                        .into(),
                ));
            }
            Some((_, true)) => {
                return Err(StoreError::Conflict(
                    "this device was revoked; an administrator can reinstate it (census-server device reinstate)"
                        .into(),
                ));
            }
            Some(_) => {}
            None => {
                // A new device may not take an id already speaking in the feed: its changes would
                // be taken for the other device's, and their numbers would clash.
                let used: bool = tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM changes WHERE device = ?1)",
                    [device.as_bytes()],
                    |r| r.get(0),
                )?;
                if used || device.as_bytes() == &[0; 16] {
                    return Err(StoreError::DeviceIdTaken(format!(
                        "the device id {device} cannot be used by a new device; reset the app's data so it makes a new one"
                    )));
                }
            }
        }
        tx.execute(
            "INSERT INTO devices (id, user_id, name, token_hash, signed_in_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, token_hash = excluded.token_hash, \
             signed_in_at = excluded.signed_in_at, expires_at = excluded.expires_at",
            params![device.as_bytes(), user.as_bytes(), name, token_hash, now.unix_millis(), expires.unix_millis()],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn check_token(&self, token_hash: &[u8], now: Timestamp) -> Result<TokenCheck, StoreError> {
        let conn = self.reader();
        struct Found {
            device: Vec<u8>,
            user: Vec<u8>,
            expires_at: i64,
            revoked: bool,
            role: String,
            retired: bool,
            revoked_for: Option<String>,
        }
        let found: Option<Found> = conn
            .query_row(
                "SELECT d.id, d.user_id, d.expires_at, d.revoked, p.role, p.retired, d.revoked_for \
                 FROM devices d JOIN people p ON p.id = d.user_id WHERE d.token_hash = ?1",
                [token_hash],
                |r| {
                    Ok(Found {
                        device: r.get(0)?,
                        user: r.get(1)?,
                        expires_at: r.get(2)?,
                        revoked: r.get(3)?,
                        role: r.get(4)?,
                        retired: r.get(5)?,
                        revoked_for: r.get(6)?,
                    })
                },
            )
            .optional()?;
        let Some(Found { device, user, expires_at, revoked, role, retired, revoked_for }) = found else {
            return Ok(TokenCheck::Unknown);
        };
        if expires_at <= now.unix_millis() {
            return Ok(TokenCheck::Unknown);
        }
        let user = UserId::from_bytes(id16(user)?);
        let role: Role = role.parse().map_err(StoreError::Storage)?;
        let device = DeviceId::from_bytes(id16(device)?);
        if retired && revoked && revoked_for.as_deref() == Some("retired") {
            // No territory of its own any more: only late work passes (late_work.rs).
            return Ok(TokenCheck::Retired(Caller { user, role, device, scopes: Vec::new() }));
        }
        if revoked || retired {
            return Ok(TokenCheck::Revoked);
        }
        let scopes = scopes_of(&conn, user, role)?;
        Ok(TokenCheck::Valid(Caller { user, role, device, scopes }))
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let conn = self.reader();
        let mut statement = conn.prepare(
            "SELECT d.id, d.user_id, p.login, d.name, d.signed_in_at, d.last_seen_at, d.revoked \
             FROM devices d JOIN people p ON p.id = d.user_id ORDER BY p.login, d.signed_in_at",
        )?;
        let rows = statement.query_map([], |r| {
            Ok(DeviceRecord {
                id: DeviceId::from_bytes(id16(r.get(0)?)?),
                user: UserId::from_bytes(id16(r.get(1)?)?),
                login: r.get(2)?,
                name: r.get(3)?,
                signed_in_at: Timestamp::from_unix_millis(r.get(4)?),
                last_seen_at: r.get::<_, Option<i64>>(5)?.map(Timestamp::from_unix_millis),
                revoked: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn device_seen(&self, device: DeviceId, now: Timestamp) -> Result<(), StoreError> {
        // Seen, and told of its person's territories (late_work.rs), in one write.
        self.writer().execute(
            "UPDATE devices SET last_seen_at = ?2, told_at = ?2 WHERE id = ?1",
            params![device.as_bytes(), now.unix_millis()],
        )?;
        Ok(())
    }

    fn revoke_device(&self, device: DeviceId) -> Result<(), StoreError> {
        let conn = self.writer();
        if conn.execute("UPDATE devices SET revoked = 1, revoked_for = 'revoked' WHERE id = ?1", [device.as_bytes()])?
            == 0
        {
            return Err(StoreError::NotFound(format!("there is no device {device}")));
        }
        Ok(())
    }

    fn reinstate_device(&self, device: DeviceId) -> Result<(), StoreError> {
        // A fresh random token hash: the token the device held before stays unknown.
        let replaced = rand::random::<[u8; 32]>();
        let conn = self.writer();
        let updated = conn.execute(
            "UPDATE devices SET revoked = 0, revoked_for = NULL, token_hash = ?2 WHERE id = ?1",
            params![device.as_bytes(), replaced],
        )?;
        if updated == 0 {
            return Err(StoreError::NotFound(format!("there is no device {device}")));
        }
        Ok(())
    }

    fn device_owner(&self, device: DeviceId) -> Result<Option<Person>, StoreError> {
        let conn = self.reader();
        let condition = "id = (SELECT user_id FROM devices WHERE id = ?1)";
        Ok(person_where(&conn, condition, device.as_bytes())?.map(|(person, _)| person))
    }

    fn add_territory(&self, territory: &Territory) -> Result<(), StoreError> {
        self.write_territory(territory, false)
    }

    fn save_territory(&self, territory: &Territory) -> Result<(), StoreError> {
        self.write_territory(territory, true)
    }

    fn assign(&self, territory: TerritoryId, login: &str) -> Result<(), StoreError> {
        let conn = self.writer();
        let user = user_id(&conn, login)?;
        if !territory_exists(&conn, territory)? {
            return Err(StoreError::NotFound(format!("there is no territory {territory}")));
        }
        conn.execute(
            "INSERT OR IGNORE INTO assignments (territory, user_id) VALUES (?1, ?2)",
            params![territory.as_bytes(), user.as_bytes()],
        )?;
        Ok(())
    }

    fn unassign(&self, territory: TerritoryId, login: &str) -> Result<(), StoreError> {
        let conn = self.writer();
        let user = user_id(&conn, login)?;
        let removed = conn.execute(
            "DELETE FROM assignments WHERE territory = ?1 AND user_id = ?2",
            params![territory.as_bytes(), user.as_bytes()],
        )?;
        if removed > 0 {
            late_work::territory_lost(&conn, user, Some(territory), crate::api::now())?;
        }
        Ok(())
    }

    fn publish_questionnaire(&self, questionnaire: &Questionnaire) -> Result<(), StoreError> {
        if let Err(problems) = questionnaire.check_definition() {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(StoreError::Invalid(format!("the questionnaire cannot be published: {}", problems.join("; "))));
        }
        let body = serde_json::to_string(questionnaire).map_err(|e| StoreError::Storage(e.to_string()))?;
        if body.len() > MAX_QUESTIONNAIRE_BYTES {
            return Err(StoreError::Invalid(format!(
                "a questionnaire may take at most {} KB (every device receives it on every sync); this one takes {} KB",
                MAX_QUESTIONNAIRE_BYTES >> 10,
                body.len() >> 10
            )));
        }
        let conn = self.writer();
        let existing: Option<String> = conn
            .query_row(
                "SELECT body FROM questionnaires WHERE id = ?1 AND version = ?2",
                params![questionnaire.id.as_bytes(), questionnaire.version],
                |r| r.get(0),
            )
            .optional()?;
        match existing {
            Some(existing) if existing == body => Ok(()),
            Some(_) => Err(StoreError::Conflict(format!(
                "version {} of this questionnaire is already published and cannot change; publish version {}",
                questionnaire.version,
                questionnaire.version + 1
            ))),
            None => {
                conn.execute(
                    "INSERT INTO questionnaires (id, version, body) VALUES (?1, ?2, ?3)",
                    params![questionnaire.id.as_bytes(), questionnaire.version, body],
                )?;
                Ok(())
            }
        }
    }

    fn directory(&self) -> Result<Directory, StoreError> {
        let conn = self.reader();
        let mut people =
            conn.prepare_cached("SELECT id, login, name, role, password_hash, retired FROM people ORDER BY name")?;
        let people: Vec<Person> =
            people.query_map([], person_from)?.map(|r| r.map(|(p, _)| p)).collect::<Result<_, _>>()?;
        let mut territories =
            conn.prepare_cached("SELECT id, name, planned_prospects, boundary FROM territories ORDER BY name")?;
        let mut territories: Vec<Territory> = territories
            .query_map([], |r| {
                Ok(Territory {
                    id: TerritoryId::from_bytes(id16(r.get(0)?)?),
                    name: r.get(1)?,
                    planned_prospects: r.get(2)?,
                    agents: Vec::new(),
                    // Written by this server from a checked list; a damaged one shows no outline.
                    boundary: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                })
            })?
            .collect::<Result<_, _>>()?;
        let mut agents =
            conn.prepare_cached("SELECT user_id FROM assignments WHERE territory = ?1 ORDER BY user_id")?;
        for territory in &mut territories {
            territory.agents = agents
                .query_map([territory.id.as_bytes()], |r| Ok(UserId::from_bytes(id16(r.get(0)?)?)))?
                .collect::<Result<_, _>>()?;
        }
        let mut questionnaires = conn.prepare_cached("SELECT body FROM questionnaires ORDER BY id, version")?;
        let questionnaires: Vec<Questionnaire> = questionnaires
            .query_map([], |r| r.get::<_, String>(0))?
            .map(|body| {
                body.map_err(StoreError::from)
                    .and_then(|b| serde_json::from_str(&b).map_err(|e| StoreError::Storage(e.to_string())))
            })
            .collect::<Result<_, _>>()?;
        Ok(Directory { people, territories, questionnaires })
    }

    fn push(&self, caller: &Caller, changes: &[PushedChange], now: Timestamp) -> Result<Vec<PushOutcome>, StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let mut outcomes = Vec::with_capacity(changes.len());
        // Once a change of a prospect is refused, its later changes (which build on it) are too.
        let mut refused_docs = std::collections::HashSet::new();
        for change in changes {
            let doc = change.item.doc;
            let outcome = if refused_docs.contains(&doc) {
                refused("held_back", "an earlier change of this prospect in the same push was refused")
            } else {
                match &change.info {
                    Ok(info) => push_one(&tx, caller, &change.item, info, now)?,
                    Err(refusal) => refusal.clone(),
                }
            };
            if matches!(outcome, PushOutcome::Refused { .. }) {
                refused_docs.insert(doc);
            }
            outcomes.push(outcome);
        }
        tx.execute(
            "UPDATE devices SET last_seen_at = ?2 WHERE id = ?1",
            params![caller.device.as_bytes(), now.unix_millis()],
        )?;
        tx.commit()?;
        Ok(outcomes)
    }

    fn pull(&self, scope: TerritoryId, since: u64, limit: u32) -> Result<PullPage, StoreError> {
        let mut conn = self.reader();
        // One read transaction: the page and the end of the feed are seen at the same moment.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let last: i64 = tx.query_row("SELECT last FROM sequence", [], |r| r.get(0))?;
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let mut changes = Vec::new();
        // A page ends at `limit` changes or at the bytes limit, whichever comes first.
        let (mut page_bytes, mut full) = (0, false);
        {
            let mut statement = tx.prepare_cached(
                "SELECT seq, doc, bytes FROM changes WHERE territory = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let rows = statement.query_map(params![scope.as_bytes(), since, limit], |r| {
                Ok(PulledChange {
                    seq: r.get::<_, i64>(0)?.unsigned_abs(),
                    doc: ProspectId::from_bytes(id16(r.get(1)?)?),
                    kind: DocKind::Prospect,
                    change: r.get(2)?,
                })
            })?;
            for row in rows {
                let row = row?;
                page_bytes += row.change.len();
                if page_bytes > MAX_PULL_PAGE_BYTES && !changes.is_empty() {
                    full = true;
                    break;
                }
                changes.push(row);
            }
        }
        let up_to_date = !full && changes.len() < limit as usize;
        let next_cursor = if up_to_date { last.max(since) } else { changes.last().map_or(since, |c| c.seq as i64) };
        let departed = {
            let mut statement = tx.prepare_cached(
                // A prospect that left and came back is not gone.
                "SELECT doc FROM departures WHERE territory = ?1 AND seq > ?2 AND seq <= ?3 \
                 AND doc NOT IN (SELECT doc FROM documents WHERE territory = ?1) ORDER BY seq",
            )?;
            let rows = statement.query_map(params![scope.as_bytes(), since, next_cursor], |r| {
                Ok(ProspectId::from_bytes(id16(r.get(0)?)?))
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        let remaining: i64 = if up_to_date {
            0
        } else {
            tx.prepare_cached("SELECT count(*) FROM changes WHERE territory = ?1 AND seq > ?2")?
                .query_row(params![scope.as_bytes(), next_cursor], |r| r.get(0))?
        };
        tx.finish()?;
        Ok(PullPage {
            scope,
            changes,
            next_cursor: next_cursor.unsigned_abs(),
            up_to_date,
            departed,
            remaining: remaining.unsigned_abs(),
        })
    }

    fn bootstrap(
        &self,
        scope: TerritoryId,
        after: Option<ProspectId>,
        limit: u32,
    ) -> Result<BootstrapPage, StoreError> {
        snapshots::bootstrap_page(&mut self.reader(), scope, after, limit)
    }

    fn compaction_status(&self) -> Result<CompactionStatus, StoreError> {
        snapshots::status(&self.reader())
    }

    fn record_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        crate::audit::insert(&tx, entries)?;
        tx.commit()?;
        Ok(())
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        crate::audit::list(&self.reader(), filter)
    }

    fn ready(&self) -> Result<u32, StoreError> {
        let conn = self.reader();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        conn.query_row("SELECT last FROM sequence", [], |r| r.get::<_, i64>(0))?;
        if version != MIGRATIONS.len() as i64 {
            return Err(StoreError::Storage(format!("the database is at schema {version}, not {}", MIGRATIONS.len())));
        }
        Ok(u32::try_from(version).unwrap_or(u32::MAX))
    }

    fn news_since(&self, scopes: &[TerritoryId], since: u64) -> Result<bool, StoreError> {
        let conn = self.reader();
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let mut changes =
            conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM changes WHERE territory = ?1 AND seq > ?2)")?;
        let mut departures =
            conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM departures WHERE territory = ?1 AND seq > ?2)")?;
        for scope in scopes {
            let news = |statement: &mut rusqlite::CachedStatement<'_>| {
                statement.query_row(params![scope.as_bytes(), since], |r| r.get::<_, bool>(0))
            };
            if news(&mut changes)? || news(&mut departures)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn database_bytes(&self) -> Result<u64, StoreError> {
        let conn = self.reader();
        let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
        Ok(u64::try_from(pages * size).unwrap_or(0))
    }

    fn identity(&self) -> Result<ServerIdentity, StoreError> {
        crate::backup::identity(&self.reader())
    }

    fn late_arrivals(&self, limit: u32) -> Result<Vec<LateArrival>, StoreError> {
        late_work::list(&self.reader(), limit)
    }

    fn picture_upload_territory(&self, name: &str, doc: ProspectId) -> Result<Option<TerritoryId>, StoreError> {
        let known = picture_records::territory_if_named(&self.reader(), name, doc)?;
        if known.is_some() {
            return Ok(known);
        }
        match picture_records::prospect_pictures(&self.reader(), doc)? {
            Some((territory, pictures)) if pictures.contains(name) => {
                picture_records::refer(&self.writer(), name, doc)?;
                Ok(Some(territory))
            }
            _ => Ok(None),
        }
    }

    fn record_thumbnail(&self, picture: &str, thumbnail: &str, doc: ProspectId) -> Result<(), StoreError> {
        let conn = self.writer();
        picture_records::refer(&conn, thumbnail, doc)?;
        picture_records::thumbnail(&conn, picture, thumbnail)
    }

    fn thumbnails(&self, scope: TerritoryId, after: &str, limit: u32) -> Result<Vec<(String, String)>, StoreError> {
        picture_records::thumbnails(&self.reader(), scope, after, limit)
    }

    fn territory_pictures(
        &self,
        scope: TerritoryId,
        after: &str,
        limit: u32,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        picture_records::territory_pictures(&self.reader(), scope, after, limit)
    }

    fn picture_stored(&self, name: &str, mime: &str, bytes: u64, at: Timestamp) -> Result<(), StoreError> {
        picture_records::stored(&self.writer(), name, mime, bytes, at)
    }

    fn picture(&self, name: &str) -> Result<Option<(String, u64)>, StoreError> {
        picture_records::described(&self.reader(), name)
    }

    fn picture_territories(&self, name: &str) -> Result<Vec<TerritoryId>, StoreError> {
        picture_records::territories(&self.reader(), name)
    }

    fn record_map_pack(&self, record: &crate::map_packs::MapPackRecord) -> Result<Option<String>, StoreError> {
        crate::map_packs::record_pack(&mut self.writer(), record)
    }

    fn map_packs(&self) -> Result<Vec<crate::map_packs::MapPackRecord>, StoreError> {
        crate::map_packs::list(&self.reader())
    }

    fn sweep_picture_refs(&self, max_changes: u32, now: Timestamp) -> Result<(u64, bool), StoreError> {
        let found = picture_records::stale_refs(&self.reader(), i64::from(max_changes))?;
        let dropped = picture_records::drop_stale_refs(&mut self.writer(), &found, now)?;
        Ok((dropped, found.at_end))
    }

    fn unreferenced_pictures(&self, before: Timestamp, limit: u32) -> Result<Vec<String>, StoreError> {
        picture_records::unreferenced(&self.reader(), before, limit)
    }

    fn forget_picture(&self, name: &str, before: Timestamp) -> Result<bool, StoreError> {
        picture_records::forget(&mut self.writer(), name, before)
    }

    fn compact_step(&self, max_changes: u32) -> Result<Option<usize>, StoreError> {
        let Some(step) = snapshots::next_step(&mut self.reader(), max_changes)? else { return Ok(None) };
        let documents = step.docs.len();
        let compacted: Vec<_> = step.docs.into_iter().map(snapshots::compact).collect();
        snapshots::store_step(&mut self.writer(), step.through, &compacted)?;
        Ok(Some(documents))
    }
}

/// Checks and stores one pushed change inside the push's transaction.
///
/// Where a change goes is read from the change itself, not from the pusher's claim: a
/// prospect's first change and a move write the `territory` field; any other change goes where
/// the prospect is now. So an edit made before a move, pushed after it, cannot move it back.
fn push_one(
    tx: &Connection,
    caller: &Caller,
    item: &PushItem,
    info: &census_core::ChangeInfo,
    now: Timestamp,
) -> Result<PushOutcome, StoreError> {
    if info.device != Some(caller.device) {
        return Ok(refused(
            "foreign_actor",
            "the change was made by another device; a device may only push its own changes",
        ));
    }
    let stored: Option<i64> = tx
        .prepare_cached("SELECT seq FROM changes WHERE doc = ?1 AND hash = ?2")?
        .query_row(params![item.doc.as_bytes(), info.hash.0], |r| r.get(0))
        .optional()?;
    if let Some(seq) = stored {
        // A retry of a change already stored: acknowledged whatever happened since.
        return Ok(PushOutcome::AlreadyStored { seq: seq.unsigned_abs() });
    }
    if info.deps.is_empty() && info.sets_id.as_deref() != Some(item.doc.to_string().as_str()) {
        return Ok(refused("wrong_prospect", "the change creates another prospect than the one it was sent for"));
    }
    let (current, size): (Option<TerritoryId>, Size) = tx
        .prepare_cached("SELECT territory, bytes, ops FROM documents WHERE doc = ?1")?
        .query_row([item.doc.as_bytes()], |r| {
            let size = Size { bytes: r.get::<_, i64>(1)?.unsigned_abs(), ops: r.get::<_, i64>(2)?.unsigned_abs() };
            Ok((Some(TerritoryId::from_bytes(id16(r.get(0)?)?)), size))
        })
        .optional()?
        .unwrap_or_default();
    let target = match (&info.sets_territory, current) {
        (Some(text), _) => match text.parse::<TerritoryId>() {
            Ok(territory) => territory,
            Err(_) => return Ok(refused("unknown_territory", format!("\"{text}\" is not a territory"))),
        },
        (None, Some(current)) => current,
        (None, None) => {
            return Ok(refused(
                "unknown_prospect",
                "the server does not have this prospect's first change; push its changes in order",
            ));
        }
    };
    if !territory_exists(tx, target)? {
        return Ok(refused("unknown_territory", format!("there is no territory {target}")));
    }
    // Work made before its person lost the right may still arrive, in the prospect's place.
    let late = match caller.may_write(current, target) {
        Ok(()) => None,
        Err(reason) => {
            let place = current.unwrap_or(target);
            let arrival =
                if place == target { late_work::arrival(tx, caller, item.doc, place, info, now)? } else { None };
            match arrival {
                Some(Ok(loss)) => Some(loss),
                Some(Err(too_late)) => {
                    return Ok(refused("outside_your_territories", format!("{reason}: {too_late}")));
                }
                None => return Ok(refused("outside_your_territories", reason)),
            }
        }
    };
    let reused: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM changes WHERE doc = ?1 AND device = ?2 AND change_seq = ?3)")?
        .query_row(params![item.doc.as_bytes(), caller.device.as_bytes(), info.seq as i64], |r| r.get(0))?;
    if reused {
        return Ok(refused(
            "duplicate_sequence",
            "this device already sent a different change with the same number for this prospect \
             (was it restored from a backup?); its copy of the prospect must be reset",
        ));
    }
    match (info.deps.is_empty(), current) {
        (true, Some(_)) => {
            return Ok(refused(
                "rewrites_layout",
                "this prospect exists already; a change that starts it anew would hide its contacts and visits",
            ));
        }
        (false, None) => {
            return Ok(refused(
                "unknown_prospect",
                "the server does not have this prospect's first change; push its changes in order",
            ));
        }
        _ => {}
    }
    let pusher = Pusher { user: caller.user, role: caller.role };
    let mut known = document_objects::known_to(tx, item.doc, &info.claims)?;
    let new_objects = match info.claims.check(current.is_none(), pusher, &mut known) {
        Ok(new_objects) => new_objects,
        Err(refusal) => return Ok(refused(refusal.code(), refusal.to_string())),
    };
    let grown = size.plus(info.size);
    if let Err(too_large) = grown.check_document() {
        return Ok(refused(
            "document_too_large",
            format!("{too_large}; this change and the prospect's later ones are refused"),
        ));
    }
    match current {
        None => {
            tx.prepare_cached("INSERT INTO documents (doc, kind, territory) VALUES (?1, ?2, ?3)")?.execute(params![
                item.doc.as_bytes(),
                item.kind.code() as i64,
                target.as_bytes()
            ])?;
        }
        Some(old) if old != target => move_document(tx, item.doc, old, target, now)?,
        Some(_) => {}
    }
    tx.prepare_cached("UPDATE documents SET bytes = ?2, ops = ?3 WHERE doc = ?1")?.execute(params![
        item.doc.as_bytes(),
        grown.bytes as i64,
        grown.ops as i64
    ])?;
    document_objects::remember(tx, item.doc, &new_objects)?;
    let seq = next_seq(tx)?;
    tx.prepare_cached(
        "INSERT INTO changes (seq, doc, territory, hash, bytes, device, change_seq, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        seq as i64,
        item.doc.as_bytes(),
        target.as_bytes(),
        info.hash.0,
        item.change,
        caller.device.as_bytes(),
        info.seq as i64,
        now.unix_millis()
    ])?;
    if let Some(loss) = late {
        late_work::taken(tx, caller, item.doc, target, loss, now)?;
    }
    Ok(PushOutcome::Stored { seq })
}

/// Moves a document's whole history to another territory, at the end of the feed, and records
/// its departure from the old one.
fn move_document(
    tx: &Connection,
    doc: ProspectId,
    from: TerritoryId,
    to: TerritoryId,
    now: Timestamp,
) -> Result<(), StoreError> {
    late_work::prospect_moved(tx, doc, from, now)?;
    let old_seqs: Vec<i64> = tx
        .prepare_cached("SELECT seq FROM changes WHERE doc = ?1 ORDER BY seq")?
        .query_map([doc.as_bytes()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for old in old_seqs {
        let new = next_seq(tx)?;
        tx.prepare_cached("UPDATE changes SET seq = ?2, territory = ?3 WHERE seq = ?1")?.execute(params![
            old,
            new as i64,
            to.as_bytes()
        ])?;
    }
    let seq = next_seq(tx)?;
    tx.prepare_cached("INSERT INTO departures (seq, doc, territory) VALUES (?1, ?2, ?3)")?.execute(params![
        seq as i64,
        doc.as_bytes(),
        from.as_bytes()
    ])?;
    tx.prepare_cached("UPDATE documents SET territory = ?2 WHERE doc = ?1")?
        .execute(params![doc.as_bytes(), to.as_bytes()])?;
    Ok(())
}
