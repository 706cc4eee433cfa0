//! Three agents and a manager work offline, then sync in random orders with interruptions (the
//! server killed and restarted between and during syncs). Afterwards every replica and the
//! server agree; the field two agents changed apart is a conflict the manager sees and
//! resolves, and the resolution reaches everyone.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::BTreeMap;

use census_core::*;
use census_replica::{ListFilter, ProspectRow, Replica};
use census_server::demo;
use census_tests::{Device, Server, admin, now};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

fn new_prospect(territory: TerritoryId, name: &str) -> NewProspect {
    NewProspect {
        territory,
        name: name.into(),
        category: "grocery".into(),
        status: Status::New,
        address: Address {
            line: "ул. Советская, 1".into(), city: "Тверь".into(), ..Address::default()
        },
        location: Some(Location { lat: 56.86, lon: 35.91, accuracy_m: Some(5.0), at: now() }),
    }
}

/// Everything a replica shows of the prospects in `territories`, by id.
fn view(replica: &Replica, territories: &[TerritoryId]) -> BTreeMap<ProspectId, (ProspectRow, Prospect)> {
    let filter = ListFilter { limit: 100_000, include_hidden: true, ..ListFilter::default() };
    replica
        .list(&filter)
        .unwrap()
        .into_iter()
        .filter(|row| territories.iter().any(|t| t.to_string() == row.territory))
        .map(|row| {
            let prospect = replica.prospect(row.id).unwrap().prospect;
            (row.id, (row, prospect))
        })
        .collect()
}

#[test]
fn agents_and_a_manager_working_offline_converge_and_a_conflict_is_resolved_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "40"]);
    let [centre, riverside] = demo::demo_territories().map(|t| t.id);
    admin(&db, &["user", "add", "vera", "--name", "Вера Кузнецова", "--role", "agent", "--password", "census-demo"]);
    admin(&db, &["assign", &centre.to_string(), "vera"]);
    let mut server = Server::start(&db);

    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let mut vera = Device::sign_in(dir.path(), "vera", &server, "vera");
    let mut boris = Device::sign_in(dir.path(), "boris", &server, "boris");
    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    for device in [&mut anna, &mut vera, &mut boris, &mut manager] {
        device.sync().unwrap();
    }
    assert_eq!(anna.replica.list(&ListFilter::default()).unwrap().len(), 20, "anna sees her territory only");
    assert_eq!(manager.replica.list(&ListFilter { limit: 1000, ..ListFilter::default() }).unwrap().len(), 40);

    // Offline work.
    let shared = anna.replica.list(&ListFilter::default()).unwrap()[0].id;
    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let questionnaire = demo::demo_questionnaire();
    for (n, device) in [&mut anna, &mut vera, &mut boris].into_iter().enumerate() {
        let territory = if n == 2 { riverside } else { centre };
        for k in 0..5 {
            let id = ProspectId::new_v7(now(), rng.random());
            let ctx = device.ctx();
            device.replica.create_prospect(id, &ctx, &new_prospect(territory, &format!("Точка {n}-{k}"))).unwrap();
            let visit = Visit {
                id: VisitId::new_v7(now(), rng.random()),
                at: now(),
                agent: device.user(),
                questionnaire: QuestionnaireRef { id: questionnaire.id, version: 1 },
                answers: BTreeMap::from([
                    (QuestionId::new("staff").unwrap(), Answer::Integer(k + 1)),
                    (QuestionId::new("owner_present").unwrap(), Answer::SelectOne("yes".into())),
                ]),
                location: None,
                outcome: "met the owner".into(),
            };
            let ctx = device.ctx();
            device.replica.record_visit(id, &ctx, &questionnaire, &visit).unwrap();
            let ctx = device.ctx();
            device
                .replica
                .edit_prospect(id, &ctx, |p| {
                    p.add_contact(
                        ContactId::new_v7(now(), [k as u8; 10]),
                        &Contact {
                            name: format!("Контакт {k}"),
                            phone: format!("+7 900 000 00 0{k}"),
                            ..Contact::default()
                        },
                    )?;
                    p.set_notes(&format!("notes by device {n}"))
                })
                .unwrap();
        }
    }
    let ctx = anna.ctx();
    anna.replica.edit_prospect(shared, &ctx, |p| p.set_name("Ромашка (Анна)")).unwrap();
    let ctx = vera.ctx();
    vera.replica.edit_prospect(shared, &ctx, |p| p.set_name("Ромашка (Вера)")).unwrap();
    let ctx = manager.ctx();
    manager.replica.edit_prospect(shared, &ctx, |p| p.add_tag("key account")).unwrap();

    // Sync in random orders, with the server killed between rounds and once mid-round.
    let mut devices = vec![anna, vera, boris, manager];
    for round in 0..4 {
        devices.shuffle(&mut rng);
        for (i, device) in devices.iter_mut().enumerate() {
            if round == 1 && i == 2 {
                server.restart();
            }
            device.reconnect(&server);
            if let Err(e) = device.sync() {
                assert!(e.is_transient(), "round {round}: {e}");
            }
        }
        if round < 3 {
            server.restart();
        }
    }
    for device in &mut devices {
        device.reconnect(&server);
        device.sync().unwrap();
    }
    devices.sort_by_key(|d| d.path.clone());
    let [anna, boris, manager, vera] = &mut devices[..] else { unreachable!() };

    // Everyone agrees on what they share, and nothing is lost.
    let manager_view = view(&manager.replica, &[centre, riverside]);
    assert_eq!(manager_view.len(), 40 + 15);
    assert_eq!(view(&anna.replica, &[centre]), view(&manager.replica, &[centre]));
    assert_eq!(view(&vera.replica, &[centre]), view(&manager.replica, &[centre]));
    assert_eq!(view(&boris.replica, &[riverside]), view(&manager.replica, &[riverside]));
    let (_, visited): (Vec<_>, Vec<_>) = manager_view.values().partition(|(row, _)| row.visits == 0);
    assert_eq!(visited.len(), 15, "every visit arrived");
    assert!(visited.iter().all(|(_, p)| p.contacts.len() == 1 && p.notes.starts_with("notes by device")));

    // The concurrent rename is a conflict, with who set each value; the tag merged quietly.
    let detail = manager.replica.prospect(shared).unwrap();
    assert!(detail.prospect.tags.contains("key account"));
    assert_eq!(detail.conflicts.len(), 1);
    let conflict = &detail.conflicts[0];
    assert_eq!(conflict.path.to_string(), "name");
    let setters: Vec<Option<UserId>> = conflict.values.iter().map(|v| v.user).collect();
    assert!(setters.contains(&Some(anna.user())) && setters.contains(&Some(vera.user())));
    let conflicted = ListFilter { has_conflicts: Some(true), ..ListFilter::default() };
    assert_eq!(anna.replica.list(&conflicted).unwrap().len(), 1);

    // The manager picks Vera's value; the resolution reaches everyone.
    let veras = conflict.values.iter().find(|v| v.user == Some(vera.user())).unwrap().value.clone();
    let ctx = manager.ctx();
    manager.replica.resolve_conflict(shared, &ctx, &conflict.path, &veras).unwrap();
    for device in [&mut *manager, &mut *anna, &mut *vera, &mut *boris] {
        device.sync().unwrap();
    }
    for device in [&*anna, &*vera, &*manager] {
        let detail = device.replica.prospect(shared).unwrap();
        assert!(detail.conflicts.is_empty());
        assert_eq!(detail.prospect.name, "Ромашка (Вера)");
        assert!(device.replica.list(&conflicted).unwrap().is_empty());
    }
    assert_eq!(view(&anna.replica, &[centre]), view(&manager.replica, &[centre]));

    // A device that never saw any of it gets the same base from the server.
    let mut fresh = Device::sign_in(dir.path(), "fresh", &server, "manager");
    fresh.sync().unwrap();
    assert_eq!(view(&fresh.replica, &[centre, riverside]), view(&manager.replica, &[centre, riverside]));
    let (stored, rebuilt) = fresh.replica.projection_check().unwrap();
    assert_eq!(stored, rebuilt);
}
