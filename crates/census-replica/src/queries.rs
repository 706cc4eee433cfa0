//! Reading the projections: filtered and sorted lists, full-text search, and nearby prospects.
//! None of these load a document, so they stay fast however large the base grows.

use census_core::{Location, ProspectId, ProspectRow, ReviewState, Status, TerritoryId, Timestamp};
use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::error::ReplicaError;
use crate::replica::Replica;

/// Which prospects a list shows, and in what order.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListFilter {
    pub territory: Option<TerritoryId>,
    pub status: Option<Status>,
    pub category: Option<String>,
    pub review_state: Option<ReviewState>,
    pub has_conflicts: Option<bool>,
    /// Only prospects changed at or after this time (Unix milliseconds).
    pub updated_since: Option<i64>,
    /// Only prospects in (or out of) the manager's review queue.
    #[serde(default)]
    pub awaiting_review: Option<bool>,
    /// Include prospects that were deleted or merged into another.
    pub include_hidden: bool,
    pub sort: SortBy,
    pub limit: u32,
    pub offset: u32,
}

/// How far the census of one territory has got, on this device.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerritoryProgress {
    /// The territory's id, as in [`ProspectRow::territory`].
    pub territory: String,
    /// Prospects not deleted or merged away.
    pub prospects: u32,
    /// Prospects with at least one census visit.
    pub surveyed: u32,
    /// Prospects whose last visit was at or after the time asked about.
    pub visited_since: u32,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortBy {
    #[default]
    Name,
    RecentlyUpdated,
    Status,
}

impl Replica {
    /// A page of prospects from the projection.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<ProspectRow>, ReplicaError> {
        let (mut sql, args) = filtered_rows(filter);
        let limit = if filter.limit == 0 { 50 } else { filter.limit };
        sql.push_str(&format!(" LIMIT {limit} OFFSET {}", filter.offset));
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(args), read_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many prospects the filter shows, ignoring its page: the length of a scrolled list.
    pub fn count(&self, filter: &ListFilter) -> Result<u64, ReplicaError> {
        let (condition, args) = filter_condition(filter);
        let sql = format!("SELECT count(*) FROM prospects WHERE {condition}");
        let mut statement = self.conn.prepare_cached(&sql)?;
        Ok(statement.query_row(rusqlite::params_from_iter(args), |r| r.get::<_, i64>(0))? as u64)
    }

    /// The categories in use on this device, for the list's filter, by name.
    pub fn categories(&self) -> Result<Vec<String>, ReplicaError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT DISTINCT category FROM prospects WHERE category <> '' AND deleted = 0 AND merged_into IS NULL",
        )?;
        let rows = statement.query_map([], |r| r.get(0))?;
        let mut categories: Vec<String> = rows.collect::<Result<_, _>>()?;
        categories.sort_by(|a, b| census_core::compare_names(a, b));
        Ok(categories)
    }

    /// Each territory's progress: its visible prospects, how many have had a census visit, and
    /// how many were last visited at or after `since` (Unix milliseconds; the start of the week).
    pub fn territory_progress(&self, since: i64) -> Result<Vec<TerritoryProgress>, ReplicaError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT territory, count(*), sum(visits > 0), sum(coalesce(last_visit_at >= ?1, 0)) FROM prospects \
             WHERE deleted = 0 AND merged_into IS NULL GROUP BY territory",
        )?;
        let rows = statement.query_map([since], |r| {
            Ok(TerritoryProgress {
                territory: r.get(0)?,
                prospects: r.get(1)?,
                surveyed: r.get(2)?,
                visited_since: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every prospect the filter shows, in its order, ignoring its page; one at a time, so a
    /// whole base can be exported without holding it in memory.
    pub fn for_each_row(
        &self,
        filter: &ListFilter,
        mut each: impl FnMut(ProspectRow) -> Result<(), ReplicaError>,
    ) -> Result<(), ReplicaError> {
        let (sql, args) = filtered_rows(filter);
        let mut statement = self.conn.prepare(&sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(args))?;
        while let Some(row) = rows.next()? {
            each(read_row(row)?)?;
        }
        Ok(())
    }

    /// Full-text search over name, address, contacts and notes: every word of the query must
    /// appear, as a word or the start of one, in any case. Prospects whose name matches come
    /// first, then the others, each group by name. When more than `limit` match, the most
    /// recently added are shown, so a search costs the same however common its words are
    /// (ranking every match would cost in proportion to their number).
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<ProspectRow>, ReplicaError> {
        let terms: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| format!("\"{w}\"*"))
            .collect();
        if terms.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let everywhere = terms.join(" AND ");
        let mut hits: Vec<i64> = Vec::new();
        let mut name_hits = 0;
        let mut matching = self.conn.prepare_cached(
            "SELECT rowid FROM prospect_text WHERE prospect_text MATCH ?1 ORDER BY rowid DESC LIMIT ?2",
        )?;
        for scope in [format!("name : ({everywhere})"), everywhere] {
            for row in matching.query_map(params![scope, limit], |r| r.get::<_, i64>(0))? {
                let row = row?;
                if hits.len() < limit as usize && !hits.contains(&row) {
                    hits.push(row);
                }
            }
            if name_hits == 0 {
                name_hits = hits.len();
            }
            if hits.len() >= limit as usize {
                break;
            }
        }
        let in_name: std::collections::HashSet<i64> = hits[..name_hits].iter().copied().collect();
        let sql = format!(
            "{SELECT_ROW} WHERE row IN (SELECT value FROM json_each(?1)) AND deleted = 0 AND merged_into IS NULL"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let hits_json = format!("[{}]", hits.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
        let mut found: Vec<(bool, String, ProspectRow)> = Vec::with_capacity(hits.len());
        let mut rows = statement.query([hits_json])?;
        while let Some(row) = rows.next()? {
            let rowid: i64 = row.get(ROW_NUMBER)?;
            let prospect = read_row(row)?;
            found.push((!in_name.contains(&rowid), prospect.name.to_lowercase(), prospect));
        }
        found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        Ok(found.into_iter().map(|(_, _, prospect)| prospect).collect())
    }

    /// Prospects inside a box of latitudes and longitudes, as a map shows them (hidden ones
    /// left out), up to `limit`.
    pub fn within(
        &self,
        (min_lat, max_lat): (f64, f64),
        (min_lon, max_lon): (f64, f64),
        filter: &ListFilter,
        limit: u32,
    ) -> Result<Vec<ProspectRow>, ReplicaError> {
        let (condition, mut args) = filter_condition(filter);
        let n = args.len();
        let sql = format!(
            "{SELECT_ROW} WHERE row IN (SELECT row FROM prospect_places WHERE max_lat >= ?{} AND min_lat <= ?{} \
             AND max_lon >= ?{} AND min_lon <= ?{}) AND {condition} LIMIT ?{}",
            n + 1,
            n + 2,
            n + 3,
            n + 4,
            n + 5
        );
        args.extend([min_lat.into(), max_lat.into(), min_lon.into(), max_lon.into(), i64::from(limit).into()]);
        let mut statement = self.conn.prepare_cached(&sql)?;
        let rows = statement.query_map(rusqlite::params_from_iter(args), read_row)?;
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
        let sql = format!("{SELECT_ROW} WHERE {IN_BOX}");
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
}

/// The query for the prospects a filter shows, in its order, and its arguments.
fn filtered_rows(filter: &ListFilter) -> (String, Vec<rusqlite::types::Value>) {
    let (condition, args) = filter_condition(filter);
    let order = match filter.sort {
        SortBy::Name => "name_order, row",
        SortBy::RecentlyUpdated => "updated_at DESC, row",
        SortBy::Status => "status, name_order, row",
    };
    (format!("{SELECT_ROW} WHERE {condition} ORDER BY {order}"), args)
}

/// The `WHERE` condition of a filter (numbered parameters), and its arguments.
pub(crate) fn filter_condition(filter: &ListFilter) -> (String, Vec<rusqlite::types::Value>) {
    let mut sql = String::from("1 = 1");
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
    if let Some(awaiting) = filter.awaiting_review {
        add("awaiting_review =", i64::from(awaiting).into());
    }
    if let Some(since) = filter.updated_since {
        add("updated_at >=", since.into());
    }
    if !filter.include_hidden {
        sql.push_str(" AND deleted = 0 AND merged_into IS NULL");
    }
    (sql, args)
}

/// Visible prospects whose position is in the box ?1..?2 (latitude) by ?3..?4 (longitude),
/// through the spatial index.
const IN_BOX: &str = "row IN (SELECT row FROM prospect_places WHERE max_lat >= ?1 AND min_lat <= ?2 \
     AND max_lon >= ?3 AND min_lon <= ?4) AND deleted = 0 AND merged_into IS NULL";

pub(crate) const SELECT_ROW: &str = "SELECT id, territory, name, category, status, review_state, has_conflicts, merged_into, \
     deleted, address, phones, lat, lon, visits, last_visit_at, created_at, updated_at, row, awaiting_review FROM prospects";

/// The column of [`SELECT_ROW`] holding the projection's row number.
pub(crate) const ROW_NUMBER: usize = 17;

pub(crate) fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProspectRow> {
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
        awaiting_review: r.get(18)?,
    })
}
