//! The rest of the offline API on real SQLite files: per-field history, the directory cache,
//! visit drafts, CSV export, the map's bounding box, the outbox, and changes that arrive before
//! the changes they build on.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::PathBuf;

use census_core::*;
use census_replica::*;

mod common;
use common::*;

fn open_new(dir: &tempfile::TempDir, name: &str, device: u8) -> (PathBuf, Replica) {
    let path = dir.path().join(name);
    let replica = Replica::create(&path, DeviceId::from_bytes([device; 16])).unwrap();
    (path, replica)
}

fn directory() -> Directory {
    Directory {
        people: vec![
            Person {
                id: UserId::from_bytes([1; 16]),
                name: "Анна Смирнова".into(),
                login: "anna".into(),
                role: Role::Agent,
                retired: false,
            },
            Person {
                id: UserId::from_bytes([2; 16]),
                name: "Boris Manager".into(),
                login: "boris".into(),
                role: Role::Manager,
                retired: false,
            },
        ],
        territories: vec![Territory {
            id: territory(),
            name: "Тверь-Центр".into(),
            planned_prospects: Some(400),
            agents: vec![UserId::from_bytes([1; 16])],
            boundary: vec![],
        }],
        questionnaires: vec![questionnaire(1), questionnaire(2)],
    }
}

#[test]
fn detail_shows_who_changed_each_field_when_and_from_which_device() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut a) = open_new(&dir, "a.census", 1);
    let (_, mut b) = open_new(&dir, "b.census", 2);
    let id = ProspectId::from_bytes([1; 16]);
    a.create_prospect(id, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();
    let outbox: Vec<(ProspectId, Vec<u8>)> = outgoing(&a);
    b.apply_changes(&outbox).unwrap();
    b.edit_prospect(id, &ctx(2, 50), |p| p.set_status(Status::Client)).unwrap();
    let from_b: Vec<(ProspectId, Vec<u8>)> = outgoing(&b);
    a.apply_changes(&from_b).unwrap();

    let history = a.prospect(id).unwrap().history;
    let status: Vec<&FieldEdit> = history.iter().filter(|e| e.path.to_string() == "status").collect();
    assert_eq!(status.len(), 2);
    assert_eq!(status[0].value.as_deref(), Some("new"));
    assert_eq!((status[0].user, status[0].device), (Some(UserId::from_bytes([1; 16])), Some(a.device())));
    assert_eq!(status[1].value.as_deref(), Some("client"));
    assert_eq!(status[1].at, Timestamp::from_unix_millis(T0 + 50));
    assert_eq!((status[1].user, status[1].device), (Some(UserId::from_bytes([2; 16])), Some(b.device())));
}

#[test]
fn the_directory_is_cached_for_offline_use() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut replica) = open_new(&dir, "r.census", 1);
    replica.cache_directory(&directory()).unwrap();
    drop(replica);
    let mut replica = Replica::open(&path).unwrap();
    assert_eq!(
        replica.people().unwrap().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Boris Manager", "Анна Смирнова"]
    );
    assert_eq!(replica.territories().unwrap()[0].planned_prospects, Some(400));
    let id = QuestionnaireId::from_bytes([5; 16]);
    assert_eq!(replica.questionnaire(id, None).unwrap().version, 2, "the latest version by default");
    assert_eq!(replica.questionnaire(id, Some(1)).unwrap().version, 1);
    assert_eq!(replica.questionnaires().unwrap().len(), 1, "one entry per questionnaire, its latest version");
    let missing = replica.questionnaire(id, Some(7)).unwrap_err();
    assert!(matches!(missing, ReplicaError::UnknownQuestionnaire { .. }));
    assert!(missing.to_string().contains("version 7"), "{missing}");

    // A published version never changes: receiving it again with other content keeps the first.
    let mut changed = directory();
    changed.questionnaires[0].title = Localized::new("Другое", "Other");
    changed.people.truncate(1);
    replica.cache_directory(&changed).unwrap();
    assert_eq!(replica.questionnaire(id, Some(1)).unwrap().title.en, "Census");
    assert_eq!(replica.people().unwrap().len(), 1, "people and territories are replaced");

    // A questionnaire that does not hold together is refused, and nothing changes.
    let mut broken = directory();
    broken.questionnaires.push(Questionnaire { version: 3, questions: vec![], ..questionnaire(3) });
    let refused = replica.cache_directory(&broken).unwrap_err();
    assert!(matches!(refused, ReplicaError::InvalidQuestionnaire(_)), "{refused}");
    assert_eq!(replica.people().unwrap().len(), 1);
    assert_eq!(replica.questionnaire(id, None).unwrap().version, 2);
}

#[test]
fn a_visit_can_be_kept_as_a_draft_until_it_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut replica) = open_new(&dir, "r.census", 1);
    let id = ProspectId::from_bytes([1; 16]);
    replica.create_prospect(id, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();

    // Half filled in (the required answer is still wrong): kept as a draft, not as a visit.
    replica.save_visit_draft(id, &visit(7, 0), Timestamp::from_unix_millis(T0 + 1)).unwrap();
    replica.save_visit_draft(id, &visit(7, 0), Timestamp::from_unix_millis(T0 + 2)).unwrap();
    drop(replica);
    let mut replica = Replica::open(&path).unwrap();
    let drafts = replica.visit_drafts(Some(id)).unwrap();
    assert_eq!(drafts.len(), 1, "saving again replaces the draft");
    assert_eq!(drafts[0].saved_at, Timestamp::from_unix_millis(T0 + 2));
    assert_eq!(drafts[0].visit, visit(7, 0));
    assert_eq!(replica.prospect(id).unwrap().prospect.visits.len(), 0);
    assert_eq!(replica.outbox_len().unwrap(), 1, "drafts are not pushed");

    // Recording the finished visit removes its draft.
    assert!(matches!(
        replica.record_visit(id, &ctx(1, 3), &questionnaire(1), &visit(7, 4)).unwrap(),
        VisitOutcome::Recorded { .. }
    ));
    assert!(replica.visit_drafts(None).unwrap().is_empty());

    // A draft can be thrown away; drafts need a prospect that exists.
    replica.save_visit_draft(id, &visit(8, 1), Timestamp::from_unix_millis(T0 + 4)).unwrap();
    assert!(replica.discard_visit_draft(VisitId::from_bytes([8; 16])).unwrap());
    assert!(!replica.discard_visit_draft(VisitId::from_bytes([8; 16])).unwrap());
    let unknown = ProspectId::from_bytes([9; 16]);
    assert!(matches!(
        replica.save_visit_draft(unknown, &visit(9, 1), Timestamp::from_unix_millis(T0)),
        Err(ReplicaError::UnknownProspect(_))
    ));
    // A visit filled in on another questionnaire version is refused rather than checked wrongly.
    assert!(matches!(
        replica.record_visit(id, &ctx(1, 5), &questionnaire(2), &visit(10, 4)),
        Err(ReplicaError::WrongQuestionnaire)
    ));
}

#[test]
fn export_writes_every_filtered_prospect_as_csv_xlsx_and_geojson_that_readers_take() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut replica) = open_new(&dir, "r.census", 1);
    replica.cache_directory(&directory()).unwrap();
    for n in 0..120u8 {
        let id = ProspectId::from_bytes([n; 16]);
        replica.create_prospect(id, &ctx(1, 0), &new_prospect(&format!("Магазин \"{n}\", угол"), 56.85, 35.9)).unwrap();
        if n % 3 == 0 {
            replica.edit_prospect(id, &ctx(1, 1), |p| p.set_status(Status::Client)).unwrap();
        }
    }
    let mut bytes = Vec::new();
    let clients = ListFilter { status: Some(Status::Client), limit: 10, ..ListFilter::default() };
    assert_eq!(replica.export_csv(&clients, Language::En, &mut bytes).unwrap(), 40, "every page, not only the first");
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a byte-order mark for spreadsheet programs");

    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), EXPORT_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 40);
    let column = |name: &str| EXPORT_COLUMNS.iter().position(|c| *c == name).unwrap();
    let first = &rows[0];
    let id: ProspectId = first[column("census_id")].parse().unwrap();
    let detail = replica.prospect(id).unwrap().prospect;
    assert_eq!(&first[column("name")], detail.name, "quotes and commas survive");
    assert!(first[column("name")].starts_with("Магазин"));
    assert_eq!(&first[column("status")], "Client", "a status in words");
    assert_eq!(&first[column("territory")], "Тверь-Центр");
    assert_eq!(&first[column("address")], "ул. Ленина, 5, Тверь");
    assert_eq!(first[column("lat")].parse::<f64>().unwrap(), 56.85);

    // The same rows as a workbook, read back with a spreadsheet reader.
    let xlsx = dir.path().join("clients.xlsx");
    assert_eq!(replica.export_xlsx(&clients, Language::En, &xlsx).unwrap(), 40);
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut workbook, XLSX_SHEET).unwrap();
    let sheet_rows: Vec<_> = sheet.rows().collect();
    assert_eq!(sheet_rows.len(), 41, "a header and 40 rows");
    let header: Vec<String> = sheet_rows[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header, EXPORT_COLUMNS);
    let cell = |row: usize, name: &str| sheet_rows[row][column(name)].clone();
    for (n, record) in rows.iter().enumerate() {
        assert_eq!(
            cell(n + 1, "census_id").to_string(),
            &record[column("census_id")],
            "the same rows in the same order"
        );
        assert_eq!(cell(n + 1, "name").to_string(), &record[column("name")]);
    }
    assert_eq!(cell(1, "lat"), calamine::Data::Float(56.85), "positions are numbers");
    assert_eq!(cell(1, "visits"), calamine::Data::Float(0.0));

    // And as map features.
    let mut geojson = Vec::new();
    assert_eq!(replica.export_geojson(&clients, &mut geojson).unwrap(), 40);
    let map: serde_json::Value = serde_json::from_slice(&geojson).unwrap();
    assert_eq!(map["type"], "FeatureCollection");
    let features = map["features"].as_array().unwrap();
    assert_eq!(features.len(), 40);
    assert_eq!(features[0]["geometry"]["coordinates"], serde_json::json!([35.9, 56.85]), "longitude first");
    assert_eq!(features[0]["properties"]["census_id"], serde_json::json!(&first[column("census_id")]));
    assert_eq!(features[0]["properties"]["territory"], "Тверь-Центр");
    assert_eq!(features[0]["properties"]["status"], "client", "map programs read the stable name");

    // In Russian, as a Russian spreadsheet program writes CSV: semicolons, a decimal comma.
    let mut russian = Vec::new();
    replica.export_csv(&clients, Language::Ru, &mut russian).unwrap();
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(&russian[3..]);
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(headers[..4], ["Идентификатор Census", "Название", "Категория", "Статус"]);
    let first = reader.records().next().unwrap().unwrap();
    assert_eq!((&first[3], &first[6], &first[9], &first[10]), ("Клиент", "нет", "56,85", "35,9"));
}

#[test]
fn the_map_reads_prospects_inside_a_box_filtered_like_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut replica) = open_new(&dir, "r.census", 1);
    for (n, lat, lon) in [(1u8, 56.85, 35.90), (2, 56.86, 35.91), (3, 56.95, 35.90), (4, 56.85, 36.50)] {
        replica
            .create_prospect(ProspectId::from_bytes([n; 16]), &ctx(1, 0), &new_prospect(&format!("Shop {n}"), lat, lon))
            .unwrap();
    }
    replica.edit_prospect(ProspectId::from_bytes([2; 16]), &ctx(MANAGER, 1), |p| p.delete()).unwrap();
    let mut names: Vec<String> = replica
        .within((56.8, 57.0), (35.8, 36.0), &ListFilter::default(), 100)
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    names.sort();
    assert_eq!(names, ["Shop 1", "Shop 3"], "inside the box, deleted ones left out");
    assert_eq!(replica.within((56.8, 57.0), (35.8, 36.0), &ListFilter::default(), 1).unwrap().len(), 1);
    // Filtered like the list.
    replica.edit_prospect(ProspectId::from_bytes([3; 16]), &ctx(1, 2), |p| p.set_status(Status::Client)).unwrap();
    let clients = ListFilter { status: Some(Status::Client), ..ListFilter::default() };
    let found = replica.within((56.8, 57.0), (35.8, 36.0), &clients, 100).unwrap();
    assert_eq!(found.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Shop 3"]);
    let elsewhere = ListFilter { territory: Some(TerritoryId::from_bytes([1; 16])), ..ListFilter::default() };
    assert!(replica.within((56.8, 57.0), (35.8, 36.0), &elsewhere, 100).unwrap().is_empty());
}

#[test]
fn the_outbox_gives_back_each_change_exactly_as_made_even_after_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut a) = open_new(&dir, "a.census", 1);
    let (_, mut b) = open_new(&dir, "b.census", 2);
    let id = ProspectId::from_bytes([1; 16]);
    a.create_prospect(id, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();
    for k in 0..40 {
        a.edit_prospect(id, &ctx(1, k + 1), |p| p.set_notes(&format!("note {k}"))).unwrap();
    }
    let outbox = a.outbox(1000).unwrap();
    assert_eq!(outbox.len(), 41);
    assert_eq!(a.outbox_len().unwrap(), 41);
    assert!(outbox.windows(2).all(|w| w[0].seq < w[1].seq), "oldest first");
    assert!(outbox.iter().all(|e| e.territory == territory() && e.prospect == id));
    for entry in &outbox {
        assert_eq!(ProspectDoc::change_hash(&entry.bytes).unwrap(), entry.hash, "the bytes are the change");
    }
    let changes: Vec<(ProspectId, Vec<u8>)> = outbox.into_iter().map(|e| (e.prospect, e.bytes)).collect();
    b.apply_changes(&changes).unwrap();
    assert_eq!(b.prospect(id).unwrap().prospect.notes, "note 39");
}

#[test]
fn changes_that_arrive_before_those_they_build_on_wait_for_them() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut a) = open_new(&dir, "a.census", 1);
    let (path_b, mut b) = open_new(&dir, "b.census", 2);
    let id = ProspectId::from_bytes([1; 16]);
    a.create_prospect(id, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();
    a.edit_prospect(id, &ctx(1, 1), |p| p.set_name("Ромашка 2")).unwrap();
    a.edit_prospect(id, &ctx(1, 2), |p| p.set_status(Status::Visited)).unwrap();
    let changes: Vec<(ProspectId, Vec<u8>)> = outgoing(&a);

    // The last change first: nothing to show yet, and nothing lost.
    assert_eq!(b.apply_changes(&changes[2..]).unwrap(), 0);
    assert!(matches!(b.prospect(id), Err(ReplicaError::UnknownProspect(_))));
    assert!(b.list(&ListFilter::default()).unwrap().is_empty());
    drop(b);
    let mut b = Replica::open(&path_b).unwrap();

    // The first change: the prospect appears; the last one still waits for the middle one.
    assert_eq!(b.apply_changes(&changes[..1]).unwrap(), 1);
    let p = b.prospect(id).unwrap().prospect;
    assert_eq!((p.name.as_str(), p.status), ("Ромашка", Status::New));

    // The middle change: everything is applied, the projection shows it.
    assert_eq!(b.apply_changes(&changes[1..2]).unwrap(), 1);
    let p = b.prospect(id).unwrap().prospect;
    assert_eq!((p.name.as_str(), p.status), ("Ромашка 2", Status::Visited));
    let rows = b.list(&ListFilter::default()).unwrap();
    assert_eq!((rows[0].name.as_str(), rows[0].status), ("Ромашка 2", Status::Visited));
    let (stored, rebuilt) = b.projection_check().unwrap();
    assert_eq!(stored, rebuilt);

    // Garbage is refused with a clear error and changes nothing.
    let garbage = vec![(id, b"not an automerge change".to_vec())];
    let refused = b.apply_changes(&garbage).unwrap_err();
    assert!(matches!(refused, ReplicaError::Document(_)), "{refused:?}");
    assert_eq!(b.prospect(id).unwrap().prospect.name, "Ромашка 2");
}

#[test]
fn lists_sort_by_name_recent_change_or_status_and_page() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut replica) = open_new(&dir, "r.census", 1);
    for (n, name, status) in [
        (1u8, "Banana", Status::Client),
        (2, "apple", Status::New),
        (3, "Cherry", Status::Visited),
        (4, "Ёлка", Status::New),
    ] {
        let id = ProspectId::from_bytes([n; 16]);
        replica.create_prospect(id, &ctx(1, i64::from(n)), &new_prospect(name, 56.85, 35.9)).unwrap();
        replica.edit_prospect(id, &ctx(1, 10 - i64::from(n)), |p| p.set_status(status)).unwrap();
    }
    let names =
        |filter: ListFilter| -> Vec<String> { replica.list(&filter).unwrap().into_iter().map(|r| r.name).collect() };
    assert_eq!(names(ListFilter::default()), ["apple", "Banana", "Cherry", "Ёлка"]);
    // Setting "new" on a new prospect changes nothing, so apple and Ёлка were last changed when created.
    assert_eq!(
        names(ListFilter { sort: SortBy::RecentlyUpdated, ..ListFilter::default() }),
        ["Banana", "Cherry", "Ёлка", "apple"]
    );
    assert_eq!(
        names(ListFilter { sort: SortBy::Status, ..ListFilter::default() }),
        ["Banana", "apple", "Ёлка", "Cherry"]
    );
    assert_eq!(names(ListFilter { limit: 2, offset: 1, ..ListFilter::default() }), ["Banana", "Cherry"]);
    assert_eq!(
        names(ListFilter { territory: Some(TerritoryId::from_bytes([1; 16])), ..ListFilter::default() }),
        Vec::<String>::new()
    );
    assert_eq!(
        names(ListFilter { category: Some("grocery".into()), status: Some(Status::New), ..ListFilter::default() }),
        ["apple", "Ёлка"]
    );
}

#[test]
fn search_shows_prospects_whose_name_matches_first() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut replica) = open_new(&dir, "r.census", 1);
    // Every prospect here is on ул. Ленина; one is also named after it.
    for (n, name) in [(1u8, "Berry"), (2, "Ленинградский рынок"), (3, "Anchor")] {
        replica.create_prospect(ProspectId::from_bytes([n; 16]), &ctx(1, 0), &new_prospect(name, 56.85, 35.9)).unwrap();
    }
    let names = |query: &str, limit: u32| -> Vec<String> {
        replica.search(query, limit).unwrap().into_iter().map(|r| r.name).collect()
    };
    assert_eq!(names("ленин", 10), ["Ленинградский рынок", "Anchor", "Berry"]);
    assert_eq!(names("ЛЕНИН", 2).len(), 2);
    assert_eq!(names("ленин", 2)[0], "Ленинградский рынок");
    assert_eq!(names("ленин рынок", 10), ["Ленинградский рынок"]);
    assert!(names("ленин", 0).is_empty());
}

#[test]
fn a_list_knows_its_length_and_each_territory_its_progress() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut replica) = open_new(&dir, "r.census", 1);
    for n in 1..=5u8 {
        let id = ProspectId::from_bytes([n; 16]);
        replica.create_prospect(id, &ctx(1, i64::from(n)), &new_prospect(&format!("P{n}"), 56.85, 35.9)).unwrap();
    }
    let elsewhere = NewProspect { territory: TerritoryId::from_bytes([8; 16]), ..new_prospect("Far", 56.0, 35.0) };
    replica.create_prospect(ProspectId::from_bytes([20; 16]), &ctx(1, 0), &elsewhere).unwrap();
    // Two visits early on, one later; one prospect deleted (it no longer counts).
    for (n, at) in [(1u8, 100), (2, 100), (3, 5_000)] {
        let visit = Visit { at: Timestamp::from_unix_millis(T0 + at), ..visit(n, 3) };
        let id = ProspectId::from_bytes([n; 16]);
        assert!(matches!(
            replica.record_visit(id, &ctx(1, at), &questionnaire(1), &visit).unwrap(),
            VisitOutcome::Recorded { .. }
        ));
    }
    replica.edit_prospect(ProspectId::from_bytes([2; 16]), &ctx(MANAGER, 6_000), |p| p.delete()).unwrap();

    assert_eq!(replica.count(&ListFilter::default()).unwrap(), 5);
    assert_eq!(replica.categories().unwrap(), ["grocery"], "each category once");
    assert_eq!(replica.count(&ListFilter { territory: Some(territory()), ..ListFilter::default() }).unwrap(), 4);
    assert_eq!(replica.count(&ListFilter { include_hidden: true, ..ListFilter::default() }).unwrap(), 6);
    assert_eq!(
        replica.count(&ListFilter { limit: 1, offset: 3, ..ListFilter::default() }).unwrap(),
        5,
        "pages do not shorten it"
    );

    let mut progress = replica.territory_progress(T0 + 1_000).unwrap();
    progress.sort_by_key(|p| p.prospects);
    assert_eq!(
        progress,
        [
            TerritoryProgress {
                territory: TerritoryId::from_bytes([8; 16]).to_string(),
                prospects: 1,
                surveyed: 0,
                visited_since: 0
            },
            TerritoryProgress { territory: territory().to_string(), prospects: 4, surveyed: 2, visited_since: 1 },
        ]
    );
}

#[test]
fn pictures_are_kept_once_by_content_hash_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut replica) = open_new(&dir, "r.census", 1);
    let at = Timestamp::from_unix_millis(T0);
    let answer = replica.store_photo(b"not really a jpeg", "image/jpeg", at).unwrap();
    // SHA-256 of the bytes, in lower-case hex.
    assert_eq!(answer.sha256, "21ac2586e213d1f490778a07bf0025a98fc57595863a282372bac594b398322b");
    assert_eq!(answer.mime, "image/jpeg");
    assert_eq!(replica.store_photo(b"not really a jpeg", "image/jpeg", at).unwrap(), answer, "the same bytes twice");
    drop(replica);
    let replica = Replica::open(&path).unwrap();
    let stored = replica.photo(&answer.sha256).unwrap().unwrap();
    assert_eq!((stored.mime.as_str(), stored.bytes.as_slice()), ("image/jpeg", &b"not really a jpeg"[..]));
    assert_eq!(replica.photo(&"0".repeat(64)).unwrap(), None);

    let mut replica = replica;
    for (bytes, mime, says) in [
        (Vec::new(), "image/png", "empty"),
        (vec![0u8; MAX_PHOTO_BYTES + 1], "image/png", "too large"),
        (vec![1u8; 10], "application/pdf", "not a picture"),
    ] {
        let error = replica.store_photo(&bytes, mime, at).unwrap_err();
        assert!(error.to_string().contains(says), "{error}");
    }
}

#[test]
fn the_dashboard_counts_coverage_the_funnel_categories_and_visits_per_agent_per_day() {
    const DAY: i64 = 86_400_000;
    let dir = tempfile::tempdir().unwrap();
    let (path, mut replica) = open_new(&dir, "r.census", 1);
    let north = TerritoryId::from_bytes([8; 16]);
    let (anna, boris) = (UserId::from_bytes([1; 16]), UserId::from_bytes([2; 16]));
    // Six prospects in the common territory, two in the north; one of the six is deleted.
    let made = [
        (1u8, territory(), "kiosk", Status::New),
        (2, territory(), "kiosk", Status::Interested),
        (3, territory(), "grocery", Status::Client),
        (4, territory(), "kiosk", Status::Client),
        (5, territory(), "cafe", Status::Refused),
        (6, territory(), "kiosk", Status::New),
        (7, north, "grocery", Status::Visited),
        (8, north, "grocery", Status::New),
    ];
    for (n, t, category, status) in made {
        let id = ProspectId::from_bytes([n; 16]);
        let new = NewProspect {
            territory: t,
            category: category.into(),
            status,
            ..new_prospect(&format!("P{n}"), 56.85, 35.9)
        };
        replica.create_prospect(id, &ctx(1, 0), &new).unwrap();
    }
    replica.edit_prospect(ProspectId::from_bytes([6; 16]), &ctx(MANAGER, 1), |p| p.delete()).unwrap();
    // Visits: Anna on day 0 (P1, P2) and day 1 (P3); Boris on day 1 (P3 again, P7); P6 is deleted.
    let visits = [
        (10u8, 1u8, anna, 0),
        (11, 2, anna, 0),
        (12, 3, anna, DAY),
        (13, 3, boris, DAY + 5),
        (14, 7, boris, DAY),
        (15, 6, boris, 0),
    ];
    for (visit_id, prospect, agent, at) in visits {
        let v = Visit { at: Timestamp::from_unix_millis(T0 + at), agent, ..visit(visit_id, 3) };
        // Each visit recorded in its agent's name, as the server accepts it.
        let by_agent = EditContext::new(agent, Timestamp::from_unix_millis(T0 + at));
        let outcome =
            replica.record_visit(ProspectId::from_bytes([prospect; 16]), &by_agent, &questionnaire(1), &v).unwrap();
        assert!(matches!(outcome, VisitOutcome::Recorded { .. }));
    }
    let counts =
        |tallies: &[Tally]| -> Vec<(String, u32)> { tallies.iter().map(|t| (t.key.clone(), t.count)).collect() };
    let tally =
        |pairs: &[(&str, u32)]| -> Vec<(String, u32)> { pairs.iter().map(|(k, n)| ((*k).to_owned(), *n)).collect() };

    let all = replica.dashboard(&DashboardFilter::default()).unwrap();
    assert_eq!(
        counts(&all.by_status),
        tally(&[
            ("new", 2),
            ("visited", 1),
            ("interested", 1),
            ("negotiating", 0),
            ("client", 2),
            ("refused", 1),
            ("closed", 0),
            ("not_found", 0)
        ])
    );
    assert_eq!(counts(&all.by_category), tally(&[("grocery", 3), ("kiosk", 3), ("cafe", 1)]));
    let common = all.coverage.iter().find(|c| c.territory == territory().to_string()).unwrap();
    assert_eq!((common.prospects, common.surveyed, common.visited_in_period), (5, 3, 3));
    let northern = all.coverage.iter().find(|c| c.territory == north.to_string()).unwrap();
    assert_eq!((northern.prospects, northern.surveyed), (2, 1));
    let day = |n: i64| Timestamp::from_unix_millis(T0 + n * DAY).to_utc_string()[..10].to_owned();
    let per_day: Vec<(UserId, String, u32)> =
        all.visits_per_day.iter().map(|d| (d.agent, d.day.clone(), d.visits)).collect();
    assert_eq!(
        per_day,
        [(anna, day(0), 2), (anna, day(1), 1), (boris, day(1), 2)],
        "the deleted prospect's visit is not counted"
    );

    // Boris, on day 1, in the common territory: one prospect, one visit.
    let narrow = DashboardFilter {
        territory: Some(territory()),
        agent: Some(boris),
        from: Some(Timestamp::from_unix_millis(T0 + DAY)),
        until: Some(Timestamp::from_unix_millis(T0 + 2 * DAY)),
    };
    let boris_day = replica.dashboard(&narrow).unwrap();
    assert_eq!(boris_day.by_status.iter().map(|t| t.count).sum::<u32>(), 1);
    assert_eq!(counts(&boris_day.by_category), tally(&[("grocery", 1)]));
    assert_eq!(boris_day.visits_per_day.len(), 1);
    assert_eq!(boris_day.visits_per_day[0].visits, 1);
    let common = &boris_day.coverage[0];
    assert_eq!(
        (common.prospects, common.surveyed, common.visited_in_period),
        (5, 3, 1),
        "coverage counts whole territories"
    );

    // A replica from before the visit log gets it from its documents when opened.
    drop(replica);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DELETE FROM prospect_visits; INSERT INTO replica_info (key, value) VALUES ('projections_stale', '1');",
    )
    .unwrap();
    drop(conn);
    let reopened = Replica::open(&path).unwrap();
    assert_eq!(reopened.dashboard(&DashboardFilter::default()).unwrap(), all);
}

#[test]
fn the_review_queue_holds_what_was_never_approved_or_changed_since() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut replica) = open_new(&dir, "r.census", 1);
    let (shop, kiosk) = (ProspectId::from_bytes([1; 16]), ProspectId::from_bytes([2; 16]));
    replica.create_prospect(shop, &ctx(1, 0), &new_prospect("Ромашка", 56.85, 35.9)).unwrap();
    replica.create_prospect(kiosk, &ctx(1, 0), &new_prospect("Киоск", 56.85, 35.9)).unwrap();
    let queue = |replica: &Replica| -> Vec<String> {
        let filter = ListFilter { awaiting_review: Some(true), ..ListFilter::default() };
        replica.list(&filter).unwrap().into_iter().map(|r| r.name).collect()
    };
    assert_eq!(queue(&replica), ["Киоск", "Ромашка"], "new prospects wait for review");
    assert_eq!(replica.prospect(shop).unwrap().changed_since_approval, None);

    // The manager (user 9) approves both; the queue empties.
    for id in [shop, kiosk] {
        replica.edit_prospect(id, &ctx(9, 10), |p| p.set_review(ReviewState::Approved, "")).unwrap();
    }
    assert!(queue(&replica).is_empty());
    assert_eq!(replica.prospect(shop).unwrap().changed_since_approval, Some(vec![]));

    // An agent renames one: it is back, with exactly what changed.
    replica.edit_prospect(shop, &ctx(1, 20), |p| p.set_name("Ромашка у вокзала")).unwrap();
    assert_eq!(queue(&replica), ["Ромашка у вокзала"]);
    let changed = replica.prospect(shop).unwrap().changed_since_approval.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!((changed[0].path.to_string(), changed[0].value.as_deref()), ("name".into(), Some("Ромашка у вокзала")));

    // Flagged is not approved: it stays in the queue until approved again.
    replica.edit_prospect(kiosk, &ctx(9, 30), |p| p.set_review(ReviewState::Flagged, "нет фото")).unwrap();
    assert_eq!(queue(&replica), ["Киоск", "Ромашка у вокзала"]);
}

#[test]
fn a_new_prospect_that_looks_like_one_nearby_is_flagged_with_the_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let (_, mut replica) = open_new(&dir, "r.census", 1);
    replica
        .create_prospect(ProspectId::from_bytes([1; 16]), &ctx(1, 0), &new_prospect("Магазин Ромашка", 56.85, 35.9))
        .unwrap();
    // Another shop in the same spot but at another address: not the same place.
    let pharmacy = NewProspect {
        address: Address { line: "пр. Мира, 40".into(), city: "Тверь".into(), ..Address::default() },
        ..new_prospect("Аптека", 56.85, 35.9)
    };
    replica.create_prospect(ProspectId::from_bytes([2; 16]), &ctx(1, 0), &pharmacy).unwrap();
    let probe = |name: &str, lat: f64| DuplicateProbe {
        name: name.into(),
        address: "ул. Ленина, 5, Тверь".into(),
        phones: vec![],
        location: Some(Location { lat, lon: 35.9, accuracy_m: None, at: Timestamp::from_unix_millis(T0) }),
    };
    // 20 m away, nearly the same name and address.
    let found = replica.likely_duplicates(&probe("магазин Ромашка", 56.85018), 150.0).unwrap();
    assert_eq!(found.iter().map(|c| c.row.name.as_str()).collect::<Vec<_>>(), ["Магазин Ромашка"]);
    assert!(found[0].reasons.iter().any(|r| r.en.starts_with("Similar names")), "{:?}", found[0].reasons);
    // Another name at another address, or too far to be seen: nothing.
    let other =
        DuplicateProbe { address: "ул. Гагарина, 12, Тверь".into(), ..probe("Колос", 56.85018) };
    assert!(replica.likely_duplicates(&other, 150.0).unwrap().is_empty());
    assert!(replica.likely_duplicates(&probe("магазин Ромашка", 56.86), 150.0).unwrap().is_empty());
    let nowhere = DuplicateProbe { location: None, ..probe("магазин Ромашка", 0.0) };
    assert!(replica.likely_duplicates(&nowhere, 150.0).unwrap().is_empty());
}

#[test]
fn lists_sort_names_as_people_do_also_in_a_replica_made_before_the_sort_key() {
    let dir = tempfile::tempdir().unwrap();
    let (path, mut replica) = open_new(&dir, "r.census", 1);
    let names = ["Магазин 10", "магазин 2", "Ёлочка", "Елена", "Магазин 1", "Ежевика"];
    for (n, name) in names.iter().enumerate() {
        replica
            .create_prospect(ProspectId::from_bytes([n as u8 + 1; 16]), &ctx(1, 0), &new_prospect(name, 56.85, 35.9))
            .unwrap();
    }
    let sorted = ["Ежевика", "Елена", "Ёлочка", "Магазин 1", "магазин 2", "Магазин 10"];
    let listed = |replica: &Replica| -> Vec<String> {
        replica.list(&ListFilter { limit: 10, ..ListFilter::default() }).unwrap().into_iter().map(|r| r.name).collect()
    };
    assert_eq!(listed(&replica), sorted);
    drop(replica);

    // The same file as Census wrote it before lists had a sort key (schema 10).
    let old = rusqlite::Connection::open(&path).unwrap();
    old.execute_batch(
        "DROP INDEX prospects_by_territory_name; DROP INDEX prospects_by_territory_status; DROP INDEX prospects_by_name; \
         DROP INDEX prospects_by_status; DROP INDEX prospects_in_conflict; DROP INDEX prospects_awaiting_review; \
         ALTER TABLE prospects DROP COLUMN name_order; \
         CREATE INDEX prospects_by_territory_name ON prospects (territory, name COLLATE NOCASE); \
         CREATE INDEX prospects_by_territory_status ON prospects (territory, status, name COLLATE NOCASE); \
         CREATE INDEX prospects_by_name ON prospects (name COLLATE NOCASE); \
         CREATE INDEX prospects_by_status ON prospects (status, name COLLATE NOCASE); \
         CREATE INDEX prospects_in_conflict ON prospects (name COLLATE NOCASE) WHERE has_conflicts = 1; \
         CREATE INDEX prospects_awaiting_review ON prospects (name COLLATE NOCASE) WHERE awaiting_review = 1; \
         DROP TABLE picture_uploads; DROP INDEX photos_thumbnails; ALTER TABLE photos DROP COLUMN thumbnail_of; \
         DROP TABLE picture_use; \
         PRAGMA user_version = 10;",
    )
    .unwrap();
    drop(old);
    assert_eq!(listed(&Replica::open(&path).unwrap()), sorted, "opened, the old file sorts the same");
}
