//! The objects of each prospect that the rules of `census_core::authority` must recognise in
//! later changes (its visits, reviews, `created`, `distinct_from`), learnt from each change as
//! it is stored, so that a pushed change is checked without loading its document.

use std::collections::HashMap;

use census_core::{Claims, ObjectRef, ProspectDoc, ProspectId, Region};
use rusqlite::{Connection, params};

use crate::error::StoreError;

/// The regions of the stored objects a change writes in.
pub fn known_to(tx: &Connection, doc: ProspectId, claims: &Claims) -> Result<HashMap<ObjectRef, Region>, StoreError> {
    let mut statement = tx.prepare_cached("SELECT region FROM document_objects WHERE doc = ?1 AND object = ?2")?;
    let mut known = HashMap::new();
    for object in claims.objects_written() {
        let region: Option<i64> = rusqlite::OptionalExtension::optional(
            statement.query_row(params![doc.as_bytes(), object.to_bytes()], |r| r.get(0)),
        )?;
        if let Some(region) = region.and_then(|code| Region::from_code(u8::try_from(code).ok()?)) {
            known.insert(object, region);
        }
    }
    Ok(known)
}

/// Keeps the objects a stored change made.
pub fn remember(tx: &Connection, doc: ProspectId, objects: &[(ObjectRef, Region)]) -> Result<(), StoreError> {
    let mut statement =
        tx.prepare_cached("INSERT OR IGNORE INTO document_objects (doc, object, region) VALUES (?1, ?2, ?3)")?;
    for (object, region) in objects {
        statement.execute(params![doc.as_bytes(), object.to_bytes(), i64::from(region.code())])?;
    }
    Ok(())
}

/// Learns the objects of every change stored before the server kept them, in feed order (a
/// change's objects are made in changes before it). A change that cannot be read is skipped:
/// it was checked when it arrived.
pub fn learn_stored(tx: &Connection) -> Result<(), StoreError> {
    let mut statement = tx.prepare("SELECT doc, bytes FROM changes ORDER BY seq")?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let doc = ProspectId::from_bytes(
            row.get::<_, Vec<u8>>(0)?.try_into().map_err(|_| StoreError::Storage("a document id is damaged".into()))?,
        );
        let Ok(info) = ProspectDoc::inspect_change(&row.get::<_, Vec<u8>>(1)?) else { continue };
        let mut known = known_to(tx, doc, &info.claims)?;
        remember(tx, doc, &info.claims.new_objects(&mut known))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

    use super::*;
    use crate::sqlite_store::SqliteStore;
    use census_core::Timestamp;

    fn objects(db: &std::path::Path) -> Vec<(Vec<u8>, Vec<u8>, i64)> {
        let conn = Connection::open(db).unwrap();
        let mut statement =
            conn.prepare("SELECT doc, object, region FROM document_objects ORDER BY doc, object").unwrap();
        statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().collect::<Result<_, _>>().unwrap()
    }

    #[test]
    fn a_database_from_before_the_table_learns_every_stored_prospects_objects() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.db");
        let store = SqliteStore::open(&db).unwrap();
        let at = Timestamp::from_unix_millis(1_795_800_000_000);
        crate::demo::seed(&store, &crate::demo::made_up_base(12, at), at).unwrap();
        drop(store);
        let kept_as_pushed = objects(&db);
        // Each prospect's visits map, created map and distinct_from map at least.
        assert!(kept_as_pushed.len() >= 36, "{}", kept_as_pushed.len());

        // The same database as it was before migration 6.
        let conn = Connection::open(&db).unwrap();
        // What migrations 6 and later added goes too, so that they run again.
        conn.execute_batch(
            "DROP TABLE document_objects; DROP TABLE audit; DROP TABLE access_losses; DROP TABLE late_arrivals; \
             ALTER TABLE devices DROP COLUMN told_at; ALTER TABLE devices DROP COLUMN revoked_for; \
             DROP TABLE server_identity; DROP TABLE pictures; DROP TABLE picture_refs; \
             DROP TABLE picture_thumbnails; DROP TABLE picture_sweep; DROP TABLE map_packs; \
             PRAGMA user_version = 5;",
        )
        .unwrap();
        drop(conn);
        SqliteStore::open(&db).unwrap();
        assert_eq!(objects(&db), kept_as_pushed);
    }
}
