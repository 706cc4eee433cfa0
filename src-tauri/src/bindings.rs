//! The TypeScript declarations of everything the commands exchange with the window, generated
//! from the Rust types into `ui/src/lib/bindings.ts`. This test fails when the file no longer
//! matches the types (a field renamed in Rust and not in the front end is a type error there, not
//! a surprise at run time); `CENSUS_WRITE_BINDINGS=1 cargo test -p census-app bindings` rewrites it.

use census_core::*;
use census_replica::{
    AgentDay, Coverage, Dashboard, DashboardFilter, DuplicateCandidate, DuplicatePair, DuplicatePairs, ImportOptions,
    ImportPreview, ListFilter, MapPackDownload, MapSummary, Nearby, PictureCache, PictureDownload, ProspectDetail,
    RefusedChange, RowOutcome, RowPreview, SortBy, SyncProgress, SyncReport, Tally, TerritoryProgress, VisitDraft,
    VisitOutcome,
};
use ts_rs::TS;

use crate::commands::{
    ExportFormat, Exported, ImportFile, MapPacksFinished, Session, SyncFinished, SyncStatus, VisitForm,
};
use crate::jobs::{Job, JobProgress};
use crate::{AppError, ErrorKind};

const BINDINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/lib/bindings.ts");

macro_rules! declarations {
    ($($t:ty),* $(,)?) => {
        vec![$(<$t as TS>::decl()),*]
    };
}

fn generated() -> String {
    let declarations = declarations![
        // ids and time
        ProspectId,
        UserId,
        DeviceId,
        TerritoryId,
        VisitId,
        ContactId,
        QuestionnaireId,
        QuestionId,
        Timestamp,
        // the directory
        Language,
        Localized,
        Person,
        Role,
        Territory,
        DeviceRecord,
        Retired,
        AuditKind,
        AuditEntry,
        AuditFilter,
        LateArrival,
        // prospects
        Status,
        ReviewState,
        Address,
        Location,
        Contact,
        ContactPatch,
        QuestionnaireRef,
        Visit,
        Photo,
        Review,
        Created,
        NewProspect,
        Prospect,
        ProspectRow,
        FieldPath,
        FieldValue,
        ConflictValue,
        Conflict,
        FieldEdit,
        // questionnaires
        Questionnaire,
        QuestionType,
        Question,
        Choice,
        Condition,
        Match,
        GeoPoint,
        PhotoAnswer,
        Answer,
        ProblemKind,
        Problem,
        // the replica
        ListFilter,
        SortBy,
        TerritoryProgress,
        ProspectDetail,
        VisitOutcome,
        VisitDraft,
        SyncProgress,
        SyncReport,
        RefusedChange,
        DashboardFilter,
        Tally,
        Coverage,
        AgentDay,
        Dashboard,
        DuplicateCandidate,
        DuplicatePair,
        DuplicatePairs,
        MergeSummary,
        ImportField,
        ColumnMapping,
        SavedMapping,
        SavedColumn,
        FieldChange,
        ImportOptions,
        RowOutcome,
        RowPreview,
        ImportPreview,
        PictureCache,
        PictureDownload,
        MapPackDownload,
        MapSummary,
        Nearby,
        // the app
        Session,
        SyncStatus,
        SyncFinished,
        MapPacksFinished,
        AppError,
        ErrorKind,
        VisitForm,
        ExportFormat,
        Exported,
        ImportFile,
        Job,
        JobProgress,
    ];
    let mut text = String::from(
        "// Generated from the Rust types by src-tauri/src/bindings.rs; do not edit.\n\
         // CENSUS_WRITE_BINDINGS=1 cargo test -p census-app bindings\n",
    );
    for declaration in declarations {
        // 64-bit integers travel as JSON numbers (every count and time stays below 2^53).
        let declaration = declaration.replace("bigint", "number");
        text.push_str(&format!("\nexport {declaration}\n"));
    }
    text
}

#[test]
fn bindings_match_the_rust_types() {
    let fresh = generated();
    if std::env::var_os("CENSUS_WRITE_BINDINGS").is_some() {
        std::fs::write(BINDINGS, &fresh).expect("ui/src/lib/bindings.ts can be written");
        return;
    }
    let committed = std::fs::read_to_string(BINDINGS).unwrap_or_default();
    assert!(
        committed == fresh,
        "ui/src/lib/bindings.ts is out of date with the Rust types; run \
         CENSUS_WRITE_BINDINGS=1 cargo test -p census-app bindings and commit it"
    );
}
