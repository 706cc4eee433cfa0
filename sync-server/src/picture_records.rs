//! What the database knows of pictures (their bytes are in `pictures.rs`): each picture stored
//! whole, with its type and length, and the prospects it was uploaded for. A picture is read
//! by whoever may read one of those prospects; it is uploaded for a prospect only by a device
//! that may write it, and only when the prospect's document names the picture, which is read
//! from the document's changes when the upload begins.
//!
//! A reference lasts while its document names the picture (or, for a thumbnail, the picture it
//! shows): the sweep (`picture_sweep.rs`) reads again the documents changed since it last
//! looked, drops the references they no longer make, and marks a picture left with none, which
//! it removes once the grace period has passed.

use std::collections::BTreeSet;

use census_core::{DeviceId, ProspectDoc, ProspectId, TerritoryId, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::StoreError;

/// The territory a prospect is in and the pictures its document names, if the server has it
/// and can read it whole.
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
    let Ok(mut built) = ProspectDoc::from_changes(doc, &changes, DeviceId::from_bytes([0; 16])) else {
        return Ok(None);
    };
    // A document still waiting for changes it depends on cannot say yet what it names.
    if built.is_waiting() {
        return Ok(None);
    }
    Ok(Some((territory, census_core::pictures::pictures_of(&built.read()))))
}

/// Notes that `name` was uploaded for (or found already stored for) `doc`: a picture named
/// again is no longer unreferenced.
pub(crate) fn refer(conn: &Connection, name: &str, doc: ProspectId) -> Result<(), StoreError> {
    conn.prepare_cached("INSERT OR IGNORE INTO picture_refs (name, doc) VALUES (?1, ?2)")?
        .execute(params![name, doc.as_bytes()])?;
    conn.prepare_cached(
        "UPDATE pictures SET unreferenced_since = NULL WHERE name = ?1 AND unreferenced_since IS NOT NULL",
    )?
    .execute([name])?;
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

/// The pictures stored whole of prospects now in `scope` (not thumbnails, unless a thumbnail is
/// a photo too, with a thumbnail of its own), with their lengths,
/// by name after `after`, at most `limit`: what a device downloads to have a territory's photos
/// offline.
pub(crate) fn territory_pictures(
    conn: &Connection,
    scope: TerritoryId,
    after: &str,
    limit: u32,
) -> Result<Vec<(String, u64)>, StoreError> {
    let rows = conn
        .prepare_cached(
            "SELECT DISTINCT p.name, p.bytes FROM pictures p \
             JOIN picture_refs r ON r.name = p.name JOIN documents d ON d.doc = r.doc \
             WHERE d.territory = ?1 AND p.name > ?2 \
             AND (NOT EXISTS (SELECT 1 FROM picture_thumbnails t WHERE t.thumbnail = p.name) \
                  OR EXISTS (SELECT 1 FROM picture_thumbnails t WHERE t.picture = p.name)) \
             ORDER BY p.name LIMIT ?3",
        )?
        .query_map(params![scope.as_bytes(), after, limit], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs())))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// A document's references that it no longer makes, found by reading it again.
#[derive(Debug, Default)]
pub(crate) struct StaleRefs {
    /// `(picture, doc)` pairs to drop.
    pub stale: Vec<(String, ProspectId)>,
    /// The feed's end when the documents were read: a document changed after it is read again
    /// by the next sweep rather than having its references dropped now.
    pub read_at_seq: i64,
    /// How far along the feed the documents were looked at.
    pub through: i64,
    /// Whether `through` is the feed's end.
    pub at_end: bool,
}

/// Reads again the documents with picture references changed over at most `max_changes` of
/// the feed after where the sweep last looked, and finds the references they no longer make.
pub(crate) fn stale_refs(conn: &Connection, max_changes: i64) -> Result<StaleRefs, StoreError> {
    let checked: i64 = conn.query_row("SELECT checked_through FROM picture_sweep", [], |r| r.get(0))?;
    let end: i64 = conn.query_row("SELECT coalesce(max(seq), 0) FROM changes", [], |r| r.get(0))?;
    let through = end.min(checked.saturating_add(max_changes));
    let docs: Vec<Vec<u8>> = conn
        .prepare_cached(
            "SELECT DISTINCT c.doc FROM changes c WHERE c.seq > ?1 AND c.seq <= ?2 \
             AND EXISTS (SELECT 1 FROM picture_refs r WHERE r.doc = c.doc)",
        )?
        .query_map([checked, through], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut found = StaleRefs { read_at_seq: end, through, at_end: through >= end, ..StaleRefs::default() };
    for doc in docs {
        let Ok(doc) = <[u8; 16]>::try_from(doc).map(ProspectId::from_bytes) else { continue };
        // A document the server cannot read whole keeps its references.
        let Some((_, named)) = prospect_pictures(conn, doc)? else { continue };
        let referenced: Vec<String> = conn
            .prepare_cached("SELECT name FROM picture_refs WHERE doc = ?1")?
            .query_map([doc.as_bytes()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for name in referenced {
            let shown: Vec<String> = conn
                .prepare_cached("SELECT picture FROM picture_thumbnails WHERE thumbnail = ?1")?
                .query_map([&name], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            if !named.contains(&name) && !shown.iter().any(|picture| named.contains(picture)) {
                found.stale.push((name, doc));
            }
        }
    }
    Ok(found)
}

/// Drops the stale references (those of documents not changed since they were read), marks
/// the pictures left with none as unreferenced since `now`, and moves the sweep's place on.
/// Answers how many references were dropped.
pub(crate) fn drop_stale_refs(conn: &mut Connection, found: &StaleRefs, now: Timestamp) -> Result<u64, StoreError> {
    let tx = conn.transaction()?;
    let mut dropped = 0;
    for (name, doc) in &found.stale {
        let changed_since: bool = tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM changes WHERE doc = ?1 AND seq > ?2)")?
            .query_row(params![doc.as_bytes(), found.read_at_seq], |r| r.get(0))?;
        if changed_since {
            continue;
        }
        dropped += tx
            .prepare_cached("DELETE FROM picture_refs WHERE name = ?1 AND doc = ?2")?
            .execute(params![name, doc.as_bytes()])? as u64;
        tx.prepare_cached(
            "UPDATE pictures SET unreferenced_since = ?2 WHERE name = ?1 AND unreferenced_since IS NULL \
             AND NOT EXISTS (SELECT 1 FROM picture_refs r WHERE r.name = ?1)",
        )?
        .execute(params![name, now.unix_millis()])?;
    }
    // A document changed after it was read keeps its references for now; its change lies past
    // `through`, so the next sweep reads it again.
    tx.execute("UPDATE picture_sweep SET checked_through = max(checked_through, ?1)", [found.through])?;
    tx.commit()?;
    Ok(dropped)
}

/// Pictures unreferenced since before `before`, at most `limit`.
pub(crate) fn unreferenced(conn: &Connection, before: Timestamp, limit: u32) -> Result<Vec<String>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT name FROM pictures WHERE unreferenced_since IS NOT NULL AND unreferenced_since < ?1 \
             ORDER BY unreferenced_since LIMIT ?2",
        )?
        .query_map(params![before.unix_millis(), limit], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// Forgets picture `name` if it is still unreferenced since before `before` (a device may have
/// named it again meanwhile); answers whether it was forgotten, and its bytes may go.
pub(crate) fn forget(conn: &mut Connection, name: &str, before: Timestamp) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let gone = tx.execute(
        "DELETE FROM pictures WHERE name = ?1 AND unreferenced_since IS NOT NULL AND unreferenced_since < ?2 \
         AND NOT EXISTS (SELECT 1 FROM picture_refs r WHERE r.name = ?1)",
        params![name, before.unix_millis()],
    )? > 0;
    if gone {
        tx.execute("DELETE FROM picture_thumbnails WHERE picture = ?1 OR thumbnail = ?1", [name])?;
    }
    tx.commit()?;
    Ok(gone)
}
