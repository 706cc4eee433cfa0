//! The replica's one error type, with messages for the person at the device (in Russian too:
//! [`ReplicaError::russian`], in `russian.rs`).

use census_core::{DocumentError, Localized, ProspectId, QuestionnaireId, VisitId};

/// Why a replica operation failed. Nothing already stored is lost when one is returned: every
/// operation is one SQLite transaction, rolled back on error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicaError {
    #[error("this file is not a Census replica (it is another kind of database); choose another file")]
    NotAReplica,
    #[error(
        "this replica was written by a newer version of Census (schema {found}, this one reads up to {supported}); update Census to open it"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("the replica file is damaged and cannot be read: {0}")]
    Corrupt(String),
    #[error("the replica cannot be written: the disk is full")]
    DiskFull,
    #[error("the replica cannot be written: the file or its folder is read-only")]
    ReadOnly,
    #[error("the replica is busy in another program; close it there and try again")]
    Busy,
    #[error("there is no replica at {0}")]
    Missing(String),
    #[error("a replica already exists at {0}")]
    AlreadyExists(String),
    #[error("no one is signed in on this device; sign in (once, with a network) before editing")]
    SignedOut,
    #[error("there is no prospect {0} on this device")]
    UnknownProspect(ProspectId),
    #[error("a prospect {0} already exists")]
    ProspectExists(ProspectId),
    #[error("prospect {0} is already merged into another one; merge into that one instead")]
    AlreadyMerged(ProspectId),
    #[error("{}", unknown_questionnaire(id, *version))]
    UnknownQuestionnaire { id: QuestionnaireId, version: Option<u32> },
    /// In both languages, like an import's problems.
    #[error("the questionnaire cannot be used: {}", .0.en)]
    InvalidQuestionnaire(Localized),
    #[error("the visit was filled in on another questionnaire (or version) than the one given")]
    WrongQuestionnaire,
    #[error("the visit {0} is already recorded")]
    VisitExists(VisitId),
    #[error("{0}")]
    Document(#[from] DocumentError),
    /// In both languages.
    #[error("{}", .0.en)]
    InvalidPhoto(Localized),
    #[error("the export could not be written: {0}")]
    Export(String),
    /// In both languages: the person importing is often a Russian-speaking manager.
    #[error("the file cannot be imported: {}", .0.en)]
    Import(Localized),
    #[error("the map folder cannot be written: {0}")]
    MapFolder(String),
    #[error("replica storage error: {0}")]
    Storage(String),
    /// The person stopped the work; only whole transactions were committed.
    #[error("stopped before the end")]
    Stopped,
}

impl From<rusqlite::Error> for ReplicaError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        if let rusqlite::Error::InvalidColumnType(..) | rusqlite::Error::FromSqlConversionFailure(..) = e {
            // The replica's own tables hold a value of the wrong kind: the file was damaged.
            return ReplicaError::Corrupt(e.to_string());
        }
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => ReplicaError::NotAReplica,
            Some(ErrorCode::DatabaseCorrupt) => ReplicaError::Corrupt(e.to_string()),
            Some(ErrorCode::DiskFull) => ReplicaError::DiskFull,
            Some(ErrorCode::ReadOnly) => ReplicaError::ReadOnly,
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => ReplicaError::Busy,
            Some(ErrorCode::OperationInterrupted) => ReplicaError::Stopped,
            _ => ReplicaError::Storage(e.to_string()),
        }
    }
}

fn unknown_questionnaire(id: &QuestionnaireId, version: Option<u32>) -> String {
    match version {
        Some(v) => format!("version {v} of questionnaire {id} is not on this device; sync to receive it"),
        None => format!("questionnaire {id} is not on this device; sync to receive it"),
    }
}
