//! The app's one error type, as the window receives it: `{kind, message}`, the kind for the
//! code that decides how to show it, the message (from the replica or the sync client, already
//! in plain words) for the person reading it.

use census_replica::{ReplicaError, SyncError};
use serde::Serialize;

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
}

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// No one is signed in on this device, or the sign-in expired.
    SignedOut,
    /// The server cannot be reached; the work waits on the device.
    Offline,
    WrongPassword,
    /// An administrator revoked this device.
    Revoked,
    /// The server refused the request, or failed.
    Server,
    /// What was asked is not possible (an unknown prospect, invalid input).
    Invalid,
    /// The device's storage failed (full, read-only, damaged).
    Storage,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> AppError {
        AppError { kind, message: message.into() }
    }
}

impl From<ReplicaError> for AppError {
    fn from(e: ReplicaError) -> AppError {
        let kind = match e {
            ReplicaError::UnknownProspect(_)
            | ReplicaError::ProspectExists(_)
            | ReplicaError::UnknownQuestionnaire { .. }
            | ReplicaError::InvalidQuestionnaire(_)
            | ReplicaError::WrongQuestionnaire
            | ReplicaError::VisitExists(_)
            | ReplicaError::InvalidPhoto(_)
            | ReplicaError::AlreadyMerged(_)
            | ReplicaError::Import(_)
            | ReplicaError::Document(_) => ErrorKind::Invalid,
            _ => ErrorKind::Storage,
        };
        AppError::new(kind, e.to_string())
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> AppError {
        let kind = match e {
            SyncError::Offline(_) => ErrorKind::Offline,
            SyncError::WrongPassword | SyncError::TooManyAttempts(_) => ErrorKind::WrongPassword,
            SyncError::Revoked => ErrorKind::Revoked,
            SyncError::SignedOut => ErrorKind::SignedOut,
            SyncError::Replica(e) => return e.into(),
            _ => ErrorKind::Server,
        };
        AppError::new(kind, e.to_string())
    }
}
