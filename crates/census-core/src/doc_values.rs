//! Typed reads and writes of single values in an Automerge document.
//!
//! Documents arrive from other devices, so reads are lenient: a missing key or a value of an
//! unexpected type reads as absent, never as a panic. The layout of a prospect document is
//! written down once, in [`crate::prospect_doc`]; this module only knows about values.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value, hydrate};
use std::collections::HashMap;

use crate::prospect::Location;
use crate::questionnaire::{Answer, GeoPoint, PhotoAnswer};
use crate::time::Timestamp;

pub(crate) fn read_str(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<String> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => s.as_str().map(str::to_owned),
        _ => None,
    }
}

pub(crate) fn read_i64(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<i64> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => scalar_i64(&s),
        _ => None,
    }
}

pub(crate) fn read_f64(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<f64> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::F64(x) => Some(*x),
            other => scalar_i64(other).map(|n| n as f64),
        },
        _ => None,
    }
}

pub(crate) fn read_timestamp(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<Timestamp> {
    read_i64(doc, obj, key).map(Timestamp::from_unix_millis)
}

/// The object stored at `key`, if it is an object of type `kind`.
/// The current value of every key of one map, read in one pass: looking keys up one by one
/// costs a seek through the document's operations each time, which made reading a whole
/// prospect several times slower.
pub(crate) struct MapView {
    entries: HashMap<String, (Value<'static>, ObjId)>,
}

impl MapView {
    pub(crate) fn of(doc: &AutoCommit, obj: &ObjId) -> MapView {
        let entries = doc.map_range(obj, ..).map(|item| {
            let id = item.id();
            (item.key.into_owned(), (item.value.into_value(), id))
        });
        MapView { entries: entries.collect() }
    }

    pub(crate) fn str(&self, key: &str) -> Option<String> {
        match self.entries.get(key)? {
            (Value::Scalar(s), _) => s.as_str().map(str::to_owned),
            _ => None,
        }
    }

    pub(crate) fn bool(&self, key: &str) -> Option<bool> {
        match self.entries.get(key)? {
            (Value::Scalar(s), _) => match s.as_ref() {
                ScalarValue::Boolean(b) => Some(*b),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn obj(&self, key: &str, kind: ObjType) -> Option<ObjId> {
        match self.entries.get(key)? {
            (Value::Object(t), id) if *t == kind => Some(id.clone()),
            _ => None,
        }
    }
}

pub(crate) fn read_obj(doc: &AutoCommit, obj: &ObjId, key: &str, kind: ObjType) -> Option<ObjId> {
    match doc.get(obj, key).ok()?? {
        (Value::Object(t), id) if t == kind => Some(id),
        _ => None,
    }
}

pub(crate) fn map_keys(doc: &AutoCommit, obj: &ObjId) -> Vec<String> {
    doc.keys(obj).collect()
}

fn scalar_i64(s: &ScalarValue) -> Option<i64> {
    match s {
        ScalarValue::Int(n) | ScalarValue::Timestamp(n) => Some(*n),
        ScalarValue::Uint(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// Puts a string unless the key already holds exactly this one value.
pub(crate) fn put_str(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: &str,
) -> Result<(), automerge::AutomergeError> {
    put_scalar(doc, obj, key, ScalarValue::Str(value.into()))
}

/// Like [`put_str`], for a flag.
pub(crate) fn put_bool(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: bool,
) -> Result<(), automerge::AutomergeError> {
    put_scalar(doc, obj, key, ScalarValue::Boolean(value))
}

/// Writes `value` even when the field already holds it, so that the write comes after every
/// change this device has seen: keeping a deletion or a merge that later work contested settles
/// it this way.
pub(crate) fn put_again(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: ScalarValue,
) -> Result<(), automerge::AutomergeError> {
    match doc.get_all(obj, key)?.as_slice() {
        // Automerge skips a put of the value a field holds; a placeholder first makes it one.
        [(Value::Scalar(s), _)] if s.as_ref() == &value => {
            doc.put(obj, key, ScalarValue::Null)?;
            doc.put(obj, key, value)
        }
        _ => put_scalar(doc, obj, key, value),
    }
}

fn put_scalar(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: ScalarValue,
) -> Result<(), automerge::AutomergeError> {
    let current = doc.get_all(obj, key)?;
    match current.as_slice() {
        [(Value::Scalar(s), _)] if s.as_ref() == &value => return Ok(()),
        [_, _, ..] => {
            // Automerge records a put of the value that currently wins a conflict as deletes of
            // the other values, and a concurrent edit elsewhere can then erase this write without
            // a trace. A placeholder first makes this edit a new value that supersedes every value
            // seen here, so it shows up as a conflict against anything concurrent.
            doc.put(obj, key, ScalarValue::Null)?;
        }
        _ => {}
    }
    doc.put(obj, key, value)
}

/// A map value built in memory, to be written as a whole with
/// [`Transactable::batch_create_object`] (one splice into the document instead of one per key,
/// several times faster for visits and new prospects).
pub(crate) fn map_value<K: Into<String>>(entries: impl IntoIterator<Item = (K, hydrate::Value)>) -> hydrate::Value {
    let map: HashMap<String, hydrate::Value> = entries.into_iter().map(|(k, v)| (k.into(), v)).collect();
    hydrate::Map::from(map).into()
}

pub(crate) fn text_value(text: &str) -> hydrate::Value {
    hydrate::Value::scalar(text)
}

pub(crate) fn location_value(location: &Location) -> hydrate::Value {
    let mut entries = vec![
        ("lat", hydrate::Value::from(location.lat)),
        ("lon", hydrate::Value::from(location.lon)),
        ("at", hydrate::Value::from(location.at.unix_millis())),
    ];
    if let Some(accuracy) = location.accuracy_m {
        entries.push(("accuracy_m", hydrate::Value::from(accuracy)));
    }
    map_value(entries)
}

/// Writes a map value at `key`, replacing what was there (and superseding concurrent values
/// seen here).
pub(crate) fn put_map(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    value: &hydrate::Value,
) -> Result<(), automerge::AutomergeError> {
    doc.batch_create_object(obj, key, value, false)?;
    Ok(())
}

pub(crate) fn read_location_obj(doc: &AutoCommit, map: &ObjId) -> Option<Location> {
    let location = Location {
        lat: read_f64(doc, map, "lat")?,
        lon: read_f64(doc, map, "lon")?,
        accuracy_m: read_f64(doc, map, "accuracy_m"),
        at: read_timestamp(doc, map, "at").unwrap_or(Timestamp::from_unix_millis(0)),
    };
    location.is_valid().then_some(location)
}

/// Answers are stored as `{type, value}` maps so that a visit reads back typed without its
/// questionnaire at hand.
pub(crate) fn answer_value(answer: &Answer) -> hydrate::Value {
    let value = match answer {
        Answer::Text(s) | Answer::SelectOne(s) | Answer::Date(s) | Answer::Phone(s) | Answer::Email(s) => text_value(s),
        Answer::Integer(n) => hydrate::Value::from(*n),
        Answer::Decimal(x) => hydrate::Value::from(*x),
        Answer::SelectMany(values) => hydrate::Value::from(values.iter().map(|v| text_value(v)).collect::<Vec<_>>()),
        Answer::Geopoint(p) => {
            let mut entries = vec![("lat", hydrate::Value::from(p.lat)), ("lon", hydrate::Value::from(p.lon))];
            if let Some(a) = p.accuracy_m {
                entries.push(("accuracy_m", hydrate::Value::from(a)));
            }
            map_value(entries)
        }
        Answer::Photo(p) => map_value([("sha256", text_value(&p.sha256)), ("mime", text_value(&p.mime))]),
    };
    map_value([("type", text_value(answer.kind().as_str())), ("value", value)])
}

pub(crate) fn read_answer(doc: &AutoCommit, map: &ObjId) -> Option<Answer> {
    let kind = read_str(doc, map, "type")?;
    let text = || read_str(doc, map, "value");
    Some(match kind.as_str() {
        "text" => Answer::Text(text()?),
        "select_one" => Answer::SelectOne(text()?),
        "date" => Answer::Date(text()?),
        "phone" => Answer::Phone(text()?),
        "email" => Answer::Email(text()?),
        "integer" => Answer::Integer(read_i64(doc, map, "value")?),
        "decimal" => Answer::Decimal(read_f64(doc, map, "value")?),
        "select_many" => {
            let list = read_obj(doc, map, "value", ObjType::List)?;
            let values = doc
                .list_range(&list, ..)
                .filter_map(|item| match item.value {
                    automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => Some(s.into_owned()),
                    _ => None,
                })
                .collect();
            Answer::SelectMany(values)
        }
        "geopoint" => {
            let point = read_obj(doc, map, "value", ObjType::Map)?;
            Answer::Geopoint(GeoPoint {
                lat: read_f64(doc, &point, "lat")?,
                lon: read_f64(doc, &point, "lon")?,
                accuracy_m: read_f64(doc, &point, "accuracy_m"),
            })
        }
        "photo" => {
            let photo = read_obj(doc, map, "value", ObjType::Map)?;
            Answer::Photo(PhotoAnswer {
                sha256: read_str(doc, &photo, "sha256")?,
                mime: read_str(doc, &photo, "mime")?,
            })
        }
        _ => return None,
    })
}
