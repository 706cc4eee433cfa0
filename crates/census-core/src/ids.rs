//! Identifiers. Every entity has its own id type so that a territory id can never be passed
//! where a prospect id is expected. Ids are UUIDs (version 7 for the ones Census mints, so they
//! sort by creation time); the caller supplies the time and the random bits.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

use crate::time::Timestamp;

/// A string that is not a valid id, with the kind of id that was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{text}\" is not a valid {kind} id (expected a UUID such as 0192f0c4-6b1e-7c3a-9d2e-4f5a6b7c8d9e)")]
pub struct InvalidId {
    pub kind: &'static str,
    pub text: String,
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Mints a new time-ordered (v7) id from the moment and ten random bytes the caller
            /// drew.
            pub fn new_v7(at: Timestamp, random: [u8; 10]) -> Self {
                let millis = u64::try_from(at.unix_millis()).unwrap_or(0);
                $name(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                $name(uuid)
            }

            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                $name(Uuid::from_bytes(bytes))
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }

            pub const fn as_bytes(&self) -> &[u8; 16] {
                self.0.as_bytes()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;

            fn from_str(text: &str) -> Result<Self, InvalidId> {
                Uuid::parse_str(text.trim())
                    .map($name)
                    .map_err(|_| InvalidId { kind: $kind, text: text.to_owned() })
            }
        }
    };
}

uuid_id!(
    /// A prospect: one Automerge document, and the id of that document.
    ProspectId, "prospect"
);
uuid_id!(
    /// A territory: the unit of assignment and of sync scope.
    TerritoryId, "territory"
);
uuid_id!(
    /// A questionnaire; its published versions share the id and differ by version number.
    QuestionnaireId, "questionnaire"
);
uuid_id!(
    /// A census visit inside a prospect document.
    VisitId, "visit"
);
uuid_id!(
    /// A contact person inside a prospect document.
    ContactId, "contact"
);
uuid_id!(
    /// A person who signs in: agent, manager or administrator.
    UserId, "user"
);
uuid_id!(
    /// A device (a phone, tablet or laptop install). Its id is also its Automerge actor id, so
    /// every change in a document names the device that made it.
    DeviceId, "device"
);

impl DeviceId {
    /// The Automerge actor that this device writes as.
    pub fn actor(&self) -> automerge::ActorId {
        automerge::ActorId::from(self.as_bytes().as_slice())
    }

    /// The device behind an Automerge actor, when the actor is a Census device (16 bytes).
    pub fn from_actor(actor: &automerge::ActorId) -> Option<DeviceId> {
        let bytes: [u8; 16] = actor.to_bytes().try_into().ok()?;
        Some(DeviceId::from_bytes(bytes))
    }
}

/// A question's stable key inside a questionnaire, such as `shop_size`. Answers are keyed by it,
/// so it survives new questionnaire versions and reads well in spreadsheet exports.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct QuestionId(String);

impl QuestionId {
    /// A question id is 1 to 64 characters of ASCII letters, digits and `_`, starting with a
    /// letter, so it is safe as a map key, a column name and a file-name part.
    pub fn new(text: impl Into<String>) -> Result<Self, InvalidQuestionId> {
        let text = text.into();
        let valid = (1..=64).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if valid { Ok(QuestionId(text)) } else { Err(InvalidQuestionId(text)) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QuestionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A question id that breaks the naming rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a valid question id: use 1 to 64 letters, digits or _, starting with a letter")]
pub struct InvalidQuestionId(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v7_ids_sort_by_time_and_round_trip_as_text() {
        let a = ProspectId::new_v7(Timestamp::from_unix_millis(1_000), [1; 10]);
        let b = ProspectId::new_v7(Timestamp::from_unix_millis(2_000), [0; 10]);
        assert!(a < b);
        assert_eq!(a.to_string().parse::<ProspectId>(), Ok(a));
        assert_eq!(a.as_uuid().get_version_num(), 7);
    }

    #[test]
    fn rejects_bad_ids_in_words() {
        let err = "nope".parse::<TerritoryId>().unwrap_err();
        assert!(err.to_string().contains("not a valid territory id"));
        assert!(QuestionId::new("shop_size").is_ok());
        assert!(QuestionId::new("9lives").is_err());
        assert!(QuestionId::new("").is_err());
        assert!(QuestionId::new("a b").is_err());
    }

    #[test]
    fn device_is_its_actor() {
        let device = DeviceId::from_bytes([7; 16]);
        assert_eq!(DeviceId::from_actor(&device.actor()), Some(device));
    }
}
