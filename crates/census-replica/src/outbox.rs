//! The outbox: changes made on this device that the server has not acknowledged yet.
//!
//! An entry names the change (prospect, territory at the time, hash); its bytes are read from
//! the document when it is pushed, so a change is stored once however long it waits.

use std::collections::BTreeMap;

use census_core::{ChangeHash, LocalChange, ProspectId, TerritoryId};
use rusqlite::{Connection, params};
use serde::Serialize;

use crate::documents::load_document;
use crate::error::ReplicaError;
use crate::replica::Replica;

/// A change waiting to be pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// Position in the outbox; pushes go oldest first.
    pub seq: i64,
    pub prospect: ProspectId,
    /// The prospect's territory when the change was made, which decides who may receive it.
    pub territory: TerritoryId,
    #[serde(serialize_with = "hex")]
    pub hash: ChangeHash,
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

fn hex<S: serde::Serializer>(hash: &ChangeHash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hash.to_string())
}

/// Puts a change made here in the outbox, for the next push.
pub(crate) fn queue_for_push(
    conn: &Connection,
    id: ProspectId,
    territory: TerritoryId,
    change: &LocalChange,
) -> Result<(), ReplicaError> {
    conn.prepare_cached("INSERT INTO outbox (prospect_id, territory, hash) VALUES (?1, ?2, ?3)")?.execute(params![
        id.as_bytes(),
        territory.as_bytes(),
        change.hash.0
    ])?;
    Ok(())
}

impl Replica {
    /// The oldest `limit` changes waiting to be pushed, with their bytes.
    pub fn outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>, ReplicaError> {
        let damaged = || ReplicaError::Corrupt("an outbox entry is damaged".into());
        let mut statement =
            self.conn.prepare_cached("SELECT seq, prospect_id, territory, hash FROM outbox ORDER BY seq LIMIT ?1")?;
        let rows = statement.query_map([limit], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Vec<u8>>(2)?, r.get::<_, Vec<u8>>(3)?))
        })?;
        let mut entries = Vec::new();
        for row in rows {
            let (seq, prospect, territory, hash) = row?;
            entries.push(OutboxEntry {
                seq,
                prospect: ProspectId::from_bytes(prospect.try_into().map_err(|_| damaged())?),
                territory: TerritoryId::from_bytes(territory.try_into().map_err(|_| damaged())?),
                hash: ChangeHash::try_from(hash.as_slice()).map_err(|_| damaged())?,
                bytes: Vec::new(),
            });
        }
        // Each document is loaded once for all its waiting changes.
        let mut by_prospect: BTreeMap<ProspectId, Vec<&mut OutboxEntry>> = BTreeMap::new();
        for entry in &mut entries {
            by_prospect.entry(entry.prospect).or_default().push(entry);
        }
        for (id, waiting) in by_prospect {
            let mut doc = load_document(&self.conn, id, self.device)?;
            for entry in waiting {
                entry.bytes = doc.change_bytes(&entry.hash).ok_or_else(|| {
                    ReplicaError::Corrupt(format!(
                        "change {} of prospect {id} is missing from its document",
                        entry.hash
                    ))
                })?;
            }
        }
        Ok(entries)
    }

    /// How many changes wait to be pushed.
    pub fn outbox_len(&self) -> Result<u64, ReplicaError> {
        let count: i64 = self.conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
        Ok(count.unsigned_abs())
    }
}
