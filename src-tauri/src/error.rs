//! The app's one error type, as the window receives it: `{kind, message, russian}`, the kind for
//! the code that decides how to show it, the message (from the replica or the sync client,
//! already in plain words) for the person reading it, and the same in Russian where the replica
//! says it in both languages.

use census_replica::{ReplicaError, SyncError};
use serde::Serialize;

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// The whole message in Russian, where there is one (an import's problems); otherwise the
    /// window puts `message` in the Russian sentence for its kind.
    pub russian: Option<String>,
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
    /// Too many failed sign-ins: the server slows this login (or address) down for a while.
    TooManyAttempts,
    /// An administrator revoked this device.
    Revoked,
    /// The server's address is plain http beyond this machine; the person may insist.
    PlainHttp,
    /// The server's certificate is not trusted; a company's certificate authority may be given.
    Untrusted,
    /// The server refused the request, or failed.
    Server,
    /// What was asked is not possible (an unknown prospect, invalid input).
    Invalid,
    /// The device's storage failed (full, read-only, damaged).
    Storage,
    /// The person stopped the work before its end.
    Stopped,
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> AppError {
        AppError { kind, message: message.into(), russian: None }
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
            ReplicaError::SignedOut => ErrorKind::SignedOut,
            ReplicaError::Stopped => ErrorKind::Stopped,
            _ => ErrorKind::Storage,
        };
        let russian = match &e {
            ReplicaError::Import(problem) => Some(format!("Файл не импортируется: {}", problem.ru)),
            _ => None,
        };
        AppError { russian, ..AppError::new(kind, e.to_string()) }
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> AppError {
        let kind = match e {
            SyncError::Offline(_) => ErrorKind::Offline,
            SyncError::WrongPassword => ErrorKind::WrongPassword,
            SyncError::TooManyAttempts(_) => ErrorKind::TooManyAttempts,
            SyncError::Refused { ref code, .. } if code == "too_many_sign_ins" => ErrorKind::TooManyAttempts,
            SyncError::Revoked => ErrorKind::Revoked,
            SyncError::SignedOut => ErrorKind::SignedOut,
            SyncError::PlainHttp(_) => ErrorKind::PlainHttp,
            SyncError::Untrusted(_) => ErrorKind::Untrusted,
            SyncError::BadAddress(_) | SyncError::BadAuthority(_) => ErrorKind::Invalid,
            SyncError::Replica(e) => return e.into(),
            _ => ErrorKind::Server,
        };
        AppError::new(kind, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use census_core::Localized;

    #[test]
    fn an_import_problem_reaches_the_window_in_both_languages() {
        let error = AppError::from(ReplicaError::Import(Localized::new("файл пуст", "the file is empty")));
        assert_eq!(error.kind, ErrorKind::Invalid);
        assert_eq!(error.message, "the file cannot be imported: the file is empty");
        assert_eq!(error.russian.as_deref(), Some("Файл не импортируется: файл пуст"));
        let other = AppError::from(ReplicaError::AlreadyMerged(census_core::ProspectId::from_bytes([1; 16])));
        assert_eq!(other.russian, None, "other messages are put in the sentence for their kind");
    }

    #[test]
    fn a_slowed_sign_in_is_told_apart_from_a_wrong_password() {
        let slowed = AppError::from(SyncError::TooManyAttempts("try again in 4 seconds".into()));
        assert_eq!((slowed.kind, slowed.message.as_str()), (ErrorKind::TooManyAttempts, "try again in 4 seconds"));
        let crowded = SyncError::Refused { code: "too_many_sign_ins".into(), message: "wait".into() };
        assert_eq!(AppError::from(crowded).kind, ErrorKind::TooManyAttempts);
        assert_eq!(AppError::from(SyncError::WrongPassword).kind, ErrorKind::WrongPassword);
        assert_eq!(AppError::from(ReplicaError::SignedOut).kind, ErrorKind::SignedOut);
    }
}
