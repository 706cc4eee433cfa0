//! How much of a spreadsheet an import will read, checked before the reader allocates it.
//!
//! A spreadsheet comes from anywhere (mailed in, downloaded, made by a script), and its bytes
//! promise more than they hold: an XLSX or ODS file is a zip whose parts can inflate a
//! thousandfold, a sheet with one value in its first cell and one in its last makes the reader
//! allocate every cell between them (seventeen billion for XLSX), and an ODS cell can be repeated
//! across a million rows by a count. So the file's size, what its zip parts inflate to, and the
//! cells a sheet spans are each bounded, and a file past a bound is refused in words before it is
//! read further.

use std::io::Read;

use census_core::Localized;

use crate::error::ReplicaError;

/// The largest file an import reads.
pub const MAX_IMPORT_FILE_BYTES: usize = 256 << 20;
/// The most the parts of a zipped workbook (XLSX, ODS) may inflate to, all together.
pub const MAX_WORKBOOK_INFLATED_BYTES: u64 = 1 << 30;
/// The most cells an import reads: the rows one import takes, 32 columns wide (a sheet's cells
/// span the rectangle from its first filled cell to its last).
pub const MAX_IMPORT_CELLS: u64 = 8_000_000;
/// The most columns a CSV line may have (counted by its separators before the line is split).
pub const MAX_IMPORT_COLUMNS: usize = 1_000;

fn refused(ru: String, en: String) -> ReplicaError {
    ReplicaError::Import(Localized::new(ru, en))
}

pub(crate) fn check_file_size(len: usize) -> Result<(), ReplicaError> {
    if len > MAX_IMPORT_FILE_BYTES {
        let (mib, most) = (len >> 20, MAX_IMPORT_FILE_BYTES >> 20);
        return Err(refused(
            format!("файл занимает {mib} МБ, а Census импортирует файлы не больше {most} МБ: разделите его"),
            format!("the file takes {mib} MB and Census imports files of at most {most} MB: split it"),
        ));
    }
    Ok(())
}

/// Inflates every part of a zipped workbook into nothing, stopping past
/// [`MAX_WORKBOOK_INFLATED_BYTES`] in all. Bytes that are not a zip are left to the reader.
pub(crate) fn check_zip_inflation(bytes: &[u8]) -> Result<(), ReplicaError> {
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else { return Ok(()) };
    let mut left = MAX_WORKBOOK_INFLATED_BYTES;
    for index in 0..archive.len() {
        let Ok(part) = archive.by_index(index) else { continue };
        let inflated = std::io::copy(&mut part.take(left + 1), &mut std::io::sink()).unwrap_or(0);
        if inflated > left {
            let most = MAX_WORKBOOK_INFLATED_BYTES >> 20;
            return Err(refused(
                format!("внутри файла больше {most} МБ данных: Census не читает таких таблиц"),
                format!("the file holds more than {most} MB of data once unpacked: Census does not read such sheets"),
            ));
        }
        left -= inflated;
    }
    Ok(())
}

/// The rectangle of cells a sheet spans, grown one cell at a time.
#[derive(Debug, Default)]
pub(crate) struct Span {
    corners: Option<((u32, u32), (u32, u32))>,
}

impl Span {
    pub(crate) fn add(&mut self, (row, column): (u32, u32)) {
        self.corners = Some(match self.corners {
            None => ((row, column), (row, column)),
            Some(((top, left), (bottom, right))) => {
                ((top.min(row), left.min(column)), (bottom.max(row), right.max(column)))
            }
        });
    }

    fn cells(&self) -> u64 {
        self.corners
            .map_or(0, |((top, left), (bottom, right))| (u64::from(bottom - top) + 1) * (u64::from(right - left) + 1))
    }

    /// Refuses a sheet spanning more than [`MAX_IMPORT_CELLS`].
    pub(crate) fn check(&self) -> Result<(), ReplicaError> {
        let Some(((top, left), (bottom, right))) = self.corners else { return Ok(()) };
        if self.cells() > MAX_IMPORT_CELLS {
            let (rows, columns) = (bottom - top + 1, right - left + 1);
            return Err(refused(
                format!(
                    "заполненные ячейки листа занимают {rows} строк на {columns} столбцов, а Census читает не \
                     больше {MAX_IMPORT_CELLS} ячеек: удалите лишнее или разделите лист"
                ),
                format!(
                    "the sheet's filled cells span {rows} rows by {columns} columns, and Census reads at most \
                     {MAX_IMPORT_CELLS} cells: delete what is not needed or split the sheet"
                ),
            ));
        }
        Ok(())
    }
}

/// Reads an OpenDocument spreadsheet's `content.xml` once without keeping it, to refuse a sheet
/// whose filled cells span more than an import reads. ODS repeats a row or a cell by a count
/// (`number-rows-repeated`, `number-columns-repeated`), so a few bytes can claim a sheet of
/// millions of filled cells, which the reader would build. Bytes that are not an ODS are left
/// to the reader.
pub(crate) fn check_ods_span(bytes: &[u8]) -> Result<(), ReplicaError> {
    use quick_xml::events::{BytesStart, Event};
    let Ok(mut archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else { return Ok(()) };
    let Ok(content) = archive.by_name("content.xml") else { return Ok(()) };
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content.take(MAX_WORKBOOK_INFLATED_BYTES)));
    let repeats = |tag: &BytesStart<'_>, name: &str| -> u32 {
        tag.try_get_attribute(name).ok().flatten().and_then(|a| a.value.trim().parse::<u32>().ok()).unwrap_or(1).max(1)
    };
    let (mut span, mut row, mut row_repeats, mut column) = (Span::default(), 0u32, 1u32, 0u32);
    let mut buffer = Vec::new();
    loop {
        let (tag, empty) = match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(tag)) => (tag, false),
            Ok(Event::Empty(tag)) => (tag, true),
            Ok(Event::End(tag)) if tag.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(row_repeats);
                buffer.clear();
                continue;
            }
            Ok(Event::End(tag)) if tag.name().as_ref() == "table:table" => {
                span.check()?;
                (span, row) = (Span::default(), 0);
                buffer.clear();
                continue;
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {
                buffer.clear();
                continue;
            }
        };
        match tag.name().as_ref() {
            "table:table-row" => {
                (row_repeats, column) = (repeats(&tag, "table:number-rows-repeated"), 0);
                if empty {
                    row = row.saturating_add(row_repeats);
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let columns = repeats(&tag, "table:number-columns-repeated");
                // A cell with a value, or with text inside it, is filled.
                let filled = !empty || tag.try_get_attribute("office:value-type").ok().flatten().is_some();
                if filled {
                    span.add((row, column));
                    span.add((row.saturating_add(row_repeats - 1), column.saturating_add(columns - 1)));
                }
                column = column.saturating_add(columns);
            }
            _ => {}
        }
        buffer.clear();
    }
    span.check()
}

/// Refuses a CSV text with a line of more than [`MAX_IMPORT_COLUMNS`] columns before it is split:
/// split, each column costs a few words of memory, whatever its width.
pub(crate) fn check_csv_columns(text: &str, delimiter: u8) -> Result<(), ReplicaError> {
    let widest = text.lines().map(|line| line.bytes().filter(|b| *b == delimiter).count() + 1).max().unwrap_or(0);
    if widest > MAX_IMPORT_COLUMNS {
        return Err(refused(
            format!("в строке файла {widest} столбцов, а Census читает не больше {MAX_IMPORT_COLUMNS}"),
            format!("a line of the file has {widest} columns, and Census reads at most {MAX_IMPORT_COLUMNS}"),
        ));
    }
    Ok(())
}

/// Counts the cells of a CSV file as they are read.
pub(crate) fn check_cells_read(cells: u64) -> Result<(), ReplicaError> {
    if cells > MAX_IMPORT_CELLS {
        return Err(refused(
            format!("в файле больше {MAX_IMPORT_CELLS} ячеек: Census не читает таких таблиц, разделите его"),
            format!("the file has more than {MAX_IMPORT_CELLS} cells: Census does not read such sheets, split it"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    #[test]
    fn a_sheet_spanning_too_many_cells_is_refused() {
        let mut span = Span::default();
        span.add((0, 0));
        span.add((9, 3));
        assert_eq!(span.cells(), 40);
        span.check().unwrap();
        span.add((1_048_575, 16_383));
        let refused = span.check().unwrap_err().to_string();
        assert!(refused.contains("1048576 rows by 16384 columns"), "{refused}");
    }
}
