//! What the database knows of pictures (their bytes are in `pictures.rs`): each picture stored
//! whole, with its type and length, and the prospects it was uploaded for. A picture is read
//! by whoever may read one of those prospects; it is uploaded for a prospect only by a device
//! that may write it, and only when the prospect's document names the picture, which is read
//! from the document's changes when the upload begins.

use std::collections::BTreeSet;

use census_core::{DeviceId, ProspectDoc, ProspectId, TerritoryId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;

/// The territory a prospect is in and the pictures its document names, if the server has it.
pub(crate) fn prospect_pictures(
    conn: &Connection,
    doc: ProspectId,
) -> Result<Option<(TerritoryId, BTreeSet<String>)>, StoreError> {
    let territory: Option<Vec<u8>> = conn
        .prepare_cached("SELECT territory FROM documents WHERE doc = ?1")?
        .query_row([doc.as_bytes()], |r| r.get(0))
        .optional()?;
    let Some(territory) = territory else { return Ok(None) };
    let territory = territory_id(territory)?;
    let changes: Vec<Vec<u8>> = conn
        .prepare_cached("SELECT bytes FROM changes WHERE doc = ?1 ORDER BY seq")?
        .query_map([doc.as_bytes()], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    // The actor only matters for edits, and none are made here.
    let pictures = match ProspectDoc::from_changes(doc, &changes, DeviceId::from_bytes([0; 16])) {
        Ok(mut built) => match built.is_waiting() {
            true => BTreeSet::new(),
            false => census_core::pictures::pictures_of(&built.read()),
        },
        Err(_) => BTreeSet::new(),
    };
    Ok(Some((territory, pictures)))
}

/// Notes that `name` was uploaded for (or found already stored for) `doc`.
pub(crate) fn refer(conn: &Connection, name: &str, doc: ProspectId) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO picture_refs (name, doc) VALUES (?1, ?2)")?
        .execute(params![name, doc.as_bytes()])?;
    Ok(())
}

/// The territory of `doc` when it is recorded as naming the picture `name`.
pub(crate) fn territory_if_named(
    conn: &Connection,
    name: &str,
    doc: ProspectId,
) -> Result<Option<TerritoryId>, StoreError> {
    let territory: Option<Vec<u8>> = conn
        .prepare_cached(
            "SELECT d.territory FROM picture_refs r JOIN documents d ON d.doc = r.doc WHERE r.name = ?1 AND r.doc = ?2",
        )?
        .query_row(params![name, doc.as_bytes()], |r| r.get(0))
        .optional()?;
    territory.map(territory_id).transpose()
}

fn territory_id(bytes: Vec<u8>) -> Result<TerritoryId, StoreError> {
    bytes
        .try_into()
        .map(TerritoryId::from_bytes)
        .map_err(|_| StoreError::Storage("a document's territory is damaged".into()))
}

/// Records a picture stored whole.
pub(crate) fn stored(conn: &Connection, name: &str, mime: &str, bytes: u64, at: Timestamp) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO pictures (name, mime, bytes, stored_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![name, mime, i64::try_from(bytes).unwrap_or(i64::MAX), at.unix_millis()])?;
    Ok(())
}

/// A stored picture's type and length.
pub(crate) fn described(conn: &Connection, name: &str) -> Result<Option<(String, u64)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT mime, bytes FROM pictures WHERE name = ?1")?
        .query_row([name], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs())))
        .optional()?)
}

/// The territories of the prospects a picture was uploaded for (who may read it).
pub(crate) fn territories(conn: &Connection, name: &str) -> Result<Vec<TerritoryId>, StoreError> {
    let rows: Vec<Vec<u8>> = conn
        .prepare_cached(
            "SELECT DISTINCT d.territory FROM picture_refs r JOIN documents d ON d.doc = r.doc WHERE r.name = ?1",
        )?
        .query_map([name], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(territory_id).collect()
}

/// Records `thumbnail` as a thumbnail of `picture`.
pub(crate) fn thumbnail(conn: &Connection, picture: &str, thumbnail: &str) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO picture_thumbnails (picture, thumbnail) VALUES (?1, ?2)")?
        .execute(params![picture, thumbnail])?;
    Ok(())
}

/// The stored thumbnails of pictures uploaded for prospects now in `scope`, by picture name
/// after `after`, at most `limit`.
pub(crate) fn thumbnails(
    conn: &Connection,
    scope: TerritoryId,
    after: &str,
    limit: u32,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT DISTINCT t.picture, t.thumbnail FROM picture_thumbnails t \
             JOIN pictures p ON p.name = t.thumbnail \
             JOIN picture_refs r ON r.name = t.picture JOIN documents d ON d.doc = r.doc \
             WHERE d.territory = ?1 AND t.picture > ?2 ORDER BY t.picture LIMIT ?3",
        )?
        .query_map(params![scope.as_bytes(), after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}
