//! # census-map-packs: the streets under the markers, offline
//!
//! A field agent's map needs streets and buildings where there is no network. The company's
//! server hands out *map packs*: MBTiles files of vector tiles (the OpenMapTiles schema), one
//! per region, which devices download and keep. This crate reads them: a pack is opened and
//! checked once (an SQLite file with the MBTiles tables, its bounds and zooms in its metadata),
//! then read one tile at a time, never whole. A tile stored gzipped is inflated within a bound,
//! for a pack is a file from elsewhere and a tile could be a bomb.
//!
//! The server uses it to check a pack an administrator adds and to learn the region it covers;
//! the app, to answer the map's tile requests.

mod mbtiles;

pub use mbtiles::{Bounds, MAX_TILE_BYTES, MapPack, MapPackError, PackInfo};
