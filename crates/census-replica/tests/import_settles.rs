//! The import keeps every value a file gives, and settles: random spreadsheets, built from random
//! subsets of the columns the import understands (every prospect field and address part,
//! contacts, tags, answers; empty cells; Cyrillic and Latin text; a few ways of writing numbers,
//! dates and statuses), written as CSV files a Russian office saves and read back. Each is
//! imported into a fresh replica and into one that already holds some of its prospects; then
//! every value of the file is in the base, and importing it again changes nothing.
//!
//! `CENSUS_IMPORT_CASES` sets the number of cases (2000 by default).

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::Path;

use census_core::import::{field_name, read_date, read_number};
use census_core::*;
use census_replica::*;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};

mod common;
use common::*;

const WORDS: [&str; 32] = [
    "Ромашка",
    "Колос",
    "Берёзка",
    "Аптека",
    "Продукты",
    "Уют",
    "Заря",
    "Радуга",
    "Ивушка",
    "Смак",
    "Родник",
    "Север",
    "Alpha",
    "Bravo",
    "Corner",
    "Daily",
    "Fresh",
    "Green",
    "Harbor",
    "Lucky",
    "Maple",
    "North",
    "Orchid",
    "Pine",
    "Лавка",
    "Мельница",
    "Огонёк",
    "Пекарня",
    "Сокол",
    "Терем",
    "Фиалка",
    "Янтарь",
];

/// A column of the sheet: the field it holds, and for answers the question.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    Field(ImportField),
    Answer(&'static str),
}

/// A random sheet: its columns and its rows of cells.
#[derive(Debug)]
struct Sheet {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

fn pick<'a>(rng: &mut StdRng, words: &[&'a str]) -> &'a str {
    words.choose(rng).unwrap()
}

fn sheet(rng: &mut StdRng) -> Sheet {
    use ImportField::*;
    let mut columns = vec![Column::Field(Name)];
    for field in [Category, Status, Territory, ContactName, ContactRole, Phone, Email, Tags, Notes] {
        if rng.random_bool(0.5) {
            columns.push(Column::Field(field));
        }
    }
    // The address on one line, in parts, or both.
    match rng.random_range(0..4) {
        0 => {}
        1 => columns.push(Column::Field(Address)),
        // With parts, a one-line address column stands for the street and house.
        mode => {
            let line = if mode == 3 { Address } else { AddressLine };
            for part in [line, City, Region, Postcode, Country] {
                if rng.random_bool(0.6) {
                    columns.push(Column::Field(part));
                }
            }
        }
    }
    if rng.random_bool(0.5) {
        columns.extend([Column::Field(Lat), Column::Field(Lon)]);
    }
    for question in ["staff", "opened"] {
        if rng.random_bool(0.4) {
            columns.push(Column::Answer(question));
        }
    }
    columns.shuffle(rng);

    let count = rng.random_range(1..=6);
    let mut first_words: Vec<&str> = WORDS.to_vec();
    first_words.shuffle(rng);
    let rows = (0..count)
        .map(|n| {
            let mut cells: Vec<String> = columns.iter().map(|column| cell(rng, *column, first_words[n], n)).collect();
            // A position needs both halves: both are given or neither.
            let lat = columns.iter().position(|c| *c == Column::Field(Lat));
            let lon = columns.iter().position(|c| *c == Column::Field(Lon));
            if let (Some(lat), Some(lon)) = (lat, lon)
                && (cells[lat].is_empty() || cells[lon].is_empty())
            {
                cells[lat].clear();
                cells[lon].clear();
            }
            cells
        })
        .collect();
    Sheet { columns, rows }
}

fn cell(rng: &mut StdRng, column: Column, first_word: &str, n: usize) -> String {
    use ImportField::*;
    if column != Column::Field(Name) && rng.random_bool(0.2) {
        return String::new();
    }
    let word = |rng: &mut StdRng| pick(rng, &WORDS).to_owned();
    let number = |rng: &mut StdRng, decimals: bool| -> String {
        let value: f64 = rng.random_range(-80.0..80.0);
        let text = format!("{value:.5}");
        if decimals && rng.random_bool(0.5) { text.replace('.', ",") } else { text }
    };
    match column {
        Column::Field(Name) => format!("{first_word} {} {}", word(rng), 100 + n * 37 + rng.random_range(0..30)),
        Column::Field(Category) => pick(rng, &["продукты", "аптека", "kiosk", "Супермаркет", "cafe"]).to_owned(),
        Column::Field(Status) => {
            let status = *census_core::Status::ALL.choose(rng).unwrap();
            match rng.random_range(0..3) {
                0 => status.as_str().to_owned(),
                1 => status.label().ru,
                _ => status.label().en,
            }
        }
        Column::Field(Territory) => {
            if rng.random_bool(0.5) {
                TERRITORY_NAME.to_owned()
            } else {
                TERRITORY_NAME.to_lowercase()
            }
        }
        Column::Field(Address) => format!("ул. {}, {}", word(rng), rng.random_range(1..200)),
        Column::Field(AddressLine) => format!("пр. {}, д. {}", word(rng), rng.random_range(1..90)),
        Column::Field(City) => pick(rng, &["Тверь", "Torzhok", "Ржев", "Kimry"]).to_owned(),
        Column::Field(Region) => pick(rng, &["Тверская обл.", "Tver Oblast"]).to_owned(),
        Column::Field(Postcode) => format!("{}", rng.random_range(170_000..172_999)),
        Column::Field(Country) => pick(rng, &["Россия", "Russia"]).to_owned(),
        Column::Field(Lat) | Column::Field(Lon) => number(rng, true),
        Column::Field(ContactName) => format!("{} {}", pick(rng, &["Ольга", "Ivan", "Пётр", "Maria"]), word(rng)),
        Column::Field(ContactRole) => pick(rng, &["владелец", "manager", "продавец"]).to_owned(),
        Column::Field(Phone) => {
            let phone = |rng: &mut StdRng| {
                format!(
                    "+7 9{:02} {:03}-{:02}-{:02}",
                    rng.random_range(0..100),
                    rng.random_range(0..1000),
                    rng.random_range(0..100),
                    rng.random_range(0..100)
                )
            };
            match rng.random_range(0..5) {
                0 => format!("{}, {}", phone(rng), phone(rng)),
                1 => "звонить в офис".to_owned(),
                _ => phone(rng),
            }
        }
        Column::Field(Email) => format!("{}@example.ru", word(rng).to_lowercase()),
        Column::Field(Tags) => {
            let count = rng.random_range(1..=3);
            let tags: Vec<String> = (0..count)
                .map(|_| if rng.random_bool(0.2) { format!("сеть  {}", word(rng)) } else { word(rng) })
                .collect();
            tags.join(if rng.random_bool(0.5) { ", " } else { "; " })
        }
        Column::Field(Notes) => {
            let lines: Vec<String> =
                (0..rng.random_range(1..=2)).map(|_| format!("{} {} рядом", word(rng), word(rng))).collect();
            lines.join("\n")
        }
        Column::Answer("staff") => rng.random_range(1..500).to_string(),
        Column::Answer(_) => {
            let (y, m, d) = (rng.random_range(1995..2026), rng.random_range(1..=12), rng.random_range(1..=28));
            if rng.random_bool(0.5) { format!("{y}-{m:02}-{d:02}") } else { format!("{d:02}.{m:02}.{y}") }
        }
        Column::Field(_) => String::new(),
    }
}

/// The sheet as a CSV file: semicolons, in UTF-8 or Windows-1251, as Russian offices save them.
fn write_csv(sheet: &Sheet, rows: &[usize], path: &Path, windows_1251: bool) {
    let headers: Vec<String> = sheet
        .columns
        .iter()
        .map(|column| match column {
            Column::Field(field) => field_name(*field).ru,
            Column::Answer("staff") => "Штат".to_owned(),
            Column::Answer(_) => "Дата открытия".to_owned(),
        })
        .collect();
    let mut writer = csv::WriterBuilder::new().delimiter(b';').from_writer(Vec::new());
    writer.write_record(&headers).unwrap();
    for row in rows {
        writer.write_record(&sheet.rows[*row]).unwrap();
    }
    let text = String::from_utf8(writer.into_inner().unwrap()).unwrap();
    let bytes = if windows_1251 { encoding_rs::WINDOWS_1251.encode(&text).0.into_owned() } else { text.into_bytes() };
    std::fs::write(path, bytes).unwrap();
}

fn options(sheet: &Sheet) -> ImportOptions {
    let mapping = ColumnMapping {
        columns: sheet
            .columns
            .iter()
            .map(|c| {
                Some(match c {
                    Column::Field(field) => *field,
                    Column::Answer(_) => ImportField::Answer,
                })
            })
            .collect(),
        questions: sheet
            .columns
            .iter()
            .map(|c| match c {
                Column::Answer(question) => Some(QuestionId::new(*question).unwrap()),
                Column::Field(_) => None,
            })
            .collect(),
    };
    let survey = survey();
    ImportOptions {
        mapping,
        questionnaire: Some(QuestionnaireRef { id: survey.id, version: survey.version }),
        threshold: 0.6,
        default_territory: Some(territory()),
    }
}

fn import(replica: &mut Replica, table: &Table, sheet: &Sheet, rng: &mut StdRng) -> ImportPreview {
    let ctx = ctx(MANAGER, 1_000).with_source("import of база.csv");
    let mut ids = || rng.random::<[u8; 16]>();
    replica.apply_import(table, &options(sheet), &ctx, &mut ids, &mut |_, _| {}).unwrap()
}

fn counts(p: &ImportPreview) -> [u32; 5] {
    [p.new, p.updated, p.unchanged, p.likely_duplicates, p.invalid]
}

/// Every value of every row of the sheet is in the base.
fn every_value_is_in(replica: &Replica, sheet: &Sheet) {
    let listed = replica.list(&ListFilter { limit: 100, ..ListFilter::default() }).unwrap();
    for cells in &sheet.rows {
        let value = |field: ImportField| {
            let at = sheet.columns.iter().position(|c| *c == Column::Field(field))?;
            Some(cells[at].trim()).filter(|v| !v.is_empty())
        };
        let name = value(ImportField::Name).unwrap();
        let row = listed.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no prospect named {name}"));
        let p = replica.prospect(row.id).unwrap().prospect;
        let context = |what: &str| format!("{what} of {name}: {p:#?}");
        if let Some(category) = value(ImportField::Category) {
            assert_eq!(p.category, category, "{}", context("category"));
        }
        if let Some(status) = value(ImportField::Status) {
            let label = p.status.label();
            assert!(
                [p.status.as_str().to_owned(), label.ru, label.en].contains(&status.to_owned()),
                "{}",
                context("status")
            );
        }
        let parts = [
            (ImportField::AddressLine, &p.address.line),
            (ImportField::City, &p.address.city),
            (ImportField::Region, &p.address.region),
            (ImportField::Postcode, &p.address.postcode),
            (ImportField::Country, &p.address.country),
        ];
        for (field, stored) in parts {
            if let Some(part) = value(field) {
                assert_eq!(stored, part, "{}", context("address part"));
            }
        }
        if let Some(address) = value(ImportField::Address) {
            assert!(p.address.one_line().contains(address), "{}", context("address"));
        }
        if let (Some(lat), Some(lon)) = (value(ImportField::Lat), value(ImportField::Lon)) {
            let wanted = (read_number(lat).unwrap(), read_number(lon).unwrap());
            let at = p.location.map(|l| (l.lat, l.lon)).unwrap();
            assert!((at.0 - wanted.0).abs() < 1e-7 && (at.1 - wanted.1).abs() < 1e-7, "{}", context("position"));
        }
        let contacts: Vec<&Contact> = p.contacts.values().collect();
        for phone in value(ImportField::Phone)
            .map(|v| v.split([',', ';']).map(str::trim).collect::<Vec<_>>())
            .unwrap_or_default()
        {
            assert!(contacts.iter().any(|c| c.phone == phone), "{}", context("phone"));
        }
        for (field, of) in [
            (ImportField::ContactName, (|c: &Contact| c.name.clone()) as fn(&Contact) -> String),
            (ImportField::ContactRole, |c: &Contact| c.role.clone()),
            (ImportField::Email, |c: &Contact| c.email.clone()),
        ] {
            if let Some(wanted) = value(field) {
                assert!(contacts.iter().any(|c| of(c) == wanted), "{}", context(field.key()));
            }
        }
        for tag in
            value(ImportField::Tags).map(|v| v.split([',', ';']).map(str::trim).collect::<Vec<_>>()).unwrap_or_default()
        {
            let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(p.tags.contains(&tag), "{}", context("tags"));
        }
        if let Some(notes) = value(ImportField::Notes) {
            assert!(p.notes.contains(notes), "{}", context("notes"));
        }
        let answered = |question: &'static str| {
            let at = sheet.columns.iter().position(|c| *c == Column::Answer(question))?;
            Some(cells[at].trim()).filter(|v| !v.is_empty())
        };
        let latest = p.visits.values().max_by_key(|v| v.at);
        if let Some(staff) = answered("staff") {
            let answer = latest.and_then(|v| v.answers.get(&QuestionId::new("staff").unwrap()));
            assert_eq!(answer, Some(&Answer::Integer(staff.parse().unwrap())), "{}", context("staff"));
        }
        if let Some(opened) = answered("opened") {
            let answer = latest.and_then(|v| v.answers.get(&QuestionId::new("opened").unwrap()));
            assert_eq!(answer, Some(&Answer::Date(read_date(opened).unwrap())), "{}", context("opened"));
        }
    }
}

/// Imports the sheet into `replica`; then every value is there, and importing again changes
/// nothing and writes nothing.
fn imports_and_settles(replica: &mut Replica, sheet: &Sheet, path: &Path, rng: &mut StdRng) {
    let table = Table::read(path).unwrap();
    assert_eq!(table.rows.len(), sheet.rows.len(), "{table:?}");
    let first = import(replica, &table, sheet, rng);
    assert_eq!(first.invalid, 0, "{:?}", first.rows);
    every_value_is_in(replica, sheet);
    let written = replica.outbox_len().unwrap();
    let again = replica.preview_import(&table, &options(sheet)).unwrap();
    assert_eq!(counts(&again), [0, 0, sheet.rows.len() as u32, 0, 0], "{:#?}", again.rows);
    import(replica, &table, sheet, rng);
    assert_eq!(replica.outbox_len().unwrap(), written, "the second import wrote nothing");
}

fn run(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let sheet = sheet(&mut rng);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("база.csv");
    let every_row: Vec<usize> = (0..sheet.rows.len()).collect();
    write_csv(&sheet, &every_row, &file, rng.random_bool(0.5));

    // Into a fresh replica.
    let mut fresh = replica_for_imports(&dir.path().join("fresh.census"));
    imports_and_settles(&mut fresh, &sheet, &file, &mut rng);

    // Into one that holds some of its prospects already, imported from part of the file.
    let mut holding = replica_for_imports(&dir.path().join("holding.census"));
    let some: Vec<usize> = every_row.iter().copied().filter(|_| rng.random_bool(0.5)).collect();
    if !some.is_empty() {
        let part = dir.path().join("часть.csv");
        write_csv(&sheet, &some, &part, false);
        let table = Table::read(&part).unwrap();
        import(&mut holding, &table, &sheet, &mut rng);
    }
    imports_and_settles(&mut holding, &sheet, &file, &mut rng);
}

fn cases() -> u32 {
    std::env::var("CENSUS_IMPORT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn an_import_keeps_every_value_and_importing_again_changes_nothing(seed in any::<u64>()) {
        run(seed);
    }
}
