//! Importing a spreadsheet client base: the window sends the file's bytes (the raw request
//! body, its name percent-encoded in a header), the app keeps the table read from it, and the
//! manager previews and then applies the import. Both are jobs (`jobs.rs`): on a connection of
//! their own, telling the window how far they got, and stopped when the manager asks.

use std::sync::{Arc, Mutex};

use census_core::{ColumnMapping, QuestionnaireRef, SavedMapping};
use census_replica::{ImportOptions, ImportPlan, ImportPreview, ReplicaError, RowOutcome, Table};
use serde::Serialize;
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, Emitter, Runtime, State};

use super::edits::edit_context;
use crate::jobs::{Job, JobProgress, run_job};
use crate::{AppError, AppState, ErrorKind};

/// The request header with the file's name, percent-encoded (headers are ASCII).
const FILE_NAME_HEADER: &str = "census-file-name";
/// Most rows of a preview sent to the window; the counts cover every row.
const ROWS_SHOWN: usize = 500;

/// The file loaded for import, kept between its preview and applying it, with the plan of its
/// last preview (applied as it is when the options and the base are still the same).
#[derive(Debug, Default)]
pub struct LoadedImport {
    file: Mutex<Option<Arc<(String, Table)>>>,
    previewed: Mutex<Option<ImportPlan>>,
}

impl LoadedImport {
    fn get(&self) -> Result<Arc<(String, Table)>, AppError> {
        let loaded = self.file.lock().unwrap_or_else(|p| p.into_inner()).clone();
        loaded.ok_or_else(|| {
            AppError::new(ErrorKind::Invalid, "choose a file to import first", "сначала выберите файл для импорта")
        })
    }

    /// Keeps a newly read file; any earlier preview is forgotten.
    fn load(&self, name: String, table: Table) {
        *self.file.lock().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new((name, table)));
        self.remember(None);
    }

    fn remember(&self, plan: Option<ImportPlan>) {
        *self.previewed.lock().unwrap_or_else(|p| p.into_inner()) = plan;
    }

    /// The last preview's plan, if it was made with `options`.
    fn plan_for(&self, options: &ImportOptions) -> Option<ImportPlan> {
        let plan = self.previewed.lock().unwrap_or_else(|p| p.into_inner()).take();
        plan.filter(|plan| plan.options() == options)
    }
}

/// A file as read: its columns with the fields for them, and its first rows. The fields are
/// those of the saved mapping that knows most of the columns (`saved_mapping` names it), or
/// else guessed from the headers.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct ImportFile {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: u32,
    pub sample: Vec<Vec<String>>,
    pub mapping: ColumnMapping,
    pub saved_mapping: Option<String>,
    /// The fields the headers suggest, whatever was saved.
    pub guessed: ColumnMapping,
    /// The questionnaire whose questions the headers name, for answer columns.
    pub questionnaire: Option<QuestionnaireRef>,
}

/// Reads a file sent as the raw request body.
#[tauri::command]
pub async fn load_import(state: State<'_, AppState>, request: Request<'_>) -> Result<ImportFile, AppError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(AppError::new(
            ErrorKind::Invalid,
            "the file did not arrive as bytes",
            "файл не дошёл; выберите его ещё раз",
        ));
    };
    let name = request.headers().get(FILE_NAME_HEADER).and_then(|v| v.to_str().ok()).map(percent_decoded);
    let name = name.unwrap_or_else(|| "file.csv".into());
    let bytes = bytes.clone();
    let read_as = name.clone();
    let (file, table) = state
        .run(move |replica| {
            let table = Table::from_bytes(&read_as, &bytes)?;
            let saved = replica.best_import_mapping(&table.headers)?;
            let questionnaires = replica.questionnaires()?;
            let questionnaire = census_core::import::questionnaire_for(&table.headers, &questionnaires);
            let guessed = ColumnMapping::guess_with(&table.headers, questionnaire);
            let file = ImportFile {
                name: read_as,
                headers: table.headers.clone(),
                rows: table.rows.len() as u32,
                sample: table.rows.iter().take(5).cloned().collect(),
                mapping: saved.as_ref().map_or_else(|| guessed.clone(), |s| s.mapping_for(&table.headers)),
                saved_mapping: saved.map(|s| s.name),
                guessed,
                questionnaire: questionnaire.map(|q| QuestionnaireRef { id: q.id, version: q.version }),
            };
            Ok((file, table))
        })
        .await?;
    state.import.load(name, table);
    Ok(file)
}

/// The column mappings saved on this device.
#[tauri::command]
pub async fn import_mappings(state: State<'_, AppState>) -> Result<Vec<SavedMapping>, AppError> {
    state.run(|replica| Ok(replica.import_mappings()?)).await
}

/// Saves `mapping` of the loaded file's columns as `name` (replacing one of that name).
#[tauri::command]
pub async fn save_import_mapping(
    state: State<'_, AppState>,
    name: String,
    mapping: ColumnMapping,
) -> Result<SavedMapping, AppError> {
    let loaded = state.import.get()?;
    let saved = SavedMapping::new(&name, &loaded.1.headers, &mapping)
        .map_err(|problem| AppError::new(ErrorKind::Invalid, problem.en, problem.ru))?;
    state
        .run(move |replica| {
            replica.save_import_mapping(&saved)?;
            Ok(saved)
        })
        .await
}

/// The loaded file's columns as the mapping saved as `name` maps them.
#[tauri::command]
pub async fn import_mapping_for(state: State<'_, AppState>, name: String) -> Result<ColumnMapping, AppError> {
    let loaded = state.import.get()?;
    state.run(move |replica| Ok(replica.import_mapping(&name)?.mapping_for(&loaded.1.headers))).await
}

/// Forgets the mapping saved as `name`.
#[tauri::command]
pub async fn delete_import_mapping(state: State<'_, AppState>, name: String) -> Result<(), AppError> {
    state.run(move |replica| Ok(replica.delete_import_mapping(&name)?)).await
}

/// What importing the loaded file would do; writes nothing. A job the manager may stop.
#[tauri::command]
pub async fn preview_import<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    options: ImportOptions,
) -> Result<ImportPreview, AppError> {
    let loaded = state.import.get()?;
    state.import.remember(None);
    let plan = run_job(&app, Job::ImportPreview, move |replica| Ok(replica.plan_import(&loaded.1, &options)?)).await?;
    let preview = plan.preview.clone();
    state.import.remember(Some(plan));
    Ok(shown(preview))
}

/// Applies the import of the loaded file. Stopped, it keeps the rows imported so far: importing
/// the file again brings in the rest.
#[tauri::command]
pub async fn apply_import<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    options: ImportOptions,
) -> Result<ImportPreview, AppError> {
    let loaded = state.import.get()?;
    let previewed = state.import.plan_for(&options);
    let window = app.clone();
    let applied = run_job(&app, Job::ImportApply, move |replica| {
        let ctx = edit_context(replica)?;
        let who = replica.people()?.into_iter().find(|p| p.id == ctx.user).map(|p| p.name).unwrap_or_default();
        let ctx = ctx.with_source(format!("import of {} by {who}", loaded.0));
        let mut imported = 0;
        let mut progress = |done: usize, total: usize| {
            imported = done;
            let _ = window
                .emit("job-progress", JobProgress { job: Job::ImportApply, done: done as u64, total: total as u64 });
        };
        let plan = match previewed {
            Some(plan) => plan,
            None => replica.plan_import(&loaded.1, &options)?,
        };
        // New prospects' ids are time-ordered, like those of prospects added by hand.
        let mut new_id = || *census_core::ProspectId::new_v7(ctx.at, rand::random()).as_bytes();
        match replica.apply_import_plan(&loaded.1, plan, &ctx, &mut new_id, &mut progress) {
            Err(ReplicaError::Stopped) => Err(stopped_import(imported, loaded.1.rows.len())),
            applied => Ok(shown(applied?)),
        }
    })
    .await;
    state.edits.edited();
    applied
}

/// An import stopped half way, in words: what is in, and how to bring in the rest.
fn stopped_import(imported: usize, rows: usize) -> AppError {
    AppError::new(
        ErrorKind::Stopped,
        format!("the import was stopped with {imported} of {rows} rows in; import the file again to bring in the rest"),
        format!(
            "импорт остановлен: внесено строк — {imported} из {rows}; импортируйте файл ещё раз, чтобы внести остальные"
        ),
    )
}

/// The preview as the window shows it: every count, and the rows worth a look (changes,
/// duplicates, problems), at most [`ROWS_SHOWN`] of them.
fn shown(mut preview: ImportPreview) -> ImportPreview {
    preview.rows.retain(|row| !matches!(row.outcome, RowOutcome::New | RowOutcome::Unchanged { .. }));
    preview.rows.truncate(ROWS_SHOWN);
    preview
}

/// `%D0%91` and the like back to text.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                i += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_come_back_from_their_header() {
        assert_eq!(super::percent_decoded("%D0%B1%D0%B0%D0%B7%D0%B0%202024.xlsx"), "база 2024.xlsx");
        assert_eq!(super::percent_decoded("plain.csv"), "plain.csv");
        assert_eq!(super::percent_decoded("100%.csv"), "100%.csv");
    }
}
