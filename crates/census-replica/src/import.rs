//! Importing a spreadsheet client base: XLSX, XLS, ODS (through calamine) and CSV (any of the
//! usual delimiters, in any encoding `text_encoding` knows) are read into a [`Table`]; a preview
//! says, row by row, what applying would do (new, updated with the exact field changes,
//! unchanged, a likely duplicate of a prospect already here, or invalid with the reasons);
//! nothing is written until the import is applied. Applying writes ordinary Automerge changes,
//! marked as coming from the import, in transactions of [`ROWS_PER_TRANSACTION`] rows: an
//! interrupted import leaves a consistent replica, and running it again finds the rows already
//! written (by id, or by the duplicate scoring) unchanged.

use std::collections::HashMap;
use std::path::Path;

use census_core::{
    ColumnMapping, DeviceId, DuplicateProbe, EditContext, FieldChange, ImportRow, LocalChange, Localized, MatchIndex,
    NewProspect, Projection, ProspectDoc, ProspectId, QuestionnaireRef, RowContext, TerritoryId, Timestamp,
};
use serde::{Deserialize, Serialize};

use crate::documents::{document_exists, insert_snapshot, read_stored};
use crate::error::ReplicaError;
use crate::outbox::queue_for_push;
use crate::parallel::in_parallel;
use crate::projection::ProjectionBatch;
use crate::replica::{Replica, edit_in};
use crate::spreadsheet_bounds;
use crate::text_encoding::{self, NotText};

/// Most rows one file may have; a larger base is imported in several files.
pub const MAX_IMPORT_ROWS: usize = 250_000;
/// Rows written per transaction when applying.
pub const ROWS_PER_TRANSACTION: usize = 500;

/// A file's first sheet as text: its header row and the rows under it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Cells that do not hold what the spreadsheet shows (a formula that gives an error, or one
    /// never calculated), by index in `rows`: a row is refused for those in imported columns.
    pub bad_cells: HashMap<usize, Vec<BadCell>>,
}

/// A cell that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BadCell {
    pub column: usize,
    pub problem: Localized,
}

/// Why a cell of a workbook cannot be taken as it is.
enum CellTrouble {
    /// A formula whose value is an error such as `#DIV/0!`.
    FormulaError(String),
    /// A formula saved without its value (written by a program that does not calculate).
    NotCalculated,
}

impl CellTrouble {
    /// The trouble in words, for the column called `column`.
    fn in_words(self, column: &str) -> Localized {
        match self {
            CellTrouble::FormulaError(error) => Localized::new(
                format!("В колонке «{column}» формула даёт ошибку {error}"),
                format!("The formula in column “{column}” gives the error {error}"),
            ),
            CellTrouble::NotCalculated => Localized::new(
                format!("В колонке «{column}» формула без значения: откройте файл в табличной программе и сохраните"),
                format!(
                    "The formula in column “{column}” was saved without its value: \
                     open the file in a spreadsheet program and save it"
                ),
            ),
        }
    }
}

/// Rows of cells as text, with the cells in trouble by (row, column).
type Cells = (Vec<Vec<String>>, Vec<(usize, usize, CellTrouble)>);

/// Rows above the header worth looking through: a title, a date, a blank line.
const ROWS_BEFORE_HEADER: usize = 10;

impl Table {
    /// Reads a spreadsheet or CSV file, by its extension.
    pub fn read(path: &Path) -> Result<Table, ReplicaError> {
        if let Ok(metadata) = std::fs::metadata(path) {
            spreadsheet_bounds::check_file_size(usize::try_from(metadata.len()).unwrap_or(usize::MAX))?;
        }
        let bytes = std::fs::read(path).map_err(|e| {
            ReplicaError::Import(Localized::new(
                format!("файл не читается: {e}"),
                format!("the file cannot be read: {e}"),
            ))
        })?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Table::from_bytes(&name, &bytes)
    }

    /// Reads the bytes of a spreadsheet or CSV file called `name` (its extension says which).
    pub fn from_bytes(name: &str, bytes: &[u8]) -> Result<Table, ReplicaError> {
        spreadsheet_bounds::check_file_size(bytes.len())?;
        let extension = name.rsplit_once('.').map(|(_, e)| e.to_lowercase()).unwrap_or_default();
        let cells = match extension.as_str() {
            "csv" | "txt" | "tsv" => (read_csv(bytes)?, Vec::new()),
            _ => read_workbook(bytes)?,
        };
        Table::from_cells(cells)
    }

    fn from_cells((cells, troubles): Cells) -> Result<Table, ReplicaError> {
        let filled = |row: &Vec<String>| row.iter().filter(|c| !c.trim().is_empty()).count();
        // A title above the header (often merged across the sheet), a date or a blank line is
        // not the header: the header is the first row naming two columns or more, if one of the
        // first rows does.
        let distinct = |row: &Vec<String>| {
            let mut texts: Vec<&str> = row.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).collect();
            texts.sort_unstable();
            texts.dedup();
            texts.len()
        };
        let mut candidates = cells.iter().enumerate().filter(|(_, row)| filled(row) > 0).take(ROWS_BEFORE_HEADER);
        let Some((first, _)) = candidates.clone().next() else {
            return Err(ReplicaError::Import(Localized::new("файл пуст", "the file is empty")));
        };
        let header_at = candidates.find(|(_, row)| distinct(row) > 1).map_or(first, |(at, _)| at);
        let headers: Vec<String> = cells[header_at].iter().map(|h| h.trim().to_owned()).collect();
        let mut troubles_by_row: HashMap<usize, Vec<(usize, CellTrouble)>> = HashMap::new();
        for (row, column, trouble) in troubles {
            troubles_by_row.entry(row).or_default().push((column, trouble));
        }
        let mut rows = Vec::new();
        let mut bad_cells = HashMap::new();
        for (at, row) in cells.into_iter().enumerate().skip(header_at + 1) {
            if filled(&row) == 0 {
                continue;
            }
            if let Some(troubles) = troubles_by_row.remove(&at) {
                let column_name = |column: usize| {
                    headers.get(column).filter(|h| !h.is_empty()).cloned().unwrap_or_else(|| column_letters(column))
                };
                let problems = troubles
                    .into_iter()
                    .map(|(column, trouble)| BadCell { column, problem: trouble.in_words(&column_name(column)) });
                bad_cells.insert(rows.len(), problems.collect());
            }
            rows.push(row);
        }
        if rows.len() > MAX_IMPORT_ROWS {
            return Err(too_many_rows(Some(rows.len())));
        }
        Ok(Table { headers, rows, bad_cells })
    }
}

/// The rows with anything in them a file may hold: the rows one import takes, the header, and
/// the rows above it that are looked through. A file known to have more is refused before it
/// is read any further.
const MOST_FILLED_ROWS: usize = MAX_IMPORT_ROWS + 1 + ROWS_BEFORE_HEADER;

/// The refusal of a file with too many rows (`rows` when it was read to its end).
fn too_many_rows(rows: Option<usize>) -> ReplicaError {
    let (ru, en) = match rows {
        Some(rows) => (format!("строк в файле: {rows}"), format!("the file has {rows} rows")),
        None => (
            format!("в файле больше {MAX_IMPORT_ROWS} строк"),
            format!("the file has more than {MAX_IMPORT_ROWS} rows"),
        ),
    };
    ReplicaError::Import(Localized::new(
        format!("{ru}, а за один импорт — не больше {MAX_IMPORT_ROWS}: разделите его на несколько файлов"),
        format!("{en}; one import takes at most {MAX_IMPORT_ROWS}, so split it into several files"),
    ))
}

/// A column's letters as spreadsheets name it: 0 is A, 26 is AA.
fn column_letters(column: usize) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

fn not_a_spreadsheet() -> Localized {
    Localized::new(
        "это не таблица, которую Census может прочитать (XLSX, XLS, ODS или CSV)",
        "this file is not a spreadsheet Census can read (XLSX, XLS, ODS or CSV)",
    )
}

fn read_workbook(bytes: &[u8]) -> Result<Cells, ReplicaError> {
    use calamine::{Data, Reader, Sheets};
    let not_a_sheet = |e: calamine::Error| {
        let not = not_a_spreadsheet();
        ReplicaError::Import(Localized::new(format!("{} ({e})", not.ru), format!("{}: {e}", not.en)))
    };
    spreadsheet_bounds::check_zip_inflation(bytes)?;
    spreadsheet_bounds::check_ods_span(bytes)?;
    let mut workbook = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(not_a_sheet)?;
    let first = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| ReplicaError::Import(Localized::new("в файле нет листов", "the file has no sheet")))?;
    if let Sheets::Xlsx(xlsx) = &mut workbook {
        check_xlsx_span(xlsx, &first).map_err(|e| match e {
            SpanTrouble::Unreadable(e) => not_a_sheet(e.into()),
            SpanTrouble::TooLarge(refused) => refused,
        })?;
    }
    let range = workbook.worksheet_range(&first).map_err(not_a_sheet)?;
    let filled = range.rows().filter(|row| row.iter().any(|cell| !matches!(cell, Data::Empty))).count();
    if filled > MOST_FILLED_ROWS {
        return Err(too_many_rows(None));
    }
    let (top, left) = range.start().unwrap_or((0, 0));
    let mut troubles = Vec::new();
    let mut cells: Vec<Vec<String>> = range
        .rows()
        .enumerate()
        .map(|(r, row)| {
            row.iter()
                .enumerate()
                .map(|(c, cell)| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.clone(),
                    // Whole numbers as they were typed: a phone or a house number, not "5.0".
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                    Data::Float(f) => f.to_string(),
                    Data::Int(i) => i.to_string(),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(d) => excel_date(d.as_f64()),
                    Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
                    Data::Error(e) => {
                        troubles.push((r, c, CellTrouble::FormulaError(e.to_string())));
                        String::new()
                    }
                })
                .collect()
        })
        .collect();
    // A formula saved without its value reads as an empty cell: say so rather than import nothing.
    if let Ok(formulas) = workbook.worksheet_formula(&first) {
        let (formula_top, formula_left) = formulas.start().unwrap_or((0, 0));
        for (r, c, _) in formulas.used_cells() {
            let at = (formula_top + r as u32, formula_left + c as u32);
            let empty = match range.get_value(at) {
                None | Some(Data::Empty) => true,
                Some(Data::String(text)) => text.is_empty(),
                Some(_) => false,
            };
            if empty && at.0 >= top && at.1 >= left {
                troubles.push(((at.0 - top) as usize, (at.1 - left) as usize, CellTrouble::NotCalculated));
            }
        }
    }
    // A merged cell holds its value in its first cell only; every row it spans shows that value.
    let merged = match &mut workbook {
        Sheets::Xlsx(xlsx) => xlsx.merge_cells_by_sheet_name(&first).unwrap_or_default(),
        Sheets::Xls(xls) => xls.merge_cells_by_sheet_name(&first).unwrap_or_default(),
        Sheets::Xlsb(_) | Sheets::Ods(_) => Vec::new(),
    };
    // Filled down, not across: a label merged over several rows belongs to each of them, while
    // a cell merged across columns is one value, not a value for each column.
    for region in merged {
        let (Some(first_row), Some(column)) = (region.start.0.checked_sub(top), region.start.1.checked_sub(left))
        else {
            continue;
        };
        let (first_row, column) = (first_row as usize, column as usize);
        let Some(value) = cells.get(first_row).and_then(|row| row.get(column)).cloned() else { continue };
        let last_row = (region.end.0 - top) as usize;
        for row in cells.iter_mut().take(last_row + 1).skip(first_row + 1) {
            if let Some(cell) = row.get_mut(column) {
                cell.clone_from(&value);
            }
        }
    }
    Ok((cells, troubles))
}

enum SpanTrouble {
    Unreadable(calamine::XlsxError),
    TooLarge(ReplicaError),
}

/// Reads an XLSX sheet's cells and formulas once without keeping them, to refuse a sheet whose
/// filled cells span more than an import reads before the reader allocates that span.
fn check_xlsx_span<R: std::io::Read + std::io::Seek>(
    xlsx: &mut calamine::Xlsx<R>,
    sheet: &str,
) -> Result<(), SpanTrouble> {
    for formulas in [false, true] {
        let mut span = spreadsheet_bounds::Span::default();
        let mut cells = match xlsx.worksheet_cells_reader(sheet) {
            Ok(cells) => cells,
            Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(()),
            Err(e) => return Err(SpanTrouble::Unreadable(e)),
        };
        if formulas {
            while let Some(cell) = cells.next_formula().map_err(SpanTrouble::Unreadable)? {
                if !cell.get_value().is_empty() {
                    span.add(cell.get_position());
                }
            }
        } else {
            while let Some(cell) = cells.next_cell().map_err(SpanTrouble::Unreadable)? {
                if !matches!(cell.get_value(), calamine::DataRef::Empty) {
                    span.add(cell.get_position());
                }
            }
        }
        span.check().map_err(SpanTrouble::TooLarge)?;
    }
    Ok(())
}

/// A spreadsheet date (days since 1899-12-30) as `YYYY-MM-DD`, with the time when it has one.
fn excel_date(serial: f64) -> String {
    let millis = ((serial - 25_569.0) * 86_400_000.0).round() as i64;
    let text = Timestamp::from_unix_millis(millis).to_utc_string();
    text.strip_suffix(" 00:00:00").map(str::to_owned).unwrap_or(text)
}

/// CSV in UTF-8, UTF-16 or a Cyrillic single-byte encoding (see `text_encoding`); the delimiter
/// is the one of `;`, `,` and tab that the header line uses most. Reading stops as soon as the
/// file is known to hold more rows than one import takes.
fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ReplicaError> {
    let text = text_encoding::decode_text(bytes).map_err(|trouble| {
        ReplicaError::Import(match trouble {
            NotText::Binary => not_a_spreadsheet(),
            NotText::UnknownEncoding => Localized::new(
                "текст файла в кодировке, которую Census не знает (он читает UTF-8, UTF-16, Windows-1251, \
                 KOI8-R и DOS 866): сохраните его в табличной программе как «CSV UTF-8» и импортируйте тот файл",
                "the file's text is in an encoding Census does not know (it reads UTF-8, UTF-16, Windows-1251, \
                 KOI8-R and DOS 866): save it from the spreadsheet program as “CSV UTF-8” and import that",
            ),
        })
    })?;
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let delimiter =
        [b';', b',', b'\t'].into_iter().max_by_key(|d| header.bytes().filter(|b| b == d).count()).unwrap_or(b',');
    spreadsheet_bounds::check_csv_columns(&text, delimiter)?;
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut cells = Vec::new();
    let (mut filled, mut read) = (0, 0);
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            ReplicaError::Import(Localized::new(
                format!("строка {} файла не читается: {e}", line + 1),
                format!("line {} of the file cannot be read: {e}", line + 1),
            ))
        })?;
        // Empty lines and empty cells count too: a file of nothing but separators is cells.
        read += record.len().max(1) as u64;
        spreadsheet_bounds::check_cells_read(read)?;
        if record.iter().any(|cell| !cell.trim().is_empty()) {
            filled += 1;
            if filled > MOST_FILLED_ROWS {
                return Err(too_many_rows(None));
            }
        }
        cells.push(record.iter().map(str::to_owned).collect());
    }
    Ok(cells)
}

/// How a file is imported.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportOptions {
    pub mapping: ColumnMapping,
    /// The questionnaire the answer columns answer (needed when the mapping has any).
    #[serde(default)]
    pub questionnaire: Option<QuestionnaireRef>,
    /// A row without a Census id is taken for an existing prospect when the duplicate scoring
    /// of the two reaches this (0 to 1).
    pub threshold: f64,
    /// Where new prospects go when a row names no territory.
    pub default_territory: Option<TerritoryId>,
}

/// What applying a row would do.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RowOutcome {
    New,
    /// A prospect named by its Census id, and what changes in it.
    Updated {
        prospect: ProspectId,
        changes: Vec<FieldChange>,
    },
    Unchanged {
        prospect: ProspectId,
    },
    /// A prospect already here that the row most likely is (no id in the row), with the score.
    LikelyDuplicate {
        prospect: ProspectId,
        score: f64,
        changes: Vec<FieldChange>,
    },
    Invalid {
        problems: Vec<Localized>,
    },
}

/// One row of the preview; `line` is its line in the file (the header is line 1).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RowPreview {
    pub line: u32,
    pub name: String,
    #[serde(flatten)]
    pub outcome: RowOutcome,
}

/// What an import would do, before anything is written.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ImportPreview {
    pub new: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub likely_duplicates: u32,
    pub invalid: u32,
    pub rows: Vec<RowPreview>,
}

impl ImportPreview {
    fn count(&mut self, outcome: &RowOutcome) {
        match outcome {
            RowOutcome::New => self.new += 1,
            RowOutcome::Updated { .. } => self.updated += 1,
            RowOutcome::Unchanged { .. } => self.unchanged += 1,
            RowOutcome::LikelyDuplicate { .. } => self.likely_duplicates += 1,
            RowOutcome::Invalid { .. } => self.invalid += 1,
        }
    }
}

/// What importing a table would do, row by row, as decided against the replica as it was: the
/// preview shows it, and applying it takes it as it is unless the base has changed since (a
/// sync, an edit), when applying decides again.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    pub preview: ImportPreview,
    rows: Vec<ImportRow>,
    options: ImportOptions,
    decided_on: BaseVersion,
}

impl ImportPlan {
    /// The options the plan was made with.
    pub fn options(&self) -> &ImportOptions {
        &self.options
    }
}

/// Changes whenever the base does, on any connection: a prospect added (the documents), an edit
/// on this device (the outbox), changes received (the change log and the feed cursors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BaseVersion {
    documents: i64,
    last_change: i64,
    last_edit: i64,
    received: i64,
}

impl Replica {
    /// What importing `table` would do; writes nothing.
    pub fn preview_import(&self, table: &Table, options: &ImportOptions) -> Result<ImportPreview, ReplicaError> {
        Ok(self.plan_import(table, options)?.preview)
    }

    fn base_version(&self) -> Result<BaseVersion, ReplicaError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM documents), \
             coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'document_changes'), 0), \
             coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), \
             (SELECT coalesce(sum(cursor), 0) FROM scope_cursors)",
            [],
            |r| {
                Ok(BaseVersion {
                    documents: r.get(0)?,
                    last_change: r.get(1)?,
                    last_edit: r.get(2)?,
                    received: r.get(3)?,
                })
            },
        )?)
    }

    /// Decides what importing `table` would do; writes nothing. Its preview is what
    /// [`Replica::preview_import`] answers; [`Replica::apply_import_plan`] applies it.
    pub fn plan_import(&self, table: &Table, options: &ImportOptions) -> Result<ImportPlan, ReplicaError> {
        let decided_on = self.base_version()?;
        options.mapping.check().map_err(ReplicaError::Import)?;
        let territories = self.territories()?;
        let questionnaire = match options.questionnaire {
            Some(wanted) => Some(self.questionnaire(wanted.id, Some(wanted.version))?),
            None if options.mapping.has_answers() => {
                return Err(ReplicaError::Import(Localized::new(
                    "выберите анкету, на вопросы которой отвечают колонки",
                    "choose the questionnaire that the answer columns answer",
                )));
            }
            None => None,
        };
        let context = RowContext {
            territories: &territories,
            default_territory: options.default_territory,
            questionnaire: questionnaire.as_ref(),
        };
        let (ids, probes) = self.match_probes()?;
        let by_id: HashMap<ProspectId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let index = MatchIndex::new(&probes);
        // Every row is read and checked first, in order (an id twice is found by the second).
        let mut read_rows = Vec::with_capacity(table.rows.len());
        let mut problems_of = Vec::with_capacity(table.rows.len());
        let mut first_line_of: HashMap<ProspectId, u32> = HashMap::new();
        let total = table.rows.len();
        for (n, cells) in table.rows.iter().enumerate() {
            if n % DECIDED_TOGETHER == 0 {
                self.keep_going()?;
            }
            let (row, mut problems) = ImportRow::read(cells, &options.mapping, &context);
            let imported = |cell: &&BadCell| options.mapping.columns.get(cell.column).is_some_and(Option::is_some);
            problems.extend(table.bad_cells.get(&n).into_iter().flatten().filter(imported).map(|c| c.problem.clone()));
            if let Some(id) = row.id
                && let Some(first) = first_line_of.insert(id, line_of(n))
            {
                problems.push(Localized::new(
                    format!("Этот идентификатор уже был в строке {first}"),
                    format!("This id was already on line {first}"),
                ));
            }
            read_rows.push(row);
            problems_of.push(problems);
        }
        // Then the valid rows are decided a block at a time: matched on every core, the documents
        // of the prospects they match read from the file in order, and compared with them on
        // every core (loading those documents is most of what a second import of a file takes).
        let valid: Vec<usize> = (0..read_rows.len()).filter(|&n| problems_of[n].is_empty()).collect();
        let mut outcomes: Vec<Option<RowOutcome>> = vec![None; read_rows.len()];
        self.step(total - valid.len(), total)?;
        for (decided, block) in valid.chunks(DECIDED_TOGETHER).enumerate() {
            let matches = in_parallel(block, |&n| match read_rows[n].id {
                Some(_) => None,
                None => index.best_match(&read_rows[n].probe(), options.threshold),
            });
            let mut known = Vec::new();
            for (&n, matched) in block.iter().zip(matches) {
                let existing = match read_rows[n].id {
                    Some(id) if by_id.contains_key(&id) || document_exists(&self.conn, id)? => Some((id, None)),
                    Some(_) => None,
                    None => matched.map(|(i, score)| (ids[i], Some(score))),
                };
                match existing {
                    Some((prospect, score)) => {
                        let stored =
                            read_stored(&self.conn, prospect)?.ok_or(ReplicaError::UnknownProspect(prospect))?;
                        known.push((n, prospect, score, stored));
                    }
                    None => outcomes[n] = new_prospect_outcome(&read_rows[n], options, &mut problems_of[n]),
                }
            }
            let device = self.device;
            let compared = in_parallel(&known, |(n, prospect, _, stored)| {
                ProspectDoc::load(*prospect, &stored.bytes, device).map(|doc| read_rows[*n].changes(&doc.read()))
            });
            for ((n, prospect, score, _), changes) in known.into_iter().zip(compared) {
                let changes = changes?;
                outcomes[n] = Some(match (score, changes.is_empty()) {
                    (_, true) => RowOutcome::Unchanged { prospect },
                    (None, false) => RowOutcome::Updated { prospect, changes },
                    (Some(score), false) => RowOutcome::LikelyDuplicate { prospect, score, changes },
                });
            }
            self.step(total - valid.len() + ((decided + 1) * DECIDED_TOGETHER).min(valid.len()), total)?;
        }
        let mut preview = ImportPreview::default();
        for (n, ((row, problems), outcome)) in read_rows.iter().zip(problems_of).zip(outcomes).enumerate() {
            let outcome = outcome.unwrap_or(RowOutcome::Invalid { problems });
            preview.count(&outcome);
            preview.rows.push(RowPreview { line: line_of(n), name: row.name.clone().unwrap_or_default(), outcome });
        }
        Ok(ImportPlan { preview, rows: read_rows, options: options.clone(), decided_on })
    }

    /// Every prospect on the device (merged and deleted ones aside) as the duplicate scoring
    /// sees it.
    fn match_probes(&self) -> Result<(Vec<ProspectId>, Vec<DuplicateProbe>), ReplicaError> {
        let mut statement = self.conn.prepare(
            "SELECT id, name, address, phones, lat, lon FROM prospects WHERE deleted = 0 AND merged_into IS NULL",
        )?;
        let mut ids = Vec::new();
        let mut probes = Vec::new();
        let mut query = statement.query([])?;
        while let Some(r) = query.next()? {
            let id = <[u8; 16]>::try_from(r.get::<_, Vec<u8>>(0)?)
                .map(ProspectId::from_bytes)
                .map_err(|_| ReplicaError::Corrupt("a prospect's id is damaged".into()))?;
            ids.push(id);
            probes.push(crate::duplicates::probe_of(
                r.get(1)?,
                r.get(2)?,
                &r.get::<_, String>(3)?,
                r.get(4)?,
                r.get(5)?,
            ));
        }
        Ok((ids, probes))
    }

    /// Applies the import: new prospects created, matched ones changed, invalid rows left out.
    /// `new_id` draws the ids of new prospects and contacts. Returns what was done, as the
    /// preview said; `progress` hears how many rows are done.
    pub fn apply_import(
        &mut self,
        table: &Table,
        options: &ImportOptions,
        ctx: &EditContext,
        new_id: &mut dyn FnMut() -> [u8; 16],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportPreview, ReplicaError> {
        let plan = self.plan_import(table, options)?;
        self.apply_import_plan(table, plan, ctx, new_id, progress)
    }

    /// Applies a plan made for `table` (see [`Replica::apply_import`]); when the base has
    /// changed since the plan was made, the rows are decided again first.
    pub fn apply_import_plan(
        &mut self,
        table: &Table,
        plan: ImportPlan,
        ctx: &EditContext,
        new_id: &mut dyn FnMut() -> [u8; 16],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportPreview, ReplicaError> {
        let plan = if plan.decided_on == self.base_version()? && plan.rows.len() == table.rows.len() {
            plan
        } else {
            self.plan_import(table, &plan.options)?
        };
        let ImportPlan { preview, rows, options, .. } = plan;
        let options = &options;
        let total = rows.len();
        let work: Vec<(&RowPreview, &ImportRow)> = preview.rows.iter().zip(&rows).collect();
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunks: Vec<&[(&RowPreview, &ImportRow)]> = work.chunks(ROWS_PER_TRANSACTION).collect();
        let mut jobs_by_chunk: Vec<Vec<NewJob<'_>>> = Vec::with_capacity(chunks.len());
        for chunk in &chunks {
            let mut jobs = Vec::new();
            for (decided, row) in chunk.iter() {
                if let (RowOutcome::New, Some(new)) =
                    (&decided.outcome, row.new_prospect(options.default_territory, ctx.at))
                {
                    let id = row.id.unwrap_or_else(|| ProspectId::from_bytes(new_id()));
                    // One contact per phone, or one for a person with none, and a visit for answers.
                    let ids = (0..row.phones.len() + 2).map(|_| new_id()).collect();
                    jobs.push(NewJob { row, id, new, ids });
                }
            }
            jobs_by_chunk.push(jobs);
        }
        let device = self.device;
        // New prospects are built off the database on every core, a transaction's worth ahead of
        // the one being written, and stored in order.
        std::thread::scope(|scope| {
            let (ready, built_chunks) = std::sync::mpsc::sync_channel(1);
            scope.spawn(move || {
                for jobs in jobs_by_chunk {
                    if ready.send(build_in_parallel(jobs, device, ctx, workers)).is_err() {
                        return;
                    }
                }
            });
            for (done, chunk) in chunks.iter().enumerate() {
                self.keep_going()?;
                let built = built_chunks
                    .recv()
                    .map_err(|_| ReplicaError::Storage("building imported prospects stopped".into()))??;
                let mut built = built.into_iter();
                let tx = self.conn.transaction()?;
                let mut projections = ProjectionBatch::default();
                for (decided, row) in chunk.iter() {
                    match &decided.outcome {
                        RowOutcome::New => {
                            let Some(prospect) = built.next() else { continue };
                            insert_snapshot(&tx, prospect.id, &prospect.snapshot)?;
                            queue_for_push(&tx, prospect.id, prospect.territory, &prospect.change)?;
                            projections.add(&tx, &prospect.projection)?;
                        }
                        RowOutcome::Updated { prospect, .. } | RowOutcome::LikelyDuplicate { prospect, .. } => {
                            edit_in(&tx, device, *prospect, ctx, |p| p.import_row(row, ctx.at, &mut *new_id))?;
                        }
                        RowOutcome::Unchanged { .. } | RowOutcome::Invalid { .. } => {}
                    }
                }
                projections.finish(&tx)?;
                tx.commit()?;
                progress(((done + 1) * ROWS_PER_TRANSACTION).min(total), total);
            }
            Ok::<(), ReplicaError>(())
        })?;
        Ok(preview)
    }
}

/// A new prospect to build from a row, with the ids it will take.
struct NewJob<'a> {
    row: &'a ImportRow,
    id: ProspectId,
    new: NewProspect,
    /// The ids its contacts and visit take.
    ids: Vec<[u8; 16]>,
}

/// A new prospect built in memory, ready to store: its first change holds the whole row.
struct Built {
    id: ProspectId,
    territory: TerritoryId,
    snapshot: Vec<u8>,
    change: LocalChange,
    projection: Projection,
}

fn build(job: NewJob<'_>, device: DeviceId, ctx: &EditContext) -> Result<Built, ReplicaError> {
    let mut ids = job.ids.into_iter();
    let mut new_id = || ids.next().unwrap_or([0; 16]);
    let created = ProspectDoc::as_created(job.id, ctx, &job.new);
    let (mut doc, change) = ProspectDoc::create_with(job.id, device, ctx, &job.new, |p| {
        p.import_row_onto(job.row, ctx.at, &mut new_id, &created)
    })?;
    let prospect = doc.read();
    Ok(Built {
        id: job.id,
        territory: job.new.territory,
        snapshot: doc.save(),
        change,
        projection: doc.projection(&prospect),
    })
}

/// Rows decided together: matched and compared on every core, a block's documents in memory at
/// once.
const DECIDED_TOGETHER: usize = 2_000;

/// A row's line in the file: the header is line 1.
fn line_of(row: usize) -> u32 {
    row as u32 + 2
}

/// What a valid row that is no prospect here does: adds one, if it says enough to make one;
/// otherwise `None`, with why in `problems`.
fn new_prospect_outcome(row: &ImportRow, options: &ImportOptions, problems: &mut Vec<Localized>) -> Option<RowOutcome> {
    if row.new_prospect(options.default_territory, Timestamp::from_unix_millis(0)).is_some() {
        return Some(RowOutcome::New);
    }
    problems.push(if row.name.is_none() {
        Localized::new("Для новой точки нужно название", "A new prospect needs a name")
    } else {
        Localized::new(
            "Для новой точки нужна территория: в строке или по умолчанию",
            "A new prospect needs a territory: in the row, or chosen for the whole import",
        )
    });
    None
}

/// Builds the jobs' prospects on `workers` threads; the results come back in the jobs' order.
fn build_in_parallel(
    jobs: Vec<NewJob<'_>>,
    device: DeviceId,
    ctx: &EditContext,
    workers: usize,
) -> Result<Vec<Built>, ReplicaError> {
    let share = jobs.len().div_ceil(workers.max(1)).max(1);
    let mut shares: Vec<Vec<NewJob<'_>>> = Vec::new();
    let mut jobs = jobs.into_iter().peekable();
    while jobs.peek().is_some() {
        shares.push(jobs.by_ref().take(share).collect());
    }
    std::thread::scope(|scope| {
        let running: Vec<_> = shares
            .into_iter()
            .map(|share| scope.spawn(move || share.into_iter().map(|job| build(job, device, ctx)).collect::<Vec<_>>()))
            .collect();
        let mut built = Vec::new();
        for worker in running {
            let results =
                worker.join().map_err(|_| ReplicaError::Storage("building imported prospects failed".into()))?;
            for result in results {
                built.push(result?);
            }
        }
        Ok(built)
    })
}
