//! The replica's offline operations on real SQLite files.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::PathBuf;

use census_core::*;
use census_replica::*;

mod common;
use common::*;

fn replica_file(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn created_prospects_survive_reopening_and_show_in_lists() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_file(&dir, "device.census");
    let id = ProspectId::from_bytes([1; 16]);
    {
        let mut replica = Replica::create(&path, DeviceId::from_bytes([1; 16])).unwrap();
        replica.create_prospect(id, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();
        replica
            .create_prospect(ProspectId::from_bytes([2; 16]), &ctx(1, 1), &new_prospect("Anchor Cafe", 56.86, 35.9))
            .unwrap();
    }
    let replica = Replica::open(&path).unwrap();
    assert_eq!(replica.device(), DeviceId::from_bytes([1; 16]));
    let rows = replica.list(&ListFilter::default()).unwrap();
    assert_eq!(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Anchor Cafe", "Ромашка"]);
    assert_eq!(replica.prospect(id).unwrap().prospect.name, "Ромашка");
    assert_eq!(replica.outbox(100).unwrap().len(), 2);
    assert!(matches!(Replica::create(&path, DeviceId::from_bytes([1; 16])), Err(ReplicaError::AlreadyExists(_))));
}

#[test]
fn edits_update_lists_filters_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::create(&replica_file(&dir, "r.census"), DeviceId::from_bytes([1; 16])).unwrap();
    let id = ProspectId::from_bytes([1; 16]);
    replica.create_prospect(id, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();
    replica.create_prospect(ProspectId::from_bytes([2; 16]), &ctx(1, 0), &new_prospect("Колесо", 56.85, 35.9)).unwrap();
    replica
        .edit_prospect(id, &ctx(1, 10), |p| {
            p.set_status(Status::Interested)?;
            p.add_contact(
                ContactId::from_bytes([3; 16]),
                &Contact {
                    name: "Ирина Петрова".into(), phone: "+7 910 111 22 33".into(), ..Contact::default()
                },
            )?;
            p.set_notes("Sells fresh BREAD every morning")
        })
        .unwrap();
    let interested = replica.list(&ListFilter { status: Some(Status::Interested), ..ListFilter::default() }).unwrap();
    assert_eq!(interested.len(), 1);
    assert_eq!(interested[0].phones, "+7 910 111 22 33");
    assert_eq!(replica.list(&ListFilter { updated_since: Some(T0 + 5), ..ListFilter::default() }).unwrap().len(), 1);
    for query in ["ромашка", "РОМАШ", "ирина", "bread", "петрова ирина", "ленина"] {
        let found = replica.search(query, 20).unwrap();
        assert!(found.iter().any(|r| r.id == id), "{query} should find the prospect");
    }
    assert!(replica.search("колбаса", 20).unwrap().is_empty());
    assert!(replica.search("\"*)(", 20).unwrap().is_empty(), "query syntax in user input is harmless");

    replica.edit_prospect(id, &ctx(MANAGER, 20), |p| p.delete()).unwrap();
    assert_eq!(replica.list(&ListFilter::default()).unwrap().len(), 1, "deleted prospects leave lists");
    assert_eq!(replica.list(&ListFilter { include_hidden: true, ..ListFilter::default() }).unwrap().len(), 2);
}

#[test]
fn an_invalid_visit_is_not_saved_and_a_valid_one_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::create(&replica_file(&dir, "r.census"), DeviceId::from_bytes([1; 16])).unwrap();
    let id = ProspectId::from_bytes([1; 16]);
    replica.create_prospect(id, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();
    match replica.record_visit(id, &ctx(1, 1), &questionnaire(1), &visit(7, 0)).unwrap() {
        VisitOutcome::Invalid { problems } => assert_eq!(problems[0].kind, ProblemKind::TooSmall),
        other => panic!("expected problems, got {other:?}"),
    }
    assert_eq!(replica.prospect(id).unwrap().prospect.visits.len(), 0);
    assert!(matches!(
        replica.record_visit(id, &ctx(1, 2), &questionnaire(1), &visit(7, 3)).unwrap(),
        VisitOutcome::Recorded { .. }
    ));
    assert!(matches!(
        replica.record_visit(id, &ctx(1, 3), &questionnaire(1), &visit(7, 3)),
        Err(ReplicaError::VisitExists(_))
    ));
    let rows = replica.list(&ListFilter::default()).unwrap();
    assert_eq!(rows[0].visits, 1);
    assert!(matches!(
        replica.record_visit(ProspectId::from_bytes([8; 16]), &ctx(1, 4), &questionnaire(1), &visit(8, 3)),
        Err(ReplicaError::UnknownProspect(_))
    ));
}

#[test]
fn changes_from_another_device_merge_and_conflicts_show_in_the_projection() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = Replica::create(&replica_file(&dir, "a.census"), DeviceId::from_bytes([1; 16])).unwrap();
    let mut b = Replica::create(&replica_file(&dir, "b.census"), DeviceId::from_bytes([2; 16])).unwrap();
    let id = ProspectId::from_bytes([1; 16]);
    a.create_prospect(id, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();
    let carry = |from: &Replica, to: &mut Replica| {
        let changes: Vec<(ProspectId, Vec<u8>)> = outgoing(from);
        to.apply_changes(&changes).unwrap()
    };
    assert_eq!(carry(&a, &mut b), 1);
    assert_eq!(carry(&a, &mut b), 0, "repeated delivery changes nothing");
    assert_eq!(b.prospect(id).unwrap().prospect.name, "Ромашка");

    a.edit_prospect(id, &ctx(1, 10), |p| p.set_name("Ромашка A")).unwrap();
    b.edit_prospect(id, &ctx(2, 20), |p| p.set_name("Ромашка B")).unwrap();
    carry(&a, &mut b);
    carry(&b, &mut a);
    for replica in [&a, &b] {
        let conflicted = replica.list(&ListFilter { has_conflicts: Some(true), ..ListFilter::default() }).unwrap();
        assert_eq!(conflicted.len(), 1);
        let detail = replica.prospect(id).unwrap();
        assert_eq!(detail.conflicts.len(), 1);
        assert_eq!(detail.conflicts[0].path.to_string(), "name");
    }
    let (stored, rebuilt) = b.projection_check().unwrap();
    assert_eq!(stored, rebuilt);

    // Resolved on one device, the conflict is gone there and, once the change travels, on the other.
    let name = FieldPath::new(["name"]);
    b.resolve_conflict(id, &ctx(2, 30), &name, &FieldValue::Text("Ромашка AB".into())).unwrap();
    carry(&b, &mut a);
    for replica in [&a, &b] {
        let detail = replica.prospect(id).unwrap();
        assert!(detail.conflicts.is_empty());
        assert_eq!(detail.prospect.name, "Ромашка AB");
        assert!(replica.list(&ListFilter { has_conflicts: Some(true), ..ListFilter::default() }).unwrap().is_empty());
    }
    assert!(matches!(
        a.resolve_conflict(id, &ctx(1, 40), &FieldPath::new(["colour"]), &FieldValue::Text("red".into())),
        Err(ReplicaError::Document(DocumentError::UnknownField(_)))
    ));
}

#[test]
fn the_projection_always_equals_what_the_documents_say() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_file(&dir, "r.census");
    let mut replica = Replica::create(&path, DeviceId::from_bytes([1; 16])).unwrap();
    for n in 0..5u8 {
        let id = ProspectId::from_bytes([n + 1; 16]);
        replica
            .create_prospect(id, &ctx(1, 0), &new_prospect(&format!("Shop {n}"), 56.0 + f64::from(n), 35.9))
            .unwrap();
        // More edits than the compaction threshold, so snapshots are rewritten along the way.
        for k in 0..20i64 {
            replica
                .edit_prospect(id, &ctx(1, k + 1), |p| {
                    p.set_category(&format!("category {k}"))?;
                    p.set_notes(&format!("note {k}"))
                })
                .unwrap();
        }
    }
    let (stored, rebuilt) = Replica::open(&path).unwrap().projection_check().unwrap();
    assert_eq!(stored.len(), 5);
    assert_eq!(stored, rebuilt);
    assert_eq!(stored[0].category, "category 19");
}

#[test]
fn files_that_are_not_replicas_are_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let text = replica_file(&dir, "notes.txt");
    std::fs::write(&text, "shopping list: bread, milk, and a very long line to fill a page ".repeat(100)).unwrap();
    let err = Replica::open(&text).unwrap_err();
    assert!(matches!(err, ReplicaError::NotAReplica), "{err}");
    assert!(err.to_string().contains("not a Census replica"));
    assert!(std::fs::read_to_string(&text).unwrap().starts_with("shopping list"), "the file is untouched");

    let other = replica_file(&dir, "other.sqlite");
    rusqlite::Connection::open(&other).unwrap().execute_batch("CREATE TABLE clients (name TEXT)").unwrap();
    assert!(matches!(Replica::open(&other), Err(ReplicaError::NotAReplica)));
    assert!(matches!(Replica::create(&other, DeviceId::from_bytes([1; 16])), Err(ReplicaError::NotAReplica)));

    let newer = replica_file(&dir, "newer.census");
    Replica::create(&newer, DeviceId::from_bytes([1; 16])).unwrap();
    rusqlite::Connection::open(&newer).unwrap().pragma_update(None, "user_version", 99).unwrap();
    let err = Replica::open(&newer).unwrap_err();
    assert!(matches!(err, ReplicaError::NewerSchema { found: 99, .. }), "{err}");
    assert!(err.to_string().contains("newer version of Census"));

    assert!(matches!(Replica::open(&replica_file(&dir, "missing.census")), Err(ReplicaError::Missing(_))));
}

#[test]
fn nearby_finds_prospects_within_the_radius_nearest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::create(&replica_file(&dir, "r.census"), DeviceId::from_bytes([1; 16])).unwrap();
    // About 111 m per 0.001 degree of latitude.
    for (n, lat) in [(1u8, 56.8500), (2, 56.8510), (3, 56.8530), (4, 56.9000)] {
        replica
            .create_prospect(
                ProspectId::from_bytes([n; 16]),
                &ctx(1, 0),
                &new_prospect(&format!("Shop {n}"), lat, 35.9),
            )
            .unwrap();
    }
    let near = replica.nearby(56.8500, 35.9, 250.0, 10).unwrap();
    let names: Vec<&str> = near.iter().map(|(r, _)| r.name.as_str()).collect();
    assert_eq!(names, ["Shop 1", "Shop 2"]);
    assert!(near[1].1 > 100.0 && near[1].1 < 120.0, "{}", near[1].1);
    assert_eq!(replica.nearby(56.8500, 35.9, 500.0, 10).unwrap().len(), 3);
    assert_eq!(replica.nearby(56.8500, 35.9, 500.0, 1).unwrap().len(), 1);
}
