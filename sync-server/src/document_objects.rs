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
