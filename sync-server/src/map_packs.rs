//! Map packs the server hands out: MBTiles files of vector tiles an administrator adds for a
//! region (`census-server map add FILE --name NAME`), checked with `census-map-packs`, kept
//! beside the database in `<db>.maps/` under the SHA-256 of their bytes and described in the
//! `map_packs` table. A device downloads the packs whose region meets one of its territories
//! (`map_api.rs`); a pack replaced under the same name has a new hash, which devices see in the
//! list at their next sync and download again.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use census_core::{Directory, Role, Timestamp};
use census_map_packs::{Bounds, MapPack};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::access::Caller;
use crate::error::StoreError;
use crate::store::Store;

/// A pack as devices see it listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapPackRecord {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
    pub bounds: Bounds,
    pub added_at: Timestamp,
}

/// Where a database's map packs are kept: beside it, `census.db` → `census.maps/`.
pub fn folder_beside(db: &Path) -> PathBuf {
    db.with_extension("maps")
}

/// The file of the pack with this hash (checked to be one before any path is made of it).
pub fn file_of(folder: &Path, sha256: &str) -> Option<PathBuf> {
    census_core::pictures::is_picture_name(sha256).then(|| folder.join(format!("{sha256}.mbtiles")))
}

/// Checks `file` is a map pack, copies it into `folder` under its hash and records it as
/// `name`, in place of any pack of that name (whose file goes unless another name keeps it).
pub fn add(store: &dyn Store, folder: &Path, file: &Path, name: &str, at: Timestamp) -> Result<MapPackRecord, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err("a map pack needs a name of 1 to 120 characters (--name)".into());
    }
    let bounds = MapPack::open(file).map_err(|e| e.to_string())?.info().bounds;
    std::fs::create_dir_all(folder).map_err(|e| format!("cannot keep map packs in {}: {e}", folder.display()))?;
    let (sha256, bytes) = copy_hashed(file, folder)?;
    let record = MapPackRecord { name: name.to_owned(), sha256, bytes, bounds, added_at: at };
    let replaced = store.record_map_pack(&record).map_err(|e| e.to_string())?;
    if let Some(old) = replaced.filter(|old| *old != record.sha256)
        && let Some(path) = file_of(folder, &old)
    {
        let _ = std::fs::remove_file(path);
    }
    Ok(record)
}

/// Copies `file` into `folder` as `<sha256>.mbtiles`, a piece at a time, synced before it is
/// named; answers its hash and length.
fn copy_hashed(file: &Path, folder: &Path) -> Result<(String, u64), String> {
    let failed = |e: std::io::Error| format!("cannot copy the map pack {}: {e}", file.display());
    let partial = folder.join(format!(".adding-{}", std::process::id()));
    let mut from = File::open(file).map_err(failed)?;
    let mut to = File::create(&partial).map_err(failed)?;
    let (mut hasher, mut bytes, mut buffer) = (Sha256::new(), 0u64, vec![0u8; 256 * 1024]);
    loop {
        let read = from.read(&mut buffer).map_err(failed)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
        to.write_all(&buffer[..read]).map_err(failed)?;
        bytes += read as u64;
    }
    to.sync_all().map_err(failed)?;
    let sha256 = hex::encode(hasher.finalize());
    let target = file_of(folder, &sha256).ok_or("a hash is always a name")?;
    std::fs::rename(&partial, target).map_err(failed)?;
    Ok((sha256, bytes))
}

/// Records a pack under its name; answers the hash of the pack it replaced.
pub(crate) fn record_pack(conn: &mut Connection, record: &MapPackRecord) -> Result<Option<String>, StoreError> {
    let tx = conn.transaction()?;
    let old: Option<String> =
        tx.query_row("SELECT sha256 FROM map_packs WHERE name = ?1", [&record.name], |r| r.get(0)).optional()?;
    let b = record.bounds;
    tx.execute(
        "INSERT INTO map_packs (name, sha256, bytes, west, south, east, north, added_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (name) DO UPDATE SET sha256 = excluded.sha256, \
         bytes = excluded.bytes, west = excluded.west, south = excluded.south, east = excluded.east, \
         north = excluded.north, added_at = excluded.added_at",
        params![
            record.name,
            record.sha256,
            i64::try_from(record.bytes).unwrap_or(i64::MAX),
            b.west,
            b.south,
            b.east,
            b.north,
            record.added_at.unix_millis()
        ],
    )?;
    let still_used: bool = match &old {
        Some(old) => tx.query_row("SELECT EXISTS (SELECT 1 FROM map_packs WHERE sha256 = ?1)", [old], |r| r.get(0))?,
        None => false,
    };
    tx.commit()?;
    Ok(old.filter(|_| !still_used))
}

/// Every pack, by name.
pub(crate) fn list(conn: &Connection) -> Result<Vec<MapPackRecord>, StoreError> {
    let rows = conn
        .prepare_cached("SELECT name, sha256, bytes, west, south, east, north, added_at FROM map_packs ORDER BY name")?
        .query_map([], |r| {
            Ok(MapPackRecord {
                name: r.get(0)?,
                sha256: r.get(1)?,
                bytes: r.get::<_, i64>(2)?.unsigned_abs(),
                bounds: Bounds { west: r.get(3)?, south: r.get(4)?, east: r.get(5)?, north: r.get(6)? },
                added_at: Timestamp::from_unix_millis(r.get(7)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// The packs `caller` gets: every one for a manager or an administrator; for an agent, those
/// whose region meets one of their territories (all of them when a territory has no outline
/// yet, for its prospects could be anywhere).
pub fn for_caller(packs: Vec<MapPackRecord>, caller: &Caller, directory: &Directory) -> Vec<MapPackRecord> {
    if caller.role != Role::Agent {
        return packs;
    }
    let mut regions = Vec::new();
    for territory in directory.territories.iter().filter(|t| caller.may_read(t.id)) {
        let corners = &territory.boundary;
        if corners.is_empty() {
            return packs;
        }
        let (lats, lons) = (corners.iter().map(|c| c[0]), corners.iter().map(|c| c[1]));
        regions.push(Bounds {
            west: lons.clone().fold(f64::INFINITY, f64::min),
            east: lons.fold(f64::NEG_INFINITY, f64::max),
            south: lats.clone().fold(f64::INFINITY, f64::min),
            north: lats.fold(f64::NEG_INFINITY, f64::max),
        });
    }
    packs.into_iter().filter(|pack| regions.iter().any(|region| pack.bounds.overlaps(region))).collect()
}
