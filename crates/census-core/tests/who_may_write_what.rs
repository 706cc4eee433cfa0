//! Authorship and roles inside a prospect (`authority.rs`): what a device refuses before an
//! edit, and what the server refuses of changes forged byte by byte with Automerge itself.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::HashMap;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use census_core::*;

const T0: i64 = 1_795_800_000_000;
const PROSPECT: ProspectId = ProspectId::from_bytes([1; 16]);

fn user(n: u8) -> UserId {
    UserId::from_bytes([n; 16])
}

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 16])
}

fn agent(n: u8) -> EditContext {
    EditContext::new(user(n), Timestamp::from_unix_millis(T0 + i64::from(n)))
}

fn manager(n: u8) -> EditContext {
    agent(n).with_role(Role::Manager)
}

fn pusher(n: u8, role: Role) -> Pusher {
    Pusher { user: user(n), role }
}

fn visit(id: u8, by: u8) -> Visit {
    Visit {
        id: VisitId::from_bytes([id; 16]),
        at: Timestamp::from_unix_millis(T0),
        agent: user(by),
        questionnaire: QuestionnaireRef { id: QuestionnaireId::from_bytes([5; 16]), version: 1 },
        answers: Default::default(),
        location: None,
        outcome: String::new(),
    }
}

fn new_prospect() -> NewProspect {
    NewProspect {
        territory: TerritoryId::from_bytes([9; 16]),
        name: "Ромашка".into(),
        category: "shop".into(),
        status: Status::New,
        address: Address::default(),
        location: None,
    }
}

/// A prospect made by agent 1, visited by her, reviewed by manager 7.
fn reviewed() -> ProspectDoc {
    let (mut doc, _) = ProspectDoc::create(PROSPECT, device(1), &agent(1), &new_prospect()).unwrap();
    doc.edit(&agent(1), |p| p.add_visit(&visit(1, 1))).unwrap();
    doc.edit(&manager(7), |p| p.set_review(ReviewState::Flagged, "check the phone")).unwrap();
    doc
}

/// What the server knows of a document's objects after storing its changes.
fn learnt(doc: &mut ProspectDoc) -> HashMap<ObjectRef, Region> {
    let mut known = HashMap::new();
    for change in doc.changes_since(&[]) {
        let claims = ProspectDoc::inspect_change(&change).unwrap().claims;
        let new = claims.new_objects(&mut known);
        known.extend(new);
    }
    known
}

/// A change written with Automerge directly on `device`'s copy, as a hostile device could.
fn forged(doc: &mut ProspectDoc, on: u8, author: u8, f: impl FnOnce(&mut AutoCommit)) -> ChangeInfo {
    let mut raw = AutoCommit::load(&doc.save()).unwrap().with_actor(device(on).actor());
    f(&mut raw);
    let message = serde_json::json!({ "user": user(author) }).to_string();
    let hash = raw.commit_with(CommitOptions::default().with_message(message).with_time(T0)).expect("a change");
    let change = raw.get_change_by_hash(&hash).unwrap().raw_bytes().to_vec();
    ProspectDoc::inspect_change(&change).unwrap()
}

fn code(result: Result<Vec<(ObjectRef, Region)>, Refusal>) -> &'static str {
    result.map(|_| "accepted").unwrap_or_else(|refusal| refusal.code())
}

type Decision = dyn Fn(&mut ProspectEditor<'_>) -> Result<(), DocumentError>;

#[test]
fn an_agents_device_refuses_managers_decisions_and_leaves_the_prospect_as_it_was() {
    let mut doc = reviewed();
    let before = doc.read();
    let decisions: [(&str, Box<Decision>); 4] = [
        ("approve", Box::new(|p| p.set_review(ReviewState::Approved, ""))),
        ("merge mark", Box::new(|p| p.mark_merged_into(ProspectId::from_bytes([2; 16])))),
        ("set apart", Box::new(|p| p.mark_distinct_from(ProspectId::from_bytes([2; 16])))),
        ("delete", Box::new(|p| p.delete())),
    ];
    for (what, decide) in &decisions {
        let refused = doc.edit(&agent(1), |p| decide(p)).unwrap_err();
        assert!(
            matches!(&refused, DocumentError::NotPermitted(Refusal::ManagersOnly(_))),
            "{what} by an agent: {refused}"
        );
        assert!(refused.to_string().contains("manager's decision"), "{refused}");
        assert_eq!(doc.read(), before, "a refused {what} leaves nothing behind");
    }
    for (what, decide) in &decisions {
        doc.edit(&manager(7), |p| decide(p)).unwrap_or_else(|e| panic!("{what} by a manager: {e}"));
    }
    let refused = doc.edit(&agent(1), |p| p.restore()).unwrap_err();
    assert!(matches!(refused, DocumentError::NotPermitted(Refusal::ManagersOnly(_))), "{refused}");
    // Settling a conflict on a field of her own needs no decision field.
    doc.edit(&agent(1), |p| p.set_name("Ромашка и Ко")).unwrap();
}

#[test]
fn an_agent_records_visits_in_her_own_name_and_a_manager_may_carry_others() {
    let (mut doc, _) = ProspectDoc::create(PROSPECT, device(1), &agent(1), &new_prospect()).unwrap();
    let refused = doc.edit(&agent(1), |p| p.add_visit(&visit(2, 3))).unwrap_err();
    assert!(matches!(refused, DocumentError::NotPermitted(Refusal::ForgedAuthor(_))), "{refused}");
    assert!(doc.read().visits.is_empty());
    doc.edit(&agent(1), |p| p.add_visit(&visit(2, 1))).unwrap();
    // A merge carries the duplicate's visits, recorded by other agents.
    doc.edit(&manager(7), |p| p.add_visit(&visit(3, 3))).unwrap();
    assert_eq!(doc.read().visits.len(), 2);
}

#[test]
fn the_server_refuses_a_change_that_names_someone_else_as_its_author() {
    let mut doc = reviewed();
    let mut known = learnt(&mut doc);
    let as_manager = forged(&mut doc, 2, 7, |raw| raw.put(ROOT, "name", "Лютик").unwrap());
    let refused = as_manager.claims.check(false, pusher(1, Role::Agent), &mut known).unwrap_err();
    assert_eq!(refused.code(), "forged_author");
    assert!(refused.to_string().contains(&user(7).to_string()), "{refused}");
    let unsigned = {
        let mut raw = AutoCommit::load(&doc.save()).unwrap().with_actor(device(2).actor());
        raw.put(ROOT, "name", "Лютик").unwrap();
        raw.commit();
        ProspectDoc::inspect_change(raw.get_last_local_change().unwrap().raw_bytes()).unwrap()
    };
    assert_eq!(code(unsigned.claims.check(false, pusher(1, Role::Agent), &mut known)), "forged_author");
    let honest = forged(&mut doc, 2, 1, |raw| raw.put(ROOT, "name", "Лютик").unwrap());
    assert_eq!(code(honest.claims.check(false, pusher(1, Role::Agent), &mut known)), "accepted");
}

#[test]
fn the_server_refuses_forged_authorship_fields_written_in_place() {
    let mut doc = reviewed();
    let mut known = learnt(&mut doc);
    assert_eq!(known.values().filter(|r| **r == Region::Visit).count(), 1);

    // The review's reviewer, changed inside the existing review.
    let review = forged(&mut doc, 7, 7, |raw| {
        let (_, review) = raw.get(ROOT, "review").unwrap().unwrap();
        raw.put(&review, "by", user(8).to_string()).unwrap();
    });
    assert_eq!(code(review.claims.check(false, pusher(7, Role::Manager), &mut known)), "forged_author");

    // A recorded visit's agent, rewritten.
    let visit_agent = forged(&mut doc, 1, 1, |raw| {
        let (_, visits) = raw.get(ROOT, "visits").unwrap().unwrap();
        let (_, visit) = raw.get(&visits, VisitId::from_bytes([1; 16]).to_string()).unwrap().unwrap();
        raw.put(&visit, "agent", user(2).to_string()).unwrap();
    });
    assert_eq!(code(visit_agent.claims.check(false, pusher(1, Role::Agent), &mut known)), "forged_author");

    // Who created the prospect, rewritten.
    let creator = forged(&mut doc, 1, 1, |raw| {
        let (_, created) = raw.get(ROOT, "created").unwrap().unwrap();
        raw.put(&created, "by", user(2).to_string()).unwrap();
    });
    let refused = creator.claims.check(false, pusher(1, Role::Agent), &mut known).unwrap_err();
    assert_eq!(refused.code(), "rewrites_layout", "{refused}");

    // A first change whose creator is someone else than its author.
    let mut raw = AutoCommit::new().with_actor(device(1).actor());
    raw.put(ROOT, "id", PROSPECT.to_string()).unwrap();
    let created = raw.put_object(ROOT, "created", ObjType::Map).unwrap();
    raw.put(&created, "by", user(7).to_string()).unwrap();
    raw.commit_with(CommitOptions::default().with_message(serde_json::json!({ "user": user(1) }).to_string()));
    let first = ProspectDoc::inspect_change(raw.get_last_local_change().unwrap().raw_bytes()).unwrap();
    assert_eq!(code(first.claims.check(true, pusher(1, Role::Agent), &mut HashMap::new())), "forged_author");
}

#[test]
fn the_server_refuses_an_agents_decision_written_in_place_and_accepts_a_managers() {
    let mut doc = reviewed();
    let mut known = learnt(&mut doc);
    let approve = |raw: &mut AutoCommit| {
        let (_, review) = raw.get(ROOT, "review").unwrap().unwrap();
        raw.put(&review, "state", "approved").unwrap();
    };
    let by_agent = forged(&mut doc, 1, 1, approve);
    let refused = by_agent.claims.check(false, pusher(1, Role::Agent), &mut known).unwrap_err();
    assert_eq!(refused.code(), "managers_only");
    let by_manager = forged(&mut doc, 7, 7, approve);
    assert_eq!(code(by_manager.claims.check(false, pusher(7, Role::Manager), &mut known)), "accepted");

    let merge_mark = forged(&mut doc, 1, 1, |raw| {
        raw.put(ROOT, "merged_into", ProspectId::from_bytes([2; 16]).to_string()).unwrap()
    });
    assert_eq!(code(merge_mark.claims.check(false, pusher(1, Role::Agent), &mut known)), "managers_only");
    let set_apart = forged(&mut doc, 1, 1, |raw| {
        let (_, apart) = raw.get(ROOT, "distinct_from").unwrap().unwrap();
        raw.put(&apart, ProspectId::from_bytes([2; 16]).to_string(), true).unwrap();
    });
    assert_eq!(code(set_apart.claims.check(false, pusher(1, Role::Agent), &mut known)), "managers_only");
}

#[test]
fn the_server_refuses_a_change_that_makes_a_container_anew() {
    let mut doc = reviewed();
    let mut known = learnt(&mut doc);
    for key in ["visits", "contacts", "created", "notes", "id"] {
        let remade = forged(&mut doc, 7, 7, |raw| {
            raw.put_object(ROOT, key, ObjType::Map).unwrap();
        });
        let refused = remade.claims.check(false, pusher(7, Role::Manager), &mut known).unwrap_err();
        assert_eq!(refused.code(), "rewrites_layout", "{key}: {refused}");
    }
    let replaced_visit = forged(&mut doc, 1, 1, |raw| {
        let (_, visits) = raw.get(ROOT, "visits").unwrap().unwrap();
        raw.put_object(&visits, VisitId::from_bytes([1; 16]).to_string(), ObjType::Map).unwrap();
    });
    assert_eq!(code(replaced_visit.claims.check(false, pusher(1, Role::Agent), &mut known)), "rewrites_layout");
}

#[test]
fn a_new_review_and_a_new_visit_are_learnt_for_later_changes() {
    let mut doc = reviewed();
    let known = learnt(&mut doc);
    let regions: Vec<Region> = known.values().copied().collect();
    for region in [Region::Visits, Region::Visit, Region::Review, Region::Created, Region::DistinctFrom] {
        assert!(regions.contains(&region), "{region:?} learnt: {regions:?}");
    }
}
