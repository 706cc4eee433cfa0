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

/// A stored document as bytes (its snapshot followed by the changes since), with what deciding
/// on compaction needs.
#[derive(Debug)]
pub(crate) struct Stored {
    pub(crate) bytes: Vec<u8>,
    /// How many changes follow the snapshot, and their total size.
    pub(crate) changes: i64,
    pub(crate) changes_bytes: i64,
    pub(crate) snapshot_len: i64,
}

/// Reads a stored document, if the replica has it.
pub(crate) fn read_stored(conn: &Connection, id: ProspectId) -> Result<Option<Stored>, ReplicaError> {
    let snapshot: Option<Vec<u8>> = conn
        .prepare_cached("SELECT snapshot FROM documents WHERE prospect_id = ?1")?
        .query_row([id.as_bytes()], |r| r.get(0))
        .optional()?;
    let Some(mut bytes) = snapshot else { return Ok(None) };
    let snapshot_len = bytes.len() as i64;
    let (mut changes, mut changes_bytes) = (0, 0);
    let mut statement =
        conn.prepare_cached("SELECT bytes FROM document_changes WHERE prospect_id = ?1 ORDER BY seq")?;
    let mut rows = statement.query([id.as_bytes()])?;
    while let Some(row) = rows.next()? {
        let change = row.get_ref(0)?.as_blob().map_err(|e| ReplicaError::Corrupt(e.to_string()))?;
        bytes.extend_from_slice(change);
        changes += 1;
        changes_bytes += change.len() as i64;
    }
    Ok(Some(Stored { bytes, changes, changes_bytes, snapshot_len }))
}

/// Loads a document: its snapshot followed by the changes since.
pub(crate) fn load_document(conn: &Connection, id: ProspectId, device: DeviceId) -> Result<ProspectDoc, ReplicaError> {
    let stored = read_stored(conn, id)?.ok_or(ReplicaError::UnknownProspect(id))?;
    Ok(ProspectDoc::load(id, &stored.bytes, device)?)
}

/// Whether a document whose snapshot is followed by `changes` changes of `bytes` bytes in all is
/// due to be compacted.
pub(crate) fn should_compact(changes: i64, bytes: i64, snapshot_len: i64) -> bool {
    changes >= COMPACT_AFTER_CHANGES || bytes * 2 >= snapshot_len
}

/// Stores a document seen for the first time, as its snapshot.
pub(crate) fn insert_document(conn: &Connection, doc: &mut ProspectDoc) -> Result<(), ReplicaError> {
    insert_snapshot(conn, doc.id(), &doc.save())
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
    if should_compact(count, bytes, snapshot) {
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

/// Records new changes of a stored document, or replaces it with its compacted form.
pub(crate) fn write_appended(
    conn: &Connection,
    id: ProspectId,
    changes: &[Vec<u8>],
    compacted: Option<&[u8]>,
) -> Result<(), ReplicaError> {
    if let Some(compacted) = compacted {
        conn.prepare_cached("UPDATE documents SET snapshot = ?2 WHERE prospect_id = ?1")?
            .execute(params![id.as_bytes(), compacted])?;
        conn.prepare_cached("DELETE FROM document_changes WHERE prospect_id = ?1")?.execute([id.as_bytes()])?;
        return Ok(());
    }
    let mut insert = conn.prepare_cached("INSERT INTO document_changes (prospect_id, bytes) VALUES (?1, ?2)")?;
    for change in changes {
        insert.execute(params![id.as_bytes(), change])?;
    }
    Ok(())
}

/// Replaces the changes of a prospect that wait for the changes they build on.
pub(crate) fn replace_waiting(
    conn: &Connection,
    id: ProspectId,
    waiting: &[(ChangeHash, Vec<u8>)],
) -> Result<(), ReplicaError> {
    conn.prepare_cached("DELETE FROM waiting_changes WHERE prospect_id = ?1")?.execute([id.as_bytes()])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO waiting_changes (prospect_id, hash, bytes) VALUES (?1, ?2, ?3)")?;
    for (hash, bytes) in waiting {
        insert.execute(params![id.as_bytes(), hash.0, bytes])?;
    }
    Ok(())
}
