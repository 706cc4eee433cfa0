//! Export of the list as it is filtered, to a spreadsheet or a map file in the Downloads folder
//! (`CENSUS_EXPORT_DIR` chooses another).

use std::path::{Path, PathBuf};

use census_core::Language;
use census_replica::{ListFilter, Replica};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime};

use crate::jobs::{Job, run_job};
use crate::{AppError, ErrorKind, now};

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Geojson,
}

/// A finished export: where the file is and how many prospects it holds.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub path: String,
    pub prospects: u64,
}

/// Writes the export in the language the window shows: a job the person may stop (an
/// unfinished file is removed).
#[tauri::command]
pub async fn export_prospects<R: Runtime>(
    app: AppHandle<R>,
    filter: ListFilter,
    format: ExportFormat,
    language: Language,
) -> Result<Exported, AppError> {
    let folder = export_folder(&app)?;
    let stamp = now().to_utc_string().replace([':', ' '], "-");
    let extension = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
        ExportFormat::Geojson => "geojson",
    };
    let path = folder.join(format!("census-{}.{extension}", &stamp[..stamp.len().min(19)]));
    run_job(&app, Job::Export, move |replica| {
        let written = write(replica, &filter, format, language, &path);
        if written.is_err() {
            let _ = std::fs::remove_file(&path);
        }
        Ok(Exported { path: path.display().to_string(), prospects: written? })
    })
    .await
}

fn write(
    replica: &Replica,
    filter: &ListFilter,
    format: ExportFormat,
    language: Language,
    path: &Path,
) -> Result<u64, AppError> {
    let cannot = |e: std::io::Error| {
        AppError::new(
            ErrorKind::Storage,
            format!("cannot write {}: {e}", path.display()),
            format!(
                "не удаётся записать файл {}; проверьте, что на диске есть место и есть права на запись в папку",
                path.display()
            ),
        )
    };
    Ok(match format {
        ExportFormat::Xlsx => replica.export_xlsx(filter, language, path)?,
        ExportFormat::Csv => {
            let file = std::io::BufWriter::new(std::fs::File::create(path).map_err(cannot)?);
            replica.export_csv(filter, language, file)?
        }
        ExportFormat::Geojson => replica.export_geojson(filter, std::fs::File::create(path).map_err(cannot)?)?,
    })
}

fn export_folder<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, AppError> {
    let folder = match std::env::var_os("CENSUS_EXPORT_DIR") {
        Some(folder) => PathBuf::from(folder),
        None => app.path().download_dir().or_else(|_| app.path().app_data_dir()).map_err(|e| {
            AppError::new(
                ErrorKind::Storage,
                format!("there is no folder to export to: {e}"),
                "некуда выгрузить файл: на устройстве не найдена папка загрузок",
            )
        })?,
    };
    std::fs::create_dir_all(&folder).map_err(|e| AppError::cannot_create(&folder, &e))?;
    Ok(folder)
}
