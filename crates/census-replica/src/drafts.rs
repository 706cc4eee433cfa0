//! Visit drafts: a census visit being filled in, kept on the device until it is recorded or
//! thrown away, so an agent interrupted mid-questionnaire (a call, a closed shop, a flat
//! battery) loses nothing. Drafts never leave the device and are not validated.

use census_core::{ProspectId, Timestamp, Visit, VisitId};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::documents::document_exists;
use crate::error::ReplicaError;
use crate::replica::Replica;

/// A visit not yet recorded.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitDraft {
    pub prospect: ProspectId,
    pub saved_at: Timestamp,
    pub visit: Visit,
}

impl Replica {
    /// Saves (or replaces) the draft of a visit to a prospect.
    pub fn save_visit_draft(
        &mut self,
        prospect: ProspectId,
        visit: &Visit,
        saved_at: Timestamp,
    ) -> Result<(), ReplicaError> {
        if !document_exists(&self.conn, prospect)? {
            return Err(ReplicaError::UnknownProspect(prospect));
        }
        let body = serde_json::to_string(visit).map_err(|e| ReplicaError::Storage(e.to_string()))?;
        self.conn.execute(
            "INSERT INTO visit_drafts (visit_id, prospect_id, saved_at, visit) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (visit_id) DO UPDATE SET prospect_id = excluded.prospect_id, saved_at = excluded.saved_at, \
             visit = excluded.visit",
            params![visit.id.as_bytes(), prospect.as_bytes(), saved_at.unix_millis(), body],
        )?;
        Ok(())
    }

    /// The drafts kept on this device, of one prospect or of all, most recent first.
    pub fn visit_drafts(&self, prospect: Option<ProspectId>) -> Result<Vec<VisitDraft>, ReplicaError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT prospect_id, saved_at, visit FROM visit_drafts WHERE ?1 IS NULL OR prospect_id = ?1 \
             ORDER BY saved_at DESC",
        )?;
        let rows = statement.query_map([prospect.map(|p| p.as_bytes().to_vec())], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
        })?;
        let damaged = || ReplicaError::Corrupt("a visit draft is damaged".into());
        let mut drafts = Vec::new();
        for row in rows {
            let (prospect, saved_at, body) = row?;
            drafts.push(VisitDraft {
                prospect: ProspectId::from_bytes(prospect.try_into().map_err(|_| damaged())?),
                saved_at: Timestamp::from_unix_millis(saved_at),
                visit: serde_json::from_str(&body).map_err(|_| damaged())?,
            });
        }
        Ok(drafts)
    }

    /// Throws a draft away; says whether there was one.
    pub fn discard_visit_draft(&mut self, visit: VisitId) -> Result<bool, ReplicaError> {
        discard(&self.conn, visit)
    }
}

pub(crate) fn discard(conn: &Connection, visit: VisitId) -> Result<bool, ReplicaError> {
    Ok(conn.prepare_cached("DELETE FROM visit_drafts WHERE visit_id = ?1")?.execute([visit.as_bytes()])? > 0)
}
