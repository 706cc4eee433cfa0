//! Two legitimate actions, made apart on real devices, that meet at a real server, in both
//! orders of arrival: a manager deletes or merges a prospect while an agent, offline, adds work
//! to it (the work is not hidden: the manager keeps the ending or undoes it, and the agent sees
//! it put to the manager); concurrent edits read as one history on every device; a conflict
//! settled two ways, a prospect merged two ways, merged and deleted at once.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::*;
use census_replica::ListFilter;
use census_tests::{Device, Server, admin, now};

fn all() -> ListFilter {
    ListFilter { limit: 1000, ..ListFilter::default() }
}

fn listed(device: &Device, id: ProspectId) -> Option<ProspectRow> {
    device.replica.list(&all()).unwrap().into_iter().find(|row| row.id == id)
}

fn disputed(device: &Device, id: ProspectId, field: &str) -> Option<Conflict> {
    device.replica.prospect(id).unwrap().conflicts.into_iter().find(|c| c.path.to_string() == field)
}

fn contact(name: &str) -> Contact {
    Contact { name: name.into(), phone: "+7 900 555-44-33".into(), ..Contact::default() }
}

/// A demo base, the manager's device and Anna's, both synced.
fn base(dir: &std::path::Path) -> (Server, Device, Device) {
    let db = dir.join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let server = Server::start(&db);
    let mut manager = Device::sign_in(dir, "manager", &server, "manager");
    let mut anna = Device::sign_in(dir, "anna", &server, "anna");
    manager.sync().unwrap();
    anna.sync().unwrap();
    (server, manager, anna)
}

/// Syncs the two devices in the order given, then the first again, so both have everything.
fn sync_in_order(first: &mut Device, second: &mut Device) {
    first.sync().unwrap();
    second.sync().unwrap();
    first.sync().unwrap();
}

#[test]
fn a_deletion_against_offline_work_is_put_to_the_manager_in_either_order() {
    for (manager_first, keep_deleted) in [(true, true), (false, false)] {
        let dir = tempfile::tempdir().unwrap();
        let (_server, mut manager, mut anna) = base(dir.path());
        let shop = anna.replica.list(&all()).unwrap()[0].id;

        // Apart: the manager deletes the shop; Anna adds its owner's number.
        manager.replica.edit_prospect(shop, &manager.ctx(), |p| p.delete()).unwrap();
        let owner = ContactId::new_v7(now(), rand::random());
        anna.replica.edit_prospect(shop, &anna.ctx(), |p| p.add_contact(owner, &contact("Хозяйка"))).unwrap();
        if manager_first {
            sync_in_order(&mut manager, &mut anna);
        } else {
            sync_in_order(&mut anna, &mut manager);
        }

        // On both devices the shop is still listed, the deletion disputed by Anna's work.
        for device in [&manager, &anna] {
            let row = listed(device, shop).expect("the shop is not hidden while disputed");
            assert!(row.has_conflicts);
            let conflict = disputed(device, shop, "deleted").unwrap();
            let who: Vec<Option<UserId>> = conflict.values.iter().map(|v| v.user).collect();
            assert_eq!(who, [Some(manager.user()), Some(anna.user())]);
            assert!(device.replica.prospect(shop).unwrap().prospect.contacts.contains_key(&owner));
        }

        // The manager decides; once synced, both devices agree.
        let path: FieldPath = "deleted".parse().unwrap();
        let ctx = manager.ctx();
        manager.replica.resolve_conflict(shop, &ctx, &path, &FieldValue::Flag(keep_deleted)).unwrap();
        sync_in_order(&mut manager, &mut anna);
        for device in [&manager, &anna] {
            assert_eq!(listed(device, shop).is_none(), keep_deleted);
            assert!(disputed(device, shop, "deleted").is_none());
        }
        if !keep_deleted {
            assert!(anna.replica.prospect(shop).unwrap().prospect.contacts.contains_key(&owner));
        }
    }
}

#[test]
fn work_on_a_duplicate_merged_meanwhile_reaches_the_survivor_in_either_order() {
    for manager_first in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let (_server, mut manager, mut anna) = base(dir.path());
        let rows = anna.replica.list(&all()).unwrap();
        let (survivor, duplicate) = (rows[0].id, rows[1].id);

        // Apart: the manager merges the duplicate; Anna adds a contact and a note to it.
        manager.replica.merge_duplicate(survivor, duplicate, &manager.ctx()).unwrap();
        let owner = ContactId::new_v7(now(), rand::random());
        anna.replica
            .edit_prospect(duplicate, &anna.ctx(), |p| {
                p.add_contact(owner, &contact("Хозяйка"))?;
                p.set_notes("Открывается в девять")
            })
            .unwrap();
        if manager_first {
            sync_in_order(&mut manager, &mut anna);
        } else {
            sync_in_order(&mut anna, &mut manager);
        }

        // The duplicate is listed again on both devices, its merge disputed by Anna's work.
        for device in [&manager, &anna] {
            assert!(listed(device, duplicate).is_some_and(|row| row.has_conflicts));
            let conflict = disputed(device, duplicate, "merged_into").unwrap();
            assert_eq!(conflict.values[0].value, FieldValue::Text(survivor.to_string()));
            assert_eq!(conflict.values[1].user, Some(anna.user()));
        }

        // The manager keeps the merge: Anna's work goes over to the survivor, everywhere.
        let path: FieldPath = "merged_into".parse().unwrap();
        let ctx = manager.ctx();
        manager.replica.resolve_conflict(duplicate, &ctx, &path, &FieldValue::Text(survivor.to_string())).unwrap();
        sync_in_order(&mut manager, &mut anna);
        for device in [&manager, &anna] {
            assert!(listed(device, duplicate).is_none());
            let kept = device.replica.prospect(survivor).unwrap().prospect;
            assert!(kept.contacts.contains_key(&owner), "the late contact reached the survivor");
            assert!(kept.notes.contains("Открывается в девять"), "{}", kept.notes);
        }
    }
}

#[test]
fn concurrent_edits_read_as_one_history_on_every_device() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut manager, mut anna) = base(dir.path());
    let mut tablet = Device::sign_in(dir.path(), "tablet", &server, "anna");
    tablet.sync().unwrap();
    let shop = anna.replica.list(&all()).unwrap()[0].id;

    // Each edits apart; the manager's device syncs first, Anna's second, the tablet receives
    // both from the feed.
    manager.replica.edit_prospect(shop, &manager.ctx(), |p| p.set_category("supermarket")).unwrap();
    anna.replica.edit_prospect(shop, &anna.ctx(), |p| p.add_tag("у остановки")).unwrap();
    tablet.replica.edit_prospect(shop, &tablet.ctx(), |p| p.set_status(Status::Visited)).unwrap();
    for _ in 0..2 {
        for device in [&mut manager, &mut anna, &mut tablet] {
            device.sync().unwrap();
        }
    }
    let history = |device: &Device| -> Vec<(String, String)> {
        let detail = device.replica.prospect(shop).unwrap();
        detail.history.into_iter().map(|e| (e.path.to_string(), e.change)).collect()
    };
    let seen = history(&manager);
    assert_eq!(seen, history(&anna));
    assert_eq!(seen, history(&tablet));
    assert!(
        ["category", "tags/у остановки", "status"].iter().all(|p| seen.iter().any(|(path, _)| path == p)),
        "{seen:?}"
    );
}

#[test]
fn a_conflict_settled_differently_on_two_devices_is_put_again_and_nothing_is_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut manager, mut anna) = base(dir.path());
    let mut laptop = Device::sign_in(dir.path(), "laptop", &server, "manager");
    laptop.sync().unwrap();
    let shop = anna.replica.list(&all()).unwrap()[0].id;

    // A name typed apart on two devices is a conflict; two managers settle it differently.
    anna.replica.edit_prospect(shop, &anna.ctx(), |p| p.set_name("Ромашка у рынка")).unwrap();
    manager.replica.edit_prospect(shop, &manager.ctx(), |p| p.set_name("Ромашка-2")).unwrap();
    sync_in_order(&mut anna, &mut manager);
    laptop.sync().unwrap();
    let path: FieldPath = "name".parse().unwrap();
    for (device, kept) in [(&mut manager, "Ромашка у рынка"), (&mut laptop, "Ромашка-2")] {
        assert!(disputed(device, shop, "name").is_some());
        let ctx = device.ctx();
        device.replica.resolve_conflict(shop, &ctx, &path, &FieldValue::Text(kept.into())).unwrap();
    }
    for _ in 0..2 {
        for device in [&mut manager, &mut laptop, &mut anna] {
            device.sync().unwrap();
        }
    }
    // Both choices meet as a conflict again, the same on every device.
    for device in [&manager, &laptop, &anna] {
        let values: Vec<FieldValue> =
            disputed(device, shop, "name").unwrap().values.into_iter().map(|v| v.value).collect();
        assert_eq!(values.len(), 2, "{values:?}");
        assert!(values.contains(&FieldValue::Text("Ромашка у рынка".into())));
        assert!(values.contains(&FieldValue::Text("Ромашка-2".into())));
    }
}

#[test]
fn one_prospect_merged_two_ways_apart_is_listed_with_the_choice_to_make() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut manager, mut anna) = base(dir.path());
    let mut laptop = Device::sign_in(dir.path(), "laptop", &server, "manager");
    laptop.sync().unwrap();
    let rows = anna.replica.list(&all()).unwrap();
    let (x, y, z) = (rows[0].id, rows[1].id, rows[2].id);

    // Apart, one manager merges X into Y, the other X into Z.
    manager.replica.merge_duplicate(y, x, &manager.ctx()).unwrap();
    laptop.replica.merge_duplicate(z, x, &laptop.ctx()).unwrap();
    for _ in 0..2 {
        for device in [&mut manager, &mut laptop, &mut anna] {
            device.sync().unwrap();
        }
    }
    for device in [&manager, &laptop, &anna] {
        let conflict = disputed(device, x, "merged_into").unwrap();
        let survivors: Vec<FieldValue> = conflict.values.into_iter().map(|v| v.value).collect();
        assert!(
            survivors.contains(&FieldValue::Text(y.to_string()))
                && survivors.contains(&FieldValue::Text(z.to_string()))
        );
        assert!(listed(device, x).is_some_and(|row| row.has_conflicts));
    }
}

#[test]
fn two_prospects_merged_into_each_other_apart_are_not_both_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut manager, mut anna) = base(dir.path());
    let mut laptop = Device::sign_in(dir.path(), "laptop", &server, "manager");
    laptop.sync().unwrap();
    let rows = anna.replica.list(&all()).unwrap();
    let (a, b) = (rows[0].id, rows[1].id);
    manager.replica.merge_duplicate(b, a, &manager.ctx()).unwrap();
    laptop.replica.merge_duplicate(a, b, &laptop.ctx()).unwrap();
    for _ in 0..2 {
        for device in [&mut manager, &mut laptop, &mut anna] {
            device.sync().unwrap();
        }
    }
    // A manager's device frees the smaller of the two, which holds the work of both.
    let kept = a.min(b);
    for device in [&manager, &laptop, &anna] {
        assert!(listed(device, kept).is_some(), "both vanish from every list");
    }
}

#[test]
fn a_prospect_merged_on_one_device_and_deleted_on_another_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut manager, mut anna) = base(dir.path());
    let mut laptop = Device::sign_in(dir.path(), "laptop", &server, "manager");
    laptop.sync().unwrap();
    let rows = anna.replica.list(&all()).unwrap();
    let (survivor, duplicate) = (rows[0].id, rows[1].id);
    let owner = ContactId::new_v7(now(), rand::random());
    anna.replica.edit_prospect(duplicate, &anna.ctx(), |p| p.add_contact(owner, &contact("Хозяйка"))).unwrap();
    sync_in_order(&mut anna, &mut manager);
    laptop.sync().unwrap();

    // Apart: one manager merges the duplicate, the other deletes it.
    manager.replica.merge_duplicate(survivor, duplicate, &manager.ctx()).unwrap();
    laptop.replica.edit_prospect(duplicate, &laptop.ctx(), |p| p.delete()).unwrap();
    for _ in 0..2 {
        for device in [&mut laptop, &mut manager, &mut anna] {
            device.sync().unwrap();
        }
    }
    // The duplicate is gone either way, its contact kept by the survivor on every device.
    for device in [&manager, &laptop, &anna] {
        assert!(listed(device, duplicate).is_none());
        assert!(device.replica.prospect(survivor).unwrap().prospect.contacts.contains_key(&owner));
        assert!(device.replica.prospect(duplicate).unwrap().conflicts.is_empty());
    }
}
