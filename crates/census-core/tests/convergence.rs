//! Convergence under the conditions of the field: 3 to 5 devices edit one prospect while apart,
//! with every kind of edit; their changes arrive in random order, some twice, some late. After
//! everything has arrived, every device holds the same prospect, nothing added anywhere is
//! missing, and every field that two devices set concurrently is listed as a conflict, until a
//! resolution (itself delivered like any change) clears it everywhere.
//!
//! The expectations come from a model that knows only causality: a write to a field is
//! superseded by a later write whose device had already received it; the values left are those
//! no other write has seen. A field with two or more distinct such values is a conflict.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::{BTreeMap, BTreeSet, HashSet};

use automerge::ChangeHash;
use census_core::*;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const TAGS: [&str; 4] = ["vip", "wholesale", "night", "cash only"];
const ID: ProspectId = ProspectId::from_bytes([1; 16]);

#[derive(Debug, Clone)]
struct Edit {
    replica: usize,
    op: u8,
    arg: u8,
}

#[derive(Debug, Clone)]
struct Scenario {
    replicas: usize,
    rounds: Vec<Vec<Edit>>,
    seed: u64,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (3usize..=5, any::<u64>()).prop_flat_map(|(replicas, seed)| {
        // Scalar setters are drawn more often, so that most cases hold concurrent edits of a field.
        let op = prop_oneof![2 => prop::sample::select(vec![0u8, 1, 2, 4, 5, 7, 14, 16]), 3 => 0u8..19];
        let edit = (0..replicas, op, any::<u8>()).prop_map(|(replica, op, arg)| Edit { replica, op, arg });
        prop::collection::vec(prop::collection::vec(edit, 2..14), 1..4).prop_map(move |rounds| Scenario {
            replicas,
            rounds,
            seed,
        })
    })
}

/// One write to one field in the model: `value` is `None` for a removal.
#[derive(Debug)]
struct Write {
    path: String,
    value: Option<String>,
    hash: ChangeHash,
    /// Indices of the writes the writing device had received before this one.
    past: HashSet<usize>,
}

/// A change some device made, with the changes it had received before.
#[derive(Debug)]
struct MadeChange {
    hash: ChangeHash,
    /// Work (anything but a review, a merge mark or a deletion and its undoing).
    work: bool,
    past: HashSet<ChangeHash>,
}

#[derive(Default, Debug)]
struct Model {
    writes: Vec<Write>,
    changes: Vec<MadeChange>,
    contacts_added: Vec<ContactId>,
    contacts_removed: HashSet<ContactId>,
    visits: Vec<VisitId>,
    photos: Vec<String>,
}

impl Model {
    /// The writes a device has received, judged by which changes its document holds.
    fn past_of(&self, doc: &mut ProspectDoc) -> HashSet<usize> {
        (0..self.writes.len()).filter(|&i| doc.has_change(&self.writes[i].hash)).collect()
    }

    /// The values visible at `path` to a device that has received `past`.
    fn visible(&self, path: &str, past: &HashSet<usize>) -> Vec<&str> {
        let here: Vec<usize> = past.iter().copied().filter(|&i| self.writes[i].path == path).collect();
        here.iter()
            .filter(|&&i| !here.iter().any(|&j| self.writes[j].past.contains(&i)))
            .filter_map(|&i| self.writes[i].value.as_deref())
            .collect()
    }

    /// Whether the one value left at `path` (a deletion, a merge mark) met work made apart from
    /// it: then the document lists it as disputed, the value against its undoing.
    fn ending_met_work(&self, path: &str, past: &HashSet<usize>) -> bool {
        let here: Vec<usize> = past.iter().copied().filter(|&i| self.writes[i].path == path).collect();
        let holders: Vec<usize> =
            here.iter().copied().filter(|&i| !here.iter().any(|&j| self.writes[j].past.contains(&i))).collect();
        let [holder] = holders.as_slice() else { return false };
        let ending = self.writes[*holder].hash;
        let Some(made) = self.changes.iter().find(|c| c.hash == ending) else { return false };
        self.changes
            .iter()
            .any(|c| c.work && c.hash != ending && !made.past.contains(&c.hash) && !c.past.contains(&ending))
    }

    fn everything(&self) -> HashSet<usize> {
        (0..self.writes.len()).collect()
    }

    /// Whether a setter of `path` to `value` writes at all: it is skipped when the field holds
    /// exactly that one value already.
    fn would_write(&self, path: &str, value: &str, past: &HashSet<usize>) -> bool {
        self.visible(path, past) != [value]
    }
}

/// A model key for a value as the document reports it in a conflict.
fn key_of(value: &FieldValue) -> String {
    match value {
        FieldValue::Text(t) => t.clone(),
        FieldValue::Flag(b) => b.to_string(),
        FieldValue::Location(l) => format!("{:.6}", l.lat),
        FieldValue::Review(r) => r.comment.clone(),
        FieldValue::Missing => "(missing)".into(),
    }
}

/// Each replica's person is a manager, so that every kind of edit (reviews and merges too) meets.
fn ctx(replica: usize, at: i64) -> EditContext {
    EditContext::new(UserId::from_bytes([replica as u8 + 1; 16]), Timestamp::from_unix_millis(1_795_800_000_000 + at))
        .with_role(Role::Manager)
}

struct Sim {
    docs: Vec<ProspectDoc>,
    model: Model,
    /// Changes in flight: (recipient, change bytes).
    in_flight: Vec<(usize, Vec<u8>)>,
    rng: StdRng,
    counter: u32,
}

impl Sim {
    fn new(scenario: &Scenario) -> Sim {
        let new = NewProspect {
            territory: TerritoryId::from_bytes([9; 16]),
            name: "start".into(),
            category: "start".into(),
            status: Status::New,
            address: Address::default(),
            location: None,
        };
        let (first, created) = ProspectDoc::create(ID, DeviceId::from_bytes([1; 16]), &ctx(0, 0), &new).unwrap();
        let mut docs = vec![first];
        for r in 1..scenario.replicas {
            docs.push(
                ProspectDoc::from_changes(ID, &[&created.bytes], DeviceId::from_bytes([r as u8 + 1; 16])).unwrap(),
            );
        }
        let mut model = Model::default();
        let initial = [("name", "start"), ("category", "start"), ("status", "new"), ("deleted", "false")]
            .into_iter()
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .chain(Address::PARTS.iter().map(|p| (format!("address/{p}"), String::new())))
            .chain([("territory".to_string(), TerritoryId::from_bytes([9; 16]).to_string())]);
        for (path, value) in initial {
            model.writes.push(Write { path, value: Some(value), hash: created.hash, past: HashSet::new() });
        }
        model.changes.push(MadeChange { hash: created.hash, work: false, past: HashSet::new() });
        Sim { docs, model, in_flight: Vec::new(), rng: StdRng::seed_from_u64(scenario.seed), counter: 0 }
    }

    fn unique(&mut self, what: &str, replica: usize) -> String {
        self.counter += 1;
        format!("{what}-r{replica}-{}", self.counter)
    }

    fn id_bytes(&mut self) -> [u8; 16] {
        self.counter += 1;
        let mut bytes = [0xee; 16];
        bytes[..4].copy_from_slice(&self.counter.to_be_bytes());
        bytes
    }

    /// Applies one random edit on one device and records what it wrote in the model.
    fn edit(&mut self, edit: &Edit) {
        let r = edit.replica;
        let past = self.model.past_of(&mut self.docs[r]);
        let past_changes: HashSet<ChangeHash> =
            self.model.changes.iter().map(|c| c.hash).filter(|h| self.docs[r].has_change(h)).collect();
        let at = i64::from(self.counter);
        let mut writes: Vec<(String, Option<String>)> = Vec::new();
        let mut expect_error = false;
        let result = match edit.op {
            0 | 1 => {
                let field = if edit.op == 0 { "name" } else { "category" };
                let value = self.unique(field, r);
                writes.push((field.into(), Some(value.clone())));
                self.docs[r]
                    .edit(&ctx(r, at), |p| if edit.op == 0 { p.set_name(&value) } else { p.set_category(&value) })
            }
            2 => {
                let status = Status::ALL[usize::from(edit.arg) % 8];
                if self.model.would_write("status", status.as_str(), &past) {
                    writes.push(("status".into(), Some(status.as_str().into())));
                }
                self.docs[r].edit(&ctx(r, at), |p| p.set_status(status))
            }
            3 => {
                let territory = TerritoryId::from_bytes(self.id_bytes());
                writes.push(("territory".into(), Some(territory.to_string())));
                self.docs[r].edit(&ctx(r, at), |p| p.set_territory(territory))
            }
            4 => {
                let part = Address::PARTS[usize::from(edit.arg) % 5];
                let value = self.unique(part, r);
                writes.push((format!("address/{part}"), Some(value.clone())));
                let mut patch = AddressPatch::default();
                match part {
                    "line" => patch.line = Some(value),
                    "city" => patch.city = Some(value),
                    "region" => patch.region = Some(value),
                    "postcode" => patch.postcode = Some(value),
                    _ => patch.country = Some(value),
                }
                self.docs[r].edit(&ctx(r, at), |p| p.set_address(&patch))
            }
            5 => {
                self.counter += 1;
                let location = Location {
                    lat: f64::from(self.counter) / 1000.0,
                    lon: r as f64,
                    accuracy_m: Some(5.0),
                    at: Timestamp::from_unix_millis(at),
                };
                writes.push(("location".into(), Some(format!("{:.6}", location.lat))));
                self.docs[r].edit(&ctx(r, at), |p| p.set_location(&location))
            }
            6 => {
                let id = ContactId::from_bytes(self.id_bytes());
                let contact = Contact { name: self.unique("name", r), ..Contact::default() };
                for field in Contact::FIELDS {
                    writes.push((format!("contacts/{id}/{field}"), Some(contact.field(field).unwrap().to_string())));
                }
                self.model.contacts_added.push(id);
                self.docs[r].edit(&ctx(r, at), |p| p.add_contact(id, &contact))
            }
            7 | 8 => {
                let Some(&id) =
                    self.model.contacts_added.get(usize::from(edit.arg) % self.model.contacts_added.len().max(1))
                else {
                    return;
                };
                let present = !self.model.visible(&format!("contacts/{id}/name"), &past).is_empty()
                    && self.model.visible(&format!("removed/{id}"), &past).is_empty();
                expect_error = !present;
                if edit.op == 7 {
                    let field = Contact::FIELDS[usize::from(edit.arg >> 4) % 4];
                    let value = self.unique(field, r);
                    if present {
                        writes.push((format!("contacts/{id}/{field}"), Some(value.clone())));
                    }
                    let mut patch = ContactPatch::default();
                    match field {
                        "name" => patch.name = Some(value),
                        "role" => patch.role = Some(value),
                        "phone" => patch.phone = Some(value),
                        _ => patch.email = Some(value),
                    }
                    self.docs[r].edit(&ctx(r, at), |p| p.edit_contact(id, &patch))
                } else {
                    if present {
                        self.model.contacts_removed.insert(id);
                        writes.push((format!("removed/{id}"), Some("removed".into())));
                    }
                    self.docs[r].edit(&ctx(r, at), |p| p.remove_contact(id))
                }
            }
            9..=11 => {
                let tag = TAGS[usize::from(edit.arg) % 4];
                let other = TAGS[(usize::from(edit.arg) + 1) % 4];
                let has = |t: &str| !self.model.visible(&format!("tags/{t}"), &past).is_empty();
                match edit.op {
                    9 => {
                        if !has(tag) {
                            writes.push((format!("tags/{tag}"), Some("true".into())));
                        }
                        self.docs[r].edit(&ctx(r, at), |p| p.add_tag(tag))
                    }
                    10 => {
                        if has(tag) {
                            writes.push((format!("tags/{tag}"), None));
                        }
                        self.docs[r].edit(&ctx(r, at), |p| p.remove_tag(tag))
                    }
                    _ => {
                        if has(tag) {
                            writes.push((format!("tags/{tag}"), None));
                        }
                        if !has(other) {
                            writes.push((format!("tags/{other}"), Some("true".into())));
                        }
                        self.docs[r].edit(&ctx(r, at), |p| p.rename_tag(tag, other))
                    }
                }
            }
            12 => {
                let text = self.unique("note", r);
                let position = usize::from(edit.arg);
                self.docs[r].edit(&ctx(r, at), |p| p.splice_notes(position, usize::from(edit.arg % 3), &text))
            }
            13 => {
                let id = VisitId::from_bytes(self.id_bytes());
                let mut answers = BTreeMap::new();
                answers.insert(QuestionId::new("size").unwrap(), Answer::Integer(i64::from(edit.arg)));
                answers.insert(QuestionId::new("kind").unwrap(), Answer::SelectOne(self.unique("kind", r)));
                let visit = Visit {
                    id,
                    at: Timestamp::from_unix_millis(at),
                    agent: UserId::from_bytes([r as u8 + 1; 16]),
                    questionnaire: QuestionnaireRef { id: QuestionnaireId::from_bytes([5; 16]), version: 1 },
                    answers,
                    location: None,
                    outcome: String::new(),
                };
                self.model.visits.push(id);
                self.docs[r].edit(&ctx(r, at), |p| p.add_visit(&visit))
            }
            14 => {
                let state =
                    [ReviewState::Pending, ReviewState::Approved, ReviewState::Flagged][usize::from(edit.arg) % 3];
                let comment = self.unique("review", r);
                writes.push(("review".into(), Some(comment.clone())));
                self.docs[r].edit(&ctx(r, at), |p| p.set_review(state, &comment))
            }
            15 => {
                let survivor = ProspectId::from_bytes(self.id_bytes());
                writes.push(("merged_into".into(), Some(survivor.to_string())));
                self.docs[r].edit(&ctx(r, at), |p| p.mark_merged_into(survivor))
            }
            16 | 17 => {
                let flag = edit.op == 16;
                if self.model.would_write("deleted", &flag.to_string(), &past) {
                    writes.push(("deleted".into(), Some(flag.to_string())));
                }
                self.docs[r].edit(&ctx(r, at), |p| if flag { p.delete() } else { p.restore() })
            }
            _ => {
                self.counter += 1;
                let sha256 = format!("{:064x}", self.counter);
                self.model.photos.push(sha256.clone());
                let photo = Photo {
                    sha256,
                    mime: "image/jpeg".into(),
                    bytes: 10,
                    taken_at: Timestamp::from_unix_millis(at),
                    caption: String::new(),
                };
                self.docs[r].edit(&ctx(r, at), |p| p.add_photo(&photo))
            }
        };
        match result {
            Err(e) => assert!(expect_error, "edit {edit:?} failed: {e}"),
            Ok(None) => assert!(writes.is_empty(), "edit {edit:?} wrote nothing, model expected {writes:?}"),
            Ok(Some(change)) => {
                assert!(!expect_error, "edit {edit:?} should have failed");
                let work = !matches!(edit.op, 14..=17);
                self.model.changes.push(MadeChange { hash: change.hash, work, past: past_changes });
                for (path, value) in writes {
                    self.model.writes.push(Write { path, value, hash: change.hash, past: past.clone() });
                }
                for to in 0..self.docs.len() {
                    if to != r {
                        self.in_flight.push((to, change.bytes.clone()));
                    }
                }
            }
        }
    }

    /// Delivers some of the changes in flight, shuffled, some twice; the rest stay late.
    fn deliver_some(&mut self) {
        self.in_flight.shuffle(&mut self.rng);
        let keep = self.rng.random_range(0..=self.in_flight.len() / 2);
        let now: Vec<(usize, Vec<u8>)> = self.in_flight.drain(keep..).collect();
        for (to, bytes) in now {
            self.docs[to].apply_changes(&[&bytes]).unwrap();
            if self.rng.random_bool(0.2) {
                self.in_flight.push((to, bytes));
            }
        }
    }

    /// Delivers everything still in flight, shuffled, with repeats.
    fn deliver_all(&mut self) {
        let mut all = std::mem::take(&mut self.in_flight);
        let repeats: Vec<(usize, Vec<u8>)> = all.iter().filter(|_| self.rng.random_bool(0.3)).cloned().collect();
        all.extend(repeats);
        all.shuffle(&mut self.rng);
        for (to, bytes) in all {
            self.docs[to].apply_changes(&[&bytes]).unwrap();
        }
    }
}

fn run(scenario: &Scenario) {
    let mut sim = Sim::new(scenario);
    for round in &scenario.rounds {
        for edit in round {
            sim.edit(edit);
        }
        sim.deliver_some();
    }
    sim.deliver_all();

    // Everyone holds the same prospect, the same history and the same conflicts.
    let reference = sim.docs[0].read();
    let mut reference_heads = sim.docs[0].heads();
    reference_heads.sort();
    let reference_conflicts = sim.docs[0].conflicts();
    for doc in &mut sim.docs[1..] {
        assert_eq!(doc.read(), reference);
        let mut heads = doc.heads();
        heads.sort();
        assert_eq!(heads, reference_heads);
        assert_eq!(doc.conflicts(), reference_conflicts);
    }

    // Nothing added anywhere is missing.
    let model = &sim.model;
    let all = model.everything();
    for visit in &model.visits {
        assert!(reference.visits.contains_key(visit), "visit {visit} lost");
    }
    for photo in &model.photos {
        assert!(reference.photos.contains_key(photo), "photo {photo} lost");
    }
    let expected_contacts: BTreeSet<ContactId> =
        model.contacts_added.iter().filter(|c| !model.contacts_removed.contains(c)).copied().collect();
    assert_eq!(reference.contacts.keys().copied().collect::<BTreeSet<_>>(), expected_contacts);
    let expected_tags: BTreeSet<String> =
        TAGS.iter().filter(|t| !model.visible(&format!("tags/{t}"), &all).is_empty()).map(|t| t.to_string()).collect();
    assert_eq!(reference.tags, expected_tags);

    // Every field with concurrent distinct values is a conflict, with exactly those values.
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let paths: BTreeSet<&str> = model.writes.iter().map(|w| w.path.as_str()).collect();
    for path in paths {
        if path.starts_with("tags/") || path.starts_with("removed/") {
            continue;
        }
        if let Some(contact) = path.strip_prefix("contacts/").and_then(|p| p.split('/').next())
            && model.contacts_removed.contains(&contact.parse().unwrap())
        {
            continue;
        }
        let values: BTreeSet<String> = model.visible(path, &all).into_iter().map(str::to_owned).collect();
        assert!(!values.is_empty(), "{path} lost every value");
        if values.len() >= 2 {
            expected.insert(path.to_owned(), values);
        }
    }
    // A deletion or a merge mark that work made apart from it met is disputed by that work.
    for (path, undone) in [("deleted", "false"), ("merged_into", "(missing)")] {
        let values = model.visible(path, &all);
        let ending = matches!(values.as_slice(), [v] if path != "deleted" || *v == "true");
        if ending && !expected.contains_key(path) && model.ending_met_work(path, &all) {
            expected.insert(path.to_owned(), BTreeSet::from([values[0].to_owned(), undone.to_owned()]));
        }
    }
    let found: BTreeMap<String, BTreeSet<String>> = reference_conflicts
        .iter()
        .map(|c| (c.path.to_string(), c.values.iter().map(|v| key_of(&v.value)).collect()))
        .collect();
    assert_eq!(found, expected);

    // Resolve every conflict on one device; once that change arrives, no device has conflicts
    // and all show the chosen values.
    if reference_conflicts.is_empty() {
        return;
    }
    let resolver = sim.rng.random_range(0..sim.docs.len());
    let picks: Vec<(FieldPath, FieldValue)> = reference_conflicts
        .iter()
        .map(|c| {
            let i = sim.rng.random_range(0..c.values.len());
            (c.path.clone(), c.values[i].value.clone())
        })
        .collect();
    let change = sim.docs[resolver]
        .edit(&ctx(resolver, 1_000_000), |p| picks.iter().try_for_each(|(path, value)| p.resolve(path, value)))
        .unwrap()
        .unwrap();
    for (i, doc) in sim.docs.iter_mut().enumerate() {
        if i != resolver {
            doc.apply_changes(&[&change.bytes]).unwrap();
        }
        assert_eq!(doc.conflicts(), vec![], "conflicts remain after resolution");
        let prospect = doc.read();
        for (path, value) in &picks {
            match (path.to_string().as_str(), value) {
                ("name", FieldValue::Text(t)) => assert_eq!(&prospect.name, t),
                ("status", FieldValue::Text(t)) => assert_eq!(prospect.status.as_str(), t),
                ("location", FieldValue::Location(l)) => assert_eq!(prospect.location.as_ref(), Some(l)),
                ("deleted", FieldValue::Flag(b)) => assert_eq!(prospect.deleted, *b),
                _ => {}
            }
        }
    }
}

fn cases() -> u32 {
    std::env::var("CENSUS_CONVERGENCE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_with_nothing_lost_and_every_conflict_listed(scenario in scenario()) {
        run(&scenario);
    }
}
