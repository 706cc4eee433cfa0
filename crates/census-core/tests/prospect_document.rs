//! The prospect document: every edit, the typed read view, conflicts and their resolution, and
//! refusing bytes that are not a prospect.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::BTreeMap;

use census_core::*;

const T0: i64 = 1_795_800_000_000;

fn user(n: u8) -> UserId {
    UserId::from_bytes([n; 16])
}

fn device(n: u8) -> DeviceId {
    DeviceId::from_bytes([n; 16])
}

fn ctx(n: u8, at: i64) -> EditContext {
    EditContext::new(user(n), Timestamp::from_unix_millis(T0 + at))
}

/// A manager's edit: reviews, merge marks and deletions are theirs.
fn manager(n: u8, at: i64) -> EditContext {
    ctx(n, at).with_role(Role::Manager)
}

fn new_prospect() -> NewProspect {
    NewProspect {
        territory: TerritoryId::from_bytes([9; 16]),
        name: "Ромашка".into(),
        category: "shop".into(),
        status: Status::New,
        address: Address { line: "ул. Ленина, 5".into(), city: "Москва".into(), ..Address::default() },
        location: Some(Location { lat: 55.75, lon: 37.61, accuracy_m: Some(8.0), at: Timestamp::from_unix_millis(T0) }),
    }
}

fn created() -> (ProspectDoc, LocalChange) {
    ProspectDoc::create(ProspectId::from_bytes([1; 16]), device(1), &ctx(1, 0), &new_prospect()).unwrap()
}

/// A second device that has received the prospect's first change.
fn replica_of(change: &LocalChange, on: DeviceId) -> ProspectDoc {
    ProspectDoc::from_changes(ProspectId::from_bytes([1; 16]), &[&change.bytes], on).unwrap()
}

#[test]
fn create_then_read_everything_back() {
    let (doc, _) = created();
    let p = doc.read();
    assert_eq!(p.name, "Ромашка");
    assert_eq!(p.category, "shop");
    assert_eq!(p.status, Status::New);
    assert_eq!(p.address.city, "Москва");
    assert_eq!(p.location.unwrap().accuracy_m, Some(8.0));
    assert_eq!(p.created.by, user(1));
    assert!(!p.deleted);
    assert!(p.contacts.is_empty() && p.visits.is_empty() && p.tags.is_empty() && p.notes.is_empty());
}

#[test]
fn every_edit_kind_shows_in_the_read_view() {
    let (mut doc, _) = created();
    let contact = ContactId::from_bytes([3; 16]);
    let visit_id = VisitId::from_bytes([4; 16]);
    let questionnaire = QuestionnaireRef { id: QuestionnaireId::from_bytes([5; 16]), version: 2 };
    let mut answers = BTreeMap::new();
    answers.insert(QuestionId::new("size").unwrap(), Answer::Integer(40));
    answers.insert(QuestionId::new("brands").unwrap(), Answer::SelectMany(vec!["a".into(), "b".into()]));
    answers
        .insert(QuestionId::new("where").unwrap(), Answer::Geopoint(GeoPoint { lat: 1.0, lon: 2.0, accuracy_m: None }));
    answers.insert(
        QuestionId::new("front").unwrap(),
        Answer::Photo(PhotoAnswer { sha256: "ab".repeat(32), mime: "image/jpeg".into() }),
    );
    answers.insert(QuestionId::new("opened").unwrap(), Answer::Date("2020-01-31".into()));
    answers.insert(QuestionId::new("share").unwrap(), Answer::Decimal(0.25));
    let visit = Visit {
        id: visit_id,
        at: Timestamp::from_unix_millis(T0 + 5),
        agent: user(1),
        questionnaire,
        answers: answers.clone(),
        location: None,
        outcome: "met the owner".into(),
    };
    let change = doc
        .edit(&manager(1, 10), |p| {
            p.set_name("Ромашка-2")?;
            p.set_category("kiosk")?;
            p.set_status(Status::Interested)?;
            p.set_address(&AddressPatch { postcode: Some("101000".into()), ..AddressPatch::default() })?;
            p.set_location(&Location {
                lat: 55.0,
                lon: 37.0,
                accuracy_m: None,
                at: Timestamp::from_unix_millis(T0 + 1),
            })?;
            p.add_contact(
                contact,
                &Contact { name: "Анна".into(), phone: "+7 912 000 00 00".into(), ..Contact::default() },
            )?;
            p.edit_contact(contact, &ContactPatch { role: Some("owner".into()), ..ContactPatch::default() })?;
            p.add_tag("  wholesale  ")?;
            p.add_tag("vip")?;
            p.rename_tag("vip", "key account")?;
            p.set_notes("Open 9-21")?;
            p.splice_notes(0, 4, "Opens")?;
            p.add_visit(&visit)?;
            p.add_photo(&Photo {
                sha256: "cd".repeat(32),
                mime: "image/png".into(),
                bytes: 1234,
                taken_at: Timestamp::from_unix_millis(T0),
                caption: "front".into(),
            })?;
            p.set_review(ReviewState::Flagged, "check the phone")
        })
        .unwrap();
    assert!(change.is_some());
    let p = doc.read();
    assert_eq!(p.name, "Ромашка-2");
    assert_eq!(p.category, "kiosk");
    assert_eq!(p.status, Status::Interested);
    assert_eq!(p.address.postcode, "101000");
    assert_eq!(p.address.city, "Москва", "an address patch keeps the other parts");
    assert_eq!(p.location.unwrap().lat, 55.0);
    assert_eq!(p.contacts[&contact].role, "owner");
    assert_eq!(p.contacts[&contact].name, "Анна");
    assert_eq!(p.tags.iter().map(String::as_str).collect::<Vec<_>>(), ["key account", "wholesale"]);
    assert_eq!(p.notes, "Opens 9-21");
    assert_eq!(p.visits[&visit_id], visit);
    assert_eq!(p.photos.len(), 1);
    assert_eq!(p.review.as_ref().unwrap().state, ReviewState::Flagged);

    doc.edit(&manager(2, 20), |p| {
        p.remove_contact(contact)?;
        p.remove_tag("wholesale")?;
        p.set_review(ReviewState::Approved, "")?;
        p.mark_merged_into(ProspectId::from_bytes([8; 16]))?;
        p.delete()
    })
    .unwrap();
    let p = doc.read();
    assert!(p.contacts.is_empty());
    assert_eq!(p.tags.len(), 1);
    let review = p.review.unwrap();
    assert_eq!((review.state, review.by), (ReviewState::Approved, user(2)));
    assert!(!review.approved_heads.is_empty(), "approval records the heads it approved");
    assert_eq!(p.merged_into, Some(ProspectId::from_bytes([8; 16])));
    assert!(p.deleted);

    doc.edit(&manager(2, 30), |p| p.restore()).unwrap();
    assert!(!doc.read().deleted);
}

#[test]
fn an_edit_that_changes_nothing_makes_no_change() {
    let (mut doc, _) = created();
    let change = doc.edit(&ctx(1, 1), |p| {
        p.set_name("Ромашка")?;
        p.set_status(Status::New)
    });
    assert!(change.unwrap().is_none());
}

#[test]
fn a_failed_edit_leaves_the_document_untouched() {
    let (mut doc, _) = created();
    let before = doc.read();
    let err = doc
        .edit(&ctx(1, 1), |p| {
            p.set_name("half-done")?;
            p.edit_contact(ContactId::from_bytes([7; 16]), &ContactPatch::default())
        })
        .unwrap_err();
    assert!(matches!(err, DocumentError::UnknownContact(_)));
    assert!(err.to_string().contains("no contact"));
    assert_eq!(doc.read(), before);
    for bad in [
        doc.edit(&ctx(1, 1), |p| {
            p.set_location(&Location { lat: 91.0, lon: 0.0, accuracy_m: None, at: Timestamp::from_unix_millis(0) })
        }),
        doc.edit(&ctx(1, 1), |p| p.add_tag("   ")),
        doc.edit(&manager(1, 1), |p| p.mark_merged_into(ProspectId::from_bytes([1; 16]))),
        doc.edit(&ctx(1, 1), |p| p.remove_contact(ContactId::from_bytes([7; 16]))),
    ] {
        assert!(bad.is_err());
    }
    assert_eq!(doc.read(), before);
}

#[test]
fn save_and_load_round_trip_and_keep_the_device() {
    let (mut doc, _) = created();
    doc.edit(&ctx(1, 1), |p| p.set_notes("hello")).unwrap();
    let bytes = doc.save();
    let mut loaded = ProspectDoc::load(doc.id(), &bytes, device(2)).unwrap();
    assert_eq!(loaded.read(), doc.read());
    let change = loaded.edit(&ctx(2, 2), |p| p.set_name("other")).unwrap().unwrap();
    let meta = automerge::Change::from_bytes(change.bytes).unwrap();
    assert_eq!(DeviceId::from_actor(meta.actor_id()), Some(device(2)));
    assert_eq!(meta.timestamp(), T0 + 2);
    assert_eq!(ChangeOrigin::from_message(meta.message()).user, Some(user(2)));
}

#[test]
fn refuses_bytes_that_are_not_this_prospect() {
    let (mut doc, _) = created();
    let bytes = doc.save();
    assert!(matches!(
        ProspectDoc::load(ProspectId::from_bytes([2; 16]), &bytes, device(1)),
        Err(DocumentError::WrongProspect { .. })
    ));
    assert!(matches!(
        ProspectDoc::load(doc.id(), b"definitely not automerge", device(1)),
        Err(DocumentError::Unreadable(_))
    ));
    let mut truncated = bytes.clone();
    truncated.truncate(bytes.len() / 2);
    assert!(ProspectDoc::load(doc.id(), &truncated, device(1)).is_err());
    let mut empty = automerge::AutoCommit::new();
    let empty = empty.save();
    assert!(matches!(ProspectDoc::load(doc.id(), &empty, device(1)), Err(DocumentError::NotAProspect)));
    let mut garbage_change = doc.changes_since(&[]).remove(0);
    let last = garbage_change.len() - 1;
    garbage_change[last] ^= 0xff;
    let err = doc.apply_changes(&[garbage_change]).unwrap_err();
    assert!(matches!(err, DocumentError::BadChange { .. }), "{err}");
}

#[test]
fn refuses_a_document_from_a_newer_schema() {
    use automerge::transaction::Transactable;
    let id = ProspectId::from_bytes([1; 16]);
    let mut future = automerge::AutoCommit::new();
    future.put(automerge::ROOT, "schema", 99_u64).unwrap();
    future.put(automerge::ROOT, "id", id.to_string()).unwrap();
    let err = ProspectDoc::load(id, &future.save(), device(1)).unwrap_err();
    assert!(matches!(err, DocumentError::NewerSchema(99)));
    assert!(err.to_string().contains("newer version of Census"));
}

#[test]
fn concurrent_edits_of_one_field_are_a_conflict_until_resolved() {
    let (mut a, first) = created();
    let mut b = replica_of(&first, device(2));
    let contact = ContactId::from_bytes([3; 16]);
    let add = a
        .edit(&ctx(1, 1), |p| p.add_contact(contact, &Contact { phone: "1".into(), ..Contact::default() }))
        .unwrap()
        .unwrap();
    b.apply_changes(&[&add.bytes]).unwrap();

    let from_a = a
        .edit(&ctx(1, 10), |p| {
            p.set_name("Ромашка A")?;
            p.set_address(&AddressPatch { city: Some("Тверь".into()), ..AddressPatch::default() })?;
            p.edit_contact(
                contact,
                &ContactPatch { phone: Some("+7 900 111 11 11".into()), ..ContactPatch::default() },
            )?;
            p.set_location(&Location { lat: 10.0, lon: 10.0, accuracy_m: None, at: Timestamp::from_unix_millis(T0) })?;
            p.set_notes("from A")
        })
        .unwrap()
        .unwrap();
    let from_b = b
        .edit(&ctx(2, 20), |p| {
            p.set_name("Ромашка B")?;
            p.set_address(&AddressPatch { postcode: Some("170000".into()), ..AddressPatch::default() })?;
            p.edit_contact(
                contact,
                &ContactPatch { phone: Some("+7 900 222 22 22".into()), ..ContactPatch::default() },
            )?;
            p.set_location(&Location { lat: 20.0, lon: 20.0, accuracy_m: None, at: Timestamp::from_unix_millis(T0) })?;
            p.set_notes("from B")
        })
        .unwrap()
        .unwrap();
    a.apply_changes(&[&from_b.bytes]).unwrap();
    b.apply_changes(&[&from_a.bytes]).unwrap();
    assert_eq!(a.read(), b.read());

    let conflicts = a.conflicts();
    assert_eq!(conflicts, b.conflicts());
    let paths: Vec<String> = conflicts.iter().map(|c| c.path.to_string()).collect();
    assert_eq!(paths, ["name", "location", format!("contacts/{contact}/phone").as_str()]);
    let name = &conflicts[0];
    assert_eq!(name.values.len(), 2);
    let who: Vec<_> = name.values.iter().map(|v| (v.device, v.user, v.at.unix_millis() - T0)).collect();
    assert!(who.contains(&(Some(device(1)), Some(user(1)), 10)));
    assert!(who.contains(&(Some(device(2)), Some(user(2)), 20)));
    assert_eq!(a.read().address.city, "Тверь", "different address parts both survive");
    assert_eq!(a.read().address.postcode, "170000");
    assert!(a.read().notes.contains("from A") && a.read().notes.contains("from B"), "notes merge by character");

    let chosen = name.values.iter().find(|v| v.device == Some(device(2))).unwrap().value.clone();
    let resolution = b.edit(&ctx(2, 30), |p| p.resolve(&name.path, &chosen)).unwrap().unwrap();
    a.apply_changes(&[&resolution.bytes]).unwrap();
    for doc in [&mut a, &mut b] {
        assert_eq!(doc.read().name, "Ромашка B");
        assert_eq!(doc.conflicts().len(), 2);
    }
    let location = a.conflicts().into_iter().find(|c| c.path.to_string() == "location").unwrap();
    let typed =
        FieldValue::Location(Location { lat: 30.0, lon: 30.0, accuracy_m: None, at: Timestamp::from_unix_millis(T0) });
    a.edit(&ctx(1, 40), |p| p.resolve(&location.path, &typed)).unwrap();
    assert_eq!(a.read().location.unwrap().lat, 30.0, "a new value typed by the manager also resolves");
}

#[test]
fn resolve_refuses_unknown_fields_and_ill_typed_values() {
    let (mut doc, _) = created();
    let err = doc.edit(&ctx(1, 1), |p| p.resolve(&"visits".parse().unwrap(), &FieldValue::Flag(true))).unwrap_err();
    assert!(matches!(err, DocumentError::UnknownField(_)));
    let err =
        doc.edit(&ctx(1, 1), |p| p.resolve(&"status".parse().unwrap(), &FieldValue::Text("maybe".into()))).unwrap_err();
    assert!(err.to_string().contains("not a status"), "{err}");
    let err =
        doc.edit(&ctx(1, 1), |p| p.resolve(&"deleted".parse().unwrap(), &FieldValue::Text("x".into()))).unwrap_err();
    assert!(matches!(err, DocumentError::InvalidValue { .. }));
}

#[test]
fn the_same_tag_added_twice_apart_is_one_tag_and_no_conflict() {
    let (mut a, first) = created();
    let mut b = replica_of(&first, device(2));
    let ca = a.edit(&ctx(1, 1), |p| p.add_tag("vip")).unwrap().unwrap();
    let cb = b.edit(&ctx(2, 1), |p| p.add_tag("vip")).unwrap().unwrap();
    a.apply_changes(&[&cb.bytes]).unwrap();
    b.apply_changes(&[&ca.bytes]).unwrap();
    assert_eq!(a.read().tags.len(), 1);
    assert!(a.conflicts().is_empty());
}

#[test]
fn history_tells_who_changed_each_field_when_and_on_which_device() {
    let (mut a, first) = created();
    let mut b = replica_of(&first, device(2));
    let contact = ContactId::from_bytes([3; 16]);
    let from_b = b
        .edit(&ctx(2, 20).with_source("import of base.xlsx"), |p| {
            p.set_address(&AddressPatch { city: Some("Тверь".into()), ..AddressPatch::default() })?;
            p.add_contact(contact, &Contact { name: "Анна".into(), ..Contact::default() })
        })
        .unwrap()
        .unwrap();
    a.edit(&ctx(1, 30), |p| {
        p.set_name("Ромашка 2")?;
        p.set_notes("open 9–21")
    })
    .unwrap();
    a.apply_changes(&[&from_b.bytes]).unwrap();
    a.edit(&ctx(1, 40), |p| {
        p.edit_contact(contact, &ContactPatch { phone: Some("+7 1".into()), ..Default::default() })
    })
    .unwrap();

    let history = a.history();
    let edits_of = |path: &str| history.iter().filter(|e| e.path.to_string() == path).collect::<Vec<_>>();

    let name = edits_of("name");
    assert_eq!(name.len(), 2, "created, then renamed: {history:#?}");
    assert_eq!(name[0].value.as_deref(), Some("Ромашка"));
    assert_eq!(
        (name[0].user, name[0].device, name[0].at),
        (Some(user(1)), Some(device(1)), Timestamp::from_unix_millis(T0))
    );
    assert_eq!(name[1].value.as_deref(), Some("Ромашка 2"));
    assert_eq!(name[1].at, Timestamp::from_unix_millis(T0 + 30));

    let city = edits_of("address/city");
    assert_eq!(city.len(), 2);
    assert_eq!(city[1].value.as_deref(), Some("Тверь"));
    assert_eq!((city[1].user, city[1].device), (Some(user(2)), Some(device(2))));
    assert_eq!(city[1].source.as_deref(), Some("import of base.xlsx"));

    let contact_path = format!("contacts/{contact}/phone");
    let phone = edits_of(&contact_path);
    assert_eq!(phone.last().unwrap().value.as_deref(), Some("+7 1"));
    assert_eq!(phone.last().unwrap().at, Timestamp::from_unix_millis(T0 + 40));
    assert_eq!(edits_of("notes").len(), 1, "the empty notes a new prospect starts with are not an edit");
    assert!(history.iter().all(|e| e.path.segments()[0] != "schema" && e.path.segments()[0] != "id"));
}

#[test]
fn raw_changes_load_like_a_saved_document() {
    let (mut doc, first) = created();
    let second = doc.edit(&ctx(1, 5), |p| p.set_name("Ромашка 2")).unwrap().unwrap();
    let mut raw = first.bytes.clone();
    raw.extend_from_slice(&second.bytes);
    let mut loaded = ProspectDoc::load(ProspectId::from_bytes([1; 16]), &raw, device(2)).unwrap();
    assert_eq!(loaded.read(), doc.read());
    assert_eq!(loaded.heads(), doc.heads());
}

#[test]
fn a_change_tells_what_it_is_without_a_document_and_damage_is_refused() {
    let (mut doc, first) = created();
    let info = ProspectDoc::inspect_change(&first.bytes).unwrap();
    assert_eq!(info.hash, first.hash);
    assert_eq!((info.device, info.seq), (Some(device(1)), 1));
    assert_eq!(info.sets_id.as_deref(), Some(ProspectId::from_bytes([1; 16]).to_string().as_str()));
    assert_eq!(info.sets_territory.as_deref(), Some(TerritoryId::from_bytes([9; 16]).to_string().as_str()));

    let rename = doc.edit(&ctx(1, 1), |p| p.set_name("другое")).unwrap().unwrap();
    let info = ProspectDoc::inspect_change(&rename.bytes).unwrap();
    assert_eq!((info.sets_id, info.sets_territory, info.seq), (None, None, 2));
    let moved = doc.edit(&ctx(1, 2), |p| p.set_territory(TerritoryId::from_bytes([8; 16]))).unwrap().unwrap();
    let info = ProspectDoc::inspect_change(&moved.bytes).unwrap();
    assert_eq!(info.sets_territory, Some(TerritoryId::from_bytes([8; 16]).to_string()));

    // A flipped byte inside the change: it still parses, but its checksum gives it away.
    let mut damaged = rename.bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 0x01;
    assert!(ProspectDoc::inspect_change(&damaged).is_err());
    let mut other = replica_of(&first, device(2));
    assert!(matches!(other.apply_changes(&[&damaged]), Err(DocumentError::BadChange { .. })));
}

#[test]
fn a_photo_taken_out_leaves_its_prospect_and_every_visit_answer_but_the_visits_stay() {
    let (mut doc, _) = created();
    let (kept, mistaken) = ("ab".repeat(32), "cd".repeat(32));
    let photo = |sha256: &str| Answer::Photo(PhotoAnswer { sha256: sha256.into(), mime: "image/jpeg".into() });
    let visit = Visit {
        id: VisitId::from_bytes([4; 16]),
        at: Timestamp::from_unix_millis(T0 + 5),
        agent: user(1),
        questionnaire: QuestionnaireRef { id: QuestionnaireId::from_bytes([5; 16]), version: 1 },
        answers: [
            (QuestionId::new("front").unwrap(), photo(&kept)),
            (QuestionId::new("shelf").unwrap(), photo(&mistaken)),
            (QuestionId::new("staff").unwrap(), Answer::Integer(3)),
        ]
        .into(),
        location: None,
        outcome: "met the owner".into(),
    };
    doc.edit(&ctx(1, 10), |p| {
        p.add_visit(&visit)?;
        p.add_photo(&Photo {
            sha256: mistaken.clone(),
            mime: "image/jpeg".into(),
            bytes: 10,
            taken_at: Timestamp::from_unix_millis(T0),
            caption: String::new(),
        })
    })
    .unwrap();
    assert!(census_core::pictures::pictures_of(&doc.read()).contains(&mistaken));

    let mut removed = false;
    doc.edit(&ctx(1, 20), |p| {
        removed = p.remove_photo(&mistaken)?;
        Ok(())
    })
    .unwrap();
    assert!(removed);
    let read = doc.read();
    assert_eq!(census_core::pictures::pictures_of(&read), [kept.clone()].into(), "only the photo kept is shown");
    let answers = &read.visits[&visit.id].answers;
    assert_eq!(answers.len(), 2, "the visit and its other answers stay: {answers:?}");
    let mut again = true;
    doc.edit(&ctx(1, 30), |p| {
        again = p.remove_photo(&mistaken)?;
        Ok(())
    })
    .unwrap();
    assert!(!again, "a photo the prospect does not show is not removed twice");
}
