//! Importing spreadsheets into a replica, with files the tests write: CSV in Windows-1251 and
//! UTF-8, XLSX through a writer crate. Importing twice changes nothing the second time; export,
//! edit, re-import updates exactly the edited fields; rows matching prospects already here are
//! found; bad files and bad cells are refused in words; nothing is written before applying.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::{Path, PathBuf};

use census_core::*;
use census_replica::*;

mod common;
use common::*;

fn replica(dir: &tempfile::TempDir) -> Replica {
    let mut replica = Replica::create(&dir.path().join("r.census"), DeviceId::from_bytes([1; 16])).unwrap();
    let directory = Directory {
        people: vec![],
        territories: vec![Territory {
            id: territory(),
            name: "Тверь — Центр".into(),
            planned_prospects: None,
            agents: vec![],
            boundary: vec![],
        }],
        questionnaires: vec![],
    };
    replica.cache_directory(&directory).unwrap();
    replica
}

fn options(table: &Table) -> ImportOptions {
    ImportOptions {
        mapping: ColumnMapping::guess(&table.headers),
        threshold: 0.6,
        default_territory: Some(territory()),
    }
}

fn ids() -> impl FnMut() -> [u8; 16] {
    ids_from(0)
}

fn apply(replica: &mut Replica, table: &Table, file: &str) -> ImportPreview {
    let ctx = ctx(9, 1_000).with_source(format!("import of {file} by Мария"));
    replica.apply_import(table, &options(table), &ctx, &mut ids(), &mut |_, _| {}).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn counts(p: &ImportPreview) -> [u32; 5] {
    [p.new, p.updated, p.unchanged, p.likely_duplicates, p.invalid]
}

const SHEET: &str = "Название;Адрес;Телефон;Широта;Долгота;Статус\n\
    Ромашка;ул. Ленина, 5, Тверь;8 912 345-67-89;56,8500;35,9000;Клиент\n\
    Колос;пр. Мира, 12, Тверь;;56,8600;35,9200;новый\n\
    Аптека «Здоровье»;ул. Гагарина, 3, Тверь;+7 900 111-22-33;56,8700;35,9400;Отказ\n";

#[test]
fn a_russian_csv_in_windows_1251_imports_once_and_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let (encoded, _, _) = encoding_rs::WINDOWS_1251.encode(SHEET);
    let table = Table::read(&write(dir.path(), "база.csv", &encoded)).unwrap();
    assert_eq!(table.headers[0], "Название");
    assert_eq!(table.rows.len(), 3);

    // A preview writes nothing.
    let preview = replica.preview_import(&table, &options(&table)).unwrap();
    assert_eq!(counts(&preview), [3, 0, 0, 0, 0]);
    assert_eq!(replica.outbox_len().unwrap(), 0);
    assert_eq!(replica.list(&ListFilter::default()).unwrap().len(), 0);

    let applied = apply(&mut replica, &table, "база.csv");
    assert_eq!(counts(&applied), [3, 0, 0, 0, 0]);
    let shops = replica.list(&ListFilter::default()).unwrap();
    assert_eq!(shops.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Аптека «Здоровье»", "Колос", "Ромашка"]);
    let romashka = replica.prospect(shops[2].id).unwrap();
    assert_eq!(romashka.prospect.status, Status::Client);
    assert_eq!(romashka.prospect.location.map(|l| (l.lat, l.lon)), Some((56.85, 35.9)));
    assert_eq!(romashka.prospect.contacts.values().next().unwrap().phone, "8 912 345-67-89");
    assert!(
        romashka.history.iter().all(|edit| edit.source.as_deref() == Some("import of база.csv by Мария")),
        "history says where each value came from"
    );

    let (stored, derived) = replica.projection_check().unwrap();
    assert_eq!(stored, derived, "the imported prospects are listed as their documents say");

    // The same file again: every row is found, nothing changes, nothing is written.
    let pending = replica.outbox_len().unwrap();
    let again = replica.preview_import(&table, &options(&table)).unwrap();
    assert_eq!(counts(&again), [0, 0, 3, 0, 0], "{:?}", again.rows);
    assert_eq!(counts(&apply(&mut replica, &table, "база.csv")), [0, 0, 3, 0, 0]);
    assert_eq!(replica.outbox_len().unwrap(), pending);
    assert_eq!(replica.list(&ListFilter::default()).unwrap().len(), 3);
}

#[test]
fn export_edit_reimport_updates_exactly_the_edited_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let table = Table::read(&write(dir.path(), "база.csv", SHEET.as_bytes())).unwrap();
    apply(&mut replica, &table, "база.csv");

    // Exported, then edited in a spreadsheet: one status and one name changed.
    let exported = dir.path().join("export.xlsx");
    replica.export_xlsx(&ListFilter::default(), &exported).unwrap();
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&exported).unwrap();
    let range = calamine::Reader::worksheet_range(&mut workbook, XLSX_SHEET).unwrap();
    let mut rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let column = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    let (name, status) = (column("name"), column("status"));
    let kolos = rows.iter().position(|r| r[name] == "Колос").unwrap();
    rows[kolos][status] = "interested".into();
    let pharmacy = rows.iter().position(|r| r[name] == "Аптека «Здоровье»").unwrap();
    rows[pharmacy][name] = "Аптека Здоровье плюс".into();
    let mut edited = rust_xlsxwriter::Workbook::new();
    let sheet = edited.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    let edited_path = dir.path().join("edited.xlsx");
    edited.save(&edited_path).unwrap();

    let table = Table::read(&edited_path).unwrap();
    let preview = replica.preview_import(&table, &options(&table)).unwrap();
    assert_eq!(counts(&preview), [0, 2, 1, 0, 0], "{:?}", preview.rows);
    let changes: Vec<(String, ImportField, String, String)> = preview
        .rows
        .iter()
        .filter_map(|r| match &r.outcome {
            RowOutcome::Updated { changes, .. } => {
                Some(changes.iter().map(|c| (r.name.clone(), c.field, c.from.clone(), c.to.clone())))
            }
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(
        changes,
        [
            (
                "Аптека Здоровье плюс".into(),
                ImportField::Name,
                "Аптека «Здоровье»".into(),
                "Аптека Здоровье плюс".into()
            ),
            ("Колос".into(), ImportField::Status, "new".into(), "interested".into()),
        ]
    );
    apply(&mut replica, &table, "edited.xlsx");
    let names: Vec<String> = replica.list(&ListFilter::default()).unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["Аптека Здоровье плюс", "Колос", "Ромашка"]);
    assert_eq!(counts(&replica.preview_import(&table, &options(&table)).unwrap()), [0, 0, 3, 0, 0]);
}

#[test]
fn rows_without_ids_are_matched_to_prospects_already_here() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    replica
        .create_prospect(ProspectId::from_bytes([1; 16]), &ctx(1, 0), &new_prospect("Магазин Ромашка", 56.85, 35.9))
        .unwrap();
    let sheet = "name,address,phone,lat,lon\n\
        ООО «Ромашка»,\"ул. Ленина, 5, Тверь\",+7 912 345-67-89,56.85005,35.9\n\
        Колос,\"пр. Мира, 40, Тверь\",,56.95,36.1\n";
    let table = Table::read(&write(dir.path(), "base.csv", sheet.as_bytes())).unwrap();
    let preview = replica.preview_import(&table, &options(&table)).unwrap();
    assert_eq!(counts(&preview), [1, 0, 0, 1, 0]);
    match &preview.rows[0].outcome {
        RowOutcome::LikelyDuplicate { prospect, score, changes } => {
            assert_eq!(*prospect, ProspectId::from_bytes([1; 16]));
            assert!(*score >= 0.6);
            // The name differs but is the same shop's; the phone is new to it.
            assert!(changes.iter().any(|c| c.field == ImportField::Phone), "{changes:?}");
        }
        other => panic!("not found as a duplicate: {other:?}"),
    }
    // The user can raise the threshold: then it is a new prospect.
    let strict = ImportOptions { threshold: 0.99, ..options(&table) };
    assert_eq!(counts(&replica.preview_import(&table, &strict).unwrap()), [2, 0, 0, 0, 0]);
}

#[test]
fn bad_files_and_bad_cells_are_refused_in_words_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let refused = |path: PathBuf| match Table::read(&path) {
        Err(ReplicaError::Import(message)) => message,
        other => panic!("{} was not refused: {other:?}", path.display()),
    };
    assert_eq!(refused(write(dir.path(), "empty.csv", b"")), "the file is empty");
    assert_eq!(refused(write(dir.path(), "blank.csv", b"\n ; ;\n")), "the file is empty");
    assert!(
        refused(write(dir.path(), "photo.xlsx", &[0x89, b'P', b'N', b'G', 0, 1, 2, 3])).contains("not a spreadsheet")
    );
    assert!(refused(write(dir.path(), "binary.csv", &[0, 159, 146, 150, 0, 1])).contains("not a spreadsheet"));
    let mut huge = String::from("name\n");
    for n in 0..=MAX_IMPORT_ROWS {
        huge.push_str(&format!("Точка {n}\n"));
    }
    assert!(refused(write(dir.path(), "huge.csv", huge.as_bytes())).contains("split it into several files"));

    // A file with no name column cannot be imported.
    let table = Table::read(&write(dir.path(), "phones.csv", "Телефон\n+7 900\n".as_bytes())).unwrap();
    match replica.preview_import(&table, &options(&table)) {
        Err(ReplicaError::Import(message)) => assert!(message.contains("name"), "{message}"),
        other => panic!("{other:?}"),
    }

    // Bad cells: each row says what is wrong with it; good rows are still imported.
    let id = ProspectId::from_bytes([5; 16]);
    let sheet = format!(
        "census_id;name;lat;lon;status\n\
         {id};Ромашка;56.85;35.9;new\n\
         {id};Ромашка второй раз;56.85;35.9;new\n\
         ;Колос;пятьдесят шесть;35.9;new\n\
         ;Уют;156.85;35.9;new\n\
         не-идентификатор;Киоск;;;new\n\
         ;Огонёк;;;почти клиент\n\
         ;Каравай;;;\n"
    );
    let table = Table::read(&write(dir.path(), "bad.csv", sheet.as_bytes())).unwrap();
    let preview = replica.preview_import(&table, &options(&table)).unwrap();
    assert_eq!(counts(&preview), [2, 0, 0, 0, 5]);
    let problems: Vec<(u32, String)> = preview
        .rows
        .iter()
        .filter_map(|r| match &r.outcome {
            RowOutcome::Invalid { problems } => {
                Some((r.line, problems.iter().map(|p| p.en.clone()).collect::<Vec<_>>().join("; ")))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        problems,
        [
            (3, "This id was already on line 2".to_owned()),
            (4, "“пятьдесят шесть” is not a number (latitude)".to_owned()),
            (5, "The position 156.85, 35.9 is not on the globe".to_owned()),
            (6, "“не-идентификатор” is not a Census id".to_owned()),
            (7, "“почти клиент” is not a status Census knows".to_owned()),
        ]
    );
    assert_eq!(replica.outbox_len().unwrap(), 0, "a preview writes nothing");
    apply(&mut replica, &table, "bad.csv");
    let names: Vec<String> = replica.list(&ListFilter::default()).unwrap().into_iter().map(|r| r.name).collect();
    assert_eq!(names, ["Каравай", "Ромашка"]);
    assert!(replica.prospect(id).is_ok(), "a row with a Census id keeps it");
}

#[test]
fn an_import_interrupted_midway_leaves_a_consistent_replica_and_can_be_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let mut sheet = String::from("Название;Город\n");
    for n in 0..1_200 {
        sheet.push_str(&format!("Точка {n};Тверь\n"));
    }
    let table = Table::read(&write(dir.path(), "big.csv", sheet.as_bytes())).unwrap();
    let ctx = ctx(9, 1_000).with_source("import of big.csv");
    // The machine stops after the first transaction.
    let interrupted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        replica.apply_import(&table, &options(&table), &ctx, &mut ids(), &mut |done, _| {
            assert!(done < ROWS_PER_TRANSACTION, "the machine stops here");
        })
    }));
    assert!(interrupted.is_err());
    drop(replica);

    let mut replica = Replica::open(&dir.path().join("r.census")).unwrap();
    let (stored, derived) = replica.projection_check().unwrap();
    assert_eq!(stored, derived, "what was written is whole");
    assert_eq!(replica.count(&ListFilter::default()).unwrap(), ROWS_PER_TRANSACTION as u64);
    let rerun = replica.preview_import(&table, &options(&table)).unwrap();
    assert_eq!(counts(&rerun), [700, 0, 500, 0, 0]);
    replica.apply_import(&table, &options(&table), &ctx, &mut ids_from(10_000), &mut |_, _| {}).unwrap();
    assert_eq!(replica.count(&ListFilter::default()).unwrap(), 1_200);
}

fn ids_from(start: u64) -> impl FnMut() -> [u8; 16] {
    let mut n = start;
    move || {
        n += 1;
        let mut id = [7u8; 16];
        id[8..].copy_from_slice(&n.to_be_bytes());
        id
    }
}
