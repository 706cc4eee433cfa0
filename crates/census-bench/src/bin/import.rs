//! Importing a spreadsheet client base at scale: writes an XLSX of `--rows` rows (100,000 by
//! default) with Russian headers, as a company's old base would have, then previews and applies
//! it into an empty replica, then imports the same file again (every row found, nothing
//! changed). The last line is JSON.

use std::time::Instant;

use census_bench::base::{TERRITORIES, id_bytes, new_prospect};
use census_bench::{option, round2};
use census_core::*;
use census_replica::{ImportOptions, ImportPreview, Replica, Table};

const HEADERS: [&str; 9] =
    ["Название", "Категория", "Статус", "Адрес", "Телефон", "Широта", "Долгота", "Метки", "Заметки"];

fn main() -> Result<(), String> {
    let rows: usize = option("--rows", 100_000)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("база клиентов.xlsx");
    println!("census-bench import: {rows} rows, in {}", dir.path().display());

    let started = Instant::now();
    write_sheet(&file, rows)?;
    let write_s = started.elapsed().as_secs_f64();

    let fail = |e: census_replica::ReplicaError| e.to_string();
    let mut replica =
        Replica::create(&dir.path().join("import.census"), DeviceId::from_bytes([1; 16])).map_err(fail)?;
    let territories: Vec<Territory> = (0..TERRITORIES)
        .map(|n| Territory {
            id: TerritoryId::from_bytes(id_bytes(3, n)),
            name: format!("Территория {n}"),
            planned_prospects: None,
            agents: vec![],
            boundary: vec![],
        })
        .collect();
    let default_territory = Some(territories[0].id);
    replica.cache_directory(&Directory { people: vec![], territories, questionnaires: vec![] }).map_err(fail)?;
    let ctx = EditContext::new(UserId::from_bytes([9; 16]), Timestamp::from_unix_millis(1_795_800_000_000))
        .with_source("import of база клиентов.xlsx by the benchmark");
    let mut counter = 0u64;
    let mut new_id = || {
        counter += 1;
        let mut id = [6u8; 16];
        id[8..].copy_from_slice(&counter.to_be_bytes());
        id
    };

    let started = Instant::now();
    let table = Table::read(&file).map_err(fail)?;
    let options = ImportOptions {
        mapping: ColumnMapping::guess(&table.headers),
        questionnaire: None,
        threshold: 0.6,
        default_territory,
    };
    let plan = replica.plan_import(&table, &options).map_err(fail)?;
    let preview_s = started.elapsed().as_secs_f64();
    expect(&plan.preview, rows as u32, 0, "the first preview")?;

    // Applied as previewed, as the app does.
    let started = Instant::now();
    let applied = replica.apply_import_plan(&table, plan, &ctx, &mut new_id, &mut |_, _| {}).map_err(fail)?;
    let apply_s = started.elapsed().as_secs_f64();
    expect(&applied, rows as u32, 0, "the import")?;

    let started = Instant::now();
    let table = Table::read(&file).map_err(fail)?;
    let again = replica.apply_import(&table, &options, &ctx, &mut new_id, &mut |_, _| {}).map_err(fail)?;
    let reimport_s = started.elapsed().as_secs_f64();
    expect(&again, 0, rows as u32, "the second import")?;

    println!(
        "{}",
        serde_json::json!({
            "bench": "import",
            "rows": rows,
            "write_xlsx_s": round2(write_s),
            "preview_s": round2(preview_s),
            "apply_s": round2(apply_s),
            "preview_and_apply_s": round2(preview_s + apply_s),
            "reimport_s": round2(reimport_s),
        })
    );
    Ok(())
}

/// Checks that an import found `new` new rows and `unchanged` unchanged ones, and nothing else.
fn expect(found: &ImportPreview, new: u32, unchanged: u32, what: &str) -> Result<(), String> {
    let counts = [found.new, found.updated, found.unchanged, found.likely_duplicates, found.invalid];
    if counts != [new, 0, unchanged, 0, 0] {
        let example = found.rows.iter().find(|r| {
            !matches!(r.outcome, census_replica::RowOutcome::New | census_replica::RowOutcome::Unchanged { .. })
        });
        return Err(format!(
            "{what} found {counts:?} (new, updated, unchanged, duplicates, invalid); e.g. {example:?}"
        ));
    }
    Ok(())
}

fn write_sheet(path: &std::path::Path, rows: usize) -> Result<(), String> {
    let failed = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(failed)?;
    for (column, header) in HEADERS.iter().enumerate() {
        sheet.write_string(0, column as u16, *header).map_err(failed)?;
    }
    for n in 0..rows {
        let prospect = new_prospect(n);
        let location = prospect.location.ok_or("the synthetic base has positions")?;
        let row = n as u32 + 1;
        sheet.write_string(row, 0, format!("{} {}", prospect.name, n)).map_err(failed)?;
        sheet.write_string(row, 1, &prospect.category).map_err(failed)?;
        sheet.write_string(row, 2, prospect.status.label().ru).map_err(failed)?;
        sheet.write_string(row, 3, prospect.address.one_line()).map_err(failed)?;
        sheet
            .write_string(
                row,
                4,
                format!("+7 9{:02} {:03}-{:02}-{:02}", n % 100, n / 10_000 % 1000, n / 100 % 100, n % 97),
            )
            .map_err(failed)?;
        sheet.write_number(row, 5, location.lat).map_err(failed)?;
        sheet.write_number(row, 6, location.lon).map_err(failed)?;
        sheet.write_string(row, 7, if n % 5 == 0 { "сеть" } else { "" }).map_err(failed)?;
        sheet.write_string(row, 8, if n % 7 == 0 { "Вход со двора" } else { "" }).map_err(failed)?;
    }
    workbook.save(path).map_err(failed)
}
