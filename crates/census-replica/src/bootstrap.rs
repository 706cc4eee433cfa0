//! Storing a territory received as snapshots (a bootstrap page), the fast way for a device that
//! has none of it: each document's saved bytes go in as its snapshot and the server's
//! projection as its row, without loading a single document.
//!
//! The projection is used only if it was derived by this Census's own derivation (the same
//! `PROJECTION_VERSION`); otherwise, and for any prospect the device already holds something of,
//! the snapshot is loaded and merged like received changes, and its row derived here.

use census_core::wire::SnapshotItem;
use census_core::{DeviceId, Projection, ProspectDoc};
use rusqlite::Connection;

use crate::documents::{anything_of, insert_snapshot};
use crate::error::ReplicaError;
use crate::projection::ProjectionBatch;
use crate::received::{Applied, Received, apply_received, set_aside_received};
use crate::replica::Replica;

impl Replica {
    /// Stores prospects received as snapshots (a bootstrap page's documents), merging any the
    /// device already holds something of. Returns how many prospects changed; snapshots that
    /// cannot be read are kept aside with the reason (see [`Replica::set_aside_changes`]).
    pub fn store_snapshots(&mut self, items: &[SnapshotItem]) -> Result<usize, ReplicaError> {
        let tx = self.conn.transaction()?;
        let applied = store_snapshots(&tx, self.device, items)?;
        tx.commit()?;
        Ok(applied.touched)
    }
}

/// Stores a page of snapshots inside the caller's transaction.
pub(crate) fn store_snapshots(
    tx: &Connection,
    device: DeviceId,
    items: &[SnapshotItem],
) -> Result<Applied, ReplicaError> {
    let mut applied = Applied::default();
    let mut projections = ProjectionBatch::default();
    for item in items {
        let projection = Projection::decode(&item.projection).ok().filter(|p| p.row.id == item.doc);
        match projection {
            Some(projection) if !anything_of(tx, item.doc)? => {
                insert_snapshot(tx, item.doc, &item.snapshot)?;
                projections.add(tx, &projection)?;
                applied.touched += 1;
            }
            _ => {
                let merged = merge_snapshot(tx, device, item)?;
                applied.touched += merged.touched;
                applied.set_aside += merged.set_aside;
            }
        }
    }
    projections.finish(tx)?;
    Ok(applied)
}

/// Applies a snapshot's changes like received ones (merging with what the device holds).
fn merge_snapshot(tx: &Connection, device: DeviceId, item: &SnapshotItem) -> Result<Applied, ReplicaError> {
    match ProspectDoc::load(item.doc, &item.snapshot, device) {
        Ok(mut doc) => {
            let changes: Vec<_> = doc.changes_since(&[]).into_iter().map(|change| (item.doc, change)).collect();
            apply_received(tx, device, &changes, Received::FromServer)
        }
        Err(e) => {
            set_aside_received(tx, item.doc, &[&item.snapshot], &e.to_string())?;
            Ok(Applied { touched: 0, set_aside: 1 })
        }
    }
}
