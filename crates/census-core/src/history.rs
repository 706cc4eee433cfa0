//! Per-field history: for every field of a prospect, who changed it, when, and from which device.
//!
//! Nothing extra is stored for it. Each Automerge change already carries its author's device
//! (the actor), its time, and the user and source in its message; replaying what each change
//! did to the document (a diff from the change's dependencies to the change) tells which fields
//! it touched.

use std::collections::BTreeMap;

use automerge::{AutoCommit, PatchAction, Prop, ScalarValue, Value};
use serde::{Deserialize, Serialize};

use crate::conflict::FieldPath;
use crate::ids::{DeviceId, UserId};
use crate::prospect_doc::ChangeOrigin;
use crate::time::Timestamp;

/// One change of one field.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldEdit {
    /// The field, at the level people think of: `name`, `address/city`, `contacts/<id>/phone`,
    /// `visits/<id>` (a whole visit), `notes`, `location`.
    pub path: FieldPath,
    /// The value written, for plain fields (none for removals, text edits and whole records).
    pub value: Option<String>,
    pub at: Timestamp,
    pub user: Option<UserId>,
    pub device: Option<DeviceId>,
    /// Where the edit came from when not typed on a device, e.g. an import.
    pub source: Option<String>,
    /// The change's hash (hex), shared by every field it touched.
    pub change: String,
}

/// How many leading segments of a path name a field, by the container it starts in. Containers
/// whose members are records added whole (visits, photos) or replaced whole (location, review)
/// are reported at the record's level.
fn field_depth(first: &str) -> usize {
    match first {
        "location" | "review" | "notes" | "created" => 1,
        "visits" | "photos" | "tags" | "address" => 2,
        "contacts" => 3,
        _ => 1,
    }
}

/// Every field edit in the document, oldest first: changes in causal order, concurrent ones by
/// time and hash (the same on every device), then by path.
pub(crate) fn field_history(doc: &mut AutoCommit) -> Vec<FieldEdit> {
    field_history_since(doc, &[])
}

/// The field edits of the changes made after `heads` (every edit when `heads` is empty), oldest
/// first. Only those changes are replayed, so asking about a few recent changes costs little.
pub(crate) fn field_history_since(doc: &mut AutoCommit, heads: &[automerge::ChangeHash]) -> Vec<FieldEdit> {
    let changes = causal_order(doc.get_changes_meta(heads).into_iter().map(|m| Change {
        hash: m.hash,
        deps: m.deps.clone(),
        at: m.timestamp,
    }));
    let mut edits = Vec::new();
    for (hash, deps) in changes {
        // A field written whole and then in parts within one change is one edit.
        let mut touched: BTreeMap<FieldPath, Option<String>> = BTreeMap::new();
        for patch in doc.diff(&deps, &[hash]) {
            let mut segments: Vec<String> = patch.path.iter().map(|(_, prop)| prop_text(prop)).collect();
            let mut creates_container = false;
            let value = match &patch.action {
                PatchAction::PutMap { key, value, .. } => {
                    segments.push(key.clone());
                    creates_container = matches!(value.0, Value::Object(_));
                    scalar_text(&value.0)
                }
                PatchAction::DeleteMap { key } => {
                    segments.push(key.clone());
                    None
                }
                PatchAction::Conflict { prop } | PatchAction::Increment { prop, .. } => {
                    segments.push(prop_text(prop));
                    None
                }
                _ => None,
            };
            let Some(first) = segments.first() else { continue };
            if matches!(first.as_str(), "schema" | "id" | "created") {
                continue;
            }
            let depth = field_depth(first);
            // Empty containers (a prospect's maps, a new contact before its fields) are not edits
            // of their own; neither are the empty defaults a new prospect starts with.
            let empty_default = deps.is_empty()
                && (creates_container && first == "notes" || matches!(value.as_deref(), Some("" | "false")));
            if creates_container && segments.len() < depth || empty_default {
                continue;
            }
            // A value only describes the field when it was written at the field's own level.
            let value = if segments.len() == depth { value } else { None };
            segments.truncate(depth);
            let slot = touched.entry(FieldPath::new(segments)).or_default();
            if slot.is_none() {
                *slot = value;
            }
        }
        let Some(meta) = doc.get_change_meta_by_hash(&hash) else { continue };
        let origin = ChangeOrigin::from_message(meta.message.as_deref());
        let (at, device) = (Timestamp::from_unix_millis(meta.timestamp), DeviceId::from_actor(&meta.actor));
        for (path, value) in touched {
            edits.push(FieldEdit {
                path,
                value,
                at,
                user: origin.user,
                device,
                source: origin.source.clone(),
                change: hash.to_string(),
            });
        }
    }
    edits
}

/// A change as the history orders it.
struct Change {
    hash: automerge::ChangeHash,
    deps: Vec<automerge::ChangeHash>,
    at: i64,
}

/// The changes in causal order (each after those it builds on), concurrent ones by their time
/// and then their hash: the same order on every device, whatever order they arrived in.
fn causal_order(changes: impl IntoIterator<Item = Change>) -> Vec<(automerge::ChangeHash, Vec<automerge::ChangeHash>)> {
    use std::collections::{BTreeSet, HashMap};
    let changes: Vec<Change> = changes.into_iter().collect();
    let index: HashMap<automerge::ChangeHash, usize> = changes.iter().enumerate().map(|(i, c)| (c.hash, i)).collect();
    // Only dependencies among these changes count (the others came before all of them).
    let mut waiting_for: Vec<usize> =
        changes.iter().map(|c| c.deps.iter().filter(|d| index.contains_key(d)).count()).collect();
    let mut followers: Vec<Vec<usize>> = vec![Vec::new(); changes.len()];
    for (i, change) in changes.iter().enumerate() {
        for dep in change.deps.iter().filter_map(|d| index.get(d)) {
            followers[*dep].push(i);
        }
    }
    let key = |i: usize| (changes[i].at, changes[i].hash.0, i);
    let mut ready: BTreeSet<(i64, [u8; 32], usize)> =
        (0..changes.len()).filter(|i| waiting_for[*i] == 0).map(key).collect();
    let mut ordered = Vec::with_capacity(changes.len());
    while let Some((_, _, next)) = ready.pop_first() {
        ordered.push((changes[next].hash, changes[next].deps.clone()));
        for &follower in &followers[next] {
            waiting_for[follower] -= 1;
            if waiting_for[follower] == 0 {
                ready.insert(key(follower));
            }
        }
    }
    ordered
}

fn prop_text(prop: &Prop) -> String {
    match prop {
        Prop::Map(key) => key.clone(),
        Prop::Seq(index) => index.to_string(),
    }
}

fn scalar_text(value: &Value<'_>) -> Option<String> {
    match value {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(t) => Some(t.to_string()),
            ScalarValue::Int(i) => Some(i.to_string()),
            ScalarValue::Uint(u) => Some(u.to_string()),
            ScalarValue::F64(f) => Some(f.to_string()),
            ScalarValue::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        Value::Object(_) => None,
    }
}
