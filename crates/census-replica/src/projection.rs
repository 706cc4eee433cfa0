//! Projections: what lists, filters, search and maps read instead of the documents.
//!
//! A projection row is derived entirely from a prospect's document, so it can always be rebuilt
//! from it; census-core's `ProspectDoc::projection` is that derivation, used on every write.
//!
//! The rows of a transaction are written as they come, but their search text and map positions
//! wait for the end of it ([`ProjectionBatch::finish`]) and go in with one statement each: FTS5
//! flushes its pending terms to disk whenever a statement of the transaction opens a savepoint,
//! so writing them prospect by prospect would cost a flush, and later a merge, per prospect.

use std::collections::{BTreeMap, BTreeSet};

use census_core::{Projection, Prospect, ProspectDoc, VisitEntry};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::ReplicaError;

/// Rewrites the projection of one prospect.
pub(crate) fn write_projection(
    conn: &Connection,
    doc: &mut ProspectDoc,
    prospect: &Prospect,
) -> Result<(), ReplicaError> {
    let mut batch = ProjectionBatch::default();
    batch.add(conn, &doc.projection(prospect))?;
    batch.finish(conn)
}

/// The projections written in one transaction; [`ProjectionBatch::finish`] must run before
/// the commit.
#[derive(Debug, Default)]
pub(crate) struct ProjectionBatch {
    /// Search text by row: name, address, contacts, notes.
    text: BTreeMap<i64, [String; 4]>,
    /// Map positions by row.
    places: BTreeMap<i64, Option<(f64, f64)>>,
    /// Visits (when, by whom) by row.
    visits: BTreeMap<i64, Vec<VisitEntry>>,
    /// Rows that existed before this batch, whose old text and position go.
    replaced: BTreeSet<i64>,
    /// Rows this batch created.
    created: BTreeSet<i64>,
}

impl ProjectionBatch {
    /// Writes a prospect's row now; its search text and position wait for [`Self::finish`].
    pub(crate) fn add(&mut self, conn: &Connection, projection: &Projection) -> Result<(), ReplicaError> {
        let row = &projection.row;
        let existing: Option<i64> = conn
            .prepare_cached("SELECT row FROM prospects WHERE id = ?1")?
            .query_row([row.id.as_bytes()], |r| r.get(0))
            .optional()?;
        let rowid: i64 = conn.prepare_cached(
        "INSERT INTO prospects (id, territory, name, category, status, review_state, has_conflicts, merged_into, deleted, \
         address, phones, lat, lon, visits, last_visit_at, created_at, updated_at, awaiting_review, distinct_from, name_order) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20) \
         ON CONFLICT (id) DO UPDATE SET territory = excluded.territory, name = excluded.name, category = excluded.category, \
         status = excluded.status, review_state = excluded.review_state, has_conflicts = excluded.has_conflicts, \
         merged_into = excluded.merged_into, deleted = excluded.deleted, address = excluded.address, phones = excluded.phones, \
         lat = excluded.lat, lon = excluded.lon, visits = excluded.visits, last_visit_at = excluded.last_visit_at, \
         created_at = excluded.created_at, updated_at = excluded.updated_at, awaiting_review = excluded.awaiting_review, \
         distinct_from = excluded.distinct_from, name_order = excluded.name_order \
         RETURNING row",
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
            row.awaiting_review,
            projection.distinct_from.iter().map(ToString::to_string).collect::<Vec<_>>().join(" "),
            census_core::sort_key(&row.name),
        ],
        |r| r.get(0),
    )?;
        match existing {
            Some(existing) if !self.created.contains(&existing) => self.replaced.insert(existing),
            Some(_) => false,
            None => self.created.insert(rowid),
        };
        let text = [row.name.clone(), row.address.clone(), projection.contacts.clone(), projection.notes.clone()];
        self.text.insert(rowid, text);
        self.places.insert(rowid, row.lat.zip(row.lon));
        self.visits.insert(rowid, projection.visits.clone());
        Ok(())
    }

    /// Writes the search text and map positions of every prospect added.
    pub(crate) fn finish(self, conn: &Connection) -> Result<(), ReplicaError> {
        if self.text.is_empty() {
            return Ok(());
        }
        if !self.replaced.is_empty() {
            let replaced = json(&self.replaced)?;
            conn.prepare_cached("DELETE FROM prospect_text WHERE rowid IN (SELECT value FROM json_each(?1))")?
                .execute([&replaced])?;
            conn.prepare_cached("DELETE FROM prospect_places WHERE row IN (SELECT value FROM json_each(?1))")?
                .execute([&replaced])?;
            conn.prepare_cached("DELETE FROM prospect_visits WHERE row IN (SELECT value FROM json_each(?1))")?
                .execute([&replaced])?;
        }
        let text: Vec<(i64, &[String; 4])> = self.text.iter().map(|(row, text)| (*row, text)).collect();
        conn.prepare_cached(
            "INSERT INTO prospect_text (rowid, name, address, contacts, notes) \
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(?1)",
        )?
        .execute([json(&text.iter().map(|(row, t)| (row, &t[0], &t[1], &t[2], &t[3])).collect::<Vec<_>>())?])?;
        let places: Vec<(i64, f64, f64)> =
            self.places.iter().filter_map(|(row, place)| place.map(|(lat, lon)| (*row, lat, lon))).collect();
        if !places.is_empty() {
            conn.prepare_cached(
                "INSERT INTO prospect_places (row, min_lat, max_lat, min_lon, max_lon) \
                 SELECT value ->> 0, value ->> 1, value ->> 1, value ->> 2, value ->> 2 FROM json_each(?1)",
            )?
            .execute([json(&places)?])?;
        }
        let visits: Vec<(i64, i64, String)> = self
            .visits
            .iter()
            .flat_map(|(row, visits)| visits.iter().map(|v| (*row, v.at.unix_millis(), hex(v.agent.as_bytes()))))
            .collect();
        if !visits.is_empty() {
            conn.prepare_cached(
                "INSERT INTO prospect_visits (row, at, agent) \
                 SELECT value ->> 0, value ->> 1, unhex(value ->> 2) FROM json_each(?1)",
            )?
            .execute([json(&visits)?])?;
        }
        Ok(())
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, ReplicaError> {
    serde_json::to_string(value).map_err(|e| ReplicaError::Corrupt(format!("a projection cannot be written: {e}")))
}

/// Derives every projection again from the documents, once, when a migration made the stored
/// ones stale (a new column, the visit log); a document that does not load keeps its old row.
pub(crate) fn rebuild_stale_projections(
    conn: &mut Connection,
    device: census_core::DeviceId,
) -> Result<(), ReplicaError> {
    if crate::replica::info(conn, "projections_stale")?.is_none() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let ids: Vec<Vec<u8>> =
        tx.prepare("SELECT id FROM prospects")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut batch = ProjectionBatch::default();
    for id in ids {
        let id = census_core::ProspectId::from_bytes(
            id.try_into().map_err(|_| ReplicaError::Corrupt("a prospect id is unreadable".into()))?,
        );
        let Ok(mut doc) = crate::documents::load_document(&tx, id, device) else { continue };
        let prospect = doc.read();
        batch.add(&tx, &doc.projection(&prospect))?;
    }
    batch.finish(&tx)?;
    tx.execute("DELETE FROM replica_info WHERE key = 'projections_stale'", [])?;
    tx.commit()?;
    Ok(())
}
