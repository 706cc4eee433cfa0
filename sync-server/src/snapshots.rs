//! Compacted snapshots, so a fresh device need not replay the whole feed.
//!
//! The compactor (`compactor.rs`) walks the change log in sequence order, a step at a time: for
//! every document changed in the step's range it rebuilds the document from all its changes,
//! saves it compacted, derives its projection (the row lists show, by census-core's one
//! derivation), and stores both in `snapshots`. Then it moves `compaction.through` to the end
//! of the range. So every snapshot holds at least every change of its document up to
//! `through`, which is the watermark a bootstrap hands out: a device stores the snapshots of a
//! scope, then pulls the scope from the watermark (changes it already has are no-ops).
//!
//! Documents are loaded here, off the request path, one at a time; pushes and pulls never do.
//! A document whose changes do not build a valid prospect keeps its raw changes as its
//! "snapshot" with no projection, and the device applies them like pulled changes (setting them
//! aside with the reason if they fail there too).

use census_core::wire::{BootstrapPage, DocKind, SnapshotItem};
use census_core::{DeviceId, PROJECTION_VERSION, ProspectDoc, ProspectId, TerritoryId};
use rusqlite::{Connection, TransactionBehavior, params};

use crate::error::StoreError;
use crate::sqlite_store::MAX_BOOTSTRAP_PAGE_BYTES;

/// Where compaction stands: the end of the feed, and how far snapshots cover it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CompactionStatus {
    pub feed_end: u64,
    pub snapshots_through: u64,
}

/// A document read for compaction.
pub(crate) struct ToCompact {
    doc: ProspectId,
    changes: Vec<Vec<u8>>,
}

/// One step's work: the documents to rebuild and the point of the feed they bring snapshots to.
pub(crate) struct CompactionStep {
    pub(crate) through: u64,
    pub(crate) docs: Vec<ToCompact>,
}

/// A rebuilt document, ready to store.
pub(crate) struct Compacted {
    doc: ProspectId,
    bytes: Vec<u8>,
    projection: Option<Vec<u8>>,
}

/// A new projection derivation makes every stored projection stale: compaction starts over.
pub(crate) fn forget_stale_projections(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE compaction SET through = 0, projection_version = ?1 WHERE projection_version != ?1",
        [PROJECTION_VERSION as i64],
    )?;
    Ok(())
}

pub(crate) fn status(conn: &Connection) -> Result<CompactionStatus, StoreError> {
    let (feed_end, through): (i64, i64) =
        conn.query_row("SELECT (SELECT last FROM sequence), (SELECT through FROM compaction)", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    Ok(CompactionStatus { feed_end: feed_end.unsigned_abs(), snapshots_through: through.unsigned_abs() })
}

/// Reads the next step: up to `max_changes` changes after `through`, and every change of each
/// document they touch. `None` when snapshots cover the whole feed.
pub(crate) fn next_step(conn: &mut Connection, max_changes: u32) -> Result<Option<CompactionStep>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let CompactionStatus { feed_end, snapshots_through } = status(&tx)?;
    if feed_end == snapshots_through {
        return Ok(None);
    }
    let touched: Vec<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT seq, doc FROM changes WHERE seq > ?1 ORDER BY seq LIMIT ?2")?
        .query_map(params![snapshots_through as i64, max_changes], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    // A short read reached the end of the feed (whose last numbers may be departures).
    let through = match touched.last() {
        Some((seq, _)) if touched.len() == max_changes as usize => seq.unsigned_abs(),
        _ => feed_end,
    };
    let mut ids: Vec<Vec<u8>> = touched.into_iter().map(|(_, doc)| doc).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut docs = Vec::with_capacity(ids.len());
    let mut changes_of = tx.prepare_cached("SELECT bytes FROM changes WHERE doc = ?1 ORDER BY seq")?;
    for id in ids {
        let changes = changes_of.query_map([&id], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let doc =
            ProspectId::from_bytes(id.try_into().map_err(|_| StoreError::Storage("a document id is damaged".into()))?);
        docs.push(ToCompact { doc, changes });
    }
    drop(changes_of);
    tx.finish()?;
    Ok(Some(CompactionStep { through, docs }))
}

/// Rebuilds one document from its changes (pure work, no database).
pub(crate) fn compact(doc: ToCompact) -> Compacted {
    // The actor only matters for edits, and none are made here.
    let actor = DeviceId::from_bytes([0; 16]);
    if let Ok(mut built) = ProspectDoc::from_changes(doc.doc, &doc.changes, actor)
        && !built.is_waiting()
    {
        let prospect = built.read();
        let projection = built.projection(&prospect).encode();
        return Compacted { doc: doc.doc, bytes: built.save(), projection: Some(projection) };
    }
    Compacted { doc: doc.doc, bytes: doc.changes.concat(), projection: None }
}

/// Stores a step's snapshots and moves the watermark, in one transaction.
pub(crate) fn store_step(conn: &mut Connection, through: u64, compacted: &[Compacted]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO snapshots (doc, bytes, projection) VALUES (?1, ?2, ?3) \
             ON CONFLICT (doc) DO UPDATE SET bytes = excluded.bytes, projection = excluded.projection",
        )?;
        for c in compacted {
            upsert.execute(params![c.doc.as_bytes(), c.bytes, c.projection])?;
        }
    }
    tx.execute("UPDATE compaction SET through = max(through, ?1)", [through as i64])?;
    tx.commit()?;
    Ok(())
}

/// A page of a scope's snapshots after document `after`, with the watermark they cover.
pub(crate) fn bootstrap_page(
    conn: &mut Connection,
    scope: TerritoryId,
    after: Option<ProspectId>,
    limit: u32,
) -> Result<BootstrapPage, StoreError> {
    // One read transaction: the watermark and the snapshots are seen at the same moment.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let watermark = status(&tx)?.snapshots_through;
    let after: Vec<u8> = after.map(|a| a.as_bytes().to_vec()).unwrap_or_default();
    let mut statement = tx.prepare_cached(
        "SELECT d.doc, s.bytes, s.projection FROM documents d JOIN snapshots s ON s.doc = d.doc \
         WHERE d.territory = ?1 AND d.doc > ?2 ORDER BY d.doc LIMIT ?3",
    )?;
    let rows = statement.query_map(params![scope.as_bytes(), after, limit], |r| {
        let id: Vec<u8> = r.get(0)?;
        let id: [u8; 16] = id
            .try_into()
            .map_err(|_| rusqlite::Error::InvalidColumnType(0, "doc".into(), rusqlite::types::Type::Blob))?;
        Ok(SnapshotItem {
            doc: ProspectId::from_bytes(id),
            kind: DocKind::Prospect,
            snapshot: r.get(1)?,
            projection: r.get::<_, Option<Vec<u8>>>(2)?.unwrap_or_default(),
        })
    })?;
    // A page ends at `limit` documents or at the bytes limit, whichever comes first.
    let (mut docs, mut page_bytes, mut full) = (Vec::new(), 0, false);
    for row in rows {
        let item: SnapshotItem = row?;
        page_bytes += item.snapshot.len() + item.projection.len();
        if page_bytes > MAX_BOOTSTRAP_PAGE_BYTES && !docs.is_empty() {
            full = true;
            break;
        }
        docs.push(item);
    }
    drop(statement);
    let up_to_date = !full && docs.len() < limit as usize;
    let remaining: i64 = match docs.last() {
        Some(last) if !up_to_date => tx
            .prepare_cached("SELECT count(*) FROM documents WHERE territory = ?1 AND doc > ?2")?
            .query_row(params![scope.as_bytes(), last.doc.as_bytes()], |r| r.get(0))?,
        _ => 0,
    };
    tx.finish()?;
    Ok(BootstrapPage { scope, watermark, docs, up_to_date, remaining: remaining.unsigned_abs() })
}
