//! Projections: what lists, filters, search and maps read instead of the documents.
//!
//! A projection row is derived entirely from a prospect's document, so it can always be rebuilt
//! from it; [`ProspectRow::from_document`] is that derivation, used on every write.

use census_core::{Prospect, ProspectDoc, ProspectId, ReviewState, Status, Timestamp};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::error::ReplicaError;

/// One prospect as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProspectRow {
    pub id: ProspectId,
    pub territory: String,
    pub name: String,
    pub category: String,
    pub status: Status,
    pub review_state: Option<ReviewState>,
    pub has_conflicts: bool,
    pub merged_into: Option<String>,
    pub deleted: bool,
    pub address: String,
    pub phones: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub visits: u32,
    pub last_visit_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The full-text fields of a prospect.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SearchText {
    pub(crate) name: String,
    pub(crate) address: String,
    pub(crate) contacts: String,
    pub(crate) notes: String,
}

impl ProspectRow {
    /// The row and the searchable text of a document as it stands; `p` is the document's read
    /// view, which the caller usually has already.
    pub(crate) fn from_document(doc: &mut ProspectDoc, p: &Prospect) -> (ProspectRow, SearchText) {
        let has_conflicts = !doc.conflicts().is_empty();
        let phones: Vec<&str> = p.contacts.values().map(|c| c.phone.as_str()).filter(|s| !s.is_empty()).collect();
        let contacts: Vec<String> = p
            .contacts
            .values()
            .map(|c| [c.name.as_str(), c.role.as_str(), c.phone.as_str(), c.email.as_str()].join(" "))
            .collect();
        let row = ProspectRow {
            id: p.id,
            territory: p.territory.to_string(),
            name: p.name.clone(),
            category: p.category.clone(),
            status: p.status,
            review_state: p.review.as_ref().map(|r| r.state),
            has_conflicts,
            merged_into: p.merged_into.map(|m| m.to_string()),
            deleted: p.deleted,
            address: p.address.one_line(),
            phones: phones.join(", "),
            lat: p.location.map(|l| l.lat),
            lon: p.location.map(|l| l.lon),
            visits: p.visits.len() as u32,
            last_visit_at: p.visits.values().map(|v| v.at).max(),
            created_at: p.created.at,
            updated_at: doc.updated_at(),
        };
        let text = SearchText {
            name: p.name.clone(),
            address: row.address.clone(),
            contacts: contacts.join("\n"),
            notes: p.notes.clone(),
        };
        (row, text)
    }
}

/// Rewrites the projection row, search text and map position of one prospect.
pub(crate) fn write_projection(
    conn: &Connection,
    doc: &mut ProspectDoc,
    prospect: &Prospect,
) -> Result<(), ReplicaError> {
    let (row, text): (ProspectRow, SearchText) = ProspectRow::from_document(doc, prospect);
    let rowid: i64 = conn.prepare_cached(
        "INSERT INTO prospects (id, territory, name, category, status, review_state, has_conflicts, merged_into, deleted, \
         address, phones, lat, lon, visits, last_visit_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
         ON CONFLICT (id) DO UPDATE SET territory = excluded.territory, name = excluded.name, category = excluded.category, \
         status = excluded.status, review_state = excluded.review_state, has_conflicts = excluded.has_conflicts, \
         merged_into = excluded.merged_into, deleted = excluded.deleted, address = excluded.address, phones = excluded.phones, \
         lat = excluded.lat, lon = excluded.lon, visits = excluded.visits, last_visit_at = excluded.last_visit_at, \
         created_at = excluded.created_at, updated_at = excluded.updated_at RETURNING row",
    )?
    .query_row(
        params![
            row.id.as_bytes(),
            row.territory,
            row.name,
            row.category,
            row.status.as_str(),
            row.review_state.map(|r| r.as_str()),
            row.has_conflicts,
            row.merged_into,
            row.deleted,
            row.address,
            row.phones,
            row.lat,
            row.lon,
            row.visits,
            row.last_visit_at.map(|t| t.unix_millis()),
            row.created_at.unix_millis(),
            row.updated_at.unix_millis(),
        ],
        |r| r.get(0),
    )?;
    conn.prepare_cached("DELETE FROM prospect_text WHERE rowid = ?1")?.execute([rowid])?;
    conn.prepare_cached(
        "INSERT INTO prospect_text (rowid, name, address, contacts, notes) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![rowid, text.name, text.address, text.contacts, text.notes])?;
    conn.prepare_cached("DELETE FROM prospect_places WHERE row = ?1")?.execute([rowid])?;
    if let (Some(lat), Some(lon)) = (row.lat, row.lon) {
        conn.prepare_cached(
            "INSERT INTO prospect_places (row, min_lat, max_lat, min_lon, max_lon) VALUES (?1, ?2, ?2, ?3, ?3)",
        )?
        .execute(params![rowid, lat, lon])?;
    }
    Ok(())
}
