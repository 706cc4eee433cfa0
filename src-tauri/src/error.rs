//! The app's one error type, as the window receives it: `{kind, message, russian}`, the kind for
//! the code that decides how to show it, the message (from the replica or the sync client,
//! already in plain words) for the person reading it, and the same clause in Russian. Both are
//! clauses (lower-case, no full stop) the window may put into a sentence for their kind. Texts
//! only a library has in English (SQLite's, the network's, the file system's) stay in `message`.

use census_replica::{ReplicaError, SyncError};
use serde::Serialize;

#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// The same clause in Russian, always there.
    pub russian: String,
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
    /// An error said in both languages: `english` and `russian` are the same clause.
    pub fn new(kind: ErrorKind, english: impl Into<String>, russian: impl Into<String>) -> AppError {
        AppError { kind, message: english.into(), russian: russian.into() }
    }

    /// A folder that could not be made (the file system's reason in English only).
    pub(crate) fn cannot_create(folder: &std::path::Path, e: &std::io::Error) -> AppError {
        AppError::new(
            ErrorKind::Storage,
            format!("cannot create {}: {e}", folder.display()),
            format!(
                "не удаётся создать папку {}; проверьте, что на диске есть место и есть права на запись",
                folder.display()
            ),
        )
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
        AppError::new(kind, e.to_string(), e.russian())
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
        AppError::new(kind, e.to_string(), e.russian())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use census_core::questionnaire::DefinitionError;
    use census_core::{
        ContactId, DocumentError, Localized, ProspectId, QuestionId, QuestionnaireId, Refusal, SizeError, VisitId,
    };
    use census_replica::UntrustedCertificate;

    #[test]
    fn an_import_problem_reaches_the_window_in_both_languages() {
        let error = AppError::from(ReplicaError::Import(Localized::new("файл пуст", "the file is empty")));
        assert_eq!(error.kind, ErrorKind::Invalid);
        assert_eq!(error.message, "the file cannot be imported: the file is empty");
        assert_eq!(error.russian, "файл не импортируется: файл пуст");
        let id = ProspectId::from_bytes([1; 16]);
        let other = AppError::from(ReplicaError::AlreadyMerged(id));
        assert_eq!(
            other.message,
            format!("prospect {id} is already merged into another one; merge into that one instead")
        );
        assert_eq!(other.russian, format!("точка {id} уже объединена с другой точкой; объединяйте с той"));
    }

    #[test]
    fn a_slowed_sign_in_is_told_apart_from_a_wrong_password() {
        let slowed = AppError::from(SyncError::TooManyAttempts("try again in 4 seconds".into()));
        assert_eq!((slowed.kind, slowed.message.as_str()), (ErrorKind::TooManyAttempts, "try again in 4 seconds"));
        assert_eq!(
            slowed.russian,
            "слишком много неудачных попыток входа под этим логином; попробуйте снова через 4 секунды"
        );
        let crowded = SyncError::Refused { code: "too_many_sign_ins".into(), message: "wait".into() };
        assert_eq!(AppError::from(crowded).kind, ErrorKind::TooManyAttempts);
        let wrong = AppError::from(SyncError::WrongPassword);
        assert_eq!((wrong.kind, wrong.russian.as_str()), (ErrorKind::WrongPassword, "неверный логин или пароль"));
        assert_eq!(AppError::from(ReplicaError::SignedOut).kind, ErrorKind::SignedOut);
    }

    #[test]
    fn a_replica_error_inside_a_sync_error_keeps_its_kind_and_its_russian() {
        let full = AppError::from(SyncError::Replica(ReplicaError::DiskFull));
        assert_eq!(full.kind, ErrorKind::Storage);
        assert_eq!(full.russian, ReplicaError::DiskFull.russian());
    }

    /// Words that may stay in Latin letters inside a Russian message: the product's name, the
    /// address forms the person types, a file type and a checksum's name.
    const LATIN_ALLOWED: [&str; 6] = ["https://census.example.com", "https://", "http", "Census", ".pem", "SHA-256"];

    /// Every error the replica and the sync client can give, built with English where a library's
    /// text would go (it must stay out of the Russian), and the ids, addresses and names each
    /// legitimately names (taken out before the check).
    fn every_error() -> Vec<(AppError, Vec<String>)> {
        let prospect = ProspectId::from_bytes([0xab; 16]);
        let other = ProspectId::from_bytes([0xcd; 16]);
        let contact = ContactId::from_bytes([0xef; 16]);
        let visit = VisitId::from_bytes([0xfa; 16]);
        let questionnaire = QuestionnaireId::from_bytes([0xbe; 16]);
        let question = QuestionId::new("shop_size").expect("a valid question id");
        let request = "0f1e2d3c4b5a6978";
        let names = vec![
            prospect.to_string(),
            other.to_string(),
            contact.to_string(),
            visit.to_string(),
            questionnaire.to_string(),
            question.to_string(),
            request.to_owned(),
        ];
        let english = || "database disk image is malformed (os error 28)".to_owned();
        let refusals = [
            Refusal::ForgedAuthor("the change names someone else as its author".into()),
            Refusal::ManagersOnly("a review is a manager's decision; an agent's change cannot make it".into()),
            Refusal::RewritesLayout("a recorded visit stays; it cannot be removed or replaced".into()),
        ];
        let sizes = [
            SizeError::ChangeTooLarge { limit_bytes: 1 << 20 },
            SizeError::ChangeTooManyOperations { limit: 100_000 },
            SizeError::DocumentTooLarge { limit_bytes: 8 << 20 },
            SizeError::DocumentTooManyOperations { limit: 500_000 },
            SizeError::Malformed("not an automerge chunk".into()),
        ];
        let mut documents = vec![
            DocumentError::Unreadable(english()),
            DocumentError::BadChange { prospect, reason: english() },
            DocumentError::NotAProspect,
            DocumentError::Incomplete(prospect),
            DocumentError::WrongProspect { expected: prospect, found: other.to_string() },
            DocumentError::NewerSchema(9),
            DocumentError::UnknownContact(contact),
            DocumentError::ContactExists(contact),
            DocumentError::VisitExists(visit),
            DocumentError::InvalidLocation,
            DocumentError::EmptyTag,
            DocumentError::InvalidPhotoHash,
            DocumentError::SameProspect,
            DocumentError::UnknownField("цвет".into()),
            DocumentError::InvalidValue { path: "status".into(), reason: "\"maybe\" is not a status".into() },
            DocumentError::InvalidValue { path: format!("contacts/{contact}/phone"), reason: english() },
        ];
        documents.extend(sizes.into_iter().map(DocumentError::TooLarge));
        documents.extend(refusals.into_iter().map(DocumentError::NotPermitted));
        let definitions = [
            DefinitionError::NoQuestions,
            DefinitionError::DuplicateQuestion(question.clone()),
            DefinitionError::NoChoices(question.clone()),
            DefinitionError::DuplicateChoice { question: question.clone(), value: "большой".into() },
            DefinitionError::LimitNotANumber(question.clone()),
            DefinitionError::MinAboveMax(question.clone()),
            DefinitionError::BadPattern { question: question.clone(), reason: "unclosed group".into() },
            DefinitionError::BadDateLimit { question: question.clone(), date: "завтра".into() },
            DefinitionError::RelevantOnLaterQuestion { question: question.clone(), depends_on: question.clone() },
        ];
        let definitions = Localized::new(
            definitions.iter().map(DefinitionError::russian).collect::<Vec<_>>().join("; "),
            definitions.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "),
        );
        let mut replica = vec![
            ReplicaError::NotAReplica,
            ReplicaError::NewerSchema { found: 12, supported: 11 },
            ReplicaError::Corrupt(english()),
            ReplicaError::DiskFull,
            ReplicaError::ReadOnly,
            ReplicaError::Busy,
            ReplicaError::Missing("/дом/данные/реплика".into()),
            ReplicaError::AlreadyExists("/дом/данные/реплика".into()),
            ReplicaError::SignedOut,
            ReplicaError::UnknownProspect(prospect),
            ReplicaError::ProspectExists(prospect),
            ReplicaError::AlreadyMerged(prospect),
            ReplicaError::UnknownQuestionnaire { id: questionnaire, version: Some(3) },
            ReplicaError::UnknownQuestionnaire { id: questionnaire, version: None },
            ReplicaError::InvalidQuestionnaire(definitions),
            ReplicaError::WrongQuestionnaire,
            ReplicaError::VisitExists(visit),
            ReplicaError::InvalidPhoto(Localized::new("фото пустое", "the picture is empty")),
            ReplicaError::Export(english()),
            ReplicaError::Import(Localized::new("в файле нет листов", "the file has no sheet")),
            ReplicaError::Storage(english()),
            ReplicaError::Stopped,
        ];
        replica.extend(documents.into_iter().map(ReplicaError::Document));
        let codes = [
            "bad_request",
            "bad_body",
            "too_large",
            "no_token",
            "wrong_password",
            "bad_token",
            "device_revoked",
            "too_many_attempts",
            "too_many_sign_ins",
            "busy",
            "slow_body",
            "timeout",
            "forbidden",
            "not_found",
            "conflict",
            "device_id_taken",
            "internal",
            "another_server",
            "502",
            "a_code_from_a_newer_server",
        ];
        let mut sync: Vec<SyncError> = codes
            .into_iter()
            .map(|code| SyncError::Refused {
                code: code.into(),
                message: "too many sign-ins; try again in 30 second(s), or the login \"anna\" is taken".into(),
            })
            .collect();
        sync.extend([
            SyncError::Offline("error sending request: tcp connect error: Connection refused".into()),
            SyncError::WrongPassword,
            SyncError::TooManyAttempts("too many failed sign-ins for this login; try again in 300 second(s)".into()),
            SyncError::TooManyAttempts("try again later".into()),
            SyncError::Revoked,
            SyncError::SignedOut,
            SyncError::Server("an unreadable pull page: checksum mismatch".into()),
            SyncError::Server(format!(
                "the server could not complete the request; its log tells why under request id {request}"
            )),
            SyncError::BadAddress("сервер компании".into()),
            SyncError::PlainHttp("http://сервер.рф".into()),
            SyncError::Untrusted(UntrustedCertificate::UnknownIssuer),
            SyncError::Untrusted(UntrustedCertificate::OtherName),
            SyncError::Untrusted(UntrustedCertificate::Expired),
            SyncError::Untrusted(UntrustedCertificate::NotValidYet),
            SyncError::Untrusted(UntrustedCertificate::Revoked),
            SyncError::Untrusted(UntrustedCertificate::Other("BadSignature".into())),
            SyncError::BadAuthority("invalid PEM: no certificate found".into()),
            SyncError::Replica(ReplicaError::Busy),
        ]);
        replica
            .into_iter()
            .map(AppError::from)
            .chain(sync.into_iter().map(AppError::from))
            .map(|error| (error, names.clone()))
            .collect()
    }

    #[test]
    fn every_error_is_said_in_russian_without_english_inside() {
        let errors = every_error();
        assert!(errors.len() > 80, "{}", errors.len());
        for (error, names) in errors {
            assert!(!error.message.is_empty() && !error.russian.is_empty(), "{error:?}");
            let first = error.russian.chars().next().unwrap_or(' ');
            assert!(!first.is_uppercase() || error.russian.starts_with("Census"), "a clause: {error:?}");
            assert!(!error.russian.ends_with('.'), "no full stop: {error:?}");
            let mut left = error.russian.clone();
            for allowed in names.iter().map(String::as_str).chain(LATIN_ALLOWED) {
                left = left.replace(allowed, "");
            }
            assert!(!left.chars().any(|c| c.is_ascii_alphabetic()), "English inside the Russian: {error:?}");
        }
    }
}
