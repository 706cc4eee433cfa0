//! The map's markers as vector tiles made on the device from the replica, so that a base of a
//! million prospects is drawn a tile at a time, never read whole into the window: each tile asks
//! the spatial index for the prospects in its box that the list's filter shows.
//!
//! Up to [`CLUSTER_BELOW_ZOOM`], prospects close together on the screen are counted together:
//! the tile is cut into cells of 64 screen pixels, and a cell holding several is one cluster at
//! their middle (`point_count`, `point_count_abbreviated`, `cluster`), as MapLibre's own
//! clusters are. A cell holding one, and every prospect from that zoom on, is a marker with the
//! prospect's `id`, `status` and `name`. The tile is Mapbox Vector Tile 2.1, one layer,
//! [`MARKER_LAYER`], points only.
//!
//! Beside the tiles: how many prospects the map shows and the box around them, and the nearest
//! ones not yet visited from where the agent stands.

use std::collections::HashMap;
use std::f64::consts::PI;

use census_core::{ProspectId, Status};
use serde::Serialize;

use crate::error::ReplicaError;
use crate::queries::{ListFilter, filter_condition};
use crate::replica::Replica;

/// The tiles' one layer.
pub const MARKER_LAYER: &str = "prospects";
/// From this zoom on every prospect is a marker of its own.
pub const CLUSTER_BELOW_ZOOM: u8 = 16;
/// No tile is made beyond this zoom (the map enlarges the last one).
pub const MAX_MARKER_ZOOM: u8 = 22;
const EXTENT: u32 = 4096;
/// Cells a tile side is cut into: a tile is 512 screen pixels, a cell 64.
const CELLS: u32 = 8;

/// How many prospects the map shows, and the box around them (`[west, south, east, north]`).
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapSummary {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
    pub extent: Option<[f64; 4]>,
}

/// A prospect not yet visited, and how far it is.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nearby {
    pub id: ProspectId,
    pub name: String,
    pub status: Status,
    pub distance_m: f64,
}

/// Where a position falls in a tile, in tile units (0 to [`EXTENT`] inside it).
fn in_tile(z: u8, x: u32, y: u32, lat: f64, lon: f64) -> (f64, f64) {
    let scale = f64::from(1u32 << z);
    let sin = lat.to_radians().sin().clamp(-0.9999, 0.9999);
    let world_x = (lon + 180.0) / 360.0 * scale;
    let world_y = (0.5 - ((1.0 + sin) / (1.0 - sin)).ln() / (4.0 * PI)) * scale;
    ((world_x - f64::from(x)) * f64::from(EXTENT), (world_y - f64::from(y)) * f64::from(EXTENT))
}

/// The tile's box: south, north, west, east.
fn tile_box(z: u8, x: u32, y: u32) -> (f64, f64, f64, f64) {
    let scale = f64::from(1u32 << z);
    let lon = |x: f64| x / scale * 360.0 - 180.0;
    let lat = |y: f64| (PI * (1.0 - 2.0 * y / scale)).sinh().atan().to_degrees();
    (lat(f64::from(y) + 1.0), lat(f64::from(y)), lon(f64::from(x)), lon(f64::from(x) + 1.0))
}

/// Metres between two positions along the ground.
fn distance_m((lat_a, lon_a): (f64, f64), (lat_b, lon_b): (f64, f64)) -> f64 {
    let (d_lat, d_lon) = ((lat_b - lat_a).to_radians(), (lon_b - lon_a).to_radians());
    let h =
        (d_lat / 2.0).sin().powi(2) + lat_a.to_radians().cos() * lat_b.to_radians().cos() * (d_lon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().min(1.0).asin()
}

impl Replica {
    /// The markers tile `z/x/y` for the prospects `filter` shows; empty beyond the world or
    /// [`MAX_MARKER_ZOOM`].
    pub fn marker_tile(&self, z: u8, x: u32, y: u32, filter: &ListFilter) -> Result<Vec<u8>, ReplicaError> {
        if z > MAX_MARKER_ZOOM || x >= (1u32 << z) || y >= (1u32 << z) {
            return Ok(MarkerTile::default().encode());
        }
        let (south, north, west, east) = tile_box(z, x, y);
        let (condition, mut args) = filter_condition(filter);
        let n = args.len();
        let sql = format!(
            "SELECT row, lat, lon FROM prospects WHERE row IN (SELECT row FROM prospect_places \
             WHERE max_lat >= ?{} AND min_lat <= ?{} AND max_lon >= ?{} AND min_lon <= ?{}) AND {condition}",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        );
        args.extend([south.into(), north.into(), west.into(), east.into()]);
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut rows = statement.query(rusqlite::params_from_iter(args))?;
        let mut cells: HashMap<(u32, u32), Cell> = HashMap::new();
        let mut singles = Vec::new();
        let size = f64::from(EXTENT);
        while let Some(row) = rows.next()? {
            let (number, lat, lon): (i64, f64, f64) = (row.get(0)?, row.get(1)?, row.get(2)?);
            let (px, py) = in_tile(z, x, y, lat, lon);
            // A prospect on the edge between two tiles belongs to one of them only.
            if !(0.0..size).contains(&px) || !(0.0..size).contains(&py) {
                continue;
            }
            if z >= CLUSTER_BELOW_ZOOM {
                singles.push((number, px, py));
                continue;
            }
            let key = ((px / size * f64::from(CELLS)) as u32, (py / size * f64::from(CELLS)) as u32);
            let cell = cells.entry(key).or_default();
            cell.count += 1;
            (cell.sum_x, cell.sum_y) = (cell.sum_x + px, cell.sum_y + py);
            cell.first = (number, px, py);
        }
        let mut tile = MarkerTile::default();
        for cell in cells.values() {
            if cell.count == 1 {
                singles.push(cell.first);
            } else {
                let count = f64::from(cell.count);
                tile.clusters.push((cell.count, (cell.sum_x / count) as i64, (cell.sum_y / count) as i64));
            }
        }
        let mut details = self.conn.prepare_cached("SELECT id, status, name FROM prospects WHERE row = ?1")?;
        for (number, px, py) in singles {
            let (id, status, name): (Vec<u8>, String, String) =
                details.query_row([number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            let id = <[u8; 16]>::try_from(id.as_slice())
                .map_err(|_| ReplicaError::Corrupt("a prospect's id is not 16 bytes".into()))?;
            tile.markers.push((ProspectId::from_bytes(id).to_string(), status, name, px as i64, py as i64));
        }
        Ok(tile.encode())
    }

    /// How many prospects with a position `filter` shows, and the box around them.
    pub fn map_summary(&self, filter: &ListFilter) -> Result<MapSummary, ReplicaError> {
        let (condition, args) = filter_condition(filter);
        let sql = format!(
            "SELECT count(*), min(lon), min(lat), max(lon), max(lat) FROM prospects \
             WHERE lat IS NOT NULL AND lon IS NOT NULL AND {condition}"
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let (count, west, south, east, north): (i64, Option<f64>, Option<f64>, Option<f64>, Option<f64>) = statement
            .query_row(rusqlite::params_from_iter(args), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
        let extent = match (west, south, east, north) {
            (Some(w), Some(s), Some(e), Some(n)) => Some([w, s, e, n]),
            _ => None,
        };
        Ok(MapSummary { count: u64::try_from(count).unwrap_or(0), extent })
    }

    /// The `limit` prospects nearest to `at` that `filter` shows and no one has visited yet,
    /// nearest first: looked for in ever wider boxes around it, up to a hundred kilometres.
    pub fn nearest_unvisited(
        &self,
        at: (f64, f64),
        limit: usize,
        filter: &ListFilter,
    ) -> Result<Vec<Nearby>, ReplicaError> {
        let (condition, base) = filter_condition(filter);
        let n = base.len();
        let sql = format!(
            "SELECT id, name, status, lat, lon FROM prospects WHERE row IN (SELECT row FROM prospect_places \
             WHERE max_lat >= ?{} AND min_lat <= ?{} AND max_lon >= ?{} AND min_lon <= ?{}) AND visits = 0 AND {condition}",
            n + 1,
            n + 2,
            n + 3,
            n + 4
        );
        let mut statement = self.conn.prepare_cached(&sql)?;
        let mut radius_m: f64 = 300.0;
        loop {
            let d_lat = radius_m / 111_320.0;
            let d_lon = radius_m / (111_320.0 * at.0.to_radians().cos().abs().max(0.01));
            let mut args = base.clone();
            args.extend([(at.0 - d_lat).into(), (at.0 + d_lat).into(), (at.1 - d_lon).into(), (at.1 + d_lon).into()]);
            let mut found = Vec::new();
            let mut rows = statement.query(rusqlite::params_from_iter(args))?;
            while let Some(row) = rows.next()? {
                let id: Vec<u8> = row.get(0)?;
                let Ok(id) = <[u8; 16]>::try_from(id.as_slice()) else { continue };
                let status: String = row.get(2)?;
                let distance = distance_m(at, (row.get(3)?, row.get(4)?));
                // Only those within the circle: a box's corners are farther than its sides.
                if distance <= radius_m {
                    found.push(Nearby {
                        id: ProspectId::from_bytes(id),
                        name: row.get(1)?,
                        status: status.parse().unwrap_or(Status::New),
                        distance_m: distance,
                    });
                }
            }
            if found.len() >= limit || radius_m >= 100_000.0 {
                found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
                found.truncate(limit);
                return Ok(found);
            }
            radius_m *= 4.0;
        }
    }
}

/// Prospects counted together in one cell of a tile.
#[derive(Debug, Default)]
struct Cell {
    count: u32,
    sum_x: f64,
    sum_y: f64,
    /// A prospect in it (the one shown when it is alone): its row and place in the tile.
    first: (i64, f64, f64),
}

/// A markers tile before encoding: clusters `(count, x, y)` and markers `(id, status, name, x, y)`.
#[derive(Debug, Default)]
struct MarkerTile {
    clusters: Vec<(u32, i64, i64)>,
    markers: Vec<(String, String, String, i64, i64)>,
}

/// Vector tile values: strings, an unsigned count, a boolean.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Value {
    Text(String),
    Count(u64),
    Yes,
}

impl MarkerTile {
    /// The tile as Mapbox Vector Tile 2.1 bytes.
    fn encode(&self) -> Vec<u8> {
        const KEYS: [&str; 6] = ["id", "status", "name", "cluster", "point_count", "point_count_abbreviated"];
        let mut values: Vec<Value> = Vec::new();
        let mut value_index: HashMap<Value, u32> = HashMap::new();
        let mut tag = |key: usize, value: Value| -> [u32; 2] {
            let index = *value_index.entry(value.clone()).or_insert_with(|| {
                values.push(value);
                (values.len() - 1) as u32
            });
            [key as u32, index]
        };
        let mut features = Vec::new();
        for (count, x, y) in &self.clusters {
            let tags =
                [tag(3, Value::Yes), tag(4, Value::Count(u64::from(*count))), tag(5, Value::Text(abbreviated(*count)))];
            features.push(feature(&tags, *x, *y));
        }
        for (id, status, name, x, y) in &self.markers {
            let tags = [
                tag(0, Value::Text(id.clone())),
                tag(1, Value::Text(status.clone())),
                tag(2, Value::Text(name.clone())),
            ];
            features.push(feature(&tags, *x, *y));
        }
        let mut layer = Vec::new();
        put_varint_field(&mut layer, 15, 2);
        put_bytes_field(&mut layer, 1, MARKER_LAYER.as_bytes());
        for f in &features {
            put_bytes_field(&mut layer, 2, f);
        }
        for key in KEYS {
            put_bytes_field(&mut layer, 3, key.as_bytes());
        }
        for value in &values {
            let mut encoded = Vec::new();
            match value {
                Value::Text(text) => put_bytes_field(&mut encoded, 1, text.as_bytes()),
                Value::Count(n) => put_varint_field(&mut encoded, 5, *n),
                Value::Yes => put_varint_field(&mut encoded, 7, 1),
            }
            put_bytes_field(&mut layer, 4, &encoded);
        }
        put_varint_field(&mut layer, 5, u64::from(EXTENT));
        let mut tile = Vec::new();
        if !features.is_empty() {
            put_bytes_field(&mut tile, 3, &layer);
        }
        tile
    }
}

/// A point feature with its tags.
fn feature(tags: &[[u32; 2]], x: i64, y: i64) -> Vec<u8> {
    let mut packed_tags = Vec::new();
    for value in tags.iter().flatten() {
        put_varint(&mut packed_tags, u64::from(*value));
    }
    let mut geometry = Vec::new();
    // One MoveTo of one point, then its x and y, zigzagged.
    put_varint(&mut geometry, (1 << 3) | 1);
    put_varint(&mut geometry, zigzag(x));
    put_varint(&mut geometry, zigzag(y));
    let mut out = Vec::new();
    put_bytes_field(&mut out, 2, &packed_tags);
    put_varint_field(&mut out, 3, 1);
    put_bytes_field(&mut out, 4, &geometry);
    out
}

/// A count as a cluster shows it: `950`, `1.2k`, `15k`.
fn abbreviated(count: u32) -> String {
    match count {
        0..1_000 => count.to_string(),
        1_000..10_000 => format!("{:.1}k", f64::from(count) / 1000.0),
        _ => format!("{}k", (f64::from(count) / 1000.0).round()),
    }
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn put_varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    put_varint(out, u64::from(field << 3));
    put_varint(out, value);
}

fn put_bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_varint(out, u64::from((field << 3) | 2));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_fall_in_their_tile_and_tiles_cover_their_box() {
        // Helsinki's centre at zoom 14 is in tile 9326/4742.
        let (x, y) = in_tile(14, 9326, 4742, 60.1699, 24.9384);
        assert!((0.0..4096.0).contains(&x) && (0.0..4096.0).contains(&y), "{x} {y}");
        let (south, north, west, east) = tile_box(14, 9326, 4742);
        assert!(south < 60.1699 && 60.1699 < north && west < 24.9384 && 24.9384 < east);
        let (corner_x, corner_y) = in_tile(14, 9326, 4742, north, west);
        assert!(corner_x.abs() < 1e-6 && corner_y.abs() < 1e-6);
    }

    #[test]
    fn counts_are_abbreviated_as_clusters_show_them() {
        assert_eq!(abbreviated(950), "950");
        assert_eq!(abbreviated(1_234), "1.2k");
        assert_eq!(abbreviated(15_400), "15k");
    }

    #[test]
    fn a_tile_encodes_its_layer_features_and_values() {
        let tile = MarkerTile {
            clusters: vec![(12, 100, 200)],
            markers: vec![("id-1".into(), "new".into(), "Ekberg".into(), 4000, 5)],
        };
        let bytes = tile.encode();
        assert_eq!(bytes[0], (3 << 3) | 2, "one layer");
        let text = String::from_utf8_lossy(&bytes);
        for word in ["prospects", "point_count", "Ekberg", "id-1", "12"] {
            assert!(text.contains(word), "{word} is in the tile");
        }
        assert!(MarkerTile::default().encode().is_empty(), "an empty tile has no layer");
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }
}
