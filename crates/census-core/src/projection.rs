//! Projections: the flat row a prospect is listed, filtered, searched and mapped by, derived
//! entirely from its document.
//!
//! Devices keep one projection row per prospect so that lists never open documents. The server
//! derives the same rows when it compacts documents, and hands them to a fresh device with the
//! snapshots ([`crate::wire::BootstrapPage`]), which spares that device loading every document.
//! Both sides run this one derivation; [`PROJECTION_VERSION`] says which, so a device never
//! trusts a row derived differently from its own (it derives the row itself instead).

use serde::{Deserialize, Serialize};

use crate::ids::{ProspectId, UserId};
use crate::prospect::{Prospect, ReviewState, Status};
use crate::prospect_doc::ProspectDoc;
use crate::time::Timestamp;

/// The version of [`ProspectDoc::projection`]; raise it whenever a row would come out
/// differently for the same document.
pub const PROJECTION_VERSION: u64 = 4;

/// One prospect as lists show it.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// In the manager's review queue: never approved, or changed since the approval.
    pub awaiting_review: bool,
}

/// One census visit as dashboards count it: who and when.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VisitEntry {
    pub at: Timestamp,
    pub agent: UserId,
}

/// A prospect's row, the text full-text search finds it by (besides the row's name and
/// address), and its visits for the dashboards.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    pub row: ProspectRow,
    /// Every contact's name, role, phone and email, one contact per line.
    pub contacts: String,
    pub notes: String,
    /// Every visit, oldest first.
    pub visits: Vec<VisitEntry>,
    /// The prospects judged not to be duplicates of this one.
    pub distinct_from: Vec<ProspectId>,
}

impl ProspectDoc {
    /// The projection of the document as it stands; `p` is the document's read view, which the
    /// caller usually has already.
    pub fn projection(&mut self, p: &Prospect) -> Projection {
        let phones: Vec<&str> = p.contacts.values().map(|c| c.phone.as_str()).filter(|s| !s.is_empty()).collect();
        let contacts: Vec<String> = p
            .contacts
            .values()
            .map(|c| [c.name.as_str(), c.role.as_str(), c.phone.as_str(), c.email.as_str()].join(" "))
            .collect();
        let conflicts = self.conflicts();
        // A deletion or a merge in dispute does not hide the prospect: whoever settles it (and
        // the agent whose work it is) must see it.
        let disputed = |field: &str| conflicts.iter().any(|c| c.path.segments() == [field]);
        let row = ProspectRow {
            id: p.id,
            territory: p.territory.to_string(),
            name: p.name.clone(),
            category: p.category.clone(),
            status: p.status,
            review_state: p.review.as_ref().map(|r| r.state),
            has_conflicts: !conflicts.is_empty(),
            merged_into: p.merged_into.filter(|_| !disputed("merged_into")).map(|m| m.to_string()),
            deleted: p.deleted && !disputed("deleted"),
            address: p.address.one_line(),
            phones: phones.join(", "),
            lat: p.location.map(|l| l.lat),
            lon: p.location.map(|l| l.lon),
            visits: p.visits.len() as u32,
            last_visit_at: p.visits.values().map(|v| v.at).max(),
            created_at: p.created.at,
            updated_at: self.updated_at(),
            awaiting_review: self.changed_since_approval(p.review.as_ref()).is_none_or(|edits| !edits.is_empty()),
        };
        let mut visits: Vec<VisitEntry> = p.visits.values().map(|v| VisitEntry { at: v.at, agent: v.agent }).collect();
        visits.sort();
        let distinct_from = p.distinct_from.iter().copied().collect();
        Projection { row, contacts: contacts.join("\n"), notes: p.notes.clone(), visits, distinct_from }
    }
}
