//! Map packs on this device: the server offers the packs that cover the device's territories
//! (`GET /api/v1/maps`), and the device keeps exactly those in its map folder, one file per
//! pack named for its hash, `<sha256>.mbtiles`.
//!
//! A pack can be hundreds of megabytes and the network comes and goes, so a download goes to
//! `<sha256>.mbtiles.partial` and a cut-off one goes on from the bytes already there
//! (`Range: bytes=N-`). Only a file whose bytes hash to the name it was offered under becomes a
//! pack. When an administrator replaces a pack, its hash changes: the new one is fetched and
//! the old one, no longer offered, goes. Files of other names in the folder are left alone.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ReplicaError;
use crate::replica::Replica;
use crate::sync_client::{SyncClient, SyncError};

/// No pack a device accepts is larger: a country's streets fit well under it.
pub const MAX_MAP_PACK_BYTES: u64 = 8 << 30;

/// A pack may take long to arrive on a slow link; a cut-off one resumes, so this only stops a
/// download that hangs.
const PACK_REQUEST_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Bytes read from the network between two looks at whether to stop.
const PIECE_BYTES: usize = 256 << 10;

/// A pack the server offers this device.
#[derive(Debug, Clone, Deserialize)]
pub struct OfferedMapPack {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

/// What a round of map-pack downloads did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MapPackDownload {
    /// Packs downloaded (wholly or the rest of one cut off before).
    pub fetched: u32,
    /// Bytes received this time.
    pub bytes: u64,
    /// Packs already here whole.
    pub up_to_date: u32,
    /// Packs removed: replaced on the server, or no longer covering this device's territories.
    pub removed: u32,
}

impl MapPackDownload {
    /// Whether the packs in the folder changed, so that a map reading them must look again.
    pub fn changed(&self) -> bool {
        self.fetched > 0 || self.removed > 0
    }
}

impl SyncClient {
    pub(crate) fn offered_map_packs(&self, token: &str) -> Result<Vec<OfferedMapPack>, SyncError> {
        self.get_json(token, "maps", "list of map packs")
    }

    /// The pack's bytes from `start` on.
    fn map_pack_from(&self, token: &str, sha256: &str, start: u64) -> Result<reqwest::blocking::Response, SyncError> {
        let mut request =
            self.http.get(self.url(&format!("maps/{sha256}"))).bearer_auth(token).timeout(PACK_REQUEST_TIMEOUT);
        if start > 0 {
            request = request.header(reqwest::header::RANGE, format!("bytes={start}-"));
        }
        self.send(request)
    }
}

impl Replica {
    /// Brings the map folder `folder` in line with the packs the server offers this device:
    /// downloads (or resumes) those missing, removes those no longer offered. Reports progress
    /// in bytes, and may be stopped between two pieces; a stopped download resumes next time.
    pub fn download_map_packs(&self, client: &SyncClient, folder: &Path) -> Result<MapPackDownload, SyncError> {
        let token = self.token()?.ok_or(SyncError::SignedOut)?;
        let offered = client.offered_map_packs(&token)?;
        for pack in &offered {
            if !census_core::pictures::is_picture_name(&pack.sha256) {
                return Err(SyncError::Server(format!(
                    "the server offered a map pack with a bad name: {:?}",
                    pack.sha256
                )));
            }
            if pack.bytes > MAX_MAP_PACK_BYTES {
                return Err(SyncError::Server(format!(
                    "the server offered map pack \"{}\" of {} bytes, more than a device takes",
                    pack.name, pack.bytes
                )));
            }
        }
        fs::create_dir_all(folder).map_err(|e| folder_trouble(folder, &e))?;
        let mut download = MapPackDownload { removed: remove_unoffered(folder, &offered)?, ..Default::default() };

        let wanted: Vec<&OfferedMapPack> = offered
            .iter()
            .filter(|pack| {
                let whole = fs::metadata(pack_file(folder, &pack.sha256)).is_ok_and(|m| m.len() == pack.bytes);
                download.up_to_date += u32::from(whole);
                !whole
            })
            .collect();
        let total: u64 = wanted.iter().map(|pack| pack.bytes).sum();
        let mut done = 0;
        for pack in wanted {
            let partial = partial_file(folder, &pack.sha256);
            let mut have = fs::metadata(&partial).map_or(0, |m| m.len());
            if have > pack.bytes {
                have = 0;
            }
            done += have;
            self.step(done as usize, total as usize)?;
            let received = self.receive_pack(client, &token, pack, &partial, have, &mut |piece| {
                done += piece;
                self.step(done as usize, total as usize)
            })?;
            download.bytes += received;
            download.fetched += 1;
        }
        Ok(download)
    }

    /// Appends the rest of `pack` to `partial` (which holds `have` bytes of it), checks the
    /// whole, and makes it the pack; answers with the bytes received.
    fn receive_pack(
        &self,
        client: &SyncClient,
        token: &str,
        pack: &OfferedMapPack,
        partial: &Path,
        have: u64,
        progress: &mut dyn FnMut(u64) -> Result<(), ReplicaError>,
    ) -> Result<u64, SyncError> {
        let mut received = 0;
        if have < pack.bytes {
            let mut response = client.map_pack_from(token, &pack.sha256, have)?;
            // A server that ignores the range sends the whole file: start over then.
            let resumed = response.status() == reqwest::StatusCode::PARTIAL_CONTENT;
            let mut file = OpenOptions::new()
                .create(true)
                .write(true)
                .append(resumed)
                .truncate(!resumed)
                .open(partial)
                .map_err(|e| folder_trouble(partial, &e))?;
            let mut written = if resumed { have } else { 0 };
            let mut piece = vec![0; PIECE_BYTES];
            loop {
                let read = response.read(&mut piece).map_err(|e| SyncError::Offline(e.to_string()))?;
                if read == 0 {
                    break;
                }
                written += read as u64;
                if written > pack.bytes {
                    drop(file);
                    let _ = fs::remove_file(partial);
                    return Err(SyncError::Server(format!(
                        "the server sent more of map pack \"{}\" than it has",
                        pack.name
                    )));
                }
                file.write_all(&piece[..read]).map_err(|e| folder_trouble(partial, &e))?;
                received += read as u64;
                progress(read as u64)?;
            }
            file.sync_all().map_err(|e| folder_trouble(partial, &e))?;
            if written < pack.bytes {
                return Err(SyncError::Offline(format!(
                    "map pack \"{}\" stopped arriving after {written} of {} bytes",
                    pack.name, pack.bytes
                )));
            }
        }
        if hash_of(partial)? != pack.sha256 {
            let _ = fs::remove_file(partial);
            return Err(SyncError::Server(format!(
                "map pack \"{}\" arrived damaged (its bytes are not the ones offered); it will be downloaded again",
                pack.name
            )));
        }
        let file = pack_file(partial.parent().unwrap_or(Path::new(".")), &pack.sha256);
        fs::rename(partial, &file).map_err(|e| folder_trouble(&file, &e))?;
        Ok(received)
    }
}

fn pack_file(folder: &Path, sha256: &str) -> PathBuf {
    folder.join(format!("{sha256}.mbtiles"))
}

fn partial_file(folder: &Path, sha256: &str) -> PathBuf {
    folder.join(format!("{sha256}.mbtiles.partial"))
}

/// Removes the packs (and pieces of packs) named for a hash that the server no longer offers.
fn remove_unoffered(folder: &Path, offered: &[OfferedMapPack]) -> Result<u32, SyncError> {
    let mut removed = 0;
    let entries = fs::read_dir(folder).map_err(|e| folder_trouble(folder, &e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let (hash, whole) = match (name.strip_suffix(".mbtiles"), name.strip_suffix(".mbtiles.partial")) {
            (Some(hash), _) => (hash, true),
            (None, Some(hash)) => (hash, false),
            (None, None) => continue,
        };
        if !census_core::pictures::is_picture_name(hash) || offered.iter().any(|pack| pack.sha256 == hash) {
            continue;
        }
        fs::remove_file(entry.path()).map_err(|e| folder_trouble(&entry.path(), &e))?;
        removed += u32::from(whole);
    }
    Ok(removed)
}

fn hash_of(path: &Path) -> Result<String, SyncError> {
    let mut file = File::open(path).map_err(|e| folder_trouble(path, &e))?;
    let mut hasher = Sha256::new();
    let mut piece = vec![0; 1 << 20];
    loop {
        let read = file.read(&mut piece).map_err(|e| folder_trouble(path, &e))?;
        if read == 0 {
            break;
        }
        hasher.update(&piece[..read]);
    }
    Ok(crate::projection::hex(&hasher.finalize()))
}

fn folder_trouble(path: &Path, e: &std::io::Error) -> SyncError {
    SyncError::Replica(ReplicaError::MapFolder(format!("{}: {e}", path.display())))
}
