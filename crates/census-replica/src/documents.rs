//! Where documents live in the replica: a compacted snapshot per prospect, the changes made
//! since, and changes received before the ones they build on.

use census_core::{ChangeHash, DeviceId, ProspectDoc, ProspectId};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ReplicaError;

/// A document is compacted into a new snapshot once the changes since its snapshot reach half
/// its size (so rewriting it costs at most twice what the changes did), or this many changes
/// (so loading it never replays a long tail).
const COMPACT_AFTER_CHANGES: i64 = 16;

pub(crate) fn document_exists(conn: &Connection, id: ProspectId) -> Result<bool, ReplicaError> {
    let mut statement = conn.prepare_cached("SELECT 1 FROM documents WHERE prospect_id = ?1")?;
    Ok(statement.query_row([id.as_bytes()], |_| Ok(())).optional()?.is_some())
}

/// Whether the replica holds anything of a prospect: its document, or changes waiting.
pub(crate) fn anything_of(conn: &Connection, id: ProspectId) -> Result<bool, ReplicaError> {
    let mut statement = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM documents WHERE prospect_id = ?1)          OR EXISTS (SELECT 1 FROM waiting_changes WHERE prospect_id = ?1)",
    )?;
    Ok(statement.query_row([id.as_bytes()], |r| r.get(0))?)
}

/// Loads a document: its snapshot followed by the changes since.
pub(crate) fn load_document(conn: &Connection, id: ProspectId, device: DeviceId) -> Result<ProspectDoc, ReplicaError> {
    let mut bytes: Vec<u8> = conn
        .prepare_cached("SELECT snapshot FROM documents WHERE prospect_id = ?1")?
        .query_row([id.as_bytes()], |r| r.get(0))
        .optional()?
        .ok_or(ReplicaError::UnknownProspect(id))?;
    let mut statement =
        conn.prepare_cached("SELECT bytes FROM document_changes WHERE prospect_id = ?1 ORDER BY seq")?;
    let mut rows = statement.query([id.as_bytes()])?;
    while let Some(row) = rows.next()? {
        bytes.extend_from_slice(row.get_ref(0)?.as_blob().map_err(|e| ReplicaError::Corrupt(e.to_string()))?);
    }
    Ok(ProspectDoc::load(id, &bytes, device)?)
}

/// Stores a document seen for the first time, as its snapshot.
pub(crate) fn insert_document(conn: &Connection, doc: &mut ProspectDoc) -> Result<(), ReplicaError> {
    insert_snapshot(conn, doc.id(), &doc.save())
}

/// Stores a document seen for the first time as the raw changes it was built from (Automerge
/// loads a run of changes like a saved document), which spares compacting it on arrival; it is
/// compacted when it is next changed.
pub(crate) fn insert_received(conn: &Connection, id: ProspectId, changes: &[&[u8]]) -> Result<(), ReplicaError> {
    insert_snapshot(conn, id, &changes.concat())
}

/// Stores a document seen for the first time from its saved bytes.
pub(crate) fn insert_snapshot(conn: &Connection, id: ProspectId, bytes: &[u8]) -> Result<(), ReplicaError> {
    conn.prepare_cached("INSERT INTO documents (prospect_id, snapshot) VALUES (?1, ?2)")?
        .execute(params![id.as_bytes(), bytes])?;
    Ok(())
}

/// Records changes to a stored document, compacting it when they have grown large enough.
pub(crate) fn append_changes<B: AsRef<[u8]>>(
    conn: &Connection,
    doc: &mut ProspectDoc,
    changes: &[B],
) -> Result<(), ReplicaError> {
    let id = doc.id();
    let mut insert = conn.prepare_cached("INSERT INTO document_changes (prospect_id, bytes) VALUES (?1, ?2)")?;
    for change in changes {
        insert.execute(params![id.as_bytes(), change.as_ref()])?;
    }
    let (count, bytes, snapshot): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT count(*), coalesce(sum(length(bytes)), 0), \
             (SELECT length(snapshot) FROM documents WHERE prospect_id = ?1) \
             FROM document_changes WHERE prospect_id = ?1",
        )?
        .query_row([id.as_bytes()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    if count >= COMPACT_AFTER_CHANGES || bytes * 2 >= snapshot {
        conn.prepare_cached("UPDATE documents SET snapshot = ?2 WHERE prospect_id = ?1")?
            .execute(params![id.as_bytes(), doc.save()])?;
        conn.prepare_cached("DELETE FROM document_changes WHERE prospect_id = ?1")?.execute([id.as_bytes()])?;
    }
    Ok(())
}

/// Changes of a prospect that arrived before the changes they build on.
pub(crate) fn waiting_changes(conn: &Connection, id: ProspectId) -> Result<Vec<Vec<u8>>, ReplicaError> {
    let mut statement = conn.prepare_cached("SELECT bytes FROM waiting_changes WHERE prospect_id = ?1")?;
    let rows = statement.query_map([id.as_bytes()], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Keeps, among `received`, the changes the document could not apply yet, and forgets the
/// waiting ones it now holds. Says whether any still wait.
pub(crate) fn keep_waiting<B: AsRef<[u8]>>(
    conn: &Connection,
    id: ProspectId,
    doc: Option<&mut ProspectDoc>,
    received: &[B],
) -> Result<bool, ReplicaError> {
    let mut doc = doc;
    if let Some(doc) = doc.as_deref_mut()
        && !doc.is_waiting()
    {
        conn.prepare_cached("DELETE FROM waiting_changes WHERE prospect_id = ?1")?.execute([id.as_bytes()])?;
        return Ok(false);
    }
    // Every change is read before anything is written, so unreadable bytes change nothing.
    let hashes = received
        .iter()
        .map(|bytes| ProspectDoc::change_hash(bytes.as_ref()))
        .collect::<Result<Vec<ChangeHash>, _>>()?;
    conn.prepare_cached("DELETE FROM waiting_changes WHERE prospect_id = ?1")?.execute([id.as_bytes()])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO waiting_changes (prospect_id, hash, bytes) VALUES (?1, ?2, ?3)")?;
    for (bytes, hash) in received.iter().zip(hashes) {
        let applied = match doc.as_deref_mut() {
            Some(doc) => doc.has_change(&hash),
            None => false,
        };
        if !applied {
            insert.execute(params![id.as_bytes(), hash.0, bytes.as_ref()])?;
        }
    }
    Ok(true)
}
