//! The map's own URI scheme, `census-map`: vector tiles read one at a time from the map packs
//! kept on this device (`maps/*.mbtiles` in the app's data folder), so that no request of the
//! map leaves the device.
//!
//! - `census-map://localhost/tiles/{z}/{x}/{y}.pbf`: the tile, from the first pack that has it;
//!   `204` where none has (the map draws nothing there, as it should beyond a pack's region).
//! - `census-map://localhost/packs.json`: what each pack covers, for the map to know where to go.
//!
//! Windows and Android name the same addresses `http://census-map.localhost/…`.

use std::path::PathBuf;
use std::sync::Mutex;

use census_map_packs::MapPack;
use tauri::http::{Request, Response, StatusCode, header};

pub const SCHEME: &str = "census-map";

/// The packs in the device's map folder, opened on the first request.
#[derive(Debug)]
pub struct MapPacks {
    folder: PathBuf,
    open: Mutex<Option<Vec<MapPack>>>,
}

/// What a request asks for.
#[derive(Debug, PartialEq, Eq)]
enum Asked {
    Tile { z: u8, x: u32, y: u32 },
    Packs,
}

impl MapPacks {
    pub fn in_folder(folder: PathBuf) -> MapPacks {
        MapPacks { folder, open: Mutex::new(None) }
    }

    pub fn folder(&self) -> &std::path::Path {
        &self.folder
    }

    /// Forgets the packs opened, so that the next request opens those in the folder now.
    pub fn reopen(&self) {
        *self.open.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn with_packs<T>(&self, read: impl FnOnce(&[MapPack]) -> T) -> T {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let packs = open.get_or_insert_with(|| {
            let Ok(entries) = std::fs::read_dir(&self.folder) else { return Vec::new() };
            let mut paths: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| path.extension().is_some_and(|e| e == "mbtiles"))
                .collect();
            paths.sort();
            // A damaged pack is left out; the others still draw.
            paths.iter().filter_map(|path| MapPack::open(path).ok()).collect()
        });
        read(packs)
    }

    /// The answer to a request of the map.
    pub fn answer(&self, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        match asked(request.uri().path()) {
            Some(Asked::Tile { z, x, y }) => {
                let found =
                    self.with_packs(|packs| packs.iter().find_map(|pack| pack.tile(z, x, y).transpose()).transpose());
                match found {
                    Ok(Some(tile)) => respond(StatusCode::OK, "application/x-protobuf", tile),
                    Ok(None) => respond(StatusCode::NO_CONTENT, "application/x-protobuf", Vec::new()),
                    Err(e) => respond(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", e.to_string().into_bytes()),
                }
            }
            Some(Asked::Packs) => {
                let infos = self.with_packs(|packs| packs.iter().map(|p| p.info().clone()).collect::<Vec<_>>());
                let body = serde_json::to_vec(&infos).unwrap_or_default();
                respond(StatusCode::OK, "application/json", body)
            }
            None => respond(StatusCode::NOT_FOUND, "text/plain", b"no such map resource".to_vec()),
        }
    }
}

/// The answer while the app is still starting.
pub fn not_ready() -> Response<Vec<u8>> {
    respond(StatusCode::SERVICE_UNAVAILABLE, "text/plain", b"the app is starting".to_vec())
}

fn asked(path: &str) -> Option<Asked> {
    if path == "/packs.json" {
        return Some(Asked::Packs);
    }
    let rest = path.strip_prefix("/tiles/")?.strip_suffix(".pbf")?;
    let mut parts = rest.split('/');
    let (z, x, y) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    parts.next().is_none().then_some(Asked::Tile { z, x, y })
}

fn respond(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        // The window's own origin is another scheme: its fetches need this.
        .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .body(body)
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_names_a_tile_or_the_packs_and_nothing_else() {
        assert_eq!(asked("/tiles/14/9330/4742.pbf"), Some(Asked::Tile { z: 14, x: 9330, y: 4742 }));
        assert_eq!(asked("/packs.json"), Some(Asked::Packs));
        assert_eq!(asked("/tiles/14/9330.pbf"), None);
        assert_eq!(asked("/tiles/14/9330/4742/1.pbf"), None);
        assert_eq!(asked("/tiles/300/1/1.pbf"), None, "no zoom past 255");
        assert_eq!(asked("/../../etc/passwd"), None);
    }
}
