//! Export of the list as it is filtered, to a spreadsheet or a map file in the Downloads folder
//! (`CENSUS_EXPORT_DIR` chooses another).

use std::path::PathBuf;

use census_replica::ListFilter;
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, Runtime, State};

use crate::{AppError, AppState, ErrorKind, now};

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

#[tauri::command]
pub fn export_prospects<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    filter: ListFilter,
    format: ExportFormat,
) -> Result<Exported, AppError> {
    let folder = export_folder(&app)?;
    let stamp = now().to_utc_string().replace([':', ' '], "-");
    let extension = match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Xlsx => "xlsx",
        ExportFormat::Geojson => "geojson",
    };
    let path = folder.join(format!("census-{}.{extension}", &stamp[..stamp.len().min(19)]));
    let cannot = |e: std::io::Error| AppError::new(ErrorKind::Storage, format!("cannot write {}: {e}", path.display()));
    let replica = state.replica();
    let prospects = match format {
        ExportFormat::Xlsx => replica.export_xlsx(&filter, &path)?,
        ExportFormat::Csv => replica.export_csv(&filter, std::fs::File::create(&path).map_err(cannot)?)?,
        ExportFormat::Geojson => replica.export_geojson(&filter, std::fs::File::create(&path).map_err(cannot)?)?,
    };
    Ok(Exported { path: path.display().to_string(), prospects })
}

fn export_folder<R: Runtime>(app: &AppHandle<R>) -> Result<PathBuf, AppError> {
    let folder = match std::env::var_os("CENSUS_EXPORT_DIR") {
        Some(folder) => PathBuf::from(folder),
        None => app
            .path()
            .download_dir()
            .or_else(|_| app.path().app_data_dir())
            .map_err(|e| AppError::new(ErrorKind::Storage, format!("there is no folder to export to: {e}")))?,
    };
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::new(ErrorKind::Storage, format!("cannot create {}: {e}", folder.display())))?;
    Ok(folder)
}
