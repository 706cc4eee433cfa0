//! Importing spreadsheets into a replica, with files the tests write: CSV in every encoding a
//! Russian office saves (UTF-8, UTF-16, Windows-1251, KOI8-R, DOS 866), XLSX through a writer
//! crate, XLS as BIFF8 records in a compound file, ODS as the zip of XML it is. Importing twice
//! changes nothing the second time; export, edit, re-import updates exactly the edited fields;
//! rows matching prospects already here are found; bad files (a million rows, an unknown
//! encoding) and bad cells are refused in words; nothing is written before applying.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::{Path, PathBuf};

use census_core::*;
use census_replica::*;

mod common;
use common::*;

fn replica(dir: &tempfile::TempDir) -> Replica {
    replica_for_imports(&dir.path().join("r.census"))
}

fn options(table: &Table) -> ImportOptions {
    ImportOptions {
        mapping: ColumnMapping::guess(&table.headers),
        questionnaire: None,
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
fn a_csv_reads_the_same_in_every_encoding_russian_offices_save_and_an_unknown_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let read = |name: &str, bytes: &[u8]| Table::read(&write(dir.path(), name, bytes));
    // KOI8-R and DOS 866 have no guillemets; Excel's "Unicode text" is UTF-16 separated by tabs.
    let text = SHEET.replace(['«', '»'], "");
    let expected = read("utf-8.csv", text.as_bytes()).unwrap();
    assert_eq!(expected.rows[2][0], "Аптека Здоровье");
    let tabbed = text.replace(';', "\t");
    let utf16 = |little_endian: bool| -> Vec<u8> {
        let mark: [u8; 2] = if little_endian { [0xFF, 0xFE] } else { [0xFE, 0xFF] };
        let units = tabbed.encode_utf16().flat_map(|u| if little_endian { u.to_le_bytes() } else { u.to_be_bytes() });
        mark.into_iter().chain(units).collect()
    };
    let single_byte = |encoding: &'static encoding_rs::Encoding, text: &str| encoding.encode(text).0.into_owned();
    let files = [
        ("utf-8 with a byte-order mark", [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()),
        ("utf-16le", utf16(true)),
        ("utf-16be", utf16(false)),
        ("utf-16le without a byte-order mark", utf16(true)[2..].to_vec()),
        ("windows-1251", single_byte(encoding_rs::WINDOWS_1251, &text)),
        ("koi8-r", single_byte(encoding_rs::KOI8_R, &text)),
        ("dos 866", single_byte(encoding_rs::IBM866, &text)),
    ];
    for (encoding, bytes) in files {
        assert_eq!(read(&format!("{encoding}.csv"), &bytes).unwrap(), expected, "{encoding}");
    }
    // A base typed in capitals reads as Windows-1251 still, not as the KOI8-R it could also be.
    let capitals = text.to_uppercase();
    assert_eq!(
        read("capitals.csv", &single_byte(encoding_rs::WINDOWS_1251, &capitals)).unwrap(),
        read("capitals-utf-8.csv", capitals.as_bytes()).unwrap()
    );

    // Japanese in Shift JIS is none of them: refused in words, not imported as gibberish.
    let japanese = single_byte(encoding_rs::SHIFT_JIS, "名前;住所\n東京の店;東京都新宿区\n大阪の薬局;大阪市北区\n");
    match read("tokyo.csv", &japanese) {
        Err(ReplicaError::Import(message)) => {
            assert!(
                message.en.contains("encoding Census does not know") && message.en.contains("CSV UTF-8"),
                "{message:?}"
            );
            assert!(message.ru.contains("кодировке") && message.ru.contains("CSV UTF-8"), "{message:?}");
        }
        other => panic!("a Shift JIS file was read: {other:?}"),
    }
}

#[test]
fn export_edit_reimport_updates_exactly_the_edited_fields() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let table = Table::read(&write(dir.path(), "база.csv", SHEET.as_bytes())).unwrap();
    apply(&mut replica, &table, "база.csv");

    // Exported, then edited in a spreadsheet: one status and one name changed.
    let exported = dir.path().join("export.xlsx");
    replica.export_xlsx(&ListFilter::default(), Language::En, &exported).unwrap();
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
fn a_russian_export_reads_back_as_the_same_base() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let table = Table::read(&write(dir.path(), "база.csv", SHEET.as_bytes())).unwrap();
    apply(&mut replica, &table, "база.csv");
    let mut exported = Vec::new();
    replica.export_csv(&ListFilter::default(), Language::Ru, &mut exported).unwrap();
    let table = Table::from_bytes("выгрузка.csv", &exported).unwrap();
    let mapping = ColumnMapping::guess(&table.headers);
    let guessed: Vec<Option<ImportField>> = mapping.columns.clone();
    assert_eq!(
        guessed[..4],
        [Some(ImportField::CensusId), Some(ImportField::Name), Some(ImportField::Category), Some(ImportField::Status)]
    );
    let preview = replica.preview_import(&table, &ImportOptions { mapping, ..options(&table) }).unwrap();
    assert_eq!(counts(&preview), [0, 0, 3, 0, 0], "{:?}", preview.rows);
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
        Err(ReplicaError::Import(message)) => {
            assert!(!message.ru.is_empty(), "said in Russian too: {message:?}");
            message.en
        }
        other => panic!("{} was not refused: {other:?}", path.display()),
    };
    assert_eq!(refused(write(dir.path(), "empty.csv", b"")), "the file is empty");
    assert_eq!(refused(write(dir.path(), "blank.csv", b"\n ; ;\n")), "the file is empty");
    assert!(
        refused(write(dir.path(), "photo.xlsx", &[0x89, b'P', b'N', b'G', 0, 1, 2, 3])).contains("not a spreadsheet")
    );
    assert!(refused(write(dir.path(), "binary.csv", &[0, 159, 146, 150, 0, 1])).contains("not a spreadsheet"));
    // A million rows: refused as soon as the rows one import takes are passed.
    let mut huge = String::from("name\n");
    for n in 0..1_000_000 {
        huge.push_str(&format!("Точка {n}\n"));
    }
    assert_eq!(
        refused(write(dir.path(), "huge.csv", huge.as_bytes())),
        format!(
            "the file has more than {MAX_IMPORT_ROWS} rows; one import takes at most {MAX_IMPORT_ROWS}, so split it into several files"
        )
    );
    // Just over the limit, counted to the end.
    let over: String = huge.lines().take(MAX_IMPORT_ROWS + 2).map(|line| format!("{line}\n")).collect();
    assert!(
        refused(write(dir.path(), "over.csv", over.as_bytes()))
            .starts_with(&format!("the file has {} rows", MAX_IMPORT_ROWS + 1))
    );

    // A file with no name column cannot be imported.
    let table = Table::read(&write(dir.path(), "phones.csv", "Телефон\n+7 900\n".as_bytes())).unwrap();
    match replica.preview_import(&table, &options(&table)) {
        Err(ReplicaError::Import(message)) => assert!(message.en.contains("name"), "{message:?}"),
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

#[test]
fn a_preview_an_import_and_an_export_stop_when_asked_keeping_only_whole_transactions() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let mut sheet = String::from("Название;Город\n");
    for n in 0..5_000 {
        sheet.push_str(&format!("Точка {n};Тверь\n"));
    }
    let table = Table::read(&write(dir.path(), "big.csv", sheet.as_bytes())).unwrap();

    // The preview is stopped as soon as it reports its first step, and writes nothing.
    let slot: std::sync::Arc<std::sync::OnceLock<Stopper>> = Default::default();
    let stop_at_once = slot.clone();
    replica.watch(Some(Box::new(move |_, _| stop_at_once.get().unwrap().stop())));
    slot.set(replica.stopper()).unwrap();
    assert!(matches!(replica.preview_import(&table, &options(&table)), Err(ReplicaError::Stopped)));
    // Watched afresh, the same replica previews to the end, reporting every row at last.
    let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let hearing = heard.clone();
    replica.watch(Some(Box::new(move |done, total| hearing.lock().unwrap().push((done, total)))));
    assert_eq!(counts(&replica.preview_import(&table, &options(&table)).unwrap()), [5_000, 0, 0, 0, 0]);
    assert_eq!(heard.lock().unwrap().last(), Some(&(5_000, 5_000)));

    // Applying stops between transactions: those committed stay, whole.
    let stopper = replica.stopper();
    let ctx = ctx(9, 1_000).with_source("import of big.csv");
    let stopped = replica.apply_import(&table, &options(&table), &ctx, &mut ids(), &mut |_, _| stopper.stop());
    assert!(matches!(stopped, Err(ReplicaError::Stopped)), "{stopped:?}");
    assert_eq!(replica.count(&ListFilter::default()).unwrap(), ROWS_PER_TRANSACTION as u64);
    let (stored, derived) = replica.projection_check().unwrap();
    assert_eq!(stored, derived, "what was written is whole");

    // An export stopped after its first thousand rows.
    replica.watch(None);
    replica.apply_import(&table, &options(&table), &ctx, &mut ids_from(10_000), &mut |_, _| {}).unwrap();
    let slot: std::sync::Arc<std::sync::OnceLock<Stopper>> = Default::default();
    let stop_after_first = slot.clone();
    replica.watch(Some(Box::new(move |done, _| {
        if done > 0 {
            stop_after_first.get().unwrap().stop()
        }
    })));
    slot.set(replica.stopper()).unwrap();
    let export = replica.export_csv(&ListFilter::default(), Language::En, std::io::sink());
    assert!(matches!(export, Err(ReplicaError::Stopped)), "{export:?}");
    replica.watch(None);
    assert_eq!(replica.export_csv(&ListFilter::default(), Language::En, std::io::sink()).unwrap(), 5_000);
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

#[test]
fn a_sheet_with_a_merged_title_merged_labels_and_formulas_reads_as_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let plain = rust_xlsxwriter::Format::new();
    sheet.merge_range(0, 0, 0, 3, "Клиенты на 1 мая 2026", &plain).unwrap();
    for (c, header) in ["Территория", "Название", "Телефон", "Итого"].into_iter().enumerate()
    {
        sheet.write_string(1, c as u16, header).unwrap();
    }
    // One territory label merged over the three rows of its prospects.
    sheet.merge_range(2, 0, 4, 0, "Тверь — Центр", &plain).unwrap();
    for (r, name) in ["Ромашка", "Колос", "Уют"].into_iter().enumerate() {
        sheet.write_string(r as u32 + 2, 1, name).unwrap();
    }
    use rust_xlsxwriter::Formula;
    sheet.write_formula(2, 2, Formula::new("=\"8 912 345-67-89\"").set_result("8 912 345-67-89")).unwrap();
    sheet.write_formula(3, 2, Formula::new("=1/0").set_result("#DIV/0!")).unwrap();
    // Written by a program that does not calculate: the formula is saved with no value.
    sheet.set_formula_result_default("");
    sheet.write_formula(4, 2, Formula::new("=B5&\"\"")).unwrap();
    // A broken formula in a column that is not imported does not hold its row back.
    sheet.write_formula(2, 3, Formula::new("=#REF!").set_result("#REF!")).unwrap();
    let path = dir.path().join("клиенты.xlsx");
    workbook.save(&path).unwrap();

    let table = Table::read(&path).unwrap();
    assert_eq!(table.headers, ["Территория", "Название", "Телефон", "Итого"], "the title above is not the header");
    assert_eq!(table.rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(), ["Тверь — Центр"; 3]);
    let options = ImportOptions { default_territory: None, ..options(&table) };
    assert_eq!(options.mapping.columns[3], None, "“Итого” is not imported");
    let preview = replica.preview_import(&table, &options).unwrap();
    assert_eq!(counts(&preview), [1, 0, 0, 0, 2]);
    let problems: Vec<(u32, String)> = preview
        .rows
        .iter()
        .filter_map(|r| match &r.outcome {
            RowOutcome::Invalid { problems } => Some((r.line, problems[0].en.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        problems,
        [
            (3, "The formula in column “Телефон” gives the error #DIV/0!".to_owned()),
            (
                4,
                "The formula in column “Телефон” was saved without its value: open the file in a spreadsheet program and save it"
                    .to_owned()
            ),
        ]
    );
    apply(&mut replica, &table, "клиенты.xlsx");
    let rows = replica.list(&ListFilter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].name.as_str(), rows[0].phones.as_str()), ("Ромашка", "8 912 345-67-89"));
    assert_eq!(rows[0].territory, territory().to_string(), "the merged label is each row's territory");
}

#[test]
fn a_saved_mapping_is_kept_and_maps_next_months_file() {
    let dir = tempfile::tempdir().unwrap();
    let replica = replica(&dir);
    let headers: Vec<String> = ["Клиент", "Сотовый", "Служебное"].map(String::from).into();
    let mut mapping = ColumnMapping::guess(&headers);
    mapping.columns[1] = Some(ImportField::Phone);
    replica.save_import_mapping(&SavedMapping::new("Выгрузка 1С", &headers, &mapping).unwrap()).unwrap();
    let other = ["Название", "Адрес"].map(String::from);
    replica.save_import_mapping(&SavedMapping::new("Адреса", &other, &ColumnMapping::guess(&other)).unwrap()).unwrap();
    drop(replica);

    let replica = Replica::open(&dir.path().join("r.census")).unwrap();
    let names: Vec<String> = replica.import_mappings().unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["Адреса", "Выгрузка 1С"]);
    let next_month: Vec<String> = ["Сотовый", "Клиент", "Адрес"].map(String::from).into();
    let best = replica.best_import_mapping(&next_month).unwrap().expect("a mapping fits");
    assert_eq!(best.name, "Выгрузка 1С", "the mapping that knows most of the columns");
    assert_eq!(
        best.mapping_for(&next_month).columns,
        [Some(ImportField::Phone), Some(ImportField::Name), Some(ImportField::Address)]
    );
    assert_eq!(replica.best_import_mapping(&["Широта".to_owned()]).unwrap(), None);

    // Saving under a name already taken replaces it; deleting forgets it.
    let again = SavedMapping::new("Адреса", &headers, &ColumnMapping::guess(&headers)).unwrap();
    replica.save_import_mapping(&again).unwrap();
    assert_eq!(replica.import_mapping("Адреса").unwrap(), again);
    replica.delete_import_mapping("Адреса").unwrap();
    match replica.import_mapping("Адреса") {
        Err(ReplicaError::Import(message)) => assert_eq!(message.en, "no column mapping is saved as \"Адреса\""),
        other => panic!("{other:?}"),
    }
    assert_eq!(replica.import_mappings().unwrap().len(), 1);
}

#[test]
fn answer_columns_are_recorded_as_a_visit_once_and_checked_against_the_questionnaire() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let sheet = "Название;Штат;Дата открытия\nРомашка;12;05.03.2024\nКолос;ноль;2024-13-01\n";
    let table = Table::read(&write(dir.path(), "анкеты.csv", sheet.as_bytes())).unwrap();
    let survey = survey();
    let mapping = ColumnMapping::guess_with(&table.headers, Some(&survey));
    assert_eq!(mapping.columns, [Some(ImportField::Name), Some(ImportField::Answer), Some(ImportField::Answer)]);

    let without = ImportOptions { mapping: mapping.clone(), ..options(&table) };
    match replica.preview_import(&table, &without) {
        Err(ReplicaError::Import(message)) => {
            assert_eq!(message.ru, "выберите анкету, на вопросы которой отвечают колонки")
        }
        other => panic!("{other:?}"),
    }
    let options = ImportOptions {
        mapping,
        questionnaire: Some(QuestionnaireRef { id: survey.id, version: survey.version }),
        ..options(&table)
    };
    let preview = replica.preview_import(&table, &options).unwrap();
    assert_eq!(counts(&preview), [1, 0, 0, 0, 1]);
    let RowOutcome::Invalid { problems } = &preview.rows[1].outcome else { panic!("{:?}", preview.rows[1]) };
    let problems: Vec<&str> = problems.iter().map(|p| p.en.as_str()).collect();
    assert_eq!(problems, ["“ноль” is not a whole number (Staff)", "“2024-13-01” is not a date (Opened on)"]);

    let ctx = ctx(9, 1_000).with_source("import of анкеты.csv by Мария");
    replica.apply_import(&table, &options, &ctx, &mut ids(), &mut |_, _| {}).unwrap();
    let found = replica.search("Ромашка", 1).unwrap();
    let visits = replica.prospect(found[0].id).unwrap().prospect.visits;
    let visit = visits.values().next().expect("the answers are a visit");
    assert_eq!(visit.questionnaire, QuestionnaireRef { id: survey.id, version: 3 });
    assert_eq!(visit.answers[&QuestionId::new("staff").unwrap()], Answer::Integer(12));
    assert_eq!(visit.answers[&QuestionId::new("opened").unwrap()], Answer::Date("2024-03-05".into()));
    assert_eq!(replica.list(&ListFilter::default()).unwrap()[0].visits, 1, "the list counts the visit");

    let again = replica.preview_import(&table, &options).unwrap();
    assert_eq!(counts(&again), [0, 0, 1, 0, 1], "the same answers again change nothing");
}

#[test]
fn a_previewed_plan_is_applied_as_it_is_unless_the_base_changed_since() {
    let sheet = "name,address,lat,lon\nМагазин Ромашка,\"ул. Ленина, 5, Тверь\",56.85,35.9\n";
    let ctx = ctx(9, 1_000).with_source("import of base.csv by Мария");

    // Nothing changed between the preview and applying it: the preview is what is done.
    let dir = tempfile::tempdir().unwrap();
    let mut quiet = replica(&dir);
    let table = Table::read(&write(dir.path(), "base.csv", sheet.as_bytes())).unwrap();
    let plan = quiet.plan_import(&table, &options(&table)).unwrap();
    assert_eq!(counts(&plan.preview), [1, 0, 0, 0, 0]);
    let done = quiet.apply_import_plan(&table, plan, &ctx, &mut ids(), &mut |_, _| {}).unwrap();
    assert_eq!(counts(&done), [1, 0, 0, 0, 0]);

    // The same shop is added on the device after the preview said "new": applying decides
    // again and finds it, rather than adding the shop twice.
    let dir = tempfile::tempdir().unwrap();
    let mut busy = replica(&dir);
    let table = Table::read(&write(dir.path(), "base.csv", sheet.replace("Магазин", "ООО").as_bytes())).unwrap();
    let plan = busy.plan_import(&table, &options(&table)).unwrap();
    assert_eq!(counts(&plan.preview), [1, 0, 0, 0, 0]);
    busy.create_prospect(ProspectId::from_bytes([1; 16]), &ctx, &new_prospect("Магазин Ромашка", 56.85, 35.9)).unwrap();
    let done = busy.apply_import_plan(&table, plan, &ctx, &mut ids_from(500), &mut |_, _| {}).unwrap();
    assert_eq!(counts(&done), [0, 0, 0, 1, 0]);
    assert_eq!(busy.count(&ListFilter::default()).unwrap(), 1, "not added twice");
}

/// An OpenDocument spreadsheet (as LibreOffice saves it) with one sheet of these rows; numbers
/// are written as numbers, the rest as text.
fn write_ods(path: &Path, rows: &[&[&str]]) {
    use std::io::Write;
    let mut cells = String::new();
    for row in rows {
        cells.push_str("<table:table-row>");
        for cell in *row {
            let text = cell.replace('&', "&amp;").replace('<', "&lt;");
            match cell.parse::<f64>() {
                Ok(number) => cells.push_str(&format!(
                    r#"<table:table-cell office:value-type="float" office:value="{number}"><text:p>{text}</text:p></table:table-cell>"#
                )),
                Err(_) => cells.push_str(&format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>"#
                )),
            }
        }
        cells.push_str("</table:table-row>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Клиенты">{cells}</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    zip.start_file("META-INF/manifest.xml", stored).unwrap();
    zip.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#,
    )
    .unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    zip.finish().unwrap();
}

#[test]
fn an_opendocument_spreadsheet_imports_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let path = dir.path().join("база.ods");
    write_ods(
        &path,
        &[
            &["Название", "Телефон", "Широта", "Долгота"],
            &["Ромашка", "8 912 345-67-89", "56.85", "35.9"],
            &["Колос", "", "56.86", "35.92"],
        ],
    );
    let table = Table::read(&path).unwrap();
    assert_eq!(table.headers, ["Название", "Телефон", "Широта", "Долгота"]);
    assert_eq!(counts(&replica.preview_import(&table, &options(&table)).unwrap()), [2, 0, 0, 0, 0]);
    apply(&mut replica, &table, "база.ods");
    let rows = replica.list(&ListFilter::default()).unwrap();
    assert_eq!(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Колос", "Ромашка"]);
    assert_eq!((rows[1].lat, rows[1].phones.as_str()), (Some(56.85), "8 912 345-67-89"));
    assert_eq!(counts(&replica.preview_import(&table, &options(&table)).unwrap()), [0, 0, 2, 0, 0]);
}

/// Writes `rows` as an Excel 97–2003 workbook: a BIFF8 "Workbook" stream (one sheet, its texts
/// as LABEL records in UTF-16, numbers as NUMBER records, `merged` as a MERGEDCELLS record) in
/// the compound file that holds it, as Excel saves an `.xls`.
fn write_xls(path: &Path, rows: &[&[&str]], merged: &[(u16, u16, u16, u16)]) {
    use std::io::Write;
    fn record(stream: &mut Vec<u8>, kind: u16, data: &[u8]) {
        stream.extend(kind.to_le_bytes());
        stream.extend(u16::try_from(data.len()).unwrap().to_le_bytes());
        stream.extend(data);
    }
    let utf16 = |text: &str| -> Vec<u8> { text.encode_utf16().flat_map(u16::to_le_bytes).collect() };
    const BOF: u16 = 0x0809;
    const EOF: u16 = 0x000A;
    let bof = |substream: u16| [0x0600u16.to_le_bytes(), substream.to_le_bytes(), [0; 2], [0; 2]].concat();

    // The sheet first, to know its length; the globals point at it.
    let mut sheet = Vec::new();
    record(&mut sheet, BOF, &[bof(0x0010), vec![0; 8]].concat());
    for (row, cells) in rows.iter().enumerate() {
        for (column, text) in cells.iter().enumerate().filter(|(_, text)| !text.is_empty()) {
            let at = [(row as u16).to_le_bytes(), (column as u16).to_le_bytes(), [0; 2]].concat();
            match text.parse::<f64>() {
                Ok(number) => record(&mut sheet, 0x0203, &[at, number.to_le_bytes().to_vec()].concat()),
                Err(_) => {
                    let length = (text.encode_utf16().count() as u16).to_le_bytes().to_vec();
                    record(&mut sheet, 0x0204, &[at, length, vec![1], utf16(text)].concat());
                }
            }
        }
    }
    let mut regions = (merged.len() as u16).to_le_bytes().to_vec();
    for (first_row, last_row, first_column, last_column) in merged {
        regions.extend([first_row, last_row, first_column, last_column].into_iter().flat_map(|n| n.to_le_bytes()));
    }
    record(&mut sheet, 0x00E5, &regions);
    record(&mut sheet, EOF, &[]);

    let name = "Клиенты";
    let mut globals = Vec::new();
    record(&mut globals, BOF, &[bof(0x0005), vec![0; 8]].concat());
    record(&mut globals, 0x0042, &1200u16.to_le_bytes());
    // BOUNDSHEET8 names the sheet and where its BOF is: right after the globals' EOF.
    let boundsheet_at = globals.len() + 4;
    let characters = name.encode_utf16().count() as u8;
    record(&mut globals, 0x0085, &[vec![0; 4], vec![0, 0, characters, 1], utf16(name)].concat());
    record(&mut globals, EOF, &[]);
    let sheet_at = (globals.len() as u32).to_le_bytes();
    globals[boundsheet_at..boundsheet_at + 4].copy_from_slice(&sheet_at);

    let mut file = cfb::create(path).unwrap();
    let mut stream = file.create_stream("/Workbook").unwrap();
    stream.write_all(&[globals, sheet].concat()).unwrap();
    drop(stream);
    file.flush().unwrap();
}

#[test]
fn an_excel_97_workbook_imports_like_any_other() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = replica(&dir);
    let path = dir.path().join("база.xls");
    // A title merged across the sheet, and a city merged down over the two shops in it.
    write_xls(
        &path,
        &[
            &["Клиенты на 1 декабря", "", "", "", ""],
            &["Название", "Город", "Телефон", "Широта", "Долгота"],
            &["Ромашка", "Тверь", "89123456789", "56.85", "35.9"],
            &["Колос", "", "", "56.86", "35.92"],
            &["Уют", "Торжок", "", "", ""],
        ],
        &[(0, 0, 0, 4), (2, 3, 1, 1)],
    );
    let table = Table::read(&path).unwrap();
    assert_eq!(table.headers, ["Название", "Город", "Телефон", "Широта", "Долгота"]);
    assert_eq!(table.rows.iter().map(|r| r[1].as_str()).collect::<Vec<_>>(), ["Тверь", "Тверь", "Торжок"]);
    assert_eq!(table.rows[0][2], "89123456789", "a phone typed as a number reads as it was typed");
    assert_eq!(counts(&replica.preview_import(&table, &options(&table)).unwrap()), [3, 0, 0, 0, 0]);
    apply(&mut replica, &table, "база.xls");
    let rows = replica.list(&ListFilter::default()).unwrap();
    assert_eq!(rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["Колос", "Ромашка", "Уют"]);
    assert_eq!((rows[1].lat, rows[1].phones.as_str()), (Some(56.85), "89123456789"));
    assert_eq!(counts(&replica.preview_import(&table, &options(&table)).unwrap()), [0, 0, 3, 0, 0]);
}

#[test]
fn spreadsheets_promising_more_than_they_hold_are_refused_before_they_are_read() {
    // One value in the first cell and one in the last: read as it is, the sheet would be every
    // cell between (seventeen billion).
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Название").unwrap();
    sheet.write_string(1_048_575, 16_383, "конец").unwrap();
    let refused = Table::from_bytes("far.xlsx", &book.save_to_buffer().unwrap()).unwrap_err().to_string();
    assert!(refused.contains("span 1048576 rows by 16384 columns"), "{refused}");

    // A workbook part that inflates past a gigabyte, sent as a few megabytes.
    let mut bomb = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    bomb.start_file("xl/worksheets/sheet1.xml", deflated).unwrap();
    let zeros = vec![0u8; 64 << 20];
    for _ in 0..17 {
        std::io::Write::write_all(&mut bomb, &zeros).unwrap();
    }
    let bomb = bomb.finish().unwrap().into_inner();
    assert!(bomb.len() < 4 << 20, "{} bytes", bomb.len());
    let refused = Table::from_bytes("bomb.xlsx", &bomb).unwrap_err().to_string();
    assert!(refused.contains("more than 1024 MB of data once unpacked"), "{refused}");

    // An OpenDocument sheet whose one filled cell is repeated across every column of a million rows.
    let content = r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Клиенты"><table:table-row><table:table-cell office:value-type="string"><text:p>Название</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="1000000"><table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#;
    let mut ods = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    ods.start_file("mimetype", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut ods, b"application/vnd.oasis.opendocument.spreadsheet").unwrap();
    ods.start_file("content.xml", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut ods, content.as_bytes()).unwrap();
    let ods = ods.finish().unwrap().into_inner();
    let refused = Table::from_bytes("repeated.ods", &ods).unwrap_err().to_string();
    assert!(refused.contains("span 1000001 rows by 16384 columns"), "{refused}");

    // A CSV line of five thousand columns, and a file over the size an import reads.
    let refused = Table::from_bytes("wide.csv", format!("name{}\n", ";".repeat(5_000)).as_bytes()).unwrap_err();
    assert!(refused.to_string().contains("5001 columns"), "{refused}");
    let refused = Table::from_bytes("huge.csv", &vec![b'a'; MAX_IMPORT_FILE_BYTES + 1]).unwrap_err();
    assert!(refused.to_string().contains("split it"), "{refused}");
}

/// A workbook the fuzzer made: a cell reference with more column letters than a u32 holds.
/// The reader's arithmetic wraps (as in a release build) and the result is judged like any
/// other: the sheet is refused in words, or read, and never brings the process down.
#[test]
fn a_cell_reference_too_long_to_count_is_judged_not_a_panic() {
    let crafted =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/xlsx_reader/overflowing-cell-reference");
    let bytes = std::fs::read(crafted).unwrap();
    match Table::from_bytes("crafted.xlsx", &bytes) {
        Ok(table) => assert!(table.rows.len() <= 8_000_000),
        Err(e) => assert!(e.to_string().contains("cannot be imported"), "{e}"),
    }
}
