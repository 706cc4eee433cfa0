//! Two legitimate actions, made apart, that meet: the history reads the same whatever order
//! changes arrive in; work that arrives after a deletion or a merge is not hidden but put to a
//! manager, who keeps the ending or undoes it.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::*;

const T0: i64 = 1_795_800_000_000;

fn user(n: u8) -> UserId {
    UserId::from_bytes([n; 16])
}

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 16])
}

fn agent(n: u8, at: i64) -> EditContext {
    EditContext::new(user(n), Timestamp::from_unix_millis(T0 + at))
}

fn manager(at: i64) -> EditContext {
    EditContext::new(user(9), Timestamp::from_unix_millis(T0 + at)).with_role(Role::Manager)
}

fn id() -> ProspectId {
    ProspectId::from_bytes([1; 16])
}

fn new_prospect() -> NewProspect {
    NewProspect {
        territory: TerritoryId::from_bytes([7; 16]),
        name: "Ромашка".into(),
        category: "shop".into(),
        status: Status::New,
        address: Address::default(),
        location: None,
    }
}

/// A prospect created on device 1, and a copy of it on `devices`.
fn shared(devices: &[u8]) -> (LocalChange, Vec<ProspectDoc>) {
    let (_, first) = ProspectDoc::create(id(), device(1), &agent(1, 0), &new_prospect()).unwrap();
    let copies =
        devices.iter().map(|d| ProspectDoc::from_changes(id(), &[&first.bytes], device(*d)).unwrap()).collect();
    (first, copies)
}

#[test]
fn the_history_reads_the_same_whatever_order_its_changes_arrived_in() {
    let (first, mut docs) = shared(&[1, 2, 3, 4]);
    // Three devices edit apart; the later-stamped edit is made first.
    let a = docs[0].edit(&agent(1, 30), |p| p.set_name("Ромашка-1")).unwrap().unwrap();
    let b = docs[1].edit(&agent(2, 10), |p| p.set_category("kiosk")).unwrap().unwrap();
    let c = docs[2].edit(&agent(3, 10), |p| p.add_tag("сеть")).unwrap().unwrap();
    let mut reader = ProspectDoc::from_changes(id(), &[&first.bytes], device(5)).unwrap();
    reader.apply_changes(&[&c.bytes, &a.bytes, &b.bytes]).unwrap();
    docs[3].apply_changes(&[&b.bytes, &c.bytes, &a.bytes]).unwrap();
    let read = |doc: &mut ProspectDoc| -> Vec<(String, i64)> {
        doc.history().into_iter().map(|e| (e.path.to_string(), e.at.unix_millis() - T0)).collect()
    };
    let one = read(&mut reader);
    assert_eq!(one, read(&mut docs[3]));
    // Causal first (the creation), then concurrent edits by time, ties the same everywhere.
    assert_eq!(one.first().map(|(_, at)| *at), Some(0));
    let times: Vec<i64> = one.iter().map(|(_, at)| *at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{one:?}");
}

fn contact(name: &str) -> Contact {
    Contact { name: name.into(), phone: "+7 900 111-22-33".into(), ..Contact::default() }
}

/// Both changes reach both documents, each in its own order.
fn exchange(a: &mut ProspectDoc, a_made: &LocalChange, b: &mut ProspectDoc, b_made: &LocalChange) {
    a.apply_changes(&[&b_made.bytes]).unwrap();
    b.apply_changes(&[&a_made.bytes]).unwrap();
}

fn disputed(doc: &mut ProspectDoc, field: &str) -> Option<Conflict> {
    doc.conflicts().into_iter().find(|c| c.path.to_string() == field)
}

#[test]
fn a_deletion_that_new_work_arrived_after_is_put_to_a_manager_until_kept_or_undone() {
    for keep_deleted in [true, false] {
        let (_, mut docs) = shared(&[2, 3]);
        let deleted = docs[0].edit(&manager(10), |p| p.delete()).unwrap().unwrap();
        let added = docs[1]
            .edit(&agent(3, 20), |p| p.add_contact(ContactId::from_bytes([5; 16]), &contact("Ольга")))
            .unwrap()
            .unwrap();
        let (left, right) = docs.split_at_mut(1);
        exchange(&mut left[0], &deleted, &mut right[0], &added);
        for doc in docs.iter_mut() {
            let conflict = disputed(doc, "deleted").expect("the deletion is disputed");
            let values: Vec<(FieldValue, Option<UserId>)> =
                conflict.values.iter().map(|v| (v.value.clone(), v.user)).collect();
            assert_eq!(values, [(FieldValue::Flag(true), Some(user(9))), (FieldValue::Flag(false), Some(user(3)))]);
            let p = doc.read();
            let row = doc.projection(&p).row;
            assert!(!row.deleted && row.has_conflicts, "listed, not hidden: {row:?}");
        }
        // The manager decides; every device then agrees and the dispute is over.
        let decided = docs[0]
            .edit(&manager(30), |p| p.resolve(&"deleted".parse().unwrap(), &FieldValue::Flag(keep_deleted)))
            .unwrap()
            .unwrap();
        docs[1].apply_changes(&[&decided.bytes]).unwrap();
        for doc in docs.iter_mut() {
            assert!(doc.conflicts().is_empty());
            let p = doc.read();
            assert_eq!((p.deleted, doc.projection(&p).row.deleted), (keep_deleted, keep_deleted));
            assert_eq!(p.contacts.len(), 1, "the work is in the document either way");
        }
    }
}

#[test]
fn work_on_a_duplicate_that_arrived_after_its_merge_is_put_to_a_manager_to_bring_over() {
    let (_, mut docs) = shared(&[2, 3]);
    let (mut survivor, _) =
        ProspectDoc::create(ProspectId::from_bytes([2; 16]), device(2), &agent(1, 1), &new_prospect()).unwrap();
    // The manager merges; the agent, apart, adds a contact to the duplicate.
    let taken = docs[0].read();
    survivor.edit(&manager(10), |p| p.absorb(&taken).map(|_| ())).unwrap();
    let merged = docs[0].edit(&manager(10), |p| p.mark_merged_into(survivor.id())).unwrap().unwrap();
    let added = docs[1]
        .edit(&agent(3, 20), |p| p.add_contact(ContactId::from_bytes([5; 16]), &contact("Ольга")))
        .unwrap()
        .unwrap();
    let (left, right) = docs.split_at_mut(1);
    exchange(&mut left[0], &merged, &mut right[0], &added);
    for doc in docs.iter_mut() {
        let conflict = disputed(doc, "merged_into").expect("the merge is disputed");
        assert_eq!(conflict.values[0].value, FieldValue::Text(survivor.id().to_string()));
        assert_eq!((conflict.values[1].value.clone(), conflict.values[1].user), (FieldValue::Missing, Some(user(3))));
        let p = doc.read();
        assert_eq!(doc.projection(&p).row.merged_into, None, "listed until settled");
    }
    // Keeping the merge: the late contact goes over to the survivor, and the duplicate is settled.
    let late = docs[0].read();
    survivor.edit(&manager(30), |p| p.absorb(&late).map(|_| ())).unwrap();
    docs[0]
        .edit(&manager(30), |p| {
            p.resolve(&"merged_into".parse().unwrap(), &FieldValue::Text(survivor.id().to_string()))
        })
        .unwrap()
        .unwrap();
    assert!(docs[0].conflicts().is_empty());
    assert_eq!(survivor.read().contacts.values().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["Ольга"]);
    let p = docs[0].read();
    assert_eq!(docs[0].projection(&p).row.merged_into, Some(survivor.id().to_string()));
}
