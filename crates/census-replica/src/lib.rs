//! # census-replica: a device's prospects, offline
//!
//! A field agent's device works for days without a network and must stay instant with tens of
//! thousands of prospects. The replica is one SQLite file: each prospect's Automerge document
//! (a compacted snapshot plus the changes since), an outbox of changes not yet pushed, a cache of
//! the directory (people, territories, questionnaires), visit drafts, and projection tables (a
//! row per prospect, a full-text index, a spatial index) that lists, search and maps read. Only
//! an opened prospect loads its document; the base is never held in memory.
//!
//! Every operation is one SQLite transaction: the Automerge change, its outbox entry and the
//! projection update commit together or not at all, so a crash at any moment leaves a replica
//! that opens cleanly with every committed edit in it. The schema is migrated by numbered,
//! append-only migrations (`schema.rs`). The `census` command line (`src/bin/census.rs`) is a
//! thin shell over this API.

mod administration;
mod bootstrap;
mod checkpoint;
mod dashboard;
mod directory;
mod documents;
mod drafts;
mod duplicates;
mod error;
mod export;
mod import;
mod import_mappings;
mod map_pack_downloads;
mod marker_tiles;
mod merge_rings;
mod outbox;
mod parallel;
mod photos;
mod picture_cache;
mod picture_uploads;
mod projection;
mod queries;
mod received;
mod replica;
mod russian;
mod schema;
mod server_change;
mod spreadsheet_bounds;
mod sync;
mod sync_client;
mod text_encoding;
mod thumbnails;
mod token;
mod watch;

pub use census_core::ProspectRow;
pub use dashboard::{AgentDay, Coverage, Dashboard, DashboardFilter, Tally};
pub use drafts::VisitDraft;
pub use duplicates::{DuplicateCandidate, DuplicatePair, DuplicatePairs};
pub use error::ReplicaError;
pub use export::{EXPORT_COLUMNS, XLSX_SHEET, export_headers};
pub use import::{
    BadCell, ImportOptions, ImportPlan, ImportPreview, MAX_IMPORT_ROWS, ROWS_PER_TRANSACTION, RowOutcome, RowPreview,
    Table,
};
pub use map_pack_downloads::{MAX_MAP_PACK_BYTES, MapPackDownload, OfferedMapPack};
pub use marker_tiles::{CLUSTER_BELOW_ZOOM, MARKER_LAYER, MAX_MARKER_ZOOM, MapSummary, Nearby};
pub use outbox::OutboxEntry;
pub use photos::{MAX_PHOTO_BYTES, StoredPhoto};
pub use picture_cache::{DEFAULT_PICTURE_CACHE_BYTES, MIN_PICTURE_CACHE_BYTES, PictureCache, PictureDownload};
pub use picture_uploads::{PICTURE_CHUNK_BYTES, PictureOnDevice, PictureReport, UploadState};
pub use queries::{ListFilter, SortBy, TerritoryProgress};
pub use replica::{ProspectDetail, Replica, VisitOutcome};
pub use spreadsheet_bounds::{
    MAX_IMPORT_CELLS, MAX_IMPORT_COLUMNS, MAX_IMPORT_FILE_BYTES, MAX_WORKBOOK_INFLATED_BYTES,
};
pub use sync::{RefusedChange, SyncProgress, SyncReport};
pub use sync_client::{ServerStatus, SyncClient, SyncError, Trust, UntrustedCertificate};
pub use thumbnails::{THUMBNAIL_EDGE, thumbnail_of};
pub use token::TokenVault;
pub use watch::{ProgressSink, Stopper};
