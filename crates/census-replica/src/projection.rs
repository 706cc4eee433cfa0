//! Projections: what lists, filters, search and maps read instead of the documents.
//!
//! A projection row is derived entirely from a prospect's document, so it can always be rebuilt
//! from it; [`ProspectRow::from_document`] is that derivation, used on every write.

use census_core::{Prospect, ProspectDoc, ProspectId, ReviewState, Status, Timestamp};
use serde::{Deserialize, Serialize};

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
