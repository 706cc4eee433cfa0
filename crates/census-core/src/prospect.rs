//! The prospect as plain data: what a prospect document holds, read back as Rust values.
//!
//! These types are the typed read view of a [`ProspectDoc`](crate::ProspectDoc) and the inputs of
//! its edits. They carry no CRDT machinery; the document layer maps them to and from Automerge.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::ids::{ContactId, ProspectId, QuestionId, QuestionnaireId, TerritoryId, UserId, VisitId};
use crate::localized::Localized;
use crate::questionnaire::Answer;
use crate::time::Timestamp;

/// Where a prospect stands in the sales funnel.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Visited,
    Interested,
    Negotiating,
    Client,
    Refused,
    Closed,
    NotFound,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::New,
        Status::Visited,
        Status::Interested,
        Status::Negotiating,
        Status::Client,
        Status::Refused,
        Status::Closed,
        Status::NotFound,
    ];

    /// The stable name stored in documents and exports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Visited => "visited",
            Status::Interested => "interested",
            Status::Negotiating => "negotiating",
            Status::Client => "client",
            Status::Refused => "refused",
            Status::Closed => "closed",
            Status::NotFound => "not_found",
        }
    }

    pub fn label(self) -> Localized {
        let (ru, en) = match self {
            Status::New => ("Новый", "New"),
            Status::Visited => ("Посещён", "Visited"),
            Status::Interested => ("Заинтересован", "Interested"),
            Status::Negotiating => ("Переговоры", "Negotiating"),
            Status::Client => ("Клиент", "Client"),
            Status::Refused => ("Отказ", "Refused"),
            Status::Closed => ("Закрыт", "Closed"),
            Status::NotFound => ("Не найден", "Not found"),
        };
        Localized::new(ru, en)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that Census does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a status; use one of new, visited, interested, negotiating, client, refused, closed, not_found"
)]
pub struct UnknownStatus(pub String);

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(text: &str) -> Result<Self, UnknownStatus> {
        Status::ALL.into_iter().find(|s| s.as_str() == text.trim()).ok_or_else(|| UnknownStatus(text.to_owned()))
    }
}

/// A postal address. Each part merges on its own: one agent fixing the postcode while another
/// fixes the street keeps both fixes.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    pub line: String,
    pub city: String,
    pub region: String,
    pub postcode: String,
    pub country: String,
}

impl Address {
    pub const PARTS: [&'static str; 5] = ["line", "city", "region", "postcode", "country"];

    pub fn part(&self, name: &str) -> Option<&str> {
        Some(match name {
            "line" => &self.line,
            "city" => &self.city,
            "region" => &self.region,
            "postcode" => &self.postcode,
            "country" => &self.country,
            _ => return None,
        })
    }

    pub(crate) fn part_mut(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "line" => &mut self.line,
            "city" => &mut self.city,
            "region" => &mut self.region,
            "postcode" => &mut self.postcode,
            "country" => &mut self.country,
            _ => return None,
        })
    }

    /// The address on one line, parts separated by commas, empty parts left out.
    pub fn one_line(&self) -> String {
        Address::PARTS.iter().filter_map(|p| self.part(p)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ")
    }
}

/// A change to some parts of an address; `None` leaves a part as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AddressPatch {
    pub line: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
}

impl AddressPatch {
    pub(crate) fn parts(&self) -> [(&'static str, Option<&String>); 5] {
        [
            ("line", self.line.as_ref()),
            ("city", self.city.as_ref()),
            ("region", self.region.as_ref()),
            ("postcode", self.postcode.as_ref()),
            ("country", self.country.as_ref()),
        ]
    }

    pub(crate) fn part(&self, name: &str) -> Option<Option<&String>> {
        self.parts().into_iter().find(|(part, _)| *part == name).map(|(_, value)| value)
    }

    pub(crate) fn part_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        Some(match name {
            "line" => &mut self.line,
            "city" => &mut self.city,
            "region" => &mut self.region,
            "postcode" => &mut self.postcode,
            "country" => &mut self.country,
            _ => return None,
        })
    }
}

impl From<Address> for AddressPatch {
    fn from(a: Address) -> Self {
        AddressPatch {
            line: Some(a.line),
            city: Some(a.city),
            region: Some(a.region),
            postcode: Some(a.postcode),
            country: Some(a.country),
        }
    }
}

/// A position on Earth (WGS 84). Set as a whole: two agents placing the same prospect at
/// different points is one conflict, never a mix of one's latitude and the other's longitude.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    /// How far the true position may be from this one, in metres, when the device said.
    pub accuracy_m: Option<f64>,
    /// When the position was captured.
    pub at: Timestamp,
}

impl Location {
    /// Whether the coordinates are finite and on the globe.
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
            && self.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0)
    }

    /// Great-circle distance in metres (haversine on a sphere of the mean Earth radius).
    pub fn distance_m(&self, other: &Location) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_008.8;
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lon - self.lon).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }
}

/// A person to talk to at a prospect. Each field merges on its own.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub role: String,
    pub phone: String,
    pub email: String,
}

impl Contact {
    pub const FIELDS: [&'static str; 4] = ["name", "role", "phone", "email"];

    pub fn field(&self, name: &str) -> Option<&str> {
        Some(match name {
            "name" => &self.name,
            "role" => &self.role,
            "phone" => &self.phone,
            "email" => &self.email,
            _ => return None,
        })
    }

    pub(crate) fn field_mut(&mut self, name: &str) -> Option<&mut String> {
        Some(match name {
            "name" => &mut self.name,
            "role" => &mut self.role,
            "phone" => &mut self.phone,
            "email" => &mut self.email,
            _ => return None,
        })
    }
}

/// A change to some fields of a contact; `None` leaves a field as it is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub role: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl ContactPatch {
    pub(crate) fn fields(&self) -> [(&'static str, Option<&String>); 4] {
        [
            ("name", self.name.as_ref()),
            ("role", self.role.as_ref()),
            ("phone", self.phone.as_ref()),
            ("email", self.email.as_ref()),
        ]
    }
}

/// Which published questionnaire version a visit answered.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QuestionnaireRef {
    pub id: QuestionnaireId,
    pub version: u32,
}

/// One census visit: an agent at the prospect, answering a questionnaire. Visits are written once
/// and keyed by id, so visits recorded on different devices all survive a merge.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: VisitId,
    pub at: Timestamp,
    pub agent: UserId,
    pub questionnaire: QuestionnaireRef,
    pub answers: BTreeMap<QuestionId, Answer>,
    pub location: Option<Location>,
    /// What came of the visit in the agent's words, e.g. "owner away, call back Monday".
    pub outcome: String,
}

/// A photo attached to the prospect. The bytes live outside the document, addressed by hash.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    /// Lower-case hex SHA-256 of the image bytes.
    pub sha256: String,
    pub mime: String,
    pub bytes: u64,
    pub taken_at: Timestamp,
    pub caption: String,
}

/// Where a record stands in the manager's review.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewState {
    Pending,
    Approved,
    Flagged,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Pending => "pending",
            ReviewState::Approved => "approved",
            ReviewState::Flagged => "flagged",
        }
    }

    pub fn parse(text: &str) -> Option<ReviewState> {
        [ReviewState::Pending, ReviewState::Approved, ReviewState::Flagged].into_iter().find(|s| s.as_str() == text)
    }

    /// The state in words, as the window and exports show it.
    pub fn label(self) -> Localized {
        match self {
            ReviewState::Pending => Localized::new("Ждёт проверки", "Awaiting review"),
            ReviewState::Approved => Localized::new("Проверена", "Approved"),
            ReviewState::Flagged => Localized::new("Помечена", "Flagged"),
        }
    }
}

/// A manager's verdict on a prospect, set as a whole.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub state: ReviewState,
    pub by: UserId,
    pub at: Timestamp,
    pub comment: String,
    /// The document heads (hex change hashes) at approval, so the review queue can show what
    /// changed since.
    pub approved_heads: Vec<String>,
}

/// Who created the prospect, and when.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub at: Timestamp,
    pub by: UserId,
}

/// What a new prospect starts with.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewProspect {
    pub territory: TerritoryId,
    pub name: String,
    pub category: String,
    pub status: Status,
    pub address: Address,
    pub location: Option<Location>,
}

/// The whole prospect, read from its document. Where a field has concurrent values, this shows
/// the one Automerge picks on every replica alike; [`ProspectDoc::conflicts`](crate::ProspectDoc::conflicts)
/// lists them all.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prospect {
    pub id: ProspectId,
    pub territory: TerritoryId,
    pub name: String,
    pub category: String,
    pub status: Status,
    pub address: Address,
    pub location: Option<Location>,
    pub contacts: BTreeMap<ContactId, Contact>,
    pub tags: BTreeSet<String>,
    pub notes: String,
    pub visits: BTreeMap<VisitId, Visit>,
    pub photos: BTreeMap<String, Photo>,
    pub review: Option<Review>,
    pub merged_into: Option<ProspectId>,
    /// Prospects a manager has judged not to be duplicates of this one.
    pub distinct_from: BTreeSet<ProspectId>,
    pub deleted: bool,
    pub created: Created,
}
