//! The manager's duplicates on real SQLite files: the likely pairs of a whole base, a merge that
//! moves everything to the survivor on every device, and pairs set apart for good.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::*;
use census_replica::*;

mod common;
use common::*;

fn id(n: u8) -> ProspectId {
    ProspectId::from_bytes([n; 16])
}

/// A base with one obvious pair (the same shop entered by two agents 15 m apart), a shop that
/// looks like nothing else, and a far-away namesake.
fn base(dir: &tempfile::TempDir, name: &str, device: u8) -> Replica {
    let mut replica = Replica::create(&dir.path().join(name), DeviceId::from_bytes([device; 16])).unwrap();
    replica.create_prospect(id(1), &ctx(1, 0), &new_prospect("Магазин Ромашка", 56.85, 35.9)).unwrap();
    replica.create_prospect(id(2), &ctx(2, 10), &new_prospect("ООО «Ромашка»", 56.85013, 35.9)).unwrap();
    let pharmacy = NewProspect {
        address: Address { line: "пр. Мира, 40".into(), ..Address::default() },
        ..new_prospect("Аптека Здоровье", 56.86, 35.95)
    };
    replica.create_prospect(id(3), &ctx(1, 20), &pharmacy).unwrap();
    replica.create_prospect(id(4), &ctx(1, 30), &new_prospect("Колос", 56.95, 36.2)).unwrap();
    replica
}

fn pair_ids(pairs: &DuplicatePairs) -> Vec<(ProspectId, ProspectId)> {
    pairs.pairs.iter().map(|p| (p.first.id, p.second.id)).collect()
}

#[test]
fn the_likely_pairs_of_the_base_come_with_their_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let replica = base(&dir, "r.census", 1);
    let found = replica.duplicate_pairs(50).unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(pair_ids(&found), [(id(1), id(2))]);
    let reasons: Vec<&str> = found.pairs[0].reasons.iter().map(|r| r.en.as_str()).collect();
    assert!(reasons.iter().any(|r| r.starts_with("Similar names")), "{reasons:?}");
    assert!(reasons.iter().any(|r| r.starts_with("Close together: 14 m")), "{reasons:?}");
    assert!(found.pairs[0].score >= census_core::duplicates::LIKELY_DUPLICATE);
    // A limit keeps the likeliest and still counts them all.
    assert_eq!(replica.duplicate_pairs(0).unwrap(), DuplicatePairs { total: 1, pairs: vec![] });
}

#[test]
fn a_merge_moves_everything_to_the_survivor_and_syncs_to_other_devices() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = base(&dir, "manager.census", 1);
    // The duplicate has a visit, a contact and notes of its own.
    manager.record_visit(id(2), &ctx(1, 40), &questionnaire(1), &visit(7, 4)).unwrap();
    manager
        .edit_prospect(id(2), &ctx(2, 50), |p| {
            p.add_contact(
                ContactId::from_bytes([8; 16]),
                &Contact { name: "Ольга".into(), phone: "+7 912 345-67-89".into(), ..Contact::default() },
            )?;
            p.set_notes("Склад во дворе")
        })
        .unwrap();
    let mut agent = Replica::create(&dir.path().join("agent.census"), DeviceId::from_bytes([2; 16])).unwrap();
    agent.apply_changes(&outgoing(&manager)).unwrap();

    let summary = manager.merge_duplicate(id(1), id(2), &ctx(9, 100)).unwrap();
    assert_eq!((summary.visits, summary.contacts, summary.notes), (1, 1, true));
    let survivor = manager.prospect(id(1)).unwrap().prospect;
    assert_eq!(survivor.visits.len(), 1);
    assert_eq!(survivor.contacts.values().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Ольга"]);
    assert_eq!(survivor.notes, "Склад во дворе");
    assert_eq!(manager.prospect(id(2)).unwrap().prospect.merged_into, Some(id(1)));
    let listed = |replica: &Replica| -> Vec<ProspectId> {
        replica.list(&ListFilter::default()).unwrap().into_iter().map(|r| r.id).collect()
    };
    assert!(!listed(&manager).contains(&id(2)), "the duplicate leaves the list");
    assert!(manager.duplicate_pairs(50).unwrap().pairs.is_empty());

    // The agent's device receives the merge like any other edit.
    agent.apply_changes(&outgoing(&manager)).unwrap();
    assert!(!listed(&agent).contains(&id(2)));
    let on_agent = agent.prospect(id(1)).unwrap().prospect;
    assert_eq!(on_agent.visits.keys().collect::<Vec<_>>(), [&VisitId::from_bytes([7; 16])]);
    assert_eq!(on_agent.notes, "Склад во дворе");
    assert_eq!(agent.search("Склад", 10).unwrap().iter().map(|r| r.id).collect::<Vec<_>>(), [id(1)]);

    // A merged prospect cannot be merged again, nor take another in.
    assert!(matches!(manager.merge_duplicate(id(3), id(2), &ctx(9, 200)), Err(ReplicaError::AlreadyMerged(_))));
    assert!(matches!(manager.merge_duplicate(id(2), id(3), &ctx(9, 200)), Err(ReplicaError::AlreadyMerged(_))));
    assert!(matches!(
        manager.merge_duplicate(id(1), id(1), &ctx(9, 200)),
        Err(ReplicaError::Document(DocumentError::SameProspect))
    ));
    assert!(matches!(manager.merge_duplicate(id(1), id(99), &ctx(9, 200)), Err(ReplicaError::UnknownProspect(_))));
}

#[test]
fn a_pair_set_apart_is_not_proposed_again_on_any_device() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = base(&dir, "manager.census", 1);
    let mut other = Replica::create(&dir.path().join("other.census"), DeviceId::from_bytes([2; 16])).unwrap();
    other.apply_changes(&outgoing(&manager)).unwrap();
    assert_eq!(other.duplicate_pairs(50).unwrap().total, 1);

    manager.set_apart(id(2), id(1), &ctx(9, 100)).unwrap();
    assert_eq!(manager.duplicate_pairs(50).unwrap().total, 0);
    assert!(manager.prospect(id(1)).unwrap().prospect.distinct_from.contains(&id(2)));
    other.apply_changes(&outgoing(&manager)).unwrap();
    assert_eq!(other.duplicate_pairs(50).unwrap().total, 0);
    // Both prospects stay in the lists: they are different shops.
    assert_eq!(other.list(&ListFilter::default()).unwrap().len(), 4);
    assert!(matches!(
        manager.set_apart(id(1), id(1), &ctx(9, 200)),
        Err(ReplicaError::Document(DocumentError::SameProspect))
    ));
}
