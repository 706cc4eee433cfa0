//! # census-server: where every device's changes meet
//!
//! Field agents edit prospects offline on many devices; each edit is an Automerge change. The
//! server is a store-and-forward change feed: devices push their changes, the server checks
//! each one (it decodes, it was made by the pushing device, the person may write that
//! territory), stores it once under the next sequence number and syncs it to disk before
//! answering; devices pull each territory they may see, page by page, from a cursor. The
//! server never loads a document to do this: merging is the devices' work, and Automerge makes
//! every order of arrival give the same result.
//!
//! Around the feed: the directory (people and roles with argon2id passwords, devices with
//! hashed tokens bound to their Automerge actor, territories, assignments, immutable
//! questionnaire versions), and the access rules (`access.rs`). The HTTP API is in `api.rs` (its
//! managers' part, people, devices, territories and questionnaires, in `manage.rs`),
//! documented in `docs/protocol.md`; storage is behind the `Store` trait (`store.rs`), with
//! SQLite as the shipped store (`sqlite_store.rs`).
//!
//! Work made offline before its person lost a territory (or retired) still arrives, for a grace
//! period, when the device could have made it before it learnt of the change (`late_work.rs`);
//! managers see it as late work.
//!
//! A fresh device does not replay the feed: a background thread (`compactor.rs`) keeps every
//! document compacted with its projection a little behind the feed (`snapshots.rs`), and the
//! device bootstraps from those snapshots, then pulls from the point they cover.

pub mod access;
pub mod api;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod client_address;
pub mod compactor;
pub mod config;
pub mod demo;
pub mod demo_places;
pub mod document_objects;
pub mod error;
pub mod late_work;
pub mod listener;
pub mod manage;
pub mod map_api;
pub mod map_packs;
pub mod metrics;
pub mod news;
pub mod picture_api;
mod picture_records;
pub mod picture_sweep;
pub mod pictures;
pub mod request_log;
pub mod security_log;
pub mod sign_in;
pub mod snapshots;
pub mod sqlite_store;
pub mod store;
pub mod streamed_body;
pub mod tls;
pub mod write_timeout;

pub use access::Caller;
pub use error::{ApiError, StoreError};
pub use sqlite_store::SqliteStore;
pub use store::Store;
