//! Conflicts: fields that several people set at once, while apart.
//!
//! Automerge keeps every concurrent value of a field (a multi-value register) and picks the same
//! one on every device for display. Census does not let that choice pass silently: each such
//! field is listed with every value, the device and person that set it, and when, until someone
//! picks a value with [`ProspectEditor::resolve`](crate::ProspectEditor::resolve).
//!
//! A deletion or a merge that work made apart arrived after is listed the same way, so that the
//! work is not hidden with the prospect (see `contested_ending`).

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, Value};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::doc_values::{map_keys, read_location_obj, read_obj};
use crate::ids::{DeviceId, UserId};
use crate::prospect::{Address, Location, Review};
use crate::prospect_doc::{ChangeOrigin, read_review};
use crate::time::Timestamp;

/// Where a field lives in a prospect, e.g. `name`, `address/city`, `contacts/<id>/phone`.
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct FieldPath(Vec<String>);

impl FieldPath {
    pub fn new<S: Into<String>>(segments: impl IntoIterator<Item = S>) -> Self {
        FieldPath(segments.into_iter().map(Into::into).collect())
    }

    pub fn segments(&self) -> &[String] {
        &self.0
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("/"))
    }
}

impl From<FieldPath> for String {
    fn from(path: FieldPath) -> String {
        path.to_string()
    }
}

impl TryFrom<String> for FieldPath {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        text.parse()
    }
}

impl std::str::FromStr for FieldPath {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let segments: Vec<String> = text.split('/').map(str::to_owned).collect();
        if segments.iter().any(String::is_empty) {
            return Err(format!("\"{text}\" is not a field path such as name or address/city"));
        }
        Ok(FieldPath(segments))
    }
}

/// The value of a field that can be in conflict.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum FieldValue {
    Text(String),
    Flag(bool),
    Location(Location),
    Review(Review),
    /// The field was removed (e.g. a position cleared).
    Missing,
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(t) => write!(f, "\"{t}\""),
            FieldValue::Flag(b) => write!(f, "{b}"),
            FieldValue::Location(l) => write!(f, "{:.6}, {:.6}", l.lat, l.lon),
            FieldValue::Review(r) => write!(f, "{} by {}", r.state.as_str(), r.by),
            FieldValue::Missing => f.write_str("(empty)"),
        }
    }
}

/// One of a conflict's values, with where it came from.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictValue {
    pub value: FieldValue,
    /// The device that set it (its Automerge actor), when the actor is a Census device.
    pub device: Option<DeviceId>,
    /// The Automerge actor id in hex, for devices unknown to the directory.
    pub actor: String,
    pub user: Option<UserId>,
    pub source: Option<String>,
    pub at: Timestamp,
}

/// A field with several concurrent values.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub path: FieldPath,
    /// Every distinct value, in the same order on every device.
    pub values: Vec<ConflictValue>,
}

const ROOT_FIELDS: [&str; 8] =
    ["territory", "name", "category", "status", "location", "review", "merged_into", "deleted"];

pub(crate) fn list_conflicts(doc: &mut AutoCommit) -> Vec<Conflict> {
    let mut places: Vec<(ObjId, String, FieldPath)> =
        ROOT_FIELDS.iter().map(|f| (ROOT, f.to_string(), FieldPath::new([*f]))).collect();
    if let Some(address) = read_obj(doc, &ROOT, "address", ObjType::Map) {
        for part in Address::PARTS {
            places.push((address.clone(), part.to_owned(), FieldPath::new(["address", part])));
        }
    }
    if let Some(contacts) = read_obj(doc, &ROOT, "contacts", ObjType::Map) {
        for contact in map_keys(doc, &contacts) {
            if let Some(map) = read_obj(doc, &contacts, &contact, ObjType::Map) {
                for field in map_keys(doc, &map) {
                    places.push((
                        map.clone(),
                        field.clone(),
                        FieldPath::new(["contacts", contact.as_str(), field.as_str()]),
                    ));
                }
            }
        }
    }
    // Most fields hold one value; one pass over each map finds the few that hold several, so
    // only those are examined value by value.
    let mut flagged: Vec<(ObjId, std::collections::HashSet<String>)> = Vec::new();
    places
        .into_iter()
        .filter(|(obj, key, _)| {
            if !flagged.iter().any(|(o, _)| o == obj) {
                let keys = doc.map_range(obj, ..).filter(|item| item.conflict).map(|item| item.key.into_owned());
                flagged.push((obj.clone(), keys.collect()));
            }
            flagged.iter().any(|(o, keys)| o == obj && keys.contains(key))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .filter_map(|(obj, key, path)| conflict_at(doc, &obj, &key, path))
        .collect::<Vec<_>>()
        .into_iter()
        .chain(["deleted", "merged_into"].into_iter().filter_map(|key| contested_ending(doc, key)))
        .collect()
}

/// A deletion or a merge that work made apart from it met (an agent's contact typed offline
/// while a manager deleted the prospect): the work would vanish with the prospect. It is listed
/// as a conflict of the ending's field, the ending against the late work, until a manager keeps
/// one: the ending again (written after the work, which settles it) or the work (undoing the
/// ending). A field whose values already conflict is listed as that conflict instead.
fn contested_ending(doc: &mut AutoCommit, key: &str) -> Option<Conflict> {
    let all = doc.get_all(ROOT, key).ok()?;
    let [(Value::Scalar(value), op)] = all.as_slice() else { return None };
    let (ending, undone) = match (key, value.as_ref()) {
        ("deleted", automerge::ScalarValue::Boolean(true)) => (FieldValue::Flag(true), FieldValue::Flag(false)),
        ("merged_into", automerge::ScalarValue::Str(survivor)) => {
            (FieldValue::Text(survivor.to_string()), FieldValue::Missing)
        }
        _ => return None,
    };
    let ended = doc.hash_for_opid(op)?;
    let apart = made_apart_from(doc, ended);
    let late = crate::history::field_history_since(doc, &[ended]).into_iter().find(|edit| {
        apart.contains(&edit.change)
            && edit
                .path
                .segments()
                .first()
                .is_none_or(|f| !matches!(f.as_str(), "deleted" | "merged_into" | "review" | "distinct_from"))
    })?;
    let late_change = late.change.parse().ok();
    Some(Conflict {
        path: FieldPath::new([key]),
        values: vec![value_set_by(doc, ending, Some(ended)), value_set_by(doc, undone, late_change)],
    })
}

/// The changes made apart from `change` (neither before it nor knowing of it), as hex hashes:
/// work made knowing of a deletion or a merge is not work it hid.
fn made_apart_from(doc: &mut AutoCommit, change: automerge::ChangeHash) -> std::collections::HashSet<String> {
    let mut knowing = std::collections::HashSet::from([change]);
    let mut apart = std::collections::HashSet::new();
    // Changes come in causal order, so each one's dependencies are judged before it.
    for meta in doc.get_changes_meta(&[change]) {
        if meta.deps.iter().any(|dep| knowing.contains(dep)) {
            knowing.insert(meta.hash);
        } else {
            apart.insert(meta.hash.to_string());
        }
    }
    apart
}

/// A value, with who set it: the device, person and time of the change `hash`.
fn value_set_by(doc: &mut AutoCommit, value: FieldValue, hash: Option<automerge::ChangeHash>) -> ConflictValue {
    let meta = hash.and_then(|hash| doc.get_change_meta_by_hash(&hash));
    let (actor, at, origin) = match meta {
        Some(m) => (m.actor.into_owned(), m.timestamp, ChangeOrigin::from_message(m.message.as_deref())),
        None => (automerge::ActorId::from(&[][..]), 0, ChangeOrigin::default()),
    };
    ConflictValue {
        value,
        device: DeviceId::from_actor(&actor),
        actor: actor.to_hex_string(),
        user: origin.user,
        source: origin.source,
        at: Timestamp::from_unix_millis(at),
    }
}

fn conflict_at(doc: &mut AutoCommit, obj: &ObjId, key: &str, path: FieldPath) -> Option<Conflict> {
    let all = doc.get_all(obj, key).ok()?;
    if all.len() < 2 {
        return None;
    }
    let candidates: Vec<(FieldValue, ObjId)> = all
        .into_iter()
        .map(|(value, id)| {
            let field = match value {
                Value::Scalar(s) => match s.as_ref() {
                    automerge::ScalarValue::Str(t) => FieldValue::Text(t.to_string()),
                    automerge::ScalarValue::Boolean(b) => FieldValue::Flag(*b),
                    other => FieldValue::Text(other.to_string()),
                },
                Value::Object(ObjType::Map) if key == "location" => {
                    read_location_obj(doc, &id).map(FieldValue::Location).unwrap_or(FieldValue::Missing)
                }
                Value::Object(ObjType::Map) if key == "review" => {
                    read_review(doc, &id).map(FieldValue::Review).unwrap_or(FieldValue::Missing)
                }
                Value::Object(_) => FieldValue::Missing,
            };
            (field, id)
        })
        .collect();
    let mut values: Vec<ConflictValue> = Vec::new();
    for (value, op) in candidates {
        if values.iter().any(|v| v.value == value) {
            continue;
        }
        let set_by = doc.hash_for_opid(&op);
        values.push(value_set_by(doc, value, set_by));
    }
    (values.len() >= 2).then_some(Conflict { path, values })
}
