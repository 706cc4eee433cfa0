//! Export of the projection for spreadsheets and maps: one row (or map feature) per prospect the
//! filter shows, with its Census id so an edited file can be imported back onto the same
//! prospects. CSV and GeoJSON are written as they are read; XLSX is written in constant memory.
//! The three formats share one set of columns ([`EXPORT_COLUMNS`]).
//!
//! Spreadsheets speak the person's language: headers, statuses and review states in words
//! (the import reads them back in either language), and a Russian CSV as a Russian spreadsheet
//! program writes one, semicolons between cells and a decimal comma. A GeoJSON file is read by
//! map programs, not people: its properties keep the stable names and values.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use census_core::{Language, ProspectRow, Timestamp};

use crate::error::ReplicaError;
use crate::queries::ListFilter;
use crate::replica::Replica;

/// The columns of every export. Names are stable: imports and scripts rely on them.
pub const EXPORT_COLUMNS: [&str; 16] = [
    "census_id",
    "name",
    "category",
    "status",
    "territory",
    "review_state",
    "has_conflicts",
    "address",
    "phones",
    "lat",
    "lon",
    "visits",
    "last_visit_at",
    "created_at",
    "updated_at",
    "territory_id",
];

/// The headers of [`EXPORT_COLUMNS`] in Russian, as a Russian spreadsheet names them.
const RUSSIAN_HEADERS: [&str; 16] = [
    "Идентификатор Census",
    "Название",
    "Категория",
    "Статус",
    "Территория",
    "Проверка",
    "Есть конфликты",
    "Адрес",
    "Телефоны",
    "Широта",
    "Долгота",
    "Визитов",
    "Последний визит",
    "Создана",
    "Изменена",
    "Идентификатор территории",
];

/// The headers of an export in `language`.
pub fn export_headers(language: Language) -> [&'static str; 16] {
    match language {
        Language::Ru => RUSSIAN_HEADERS,
        Language::En => EXPORT_COLUMNS,
    }
}

/// The sheet an XLSX export writes.
pub const XLSX_SHEET: &str = "Prospects";

fn failed(e: &dyn std::fmt::Display) -> ReplicaError {
    ReplicaError::Export(e.to_string())
}

impl Replica {
    /// Writes every prospect `filter` shows (all pages) as CSV in UTF-8 with a byte-order mark,
    /// which spreadsheet programs need to read Cyrillic correctly, in `language`. Returns the
    /// number of rows.
    pub fn export_csv<W: Write>(&self, filter: &ListFilter, language: Language, out: W) -> Result<u64, ReplicaError> {
        let mut out = out;
        out.write_all("\u{feff}".as_bytes()).map_err(|e| failed(&e))?;
        let delimiter = match language {
            Language::Ru => b';',
            Language::En => b',',
        };
        let mut csv = csv::WriterBuilder::new().delimiter(delimiter).from_writer(out);
        csv.write_record(export_headers(language)).map_err(|e| failed(&e))?;
        let count = self.for_each_export_row(filter, language, |_, mut cells| {
            if language == Language::Ru {
                for column in [LAT, LON] {
                    cells[column] = cells[column].replace('.', ",");
                }
            }
            csv.write_record(cells).map_err(|e| failed(&e))
        })?;
        csv.flush().map_err(|e| failed(&e))?;
        Ok(count)
    }

    /// Writes the prospects `filter` shows as a GeoJSON FeatureCollection: a point feature for
    /// each prospect with a position (the columns as its properties). Returns the number of
    /// features; prospects with no position are left out.
    pub fn export_geojson<W: Write>(&self, filter: &ListFilter, out: W) -> Result<u64, ReplicaError> {
        let mut out = std::io::BufWriter::new(out);
        out.write_all(br#"{"type":"FeatureCollection","features":["#).map_err(|e| failed(&e))?;
        let mut written = 0u64;
        self.for_each_export_row(filter, Language::En, |row, mut cells| {
            let (Some(lat), Some(lon)) = (row.lat, row.lon) else { return Ok(()) };
            // Map programs read the stable names of a status and a review state.
            cells[STATUS] = row.status.as_str().to_owned();
            cells[REVIEW] = row.review_state.map(|r| r.as_str().to_owned()).unwrap_or_default();
            cells[CONFLICTS] = if row.has_conflicts { "yes" } else { "no" }.to_owned();
            let (lat, lon) =
                (coordinate(lat).parse::<f64>().unwrap_or(lat), coordinate(lon).parse::<f64>().unwrap_or(lon));
            let properties: serde_json::Map<String, serde_json::Value> =
                EXPORT_COLUMNS.iter().zip(cells).map(|(k, v)| ((*k).to_owned(), v.into())).collect();
            let feature = serde_json::json!({
                "type": "Feature",
                "geometry": { "type": "Point", "coordinates": [lon, lat] },
                "properties": properties,
            });
            if written > 0 {
                out.write_all(b",").map_err(|e| failed(&e))?;
            }
            serde_json::to_writer(&mut out, &feature).map_err(|e| failed(&e))?;
            written += 1;
            Ok(())
        })?;
        out.write_all(b"]}").map_err(|e| failed(&e))?;
        out.flush().map_err(|e| failed(&e))?;
        Ok(written)
    }

    /// Writes the prospects `filter` shows as an Excel workbook at `path`, one sheet
    /// ([`XLSX_SHEET`]) with a header row in `language`; numbers (position, visits) are stored as
    /// numbers, which the spreadsheet shows as its language writes them. Returns the number of rows.
    pub fn export_xlsx(&self, filter: &ListFilter, language: Language, path: &Path) -> Result<u64, ReplicaError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory().map_err(|e| failed(&e))?;
        sheet.set_name(XLSX_SHEET).map_err(|e| failed(&e))?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (column, name) in export_headers(language).iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, *name, &bold).map_err(|e| failed(&e))?;
        }
        let numeric = ["lat", "lon", "visits"];
        let mut line = 0u32;
        let count = self.for_each_export_row(filter, language, |_, cells| {
            line += 1;
            for (column, (name, cell)) in EXPORT_COLUMNS.iter().zip(cells).enumerate() {
                let column = column as u16;
                match cell.parse::<f64>() {
                    Ok(number) if numeric.contains(name) => sheet.write_number(line, column, number),
                    _ if cell.is_empty() => continue,
                    _ => sheet.write_string(line, column, cell.as_str()),
                }
                .map_err(|e| failed(&e))?;
            }
            Ok(())
        })?;
        workbook.save(path).map_err(|e| failed(&e))?;
        Ok(count)
    }

    /// Runs `each` on every prospect the filter shows with its export cells in `language`;
    /// returns the count.
    fn for_each_export_row(
        &self,
        filter: &ListFilter,
        language: Language,
        mut each: impl FnMut(&ProspectRow, Vec<String>) -> Result<(), ReplicaError>,
    ) -> Result<u64, ReplicaError> {
        let (yes, no) = match language {
            Language::Ru => ("да", "нет"),
            Language::En => ("yes", "no"),
        };
        let territory_names: HashMap<String, String> =
            self.territories()?.into_iter().map(|t| (t.id.to_string(), t.name)).collect();
        let time = |t: Option<Timestamp>| t.map(|t| t.to_utc_string()).unwrap_or_default();
        let total = self.count(filter)? as usize;
        let mut count = 0;
        self.step(0, total)?;
        self.for_each_row(filter, |row| {
            let cells = vec![
                row.id.to_string(),
                row.name.clone(),
                row.category.clone(),
                row.status.label().get(language).to_owned(),
                territory_names.get(&row.territory).cloned().unwrap_or_default(),
                row.review_state.map(|r| r.label().get(language).to_owned()).unwrap_or_default(),
                if row.has_conflicts { yes } else { no }.to_owned(),
                row.address.clone(),
                row.phones.clone(),
                row.lat.map(coordinate).unwrap_or_default(),
                row.lon.map(coordinate).unwrap_or_default(),
                row.visits.to_string(),
                time(row.last_visit_at),
                time(Some(row.created_at)),
                time(Some(row.updated_at)),
                row.territory.clone(),
            ];
            each(&row, cells)?;
            count += 1;
            if count % 1_000 == 0 {
                self.step(count as usize, total)?;
            }
            Ok(())
        })?;
        Ok(count)
    }
}

/// Where cells are in a row of [`EXPORT_COLUMNS`].
const STATUS: usize = 3;
const REVIEW: usize = 5;
const CONFLICTS: usize = 6;
const LAT: usize = 9;
const LON: usize = 10;

/// A coordinate as people write it: six decimals at most (about 10 cm), no trailing zeros.
/// Positions come from sums and GPS readings, and printed whole they read 56.851600000000005.
fn coordinate(degrees: f64) -> String {
    let fixed = format!("{degrees:.6}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" { "0".to_owned() } else { trimmed.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::coordinate;

    #[test]
    fn coordinates_are_written_as_people_write_them() {
        assert_eq!(coordinate(56.851600000000005), "56.8516");
        assert_eq!(coordinate(35.9), "35.9");
        assert_eq!(coordinate(-0.0000001), "0");
        assert_eq!(coordinate(-33.123456789), "-33.123457");
        assert_eq!(coordinate(10.0), "10");
    }
}
