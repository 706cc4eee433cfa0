//! Late work against a real server: what an agent made offline before her territory was given
//! to someone else reaches the new agent and the manager, marked as late; what a device makes
//! after learning of it, or on work made after, or past the grace period, is refused; a retired
//! person's device still delivers what it made before.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::BTreeMap;

use automerge::ROOT;
use automerge::transaction::Transactable;
use census_core::wire::PushOutcome;
use census_core::*;
use census_replica::{ListFilter, SyncError};
use census_server::demo;
use census_tests::hostile::{RawApi, forge, item, refused_code};
use census_tests::{Device, Server, admin, new_prospect, now};
use rusqlite::params;

/// Every change the server holds for `doc`, in the order it stored them.
fn stored_changes(db: &std::path::Path, doc: ProspectId) -> Vec<Vec<u8>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut statement = conn.prepare("SELECT bytes FROM changes WHERE doc = ?1 ORDER BY seq").unwrap();
    statement.query_map([doc.as_bytes()], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

fn refusal_message(outcome: &PushOutcome) -> &str {
    match outcome {
        PushOutcome::Refused { message, .. } => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn a_visit(agent: UserId, outcome: &str) -> Visit {
    let questionnaire = demo::demo_questionnaire();
    Visit {
        id: VisitId::new_v7(now(), rand::random()),
        at: now(),
        agent,
        questionnaire: QuestionnaireRef { id: questionnaire.id, version: 1 },
        answers: BTreeMap::from([
            (QuestionId::new("staff").unwrap(), Answer::Integer(3)),
            (QuestionId::new("owner_present").unwrap(), Answer::SelectOne("yes".into())),
        ]),
        location: None,
        outcome: outcome.into(),
    }
}

#[test]
fn work_made_before_a_territory_changed_hands_arrives_and_work_made_after_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    admin(&db, &["user", "add", "olga", "--name", "Ольга", "--role", "agent", "--password", "census-demo"]);
    let centre = demo::demo_territories()[0].id.to_string();
    let server = Server::start(&db);

    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let mut olga = Device::sign_in(dir.path(), "olga", &server, "olga");
    // Two more of Anna's devices, written to directly, signed in before anything changes.
    let (tablet, spare) = (RawApi::sign_in(&server, "anna"), RawApi::sign_in(&server, "anna"));
    anna.sync().unwrap();
    manager.sync().unwrap();
    let shop = anna.replica.list(&ListFilter::default()).unwrap()[0].id;
    let before = stored_changes(&db, shop);

    // Offline, Anna visits the shop and finds a new one.
    let ctx = anna.ctx();
    let visit =
        anna.replica.record_visit(shop, &ctx, &demo::demo_questionnaire(), &a_visit(anna.user(), "met the owner"));
    assert!(matches!(visit, Ok(census_replica::VisitOutcome::Recorded { .. })), "{visit:?}");
    let found = ProspectId::new_v7(now(), rand::random());
    let territory: TerritoryId = centre.parse().unwrap();
    anna.replica.create_prospect(found, &anna.ctx(), &new_prospect(territory, "Киоск у вокзала")).unwrap();

    assert_eq!(anna.replica.outbox_len().unwrap(), 2);
    // Meanwhile the manager gives her territory to Olga.
    admin(&db, &["assign", &centre, "anna", "--remove"]);
    admin(&db, &["assign", &centre, "olga"]);

    // Anna's device syncs: both are taken, then it learns, and keeps nothing of the territory.
    let report = anna.sync().unwrap();
    assert_eq!((report.pushed, report.refused), (2, 0), "{report:?}");
    assert!(anna.replica.list(&ListFilter::default()).unwrap().is_empty());
    assert!(anna.replica.refused_changes().unwrap().is_empty());

    // Olga and the manager have the visit and the new shop.
    for device in [&mut olga, &mut manager] {
        device.sync().unwrap();
        let visits = device.replica.prospect(shop).unwrap().prospect.visits;
        assert!(visits.values().any(|v| v.outcome == "met the owner"), "{visits:?}");
        assert_eq!(device.replica.prospect(found).unwrap().prospect.name, "Киоск у вокзала");
    }
    // The manager sees them as late work, Anna's.
    let late = manager.replica.late_work(&manager.client, 50).unwrap();
    let of = |doc: ProspectId| late.iter().find(|a| a.prospect == doc).unwrap_or_else(|| panic!("{late:?}"));
    assert_eq!((of(shop).user, of(shop).device, of(shop).changes), (anna.user(), anna.replica.device(), 1));
    assert_eq!((of(found).territory, of(found).changes), (territory, 1));
    assert!(of(shop).lost_at <= of(shop).arrived_at);
    let refused = anna.replica.late_work(&anna.client, 50).unwrap_err();
    assert!(matches!(&refused, SyncError::Refused { code, .. } if code == "forbidden"), "{refused:?}");

    // Anna's tablet, not told yet, delivers a note it made on what it had: taken.
    let note = forge(&before, tablet.device, tablet.user, |d| d.put(ROOT, "name", "Закрыто на обед").unwrap());
    let taken = tablet.push(vec![item(shop, territory, &note)]);
    assert!(matches!(taken[0], PushOutcome::Stored { .. }), "{taken:?}");
    // Once it has fetched the directory, what it makes next is refused.
    let directory = tablet.http.get(format!("{}/api/v1/directory", tablet.url)).bearer_auth(&tablet.token).send();
    assert_eq!(directory.unwrap().status().as_u16(), 200);
    let after = forge(&[before.clone(), vec![note]].concat(), tablet.device, tablet.user, |d| {
        d.put(ROOT, "name", "Открыто").unwrap()
    });
    let outcome = &tablet.push(vec![item(shop, territory, &after)])[0];
    assert_eq!(refused_code(outcome), "outside_your_territories");
    assert!(refusal_message(outcome).contains("after this device learnt"), "{outcome:?}");

    // Olga edits the shop; Anna's spare device, not told either, can't build on that.
    olga.replica.edit_prospect(shop, &olga.ctx(), |p| p.set_notes("Новый график")).unwrap();
    olga.sync().unwrap();
    let on_olgas = forge(&stored_changes(&db, shop), spare.device, spare.user, |d| d.put(ROOT, "name", "Моё").unwrap());
    let outcome = &spare.push(vec![item(shop, territory, &on_olgas)])[0];
    assert!(refusal_message(outcome).contains("builds on changes made after"), "{outcome:?}");

    // Past the grace period, even work made before is refused.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let fifteen_days = 15 * 24 * 3600 * 1000;
    conn.execute("UPDATE access_losses SET lost_at = lost_at - ?1", params![fifteen_days]).unwrap();
    let old_work = forge(&before, spare.device, spare.user, |d| d.put(ROOT, "name", "Давнее").unwrap());
    let outcome = &spare.push(vec![item(shop, territory, &old_work)])[0];
    assert!(refusal_message(outcome).contains("more than 14 days"), "{outcome:?}");

    // Olga's device has what was taken and nothing that was refused.
    olga.sync().unwrap();
    let kept = olga.replica.prospect(shop).unwrap().prospect;
    assert_eq!((kept.name.as_str(), kept.notes.as_str()), ("Закрыто на обед", "Новый график"));
}

#[test]
fn a_retired_agents_device_delivers_what_she_made_before_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let server = Server::start(&db);
    let riverside = demo::demo_territories()[1].id;
    let mut boris = Device::sign_in(dir.path(), "boris", &server, "boris");
    boris.sync().unwrap();

    // Boris finds a shop offline on his last day; he is retired before he syncs.
    let found = ProspectId::new_v7(now(), rand::random());
    boris.replica.create_prospect(found, &boris.ctx(), &new_prospect(riverside, "Последний магазин")).unwrap();
    admin(&db, &["user", "retire", "boris", "--hand-over-to", "anna"]);

    // His device delivers it, then is told it is revoked; Anna, who took over, has it.
    assert!(matches!(boris.sync(), Err(SyncError::Revoked)));
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();
    assert_eq!(anna.replica.prospect(found).unwrap().prospect.name, "Последний магазин");

    // What it makes once told is refused, and kept on the device with the reason.
    boris.replica.edit_prospect(found, &boris.ctx(), |p| p.set_notes("после увольнения")).unwrap();
    assert!(matches!(boris.sync(), Err(SyncError::Revoked)));
    let refused = boris.replica.refused_changes().unwrap();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].code, "outside_your_territories");
    anna.sync().unwrap();
    assert_eq!(anna.replica.prospect(found).unwrap().prospect.notes, "");
}

#[test]
fn work_on_a_prospect_moved_away_meanwhile_reaches_its_new_territory() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let server = Server::start(&db);
    let riverside = demo::demo_territories()[1].id;
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    let mut boris = Device::sign_in(dir.path(), "boris", &server, "boris");
    for device in [&mut anna, &mut manager, &mut boris] {
        device.sync().unwrap();
    }
    let shop = anna.replica.list(&ListFilter::default()).unwrap()[0].id;

    // Anna notes something offline; the manager moves the shop to Boris's territory.
    anna.replica.edit_prospect(shop, &anna.ctx(), |p| p.set_notes("Хозяин будет в пятницу")).unwrap();
    manager.replica.edit_prospect(shop, &manager.ctx(), |p| p.set_territory(riverside)).unwrap();
    manager.sync().unwrap();

    // Her note is taken and reaches Boris; the manager sees it as late work.
    let report = anna.sync().unwrap();
    assert_eq!((report.pushed, report.refused), (1, 0), "{report:?}");
    boris.sync().unwrap();
    assert_eq!(boris.replica.prospect(shop).unwrap().prospect.notes, "Хозяин будет в пятницу");
    let late = manager.replica.late_work(&manager.client, 10).unwrap();
    assert_eq!(
        late.iter().map(|a| (a.prospect, a.territory, a.user)).collect::<Vec<_>>(),
        [(shop, riverside, anna.user())]
    );
}
