//! The map's markers: every prospect with a position that a filter shows, column by column
//! (ids, positions, statuses, names, whether visited), so that a hundred thousand of them cross
//! to the window as a few flat arrays rather than as rows of every field. The map clusters them
//! itself, and finds the nearest not yet visited from them.

use census_core::{ProspectId, Status};
use serde::Serialize;

use crate::error::ReplicaError;
use crate::queries::{ListFilter, filter_condition};
use crate::replica::Replica;

/// The markers, column by column: the `n`th of each column is the `n`th prospect's.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MapPoints {
    pub ids: Vec<ProspectId>,
    pub lat: Vec<f64>,
    pub lon: Vec<f64>,
    pub status: Vec<Status>,
    pub name: Vec<String>,
    /// Whether a visit was recorded.
    pub visited: Vec<bool>,
}

impl Replica {
    /// Every prospect with a position that `filter` shows (its sort, limit and offset aside).
    pub fn map_points(&self, filter: &ListFilter) -> Result<MapPoints, ReplicaError> {
        let (condition, args) = filter_condition(filter);
        let sql = format!(
            "SELECT id, lat, lon, status, name, visits > 0 FROM prospects \
             WHERE lat IS NOT NULL AND lon IS NOT NULL AND {condition}"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(args))?;
        let mut points = MapPoints::default();
        while let Some(row) = rows.next()? {
            let id: Vec<u8> = row.get(0)?;
            let id = <[u8; 16]>::try_from(id.as_slice())
                .map_err(|_| ReplicaError::Corrupt("a prospect's id is not 16 bytes".into()))?;
            let status: String = row.get(3)?;
            points.ids.push(ProspectId::from_bytes(id));
            points.lat.push(row.get(1)?);
            points.lon.push(row.get(2)?);
            points.status.push(status.parse().unwrap_or(Status::New));
            points.name.push(row.get(4)?);
            points.visited.push(row.get(5)?);
        }
        Ok(points)
    }
}
