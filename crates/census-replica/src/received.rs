//! Applying changes received from elsewhere (a pull page, a merged snapshot, changes handed
//! over directly), many prospects at a time.
//!
//! Three steps, so that the costly part runs on every core: read what the device holds of each
//! prospect (its stored document, changes still waiting for the ones they build on); decide,
//! away from the database and in parallel, what each prospect becomes (Automerge loads, applies,
//! compacts and derives the list row: [`decide`] is pure); then write every decision in the
//! caller's transaction, in prospect order.

use std::collections::BTreeMap;

use census_core::{ChangeHash, DeviceId, DocumentError, Projection, ProspectDoc, ProspectId};
use rusqlite::{Connection, params};

use crate::documents::{
    Stored, insert_snapshot, read_stored, replace_waiting, should_compact, waiting_changes, write_appended,
};
use crate::error::ReplicaError;
use crate::parallel::in_parallel;
use crate::projection::ProjectionBatch;

/// How to treat received changes that cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Received {
    /// Refuse the whole batch (changes handed over directly).
    Strict,
    /// Keep that prospect's changes aside with the reason and go on (a page of the server's
    /// feed: one bad change must not stop a territory's sync for good).
    FromServer,
}

/// What applying received changes did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Applied {
    pub(crate) touched: usize,
    pub(crate) set_aside: usize,
}

/// What the device holds of one prospect, and what arrived for it.
struct Arrival<'a> {
    id: ProspectId,
    stored: Option<Stored>,
    waiting: Vec<Vec<u8>>,
    incoming: Vec<&'a [u8]>,
}

/// What a prospect becomes; written by [`write`].
#[derive(Default)]
struct Decision {
    /// The document's new bytes, if it changed.
    document: Option<DocumentWrite>,
    /// The changes that must go on waiting (none: the waiting list is emptied).
    waiting: Vec<(ChangeHash, Vec<u8>)>,
    /// The new list row, if the prospect changed.
    projection: Option<Projection>,
}

enum DocumentWrite {
    /// A prospect new to the device: its saved document, or the changes it was built from.
    Insert(Vec<u8>),
    /// New changes of a stored prospect, and its compacted form if it is time to compact.
    Append { changes: Vec<Vec<u8>>, compacted: Option<Vec<u8>> },
}

/// Applies received changes inside the caller's transaction (any order, repeats harmless),
/// rewriting the projections of the prospects that changed.
pub(crate) fn apply_received(
    tx: &Connection,
    device: DeviceId,
    changes: &[(ProspectId, Vec<u8>)],
    mode: Received,
) -> Result<Applied, ReplicaError> {
    let mut by_prospect: BTreeMap<ProspectId, Vec<&[u8]>> = BTreeMap::new();
    for (id, bytes) in changes {
        by_prospect.entry(*id).or_default().push(bytes);
    }
    let arrivals = by_prospect
        .into_iter()
        .map(|(id, incoming)| {
            Ok(Arrival { id, stored: read_stored(tx, id)?, waiting: waiting_changes(tx, id)?, incoming })
        })
        .collect::<Result<Vec<_>, ReplicaError>>()?;
    let decisions = in_parallel(&arrivals, |arrival| decide(device, arrival));

    let mut applied = Applied::default();
    let mut projections = ProjectionBatch::default();
    for (arrival, decision) in arrivals.iter().zip(decisions) {
        match decision {
            Ok(decision) => {
                applied.touched += usize::from(decision.projection.is_some());
                write(tx, arrival.id, !arrival.waiting.is_empty(), decision, &mut projections)?;
            }
            Err(e) if mode == Received::FromServer => {
                set_aside_received(tx, arrival.id, &arrival.incoming, &e.to_string())?;
                applied.set_aside += 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
    projections.finish(tx)?;
    Ok(applied)
}

/// Keeps received bytes this device cannot apply, with the reason, instead of dropping them.
pub(crate) fn set_aside_received<B: AsRef<[u8]>>(
    tx: &Connection,
    id: ProspectId,
    received: &[B],
    reason: &str,
) -> Result<(), ReplicaError> {
    let mut keep =
        tx.prepare_cached("INSERT INTO set_aside_changes (prospect_id, bytes, reason) VALUES (?1, ?2, ?3)")?;
    for bytes in received {
        keep.execute(params![id.as_bytes(), bytes.as_ref(), reason])?;
    }
    Ok(())
}

/// What one prospect becomes once its received changes (and any still waiting) are applied.
fn decide(device: DeviceId, arrival: &Arrival<'_>) -> Result<Decision, DocumentError> {
    let mut received: Vec<&[u8]> = arrival.incoming.clone();
    received.extend(arrival.waiting.iter().map(Vec::as_slice));
    let (mut doc, before) = match &arrival.stored {
        Some(stored) => {
            let mut doc = ProspectDoc::load(arrival.id, &stored.bytes, device)?;
            let heads = doc.heads();
            doc.apply_changes(&received)?;
            (doc, Some(heads))
        }
        None => match ProspectDoc::from_changes(arrival.id, &received, device) {
            Ok(doc) => (doc, None),
            Err(DocumentError::Incomplete(_)) => {
                return Ok(Decision { waiting: still_waiting(None, &received)?, ..Decision::default() });
            }
            Err(e) => return Err(e),
        },
    };
    let waiting = if doc.is_waiting() { still_waiting(Some(&mut doc), &received)? } else { Vec::new() };
    let document = match (&arrival.stored, before) {
        (Some(stored), Some(before)) => {
            let changes = doc.changes_since(&before);
            if changes.is_empty() {
                return Ok(Decision { waiting, ..Decision::default() });
            }
            let count = stored.changes + changes.len() as i64;
            let bytes = stored.changes_bytes + changes.iter().map(|c| c.len() as i64).sum::<i64>();
            let compacted = should_compact(count, bytes, stored.snapshot_len).then(|| doc.save());
            DocumentWrite::Append { changes, compacted }
        }
        // Everything arrived at once and applied (the usual case): stored as it came, and
        // compacted when it is next changed.
        _ if arrival.waiting.is_empty() && waiting.is_empty() => DocumentWrite::Insert(received.concat()),
        _ => DocumentWrite::Insert(doc.save()),
    };
    let prospect = doc.read();
    Ok(Decision { document: Some(document), waiting, projection: Some(doc.projection(&prospect)) })
}

/// The received changes the document does not hold yet (all of them when there is no
/// document), with their hashes. Unreadable bytes are an error, so nothing is written for them.
fn still_waiting(
    doc: Option<&mut ProspectDoc>,
    received: &[&[u8]],
) -> Result<Vec<(ChangeHash, Vec<u8>)>, DocumentError> {
    let mut doc = doc;
    let mut waiting = Vec::new();
    for bytes in received {
        let hash = ProspectDoc::change_hash(bytes)?;
        let held = doc.as_deref_mut().is_some_and(|doc| doc.has_change(&hash));
        if !held {
            waiting.push((hash, bytes.to_vec()));
        }
    }
    Ok(waiting)
}

/// Writes one decision; `had_waiting` says whether changes of the prospect were waiting before
/// (the usual arrival has none before or after, and then the waiting list is left alone).
fn write(
    tx: &Connection,
    id: ProspectId,
    had_waiting: bool,
    decision: Decision,
    projections: &mut ProjectionBatch,
) -> Result<(), ReplicaError> {
    if had_waiting || !decision.waiting.is_empty() {
        replace_waiting(tx, id, &decision.waiting)?;
    }
    match decision.document {
        Some(DocumentWrite::Insert(bytes)) => insert_snapshot(tx, id, &bytes)?,
        Some(DocumentWrite::Append { changes, compacted }) => write_appended(tx, id, &changes, compacted.as_deref())?,
        None => {}
    }
    if let Some(projection) = decision.projection {
        projections.add(tx, &projection)?;
    }
    Ok(())
}
