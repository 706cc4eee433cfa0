//! Who may write what inside a prospect, against a real server: a change names its pusher as
//! its author, and so do the authorship fields it writes; reviews, merge marks, pairs set apart
//! and deletions are managers' decisions. A hostile device forges changes operation by operation
//! with Automerge; an agent's real device refuses the same edits before they are made.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use census_core::wire::PushOutcome;
use census_core::*;
use census_replica::{ListFilter, ReplicaError};
use census_server::demo;
use census_tests::hostile::{RawApi, forge, item, refused_code};
use census_tests::{Device, Server, admin, new_prospect, now};

fn visit_by(agent: UserId) -> Visit {
    Visit {
        id: VisitId::new_v7(now(), rand::random()),
        at: now(),
        agent,
        questionnaire: QuestionnaireRef { id: demo::demo_questionnaire().id, version: 1 },
        answers: Default::default(),
        location: None,
        outcome: "met the owner".into(),
    }
}

#[test]
fn forged_authors_and_an_agents_decisions_are_refused_and_hold_back_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "10"]);
    let centre = demo::demo_territories()[0].id;
    let server = Server::start(&db);
    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    manager.sync().unwrap();
    let boris = manager.replica.people().unwrap().into_iter().find(|p| p.login == "boris").unwrap().id;

    // Anna's hostile device: its own prospects, made honestly, then forged changes.
    let raw = RawApi::sign_in(&server, "anna");
    let anna = raw.user;
    let honest = EditContext::new(anna, now());
    let [first_id, second_id] = [1, 2].map(|_| ProspectId::new_v7(now(), rand::random()));
    let (mut first_doc, first) =
        ProspectDoc::create(first_id, raw.device, &honest, &new_prospect(centre, "Первый")).unwrap();
    let (mut second_doc, second) =
        ProspectDoc::create(second_id, raw.device, &honest, &new_prospect(centre, "Второй")).unwrap();
    let visited = first_doc.edit(&honest, |p| p.add_visit(&visit_by(anna))).unwrap().unwrap();
    let stored = raw.push(vec![
        item(first_id, centre, &first.bytes),
        item(second_id, centre, &second.bytes),
        item(first_id, centre, &visited.bytes),
    ]);
    assert!(stored.iter().all(|o| matches!(o, PushOutcome::Stored { .. })), "{stored:?}");
    let history = [first.bytes.clone(), visited.bytes.clone()];

    let third_id = ProspectId::new_v7(now(), rand::random());
    let forgeries: Vec<(&str, ProspectId, Vec<u8>, &str)> = vec![
        (
            "a change naming the manager as its author",
            first_id,
            forge(&history, raw.device, manager.user(), |d| d.put(ROOT, "name", "Первый (от управляющей)").unwrap()),
            "forged_author",
        ),
        (
            "a new prospect whose creator is the manager",
            third_id,
            forge(&[], raw.device, anna, |d| {
                d.put(ROOT, "id", third_id.to_string()).unwrap();
                d.put(ROOT, "territory", centre.to_string()).unwrap();
                let created = d.put_object(ROOT, "created", ObjType::Map).unwrap();
                d.put(&created, "by", manager.user().to_string()).unwrap();
            }),
            "forged_author",
        ),
        (
            "a visit recorded in Boris's name",
            first_id,
            forge(&history, raw.device, anna, |d| {
                let (_, visits) = d.get(ROOT, "visits").unwrap().unwrap();
                let visit =
                    d.put_object(&visits, VisitId::new_v7(now(), rand::random()).to_string(), ObjType::Map).unwrap();
                d.put(&visit, "agent", boris.to_string()).unwrap();
            }),
            "forged_author",
        ),
        (
            "a recorded visit's agent rewritten",
            first_id,
            forge(&history, raw.device, anna, |d| {
                let (_, visits) = d.get(ROOT, "visits").unwrap().unwrap();
                let recorded = d.keys(&visits).next().unwrap();
                let (_, visit) = d.get(&visits, recorded).unwrap().unwrap();
                d.put(&visit, "agent", boris.to_string()).unwrap();
            }),
            "forged_author",
        ),
        (
            "an agent's approval",
            first_id,
            forge(&history, raw.device, anna, |d| {
                let review = d.put_object(ROOT, "review", ObjType::Map).unwrap();
                d.put(&review, "state", "approved").unwrap();
                d.put(&review, "by", anna.to_string()).unwrap();
            }),
            "managers_only",
        ),
        (
            "an agent's merge mark",
            first_id,
            forge(&history, raw.device, anna, |d| d.put(ROOT, "merged_into", second_id.to_string()).unwrap()),
            "managers_only",
        ),
        (
            "an agent's deletion",
            first_id,
            forge(&history, raw.device, anna, |d| d.put(ROOT, "deleted", true).unwrap()),
            "managers_only",
        ),
        (
            "a second visits map, hiding the first",
            first_id,
            forge(&history, raw.device, anna, |d| {
                d.put_object(ROOT, "visits", ObjType::Map).unwrap();
            }),
            "rewrites_layout",
        ),
    ];
    for (what, doc, change, code) in &forgeries {
        // Each forgery goes with an honest edit of the other prospect, which is stored anyway.
        let honest_edit = second_doc.edit(&EditContext::new(anna, now()), |p| p.set_notes(what)).unwrap().unwrap();
        let outcomes = raw.push(vec![item(*doc, centre, change), item(second_id, centre, &honest_edit.bytes)]);
        assert_eq!(refused_code(&outcomes[0]), *code, "{what}: {outcomes:?}");
        assert!(matches!(outcomes[1], PushOutcome::Stored { .. }), "{what} holds back nothing else: {outcomes:?}");
    }

    // The manager's device sees Anna's prospects as she made them, and nothing forged.
    manager.sync().unwrap();
    let seen = manager.replica.prospect(first_id).unwrap().prospect;
    assert_eq!(seen.name, "Первый");
    assert_eq!((seen.review, seen.merged_into, seen.deleted), (None, None, false));
    assert_eq!(seen.visits.values().map(|v| v.agent).collect::<Vec<_>>(), [anna]);
    assert_eq!(seen.created.by, anna);
}

#[test]
fn a_manager_approves_and_merges_while_an_agents_device_refuses_to() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "10"]);
    let centre = demo::demo_territories()[0].id;
    let server = Server::start(&db);
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();
    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    manager.sync().unwrap();

    let filter = ListFilter { territory: Some(centre), limit: 100, ..ListFilter::default() };
    let ids: Vec<ProspectId> = anna.replica.list(&filter).unwrap().into_iter().map(|r| r.id).collect();
    let (approved, survivor, duplicate) = (ids[0], ids[1], ids[2]);

    // Anna's device offers none of a manager's decisions, and makes no change trying.
    let before = anna.replica.outbox(100).unwrap().len();
    let ctx = anna.ctx();
    for decision in [
        anna.replica.edit_prospect(approved, &ctx, |p| p.set_review(ReviewState::Approved, "")).map(|_| ()),
        anna.replica.edit_prospect(approved, &ctx, |p| p.delete()).map(|_| ()),
        anna.replica.merge_duplicate(survivor, duplicate, &ctx).map(|_| ()),
        anna.replica.set_apart(survivor, duplicate, &ctx),
    ] {
        let refused = decision.unwrap_err();
        assert!(
            matches!(refused, ReplicaError::Document(DocumentError::NotPermitted(Refusal::ManagersOnly(_)))),
            "{refused}"
        );
    }
    assert_eq!(anna.replica.outbox(100).unwrap().len(), before);

    // The manager's are accepted, and reach Anna.
    manager
        .replica
        .edit_prospect(approved, &manager.ctx(), |p| p.set_review(ReviewState::Approved, "всё верно"))
        .unwrap();
    manager.replica.merge_duplicate(survivor, duplicate, &manager.ctx()).unwrap();
    let report = manager.sync().unwrap();
    assert!(report.pushed >= 2 && report.refused == 0, "{report:?}");
    anna.sync().unwrap();
    let review = anna.replica.prospect(approved).unwrap().prospect.review.unwrap();
    assert_eq!((review.state, review.by), (ReviewState::Approved, manager.user()));
    assert_eq!(anna.replica.prospect(duplicate).unwrap().prospect.merged_into, Some(survivor));
}
