//! Projections: what lists, filters, search and maps read instead of the documents.
//!
//! A projection row is derived entirely from a prospect's document, so it can always be rebuilt
//! from it; census-core's `ProspectDoc::projection` is that derivation, used on every write.

use census_core::{Projection, Prospect, ProspectDoc};
use rusqlite::{Connection, params};

use crate::error::ReplicaError;

/// Rewrites the projection row, search text and map position of one prospect.
pub(crate) fn write_projection(
    conn: &Connection,
    doc: &mut ProspectDoc,
    prospect: &Prospect,
) -> Result<(), ReplicaError> {
    store_projection(conn, &doc.projection(prospect))
}

/// Writes a projection row, its search text and its map position.
pub(crate) fn store_projection(conn: &Connection, projection: &Projection) -> Result<(), ReplicaError> {
    let row = &projection.row;
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
    .execute(params![rowid, row.name, row.address, projection.contacts, projection.notes])?;
    conn.prepare_cached("DELETE FROM prospect_places WHERE row = ?1")?.execute([rowid])?;
    if let (Some(lat), Some(lon)) = (row.lat, row.lon) {
        conn.prepare_cached(
            "INSERT INTO prospect_places (row, min_lat, max_lat, min_lon, max_lon) VALUES (?1, ?2, ?2, ?3, ?3)",
        )?
        .execute(params![rowid, lat, lon])?;
    }
    Ok(())
}
