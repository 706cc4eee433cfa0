//! The map's own URI scheme, `census-map`: vector tiles read one at a time from the map packs
//! kept on this device (`maps/*.mbtiles` in the app's data folder), so that no request of the
//! map leaves the device.
//!
//! - `census-map://localhost/tiles/{z}/{x}/{y}.pbf`: the tile, from the first pack that has it;
//!   `204` where none has (the map draws nothing there, as it should beyond a pack's region).
//! - `census-map://localhost/packs.json`: what each pack covers, for the map to know where to go.
//! - `census-map://localhost/markers/{z}/{x}/{y}.pbf?filter=…`: the prospects the filter (the
//!   list's, as JSON) shows in that tile, clustered, made from the replica
//!   (`census_replica::Replica::marker_tile`), so that the window never holds the whole base.
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
    Markers { z: u8, x: u32, y: u32 },
}

/// A markers tile's filter is the list's, as JSON: far smaller than this.
const MAX_FILTER_BYTES: usize = 4096;

/// The answer to a request of the map: the packs' tiles and list from `state.maps`, the
/// markers from the replica.
pub fn answer(state: &crate::AppState, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let Some(Asked::Markers { z, x, y }) = asked(request.uri().path()) else {
        return state.maps.answer(request);
    };
    let Some(filter) = request.uri().query().and_then(filter_of) else {
        return respond(StatusCode::BAD_REQUEST, "text/plain", b"the markers' filter cannot be read".to_vec());
    };
    match state.connections.with(|replica| Ok(replica.marker_tile(z, x, y, &filter)?)) {
        Ok(tile) => respond(StatusCode::OK, "application/x-protobuf", tile),
        Err(e) => respond(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", e.message.into_bytes()),
    }
}

/// The list's filter from a query string `filter=<JSON, percent-encoded>`.
fn filter_of(query: &str) -> Option<census_replica::ListFilter> {
    if query.len() > MAX_FILTER_BYTES * 3 {
        return None;
    }
    let (_, json) = url::form_urlencoded::parse(query.as_bytes()).find(|(key, _)| key == "filter")?;
    (json.len() <= MAX_FILTER_BYTES).then(|| serde_json::from_str(&json).ok()).flatten()
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
            Some(Asked::Markers { .. }) | None => {
                respond(StatusCode::NOT_FOUND, "text/plain", b"no such map resource".to_vec())
            }
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
    let (markers, rest) = match (path.strip_prefix("/tiles/"), path.strip_prefix("/markers/")) {
        (Some(rest), _) => (false, rest),
        (None, Some(rest)) => (true, rest),
        (None, None) => return None,
    };
    let mut parts = rest.strip_suffix(".pbf")?.split('/');
    let (z, x, y) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    if parts.next().is_some() {
        return None;
    }
    Some(if markers { Asked::Markers { z, x, y } } else { Asked::Tile { z, x, y } })
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
        assert_eq!(asked("/markers/14/9330/4742.pbf"), Some(Asked::Markers { z: 14, x: 9330, y: 4742 }));
        assert_eq!(asked("/markers/14/9330.pbf"), None);
    }

    #[test]
    fn a_markers_filter_is_the_lists_and_bounded() {
        let clients = census_replica::ListFilter { status: Some(census_core::Status::Client), ..Default::default() };
        let json = serde_json::to_string(&clients).unwrap();
        let query = format!("filter={}", url::form_urlencoded::byte_serialize(json.as_bytes()).collect::<String>());
        assert_eq!(filter_of(&query), Some(clients));
        assert!(filter_of("filter=not%20json").is_none());
        assert!(filter_of("other=1").is_none());
        let huge = format!("filter=%7B%22category%22%3A%22{}%22%7D", "a".repeat(MAX_FILTER_BYTES));
        assert!(filter_of(&huge).is_none(), "a filter past the bound is refused unread");
    }
}
