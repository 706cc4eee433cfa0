//! The replica: one SQLite file holding a device's prospects, and every offline operation on them.

use std::collections::BTreeMap;
use std::path::Path;

use census_core::{
    Conflict, DeviceId, EditContext, LocalChange, Location, NewProspect, Problem, Prospect, ProspectDoc,
    ProspectEditor, ProspectId, Questionnaire, ReviewState, Status, TerritoryId, Timestamp, Visit, validate_answers,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::error::ReplicaError;
use crate::projection::{ProspectRow, SearchText};
use crate::schema;

/// After this many changes on top of its snapshot, a document is compacted into a new snapshot.
const COMPACT_AFTER_CHANGES: i64 = 16;

/// A prospect opened in full: the document's view and its conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProspectDetail {
    pub prospect: Prospect,
    pub conflicts: Vec<Conflict>,
}

/// The result of recording a visit: saved, or refused with the problems to fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VisitOutcome {
    Recorded { prospect: Box<Prospect> },
    Invalid { problems: Vec<Problem> },
}

/// Which prospects a list shows, and in what order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListFilter {
    pub territory: Option<TerritoryId>,
    pub status: Option<Status>,
    pub category: Option<String>,
    pub review_state: Option<ReviewState>,
    pub has_conflicts: Option<bool>,
    /// Only prospects changed at or after this time (Unix milliseconds).
    pub updated_since: Option<i64>,
    /// Include prospects that were deleted or merged into another.
    pub include_hidden: bool,
    pub sort: SortBy,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    #[default]
    Name,
    RecentlyUpdated,
    Status,
}

/// A device's offline replica.
#[derive(Debug)]
pub struct Replica {
    conn: Connection,
    device: DeviceId,
}

impl Replica {
    /// Creates a new replica file for `device`; refuses an existing Census replica or any other
    /// database.
    pub fn create(path: &Path, device: DeviceId) -> Result<Replica, ReplicaError> {
        let mut conn = connect(path)?;
        schema::migrate(&mut conn)?;
        let existing: Option<String> =
            conn.query_row("SELECT value FROM replica_info WHERE key = 'device'", [], |r| r.get(0)).optional()?;
        if existing.is_some() {
            return Err(ReplicaError::Storage(format!("a replica already exists at {}", path.display())));
        }
        conn.execute("INSERT INTO replica_info (key, value) VALUES ('device', ?1)", [device.to_string()])?;
        Ok(Replica { conn, device })
    }

    /// Opens an existing replica, upgrading its schema if it is older.
    pub fn open(path: &Path) -> Result<Replica, ReplicaError> {
        if !path.exists() {
            return Err(ReplicaError::Storage(format!("there is no replica at {}", path.display())));
        }
        let mut conn = connect(path)?;
        schema::migrate(&mut conn)?;
        let device: String = conn
            .query_row("SELECT value FROM replica_info WHERE key = 'device'", [], |r| r.get(0))
            .optional()?
            .ok_or(ReplicaError::NotAReplica)?;
        let device =
            device.parse().map_err(|_| ReplicaError::Corrupt("the replica's device id is unreadable".into()))?;
        Ok(Replica { conn, device })
    }

    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// Creates a prospect: its document, its outbox entry and its projection in one transaction.
    pub fn create_prospect(
        &mut self,
        id: ProspectId,
        ctx: &EditContext,
        new: &NewProspect,
    ) -> Result<Prospect, ReplicaError> {
        let (mut doc, change) = ProspectDoc::create(id, self.device, ctx, new)?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO documents (prospect_id, snapshot) VALUES (?1, ?2)",
            params![id.as_bytes(), doc.save()],
        )?;
        queue_for_push(&tx, id, new.territory, &change)?;
        let prospect = doc.read();
        write_projection(&tx, &mut doc, &prospect)?;
        tx.commit()?;
        Ok(prospect)
    }

    /// Makes one edit of a prospect; the change, its outbox entry and the projection commit
    /// together or not at all.
    pub fn edit_prospect<F>(&mut self, id: ProspectId, ctx: &EditContext, f: F) -> Result<Prospect, ReplicaError>
    where
        F: FnOnce(&mut ProspectEditor<'_>) -> Result<(), census_core::DocumentError>,
    {
        let tx = self.conn.transaction()?;
        let mut doc = load_document(&tx, id, self.device)?;
        let change = doc.edit(ctx, f)?;
        let prospect = doc.read();
        if let Some(change) = change {
            append_change(&tx, id, &change.bytes)?;
            queue_for_push(&tx, id, prospect.territory, &change)?;
            compact_if_due(&tx, id, &mut doc)?;
            write_projection(&tx, &mut doc, &prospect)?;
        }
        tx.commit()?;
        Ok(prospect)
    }

    /// Records a census visit after checking its answers against the questionnaire. A visit
    /// with problems is not saved; the problems come back for the form to show.
    pub fn record_visit(
        &mut self,
        id: ProspectId,
        ctx: &EditContext,
        questionnaire: &Questionnaire,
        visit: &Visit,
    ) -> Result<VisitOutcome, ReplicaError> {
        let problems = validate_answers(questionnaire, &visit.answers);
        if !problems.is_empty() {
            return Ok(VisitOutcome::Invalid { problems });
        }
        let prospect = self.edit_prospect(id, ctx, |p| p.add_visit(visit));
        match prospect {
            Ok(prospect) => Ok(VisitOutcome::Recorded { prospect: Box::new(prospect) }),
            Err(ReplicaError::Document(census_core::DocumentError::VisitExists(v))) => {
                Err(ReplicaError::VisitExists(v))
            }
            Err(e) => Err(e),
        }
    }

    /// A prospect in full, with its conflicts.
    pub fn prospect(&self, id: ProspectId) -> Result<ProspectDetail, ReplicaError> {
        let mut doc = load_document(&self.conn, id, self.device)?;
        Ok(ProspectDetail { prospect: doc.read(), conflicts: doc.conflicts() })
    }

    /// A page of prospects from the projection.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<ProspectRow>, ReplicaError> {
        let mut sql = String::from(SELECT_ROW);
        sql.push_str(" WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |clause: &str, value: rusqlite::types::Value| {
            args.push(value);
            sql.push_str(&format!(" AND {clause} ?{}", args.len()));
        };
        if let Some(t) = filter.territory {
            add("territory =", t.to_string().into());
        }
        if let Some(s) = filter.status {
            add("status =", s.as_str().to_owned().into());
        }
        if let Some(c) = &filter.category {
            add("category =", c.clone().into());
        }
        if let Some(r) = filter.review_state {
            add("review_state =", r.as_str().to_owned().into());
        }
        if let Some(c) = filter.has_conflicts {
            add("has_conflicts =", i64::from(c).into());
        }
        if let Some(since) = filter.updated_since {
            add("updated_at >=", since.into());
        }
        if !filter.include_hidden {
            sql.push_str(" AND deleted = 0 AND merged_into IS NULL");
        }
        sql.push_str(match filter.sort {
            SortBy::Name => " ORDER BY name COLLATE NOCASE, row",
            SortBy::RecentlyUpdated => " ORDER BY updated_at DESC, row",
            SortBy::Status => " ORDER BY status, name COLLATE NOCASE, row",
        });
        let limit = if filter.limit == 0 { 50 } else { filter.limit };
        sql.push_str(&format!(" LIMIT {limit} OFFSET {}", filter.offset));
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(args), read_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Full-text search over name, address, contacts and notes: every word of the query must
    /// appear, as a word or the start of one, in any case.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<ProspectRow>, ReplicaError> {
        let terms: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{w}\"*"))
            .collect();
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{SELECT_ROW} WHERE row IN (SELECT rowid FROM prospect_text WHERE prospect_text MATCH ?1 ORDER BY rank LIMIT ?2) \
             AND deleted = 0 AND merged_into IS NULL ORDER BY name COLLATE NOCASE"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(params![terms.join(" AND "), limit], read_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Prospects within `radius_m` metres of a point, nearest first (hidden ones left out).
    pub fn nearby(
        &self,
        lat: f64,
        lon: f64,
        radius_m: f64,
        limit: u32,
    ) -> Result<Vec<(ProspectRow, f64)>, ReplicaError> {
        // A box around the circle for the spatial index, then the exact distance.
        let dlat = radius_m / 111_320.0;
        let dlon = radius_m / (111_320.0 * lat.to_radians().cos().abs().max(0.01));
        let sql = format!(
            "{SELECT_ROW} WHERE row IN (SELECT row FROM prospect_places WHERE max_lat >= ?1 AND min_lat <= ?2 \
             AND max_lon >= ?3 AND min_lon <= ?4) AND deleted = 0 AND merged_into IS NULL"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(params![lat - dlat, lat + dlat, lon - dlon, lon + dlon], read_row)?;
        let here = Location { lat, lon, accuracy_m: None, at: Timestamp::from_unix_millis(0) };
        let mut found: Vec<(ProspectRow, f64)> = Vec::new();
        for row in rows {
            let row = row?;
            if let (Some(plat), Some(plon)) = (row.lat, row.lon) {
                let meters = here.distance_m(&Location { lat: plat, lon: plon, ..here });
                if meters <= radius_m {
                    found.push((row, meters));
                }
            }
        }
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found.truncate(limit as usize);
        Ok(found)
    }

    /// Applies changes received from elsewhere (any order, repeats harmless), updating the
    /// projections of the touched prospects only. Returns how many prospects changed.
    pub fn apply_changes(&mut self, changes: &[(ProspectId, Vec<u8>)]) -> Result<usize, ReplicaError> {
        let mut by_prospect: BTreeMap<ProspectId, Vec<&[u8]>> = BTreeMap::new();
        for (id, bytes) in changes {
            by_prospect.entry(*id).or_default().push(bytes);
        }
        let tx = self.conn.transaction()?;
        let mut touched = 0;
        for (id, incoming) in by_prospect {
            let known = document_exists(&tx, id)?;
            let (mut doc, before) = if known {
                let mut doc = load_document(&tx, id, self.device)?;
                let heads = doc.heads();
                doc.apply_changes(&incoming)?;
                (doc, heads)
            } else {
                (ProspectDoc::from_changes(id, &incoming, self.device)?, Vec::new())
            };
            let new_changes = doc.changes_since(&before);
            if new_changes.is_empty() {
                continue;
            }
            touched += 1;
            if known {
                for bytes in &new_changes {
                    append_change(&tx, id, bytes)?;
                }
                compact_if_due(&tx, id, &mut doc)?;
            } else {
                tx.execute(
                    "INSERT INTO documents (prospect_id, snapshot) VALUES (?1, ?2)",
                    params![id.as_bytes(), doc.save()],
                )?;
            }
            let prospect = doc.read();
            write_projection(&tx, &mut doc, &prospect)?;
        }
        tx.commit()?;
        Ok(touched)
    }

    /// Changes waiting to be pushed, oldest first: (prospect, territory, change bytes).
    pub fn outbox(&self, limit: u32) -> Result<Vec<(ProspectId, TerritoryId, Vec<u8>)>, ReplicaError> {
        let mut statement =
            self.conn.prepare_cached("SELECT prospect_id, territory, bytes FROM outbox ORDER BY seq LIMIT ?1")?;
        let rows = statement.query_map([limit], |r| {
            Ok((ProspectId::from_bytes(r.get(0)?), TerritoryId::from_bytes(r.get(1)?), r.get(2)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every projection row as stored, and as rebuilt from the documents now; they must agree.
    pub fn projection_check(&self) -> Result<(Vec<ProspectRow>, Vec<ProspectRow>), ReplicaError> {
        let stored = {
            let mut statement = self.conn.prepare(&format!("{SELECT_ROW} ORDER BY id"))?;
            statement.query_map([], read_row)?.collect::<Result<Vec<_>, _>>()?
        };
        let ids: Vec<Vec<u8>> = {
            let mut statement = self.conn.prepare("SELECT prospect_id FROM documents ORDER BY prospect_id")?;
            statement.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        let mut rebuilt = Vec::new();
        for id in ids {
            let id = ProspectId::from_bytes(
                id.try_into().map_err(|_| ReplicaError::Corrupt("a document id is damaged".into()))?,
            );
            let mut doc = load_document(&self.conn, id, self.device)?;
            let prospect = doc.read();
            rebuilt.push(ProspectRow::from_document(&mut doc, &prospect).0);
        }
        Ok((stored, rebuilt))
    }
}

fn connect(path: &Path) -> Result<Connection, ReplicaError> {
    let conn = Connection::open(path)?;
    // WAL keeps readers going while a write commits; synchronous=NORMAL in WAL is durable across
    // process crashes (a power cut may lose the last commits, never corrupt the file).
    conn.pragma_update(None, "journal_mode", "WAL").map_err(ReplicaError::from)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

const SELECT_ROW: &str = "SELECT id, territory, name, category, status, review_state, has_conflicts, merged_into, \
     deleted, address, phones, lat, lon, visits, last_visit_at, created_at, updated_at FROM prospects";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProspectRow> {
    let id: Vec<u8> = r.get(0)?;
    let bytes: [u8; 16] =
        id.try_into().map_err(|_| rusqlite::Error::InvalidColumnType(0, "id".into(), rusqlite::types::Type::Blob))?;
    let status: String = r.get(4)?;
    let review: Option<String> = r.get(5)?;
    Ok(ProspectRow {
        id: ProspectId::from_bytes(bytes),
        territory: r.get(1)?,
        name: r.get(2)?,
        category: r.get(3)?,
        status: status.parse().unwrap_or(Status::New),
        review_state: review.as_deref().and_then(ReviewState::parse),
        has_conflicts: r.get(6)?,
        merged_into: r.get(7)?,
        deleted: r.get(8)?,
        address: r.get(9)?,
        phones: r.get(10)?,
        lat: r.get(11)?,
        lon: r.get(12)?,
        visits: r.get(13)?,
        last_visit_at: r.get::<_, Option<i64>>(14)?.map(census_core::Timestamp::from_unix_millis),
        created_at: census_core::Timestamp::from_unix_millis(r.get(15)?),
        updated_at: census_core::Timestamp::from_unix_millis(r.get(16)?),
    })
}

fn document_exists(conn: &Connection, id: ProspectId) -> Result<bool, ReplicaError> {
    Ok(conn
        .query_row("SELECT 1 FROM documents WHERE prospect_id = ?1", [id.as_bytes()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Loads a document: its snapshot followed by the changes since.
fn load_document(conn: &Connection, id: ProspectId, device: DeviceId) -> Result<ProspectDoc, ReplicaError> {
    let snapshot: Vec<u8> = conn
        .query_row("SELECT snapshot FROM documents WHERE prospect_id = ?1", [id.as_bytes()], |r| r.get(0))
        .optional()?
        .ok_or(ReplicaError::UnknownProspect(id))?;
    let mut bytes = snapshot;
    let mut statement =
        conn.prepare_cached("SELECT bytes FROM document_changes WHERE prospect_id = ?1 ORDER BY seq")?;
    let mut rows = statement.query([id.as_bytes()])?;
    while let Some(row) = rows.next()? {
        let change: Vec<u8> = row.get(0)?;
        bytes.extend_from_slice(&change);
    }
    Ok(ProspectDoc::load(id, &bytes, device)?)
}

/// Appends a change to a document's changes since its snapshot.
fn append_change(tx: &Transaction<'_>, id: ProspectId, bytes: &[u8]) -> Result<(), ReplicaError> {
    tx.execute("INSERT INTO document_changes (prospect_id, bytes) VALUES (?1, ?2)", params![id.as_bytes(), bytes])?;
    Ok(())
}

/// Puts a change made here in the outbox, for the next push.
fn queue_for_push(
    tx: &Transaction<'_>,
    id: ProspectId,
    territory: TerritoryId,
    change: &LocalChange,
) -> Result<(), ReplicaError> {
    tx.execute(
        "INSERT INTO outbox (prospect_id, territory, hash, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![id.as_bytes(), territory.as_bytes(), change.hash.0, change.bytes],
    )?;
    Ok(())
}

fn compact_if_due(tx: &Transaction<'_>, id: ProspectId, doc: &mut ProspectDoc) -> Result<(), ReplicaError> {
    let pending: i64 =
        tx.query_row("SELECT count(*) FROM document_changes WHERE prospect_id = ?1", [id.as_bytes()], |r| r.get(0))?;
    if pending >= COMPACT_AFTER_CHANGES {
        tx.execute("UPDATE documents SET snapshot = ?2 WHERE prospect_id = ?1", params![id.as_bytes(), doc.save()])?;
        tx.execute("DELETE FROM document_changes WHERE prospect_id = ?1", [id.as_bytes()])?;
    }
    Ok(())
}

/// Rewrites the projection row, search text and map position of one prospect.
fn write_projection(tx: &Connection, doc: &mut ProspectDoc, prospect: &Prospect) -> Result<(), ReplicaError> {
    let (row, text): (ProspectRow, SearchText) = ProspectRow::from_document(doc, prospect);
    let rowid: i64 = tx.query_row(
        "INSERT INTO prospects (id, territory, name, category, status, review_state, has_conflicts, merged_into, deleted, \
         address, phones, lat, lon, visits, last_visit_at, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17) \
         ON CONFLICT (id) DO UPDATE SET territory = excluded.territory, name = excluded.name, category = excluded.category, \
         status = excluded.status, review_state = excluded.review_state, has_conflicts = excluded.has_conflicts, \
         merged_into = excluded.merged_into, deleted = excluded.deleted, address = excluded.address, phones = excluded.phones, \
         lat = excluded.lat, lon = excluded.lon, visits = excluded.visits, last_visit_at = excluded.last_visit_at, \
         created_at = excluded.created_at, updated_at = excluded.updated_at RETURNING row",
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
    tx.execute("DELETE FROM prospect_text WHERE rowid = ?1", [rowid])?;
    tx.execute(
        "INSERT INTO prospect_text (rowid, name, address, contacts, notes) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![rowid, text.name, text.address, text.contacts, text.notes],
    )?;
    tx.execute("DELETE FROM prospect_places WHERE row = ?1", [rowid])?;
    if let (Some(lat), Some(lon)) = (row.lat, row.lon) {
        tx.execute(
            "INSERT INTO prospect_places (row, min_lat, max_lat, min_lon, max_lon) VALUES (?1, ?2, ?2, ?3, ?3)",
            params![rowid, lat, lon],
        )?;
    }
    Ok(())
}
