//! Prospects received as snapshots (how a device new to a territory receives it): stored as they
//! come when the device has nothing of them and the projection is its own derivation's;
//! otherwise loaded and merged; unreadable ones kept aside. Every way gives the rows the
//! device's own derivation gives.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::wire::{DocKind, SnapshotItem};
use census_core::*;
use census_replica::*;

mod common;
use common::*;

/// A prospect made on another device, as the server would send it.
fn snapshot_of(id: ProspectId, name: &str, projection_version_ok: bool) -> (SnapshotItem, ProspectDoc) {
    let elsewhere = DeviceId::from_bytes([9; 16]);
    let (mut doc, _) = ProspectDoc::create(id, elsewhere, &ctx(9, 0), &new_prospect(name, 56.85, 35.9)).unwrap();
    doc.edit(&ctx(9, 5), |p| {
        p.add_contact(
            ContactId::from_bytes([4; 16]),
            &Contact { name: "Ольга".into(), phone: "+7 900".into(), ..Contact::default() },
        )?;
        p.set_notes("склад во дворе")
    })
    .unwrap();
    let prospect = doc.read();
    let mut projection = doc.projection(&prospect).encode();
    if !projection_version_ok {
        projection[0] = 99; // the leading version of another Census
    }
    (SnapshotItem { doc: id, kind: DocKind::Prospect, snapshot: doc.save(), projection }, doc)
}

#[test]
fn snapshots_are_stored_as_they_come_or_derived_here_and_rows_match_the_documents() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::create(&dir.path().join("r.census"), DeviceId::from_bytes([1; 16])).unwrap();
    let (ours, _) = snapshot_of(ProspectId::from_bytes([1; 16]), "Ромашка", true);
    let (other_version, _) = snapshot_of(ProspectId::from_bytes([2; 16]), "Колесо", false);
    let (no_projection, _) = snapshot_of(ProspectId::from_bytes([3; 16]), "Anchor Cafe", true);
    let no_projection = SnapshotItem { projection: Vec::new(), ..no_projection };
    assert_eq!(replica.store_snapshots(&[ours, other_version, no_projection]).unwrap(), 3);

    let (stored, rebuilt) = replica.projection_check().unwrap();
    assert_eq!(stored.len(), 3);
    assert_eq!(stored, rebuilt);
    assert_eq!(replica.search("склад", 10).unwrap().len(), 3, "notes are searchable");
    assert_eq!(replica.search("Ольга", 10).unwrap().len(), 3, "contacts are searchable");
    assert_eq!(replica.nearby(56.85, 35.9, 100.0, 10).unwrap().len(), 3);
    assert!(replica.outbox(10).unwrap().is_empty(), "received prospects are not pushed back");

    // Receiving them again changes nothing.
    let (again, _) = snapshot_of(ProspectId::from_bytes([1; 16]), "Ромашка", true);
    assert_eq!(replica.store_snapshots(&[again]).unwrap(), 0);
    assert_eq!(replica.list(&ListFilter::default()).unwrap().len(), 3);
}

#[test]
fn a_snapshot_of_a_prospect_edited_here_merges_and_the_local_edit_still_waits_to_be_pushed() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::create(&dir.path().join("r.census"), DeviceId::from_bytes([1; 16])).unwrap();
    let id = ProspectId::from_bytes([1; 16]);
    let (first, mut theirs) = snapshot_of(id, "Ромашка", true);
    replica.store_snapshots(&[first]).unwrap();
    replica.edit_prospect(id, &ctx(1, 10), |p| p.set_status(Status::Visited)).unwrap();

    // Meanwhile the prospect changed elsewhere; its newer snapshot arrives.
    theirs.edit(&ctx(9, 20), |p| p.set_category("pharmacy")).unwrap();
    let prospect = theirs.read();
    let newer = SnapshotItem {
        doc: id,
        kind: DocKind::Prospect,
        snapshot: theirs.save(),
        projection: theirs.projection(&prospect).encode(),
    };
    assert_eq!(replica.store_snapshots(&[newer]).unwrap(), 1);
    let merged = replica.prospect(id).unwrap().prospect;
    assert_eq!((merged.status, merged.category.as_str()), (Status::Visited, "pharmacy"));
    assert_eq!(replica.outbox(10).unwrap().len(), 1, "the local edit still waits to be pushed");
    let (stored, rebuilt) = replica.projection_check().unwrap();
    assert_eq!(stored, rebuilt);
}

#[test]
fn an_unreadable_snapshot_is_kept_aside_and_nothing_else_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::create(&dir.path().join("r.census"), DeviceId::from_bytes([1; 16])).unwrap();
    let (good, _) = snapshot_of(ProspectId::from_bytes([1; 16]), "Ромашка", true);
    let (bad, _) = snapshot_of(ProspectId::from_bytes([2; 16]), "Колесо", false);
    let bad = SnapshotItem { snapshot: b"not an automerge document".to_vec(), ..bad };
    // A snapshot that is another prospect than it claims.
    let (mislabelled, _) = snapshot_of(ProspectId::from_bytes([3; 16]), "Чужой", true);
    let mislabelled = SnapshotItem { doc: ProspectId::from_bytes([4; 16]), ..mislabelled };
    assert_eq!(replica.store_snapshots(&[good, bad, mislabelled]).unwrap(), 1);
    let names: Vec<String> = replica.list(&ListFilter::default()).unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["Ромашка"]);
    let aside = replica.set_aside_changes().unwrap();
    assert_eq!(aside.len(), 2, "{aside:?}");
    assert_eq!(aside[0].0, ProspectId::from_bytes([2; 16]));
    assert_eq!(aside[1].0, ProspectId::from_bytes([4; 16]));
}
