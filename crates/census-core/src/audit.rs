//! The audit trail's entries: the security events the server keeps (who signed in, who failed
//! to, who was slowed down, which devices were revoked, who was added or retired, which pushed
//! changes were refused and why), as administrators read them.

use serde::{Deserialize, Serialize};

use crate::ids::{DeviceId, UserId};
use crate::time::Timestamp;

/// What happened.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    SignedIn,
    SignInFailed,
    /// Sign-ins turned away before their password was checked (too many attempts, a full queue).
    SignInsThrottled,
    DeviceRevoked,
    DeviceReinstated,
    PersonAdded,
    PersonRetired,
    PasswordChanged,
    RoleChanged,
    /// A push with changes the server refused (the reasons in the detail).
    PushRefused,
    /// Events the server could not keep because they came faster than it writes them.
    EventsDropped,
}

impl AuditKind {
    pub const ALL: [AuditKind; 11] = [
        AuditKind::SignedIn,
        AuditKind::SignInFailed,
        AuditKind::SignInsThrottled,
        AuditKind::DeviceRevoked,
        AuditKind::DeviceReinstated,
        AuditKind::PersonAdded,
        AuditKind::PersonRetired,
        AuditKind::PasswordChanged,
        AuditKind::RoleChanged,
        AuditKind::PushRefused,
        AuditKind::EventsDropped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::SignedIn => "signed_in",
            AuditKind::SignInFailed => "sign_in_failed",
            AuditKind::SignInsThrottled => "sign_ins_throttled",
            AuditKind::DeviceRevoked => "device_revoked",
            AuditKind::DeviceReinstated => "device_reinstated",
            AuditKind::PersonAdded => "person_added",
            AuditKind::PersonRetired => "person_retired",
            AuditKind::PasswordChanged => "password_changed",
            AuditKind::RoleChanged => "role_changed",
            AuditKind::PushRefused => "push_refused",
            AuditKind::EventsDropped => "events_dropped",
        }
    }
}

impl std::str::FromStr for AuditKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        AuditKind::ALL.into_iter().find(|k| k.as_str() == text).ok_or_else(|| {
            let known: Vec<&str> = AuditKind::ALL.iter().map(|k| k.as_str()).collect();
            format!("\"{text}\" is not a kind of audit event; use one of {}", known.join(", "))
        })
    }
}

/// One security event. Never holds a password or a token.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub kind: AuditKind,
    /// The person it concerns: who signed in or pushed, whose device was revoked, who was added.
    pub user: Option<UserId>,
    /// Their login, or the login typed in a failed sign-in (which may name nobody).
    pub login: Option<String>,
    pub device: Option<DeviceId>,
    /// Who did it, for actions on someone else (a revocation, a retirement).
    pub by: Option<UserId>,
    /// The client's address, for sign-ins.
    pub address: Option<String>,
    /// How many events this entry stands for (throttled sign-ins are counted, not listed).
    pub count: u32,
    /// What happened, in plain words.
    pub detail: String,
}

impl AuditEntry {
    /// An event of `kind` at `at`, about no one yet, counted once.
    pub fn new(kind: AuditKind, at: Timestamp, detail: impl Into<String>) -> AuditEntry {
        AuditEntry {
            at,
            kind,
            user: None,
            login: None,
            device: None,
            by: None,
            address: None,
            count: 1,
            detail: detail.into(),
        }
    }
}

/// Which entries to list, newest first.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<AuditKind>,
    /// Entries about this login, or by or about its person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceId>,
    /// Entries at or after this moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Timestamp>,
    /// At most this many (the server lists at most 1,000; 0 means 100).
    #[serde(default)]
    pub limit: u32,
}

/// Most entries listed at once.
pub const MAX_AUDIT_LIST: u32 = 1_000;

impl AuditFilter {
    /// The number of entries to list: the limit asked for, 100 when none, never over the most.
    pub fn bounded_limit(&self) -> u32 {
        if self.limit == 0 { 100 } else { self.limit.min(MAX_AUDIT_LIST) }
    }
}
