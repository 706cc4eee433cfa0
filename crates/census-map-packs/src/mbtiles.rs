//! MBTiles (version 1.3): an SQLite file whose `tiles` table holds each tile by zoom, column
//! and row (rows counted from the south, as TMS does), and whose `metadata` table says what
//! the tiles hold. Vector tiles are Mapbox Vector Tile protobufs, usually gzipped.

use std::io::Read;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;

/// The most a tile may inflate to: OpenMapTiles tiles are tens of kilobytes, rarely more than
/// a megabyte.
pub const MAX_TILE_BYTES: u64 = 8 << 20;
/// The deepest zoom a pack may claim.
const MAX_ZOOM: u8 = 22;

/// What went wrong with a map pack, in words for whoever added or opened it.
#[derive(Debug, thiserror::Error)]
pub enum MapPackError {
    #[error("{0} is not a map pack: {1}")]
    NotAPack(String, String),
    #[error("a tile of the map pack is damaged: {0}")]
    DamagedTile(String),
    #[error("the map pack cannot be read: {0}")]
    Storage(#[from] rusqlite::Error),
}

/// A region, in degrees: west, south, east, north.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Bounds {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl Bounds {
    /// Whether the two regions share any ground.
    pub fn overlaps(&self, other: &Bounds) -> bool {
        self.west <= other.east && other.west <= self.east && self.south <= other.north && other.south <= self.north
    }

    fn parse(text: &str) -> Option<Bounds> {
        let numbers: Vec<f64> = text.split(',').map(|n| n.trim().parse().ok()).collect::<Option<_>>()?;
        let [west, south, east, north] = numbers[..] else { return None };
        let valid = (-180.0..=180.0).contains(&west)
            && (-180.0..=180.0).contains(&east)
            && (-90.0..=90.0).contains(&south)
            && (-90.0..=90.0).contains(&north)
            && west < east
            && south < north;
        valid.then_some(Bounds { west, south, east, north })
    }
}

/// What a pack says of itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackInfo {
    pub name: String,
    pub bounds: Bounds,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// The vector layers and their fields (the `json` metadata), for the map's style.
    pub vector_layers: serde_json::Value,
    pub attribution: String,
    pub tiles: u64,
}

/// An open map pack.
#[derive(Debug)]
pub struct MapPack {
    conn: Connection,
    info: PackInfo,
}

impl MapPack {
    /// Opens the pack at `path` read-only and checks that it is one.
    pub fn open(path: &Path) -> Result<MapPack, MapPackError> {
        let shown = path.display().to_string();
        let not_a_pack = |why: &str| MapPackError::NotAPack(shown.clone(), why.to_owned());
        if !path.is_file() {
            return Err(not_a_pack("there is no such file"));
        }
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|e| not_a_pack(&e.to_string()))?;
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|_| not_a_pack("it is not an SQLite database"))?;
        if !["tiles", "metadata"].iter().all(|t| tables.iter().any(|n| n == t)) {
            return Err(not_a_pack("it has no tiles and metadata tables (an MBTiles file has both)"));
        }
        let meta = |key: &str| -> Result<Option<String>, MapPackError> {
            Ok(conn.query_row("SELECT value FROM metadata WHERE name = ?1", [key], |r| r.get(0)).optional()?)
        };
        let format = meta("format")?.unwrap_or_default();
        if format != "pbf" {
            return Err(not_a_pack(&format!("its tiles are \"{format}\", not vector tiles (pbf)")));
        }
        let bounds = meta("bounds")?
            .as_deref()
            .and_then(Bounds::parse)
            .ok_or_else(|| not_a_pack("its metadata does not say which region it covers (bounds)"))?;
        let zoom = |key: &str, default: u8| -> Result<u8, MapPackError> {
            Ok(meta(key)?.and_then(|z| z.trim().parse().ok()).filter(|z| *z <= MAX_ZOOM).unwrap_or(default))
        };
        let (min_zoom, max_zoom) = (zoom("minzoom", 0)?, zoom("maxzoom", 14)?);
        let vector_layers = meta("json")?
            .and_then(|json| serde_json::from_str::<serde_json::Value>(&json).ok())
            .map(|json| json["vector_layers"].clone())
            .filter(serde_json::Value::is_array)
            .ok_or_else(|| not_a_pack("its metadata does not list its vector layers"))?;
        let tiles: i64 = conn.query_row("SELECT count(*) FROM tiles", [], |r| r.get(0))?;
        let info = PackInfo {
            name: meta("name")?.unwrap_or_default(),
            bounds,
            min_zoom: min_zoom.min(max_zoom),
            max_zoom,
            vector_layers,
            attribution: meta("attribution")?.unwrap_or_default(),
            tiles: tiles.unsigned_abs(),
        };
        Ok(MapPack { conn, info })
    }

    pub fn info(&self) -> &PackInfo {
        &self.info
    }

    /// The vector tile at zoom `z`, column `x` and row `y` counted from the north (as maps ask
    /// for them), inflated; `None` where the pack has no tile.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Result<Option<Vec<u8>>, MapPackError> {
        if z > MAX_ZOOM || x >= 1 << z || y >= 1 << z {
            return Ok(None);
        }
        // MBTiles count rows from the south.
        let row = (1u32 << z) - 1 - y;
        let stored: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3")?
            .query_row(params![z, x, row], |r| r.get(0))
            .optional()?;
        stored.map(inflated).transpose()
    }
}

/// A tile's protobuf: gzipped ones inflated (at most [`MAX_TILE_BYTES`]), others as they are.
fn inflated(stored: Vec<u8>) -> Result<Vec<u8>, MapPackError> {
    if !stored.starts_with(&[0x1f, 0x8b]) {
        return Ok(stored);
    }
    let mut tile = Vec::new();
    flate2::read::GzDecoder::new(stored.as_slice())
        .take(MAX_TILE_BYTES + 1)
        .read_to_end(&mut tile)
        .map_err(|e| MapPackError::DamagedTile(e.to_string()))?;
    if tile.len() as u64 > MAX_TILE_BYTES {
        return Err(MapPackError::DamagedTile(format!("it inflates past {} MB", MAX_TILE_BYTES >> 20)));
    }
    Ok(tile)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn pack(dir: &Path, tiles: &[(u8, u32, u32, Vec<u8>)]) -> std::path::PathBuf {
        let path = dir.join("pack.mbtiles");
        let conn = Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
        conn.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT); \
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB); \
             INSERT INTO metadata VALUES ('name', 'Helsinki'), ('format', 'pbf'), \
               ('bounds', '24.93,60.16,24.96,60.18'), ('minzoom', '0'), ('maxzoom', '14'), \
               ('json', '{\"vector_layers\": [{\"id\": \"building\", \"fields\": {}}]}');",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for (z, x, row, data) in tiles {
            conn.execute("INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)", params![z, x, row, data])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        path
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
        encoder.finish().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_tile_is_found_by_the_row_maps_ask_for_and_inflated() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // Zoom 1 has rows 0 (south) and 1 (north); a map asks for the north one as y = 0.
        let path = pack(dir.path(), &[(1, 1, 1, gzip(b"north-east")), (1, 0, 0, b"plain".to_vec())]);
        let pack = MapPack::open(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pack.info().name, "Helsinki");
        assert_eq!(pack.info().tiles, 2);
        assert!(pack.info().bounds.overlaps(&Bounds { west: 24.95, south: 60.17, east: 25.0, north: 60.2 }));
        assert!(!pack.info().bounds.overlaps(&Bounds { west: 37.0, south: 55.0, east: 38.0, north: 56.0 }));
        assert_eq!(pack.tile(1, 1, 0).ok().flatten().as_deref(), Some(&b"north-east"[..]));
        assert_eq!(pack.tile(1, 0, 1).ok().flatten().as_deref(), Some(&b"plain"[..]));
        assert_eq!(pack.tile(1, 0, 0).ok().flatten(), None, "no tile there");
        assert_eq!(pack.tile(1, 5, 0).ok().flatten(), None, "off the world");
    }

    #[test]
    fn a_file_that_is_no_pack_and_a_tile_that_is_a_bomb_are_refused_in_words() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not a database").unwrap_or_else(|e| panic!("{e}"));
        let refused = MapPack::open(&text).map(|_| ()).unwrap_err().to_string();
        assert!(refused.contains("is not a map pack"), "{refused}");
        let bomb = gzip(&vec![0u8; (MAX_TILE_BYTES + 1) as usize]);
        let path = pack(dir.path(), &[(0, 0, 0, bomb)]);
        let pack = MapPack::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let refused = pack.tile(0, 0, 0).map(|_| ()).unwrap_err().to_string();
        assert!(refused.contains("inflates past"), "{refused}");
    }
}
