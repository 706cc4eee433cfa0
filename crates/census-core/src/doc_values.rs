//! Typed reads and writes of single values in an Automerge document.
//!
//! Documents arrive from other devices, so reads are lenient: a missing key or a value of an
//! unexpected type reads as absent, never as a panic. The layout of a prospect document is
//! written down once, in [`crate::prospect_doc`]; this module only knows about values.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValue, Value};

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

pub(crate) fn read_bool(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<bool> {
    match doc.get(obj, key).ok()?? {
        (Value::Scalar(s), _) => s.as_bool(),
        _ => None,
    }
}

pub(crate) fn read_timestamp(doc: &AutoCommit, obj: &ObjId, key: &str) -> Option<Timestamp> {
    read_i64(doc, obj, key).map(Timestamp::from_unix_millis)
}

/// The object stored at `key`, if it is an object of type `kind`.
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

pub(crate) fn write_location(
    doc: &mut AutoCommit,
    obj: &ObjId,
    key: &str,
    location: &Location,
) -> Result<(), automerge::AutomergeError> {
    let map = doc.put_object(obj, key, ObjType::Map)?;
    doc.put(&map, "lat", location.lat)?;
    doc.put(&map, "lon", location.lon)?;
    if let Some(accuracy) = location.accuracy_m {
        doc.put(&map, "accuracy_m", accuracy)?;
    }
    doc.put(&map, "at", location.at.unix_millis())?;
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
pub(crate) fn write_answer(
    doc: &mut AutoCommit,
    answers: &ObjId,
    key: &str,
    answer: &Answer,
) -> Result<(), automerge::AutomergeError> {
    let map = doc.put_object(answers, key, ObjType::Map)?;
    doc.put(&map, "type", answer.kind().as_str())?;
    match answer {
        Answer::Text(s) | Answer::SelectOne(s) | Answer::Date(s) | Answer::Phone(s) | Answer::Email(s) => {
            doc.put(&map, "value", s.as_str())?;
        }
        Answer::Integer(n) => doc.put(&map, "value", *n)?,
        Answer::Decimal(x) => doc.put(&map, "value", *x)?,
        Answer::SelectMany(values) => {
            let list = doc.put_object(&map, "value", ObjType::List)?;
            for (i, v) in values.iter().enumerate() {
                doc.insert(&list, i, v.as_str())?;
            }
        }
        Answer::Geopoint(p) => {
            let point = doc.put_object(&map, "value", ObjType::Map)?;
            doc.put(&point, "lat", p.lat)?;
            doc.put(&point, "lon", p.lon)?;
            if let Some(a) = p.accuracy_m {
                doc.put(&point, "accuracy_m", a)?;
            }
        }
        Answer::Photo(p) => {
            let photo = doc.put_object(&map, "value", ObjType::Map)?;
            doc.put(&photo, "sha256", p.sha256.as_str())?;
            doc.put(&photo, "mime", p.mime.as_str())?;
        }
    }
    Ok(())
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
