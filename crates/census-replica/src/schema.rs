//! The replica's SQLite schema: numbered, append-only migrations, each applied in one
//! transaction together with its version bump (`PRAGMA user_version`).

use rusqlite::Connection;

use crate::error::ReplicaError;

/// Marks a database file as a Census replica (`PRAGMA application_id`), so that opening another
/// SQLite file by mistake is refused instead of silently adding tables to it.
pub(crate) const APPLICATION_ID: i32 = 0x4353_5250; // "CSRP"

/// The migrations, in order. Never edit a shipped one; add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: documents, outbox, projections with full-text and spatial indexes.
    r#"
    CREATE TABLE replica_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

    -- Each prospect's Automerge document: a compacted snapshot, plus the changes since, in order.
    CREATE TABLE documents (
        prospect_id BLOB PRIMARY KEY,
        snapshot BLOB NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE document_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        prospect_id BLOB NOT NULL,
        bytes BLOB NOT NULL
    );
    CREATE INDEX document_changes_by_prospect ON document_changes (prospect_id, seq);

    -- Changes received before the changes they build on; applied once those arrive.
    CREATE TABLE waiting_changes (
        prospect_id BLOB NOT NULL,
        hash BLOB NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (prospect_id, hash)
    ) WITHOUT ROWID;

    -- Changes made on this device and not yet acknowledged by the server. The bytes are read
    -- from the document at push time rather than stored twice.
    CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        prospect_id BLOB NOT NULL,
        territory BLOB NOT NULL,
        hash BLOB NOT NULL UNIQUE
    );

    -- Visits being filled in, kept until recorded or thrown away.
    CREATE TABLE visit_drafts (
        visit_id BLOB PRIMARY KEY,
        prospect_id BLOB NOT NULL,
        saved_at INTEGER NOT NULL,
        visit TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX visit_drafts_by_prospect ON visit_drafts (prospect_id);

    -- The directory as last received, for offline use: territories, people, questionnaires.
    CREATE TABLE territories (id BLOB PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE people (id BLOB PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE questionnaires (
        id BLOB NOT NULL,
        version INTEGER NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (id, version)
    ) WITHOUT ROWID;

    -- One row per prospect with what lists and filters need; rebuilt from the document whenever
    -- the document changes.
    CREATE TABLE prospects (
        row INTEGER PRIMARY KEY,
        id BLOB NOT NULL UNIQUE,
        territory TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        status TEXT NOT NULL,
        review_state TEXT,
        has_conflicts INTEGER NOT NULL,
        merged_into TEXT,
        deleted INTEGER NOT NULL,
        address TEXT NOT NULL,
        phones TEXT NOT NULL,
        lat REAL,
        lon REAL,
        visits INTEGER NOT NULL,
        last_visit_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    -- One index per list order, within a territory and across the base, so that the first page
    -- of any list is read in order and never sorted.
    CREATE INDEX prospects_by_territory_name ON prospects (territory, name COLLATE NOCASE);
    CREATE INDEX prospects_by_territory_status ON prospects (territory, status, name COLLATE NOCASE);
    CREATE INDEX prospects_by_territory_updated ON prospects (territory, updated_at);
    CREATE INDEX prospects_by_name ON prospects (name COLLATE NOCASE);
    CREATE INDEX prospects_by_status ON prospects (status, name COLLATE NOCASE);
    CREATE INDEX prospects_by_updated ON prospects (updated_at);
    CREATE INDEX prospects_in_conflict ON prospects (name COLLATE NOCASE) WHERE has_conflicts = 1;

    -- Full-text search over name, address, contacts and notes; Cyrillic and Latin, any case.
    CREATE VIRTUAL TABLE prospect_text USING fts5(
        name, address, contacts, notes,
        content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2'
    );

    -- Positions, for "nearby" and the map.
    CREATE VIRTUAL TABLE prospect_places USING rtree(row, min_lat, max_lat, min_lon, max_lon);
    "#,
    // 2: syncing: a cursor per territory, and changes the server refused, kept aside.
    r#"
    CREATE TABLE scope_cursors (scope BLOB PRIMARY KEY, cursor INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE refused_changes (
        hash BLOB PRIMARY KEY,
        prospect_id BLOB NOT NULL,
        territory BLOB NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        refused_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- Changes received from the server that this device could not apply, with the reason.
    CREATE TABLE set_aside_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        prospect_id BLOB NOT NULL,
        bytes BLOB NOT NULL,
        reason TEXT NOT NULL
    );
    "#,
    // 3: a territory being bootstrapped from snapshots: the watermark, and the last document stored.
    r#"
    CREATE TABLE bootstraps (scope BLOB PRIMARY KEY, watermark INTEGER NOT NULL, after BLOB) WITHOUT ROWID;
    "#,
    // 4: pictures taken for photo questions, by the SHA-256 of their bytes.
    r#"
    CREATE TABLE photos (
        sha256 TEXT PRIMARY KEY,
        mime TEXT NOT NULL,
        bytes BLOB NOT NULL,
        stored_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 5: every visit (when, by whom) for the dashboards, by projection row. Replicas that had
    // prospects before it derive their projections again from the documents when next opened.
    r#"
    CREATE TABLE prospect_visits (row INTEGER NOT NULL, at INTEGER NOT NULL, agent BLOB NOT NULL);
    CREATE INDEX prospect_visits_by_row ON prospect_visits (row);
    CREATE INDEX prospect_visits_by_time ON prospect_visits (at, agent);
    INSERT OR REPLACE INTO replica_info (key, value) SELECT 'projections_stale', '1' WHERE EXISTS (SELECT 1 FROM prospects);
    "#,
    // 6: the manager's review queue: never approved, or changed since the approval.
    r#"
    ALTER TABLE prospects ADD COLUMN awaiting_review INTEGER NOT NULL DEFAULT 1;
    CREATE INDEX prospects_awaiting_review ON prospects (name COLLATE NOCASE) WHERE awaiting_review = 1;
    INSERT OR REPLACE INTO replica_info (key, value) SELECT 'projections_stale', '1' WHERE EXISTS (SELECT 1 FROM prospects);
    "#,
    // 7: the dashboard reads narrow indexes instead of whole rows: the funnel, categories and
    // coverage from one, the visits per agent per day from the other.
    r#"
    CREATE INDEX prospects_for_dashboard ON prospects (territory, status, category, visits, deleted, merged_into);
    CREATE INDEX prospects_funnel ON prospects (status, category, territory, deleted, merged_into);
    DROP INDEX prospect_visits_by_time;
    CREATE INDEX prospect_visits_by_time ON prospect_visits (at, agent, row);
    "#,
    // 8: the prospects a manager judged not to be duplicates of each one (ids, by spaces),
    // for the duplicates search to leave out. No document had any before.
    r#"
    ALTER TABLE prospects ADD COLUMN distinct_from TEXT NOT NULL DEFAULT '';
    "#,
    // 9: column mappings saved for importing spreadsheets, by name (the body is JSON).
    r#"
    CREATE TABLE import_mappings (name TEXT PRIMARY KEY, body TEXT NOT NULL) WITHOUT ROWID;
    "#,
    // 10: a deletion or a merge that later work contested no longer hides its prospect
    // (projection version 4): rows of deleted and merged prospects are derived again. The
    // merged ones are found by an index of their own (rings of merges are looked for each sync).
    r#"
    CREATE INDEX prospects_merged ON prospects (merged_into) WHERE merged_into IS NOT NULL;
    INSERT OR REPLACE INTO replica_info (key, value) SELECT 'projections_stale', '1'
        WHERE EXISTS (SELECT 1 FROM prospects WHERE deleted = 1 OR merged_into IS NOT NULL);
    "#,
    // 11: lists sorted as people sort names (census-core's `sort_key`: numbers by value, case
    // and ё ignored), by a key column; the keys are filled in by `fill_name_order`.
    r#"
    ALTER TABLE prospects ADD COLUMN name_order TEXT NOT NULL DEFAULT '';
    DROP INDEX prospects_by_territory_name;
    DROP INDEX prospects_by_territory_status;
    DROP INDEX prospects_by_name;
    DROP INDEX prospects_by_status;
    DROP INDEX prospects_in_conflict;
    DROP INDEX prospects_awaiting_review;
    CREATE INDEX prospects_by_territory_name ON prospects (territory, name_order);
    CREATE INDEX prospects_by_territory_status ON prospects (territory, status, name_order);
    CREATE INDEX prospects_by_name ON prospects (name_order);
    CREATE INDEX prospects_by_status ON prospects (status, name_order);
    CREATE INDEX prospects_in_conflict ON prospects (name_order) WHERE has_conflicts = 1;
    CREATE INDEX prospects_awaiting_review ON prospects (name_order) WHERE awaiting_review = 1;
    "#,
    // 12: pictures waiting to be uploaded, each with a prospect that shows it (the server lets
    // a device upload a picture for a prospect it may write, whose document names it).
    r#"
    CREATE TABLE picture_uploads (
        sha256 TEXT NOT NULL,
        prospect_id BLOB NOT NULL,
        PRIMARY KEY (sha256, prospect_id)
    ) WITHOUT ROWID;
    "#,
    // 13: thumbnails (thumbnails.rs) are pictures too, each knowing the picture it shows small;
    // an upload of one says so, for the server to let it go where the picture goes.
    r#"
    ALTER TABLE photos ADD COLUMN thumbnail_of TEXT;
    CREATE INDEX photos_thumbnails ON photos (thumbnail_of) WHERE thumbnail_of IS NOT NULL;
    ALTER TABLE picture_uploads ADD COLUMN thumbnail_of TEXT;
    "#,
    // 14: originals are a cache (picture_cache.rs): when each was last looked at, and whether
    // the server has it (only then may it go to make room). Apart from `photos`, whose rows
    // are megabytes long: an update rewrites the whole row.
    r#"
    CREATE TABLE picture_use (
        sha256 TEXT PRIMARY KEY,
        used INTEGER NOT NULL DEFAULT 0,
        on_server INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX picture_use_by_use ON picture_use (used);
    "#,
];

/// The migration that adds the name's sort key, which SQL cannot compute.
const NAME_ORDER_MIGRATION: usize = 10;

/// The schema version this code writes.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings a new or older replica up to [`SCHEMA_VERSION`], refusing files that are not Census
/// replicas or were written by a newer Census.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), ReplicaError> {
    let application_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let empty: bool = conn.query_row("SELECT count(*) = 0 FROM sqlite_schema", [], |r| r.get(0))?;
    if application_id != APPLICATION_ID && !(application_id == 0 && version == 0 && empty) {
        return Err(ReplicaError::NotAReplica);
    }
    if version > SCHEMA_VERSION {
        return Err(ReplicaError::NewerSchema { found: version, supported: SCHEMA_VERSION });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(migration)?;
        if index == NAME_ORDER_MIGRATION {
            fill_name_order(&tx)?;
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

fn fill_name_order(tx: &Connection) -> Result<(), ReplicaError> {
    let names: Vec<(i64, String)> = tx
        .prepare("SELECT row, name FROM prospects")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = tx.prepare("UPDATE prospects SET name_order = ?2 WHERE row = ?1")?;
    for (row, name) in names {
        update.execute(rusqlite::params![row, census_core::sort_key(&name)])?;
    }
    Ok(())
}
