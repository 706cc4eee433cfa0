//! The storage interface: the change log, the directory, devices and their tokens. The server
//! ships a SQLite store (`sqlite_store.rs`); a PostgreSQL one can implement the same trait.
//! Methods are blocking; handlers call them on tokio's blocking pool.

use census_core::wire::{BootstrapPage, PullPage, PushItem, PushOutcome};
use census_core::{
    AuditEntry, AuditFilter, ChangeInfo, DeviceId, Directory, DocumentError, LateArrival, Person, ProspectDoc,
    ProspectId, Questionnaire, Retired, Retirement, Role, ServerIdentity, Territory, TerritoryId, Timestamp, UserId,
};

use crate::access::Caller;
use crate::error::StoreError;
pub use crate::snapshots::CompactionStatus;

pub use census_core::DeviceRecord;

/// What a presented token turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    Valid(Caller),
    /// A device of a retired person: it may only push late work, with no territory of its own.
    Retired(Caller),
    Revoked,
    Unknown,
}

/// A pushed change and what it says about itself, read before the store is asked to keep it
/// (so that no change is decoded while the store's one writer waits), or why it cannot be kept.
#[derive(Debug, Clone)]
pub struct PushedChange {
    pub item: PushItem,
    pub info: Result<ChangeInfo, PushOutcome>,
}

impl PushedChange {
    /// Measures and reads a pushed change (never inflating it past the limits of
    /// `census_core::limits`).
    pub fn inspect(item: PushItem) -> PushedChange {
        let info = ProspectDoc::inspect_change(&item.change).map_err(|e| {
            let code = if matches!(e, DocumentError::TooLarge(_)) { "change_too_large" } else { "undecodable_change" };
            let message = match e {
                DocumentError::TooLarge(size) => format!("{size}; Census refuses it"),
                other => format!("the change cannot be read: {other}"),
            };
            PushOutcome::Refused { code: code.into(), message }
        });
        PushedChange { item, info }
    }
}

pub trait Store: Send + Sync + 'static {
    fn add_person(&self, person: &Person, password_hash: &str) -> Result<(), StoreError>;
    /// A person and their password hash, by login.
    fn person_by_login(&self, login: &str) -> Result<Option<(Person, String)>, StoreError>;
    fn set_password(&self, login: &str, password_hash: &str) -> Result<(), StoreError>;
    /// Gives a person another role; it holds from their next request on.
    fn set_role(&self, login: &str, role: Role) -> Result<(), StoreError>;
    /// Retires a person and hands their territories to the successor, in one step: they can
    /// no longer sign in, their devices stop syncing, their history stays.
    fn retire(&self, retirement: &Retirement) -> Result<Retired, StoreError>;

    /// Binds a device to a person with a new token (stored hashed). A device already bound to
    /// another person is refused, and so is an id no device may take (the nil id, or the actor
    /// of changes some other device pushed); signing in again on the same device replaces its
    /// token.
    fn sign_in_device(
        &self,
        device: DeviceId,
        user: UserId,
        name: &str,
        token_hash: &[u8],
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<(), StoreError>;
    fn check_token(&self, token_hash: &[u8], now: Timestamp) -> Result<TokenCheck, StoreError>;
    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError>;
    /// Notes that a device received the directory at `now` (each sync fetches it, after pushing):
    /// it was last seen, and told of its person's territories.
    fn device_seen(&self, device: DeviceId, now: Timestamp) -> Result<(), StoreError>;
    fn revoke_device(&self, device: DeviceId) -> Result<(), StoreError>;
    /// Lifts a device's revocation. Its old token stays invalid: the device signs in again.
    fn reinstate_device(&self, device: DeviceId) -> Result<(), StoreError>;
    /// The person a device is registered to.
    fn device_owner(&self, device: DeviceId) -> Result<Option<Person>, StoreError>;

    /// Creates or updates a territory, adding its agents to those already assigned.
    fn add_territory(&self, territory: &Territory) -> Result<(), StoreError>;
    /// Creates or updates a territory with exactly its agents assigned.
    fn save_territory(&self, territory: &Territory) -> Result<(), StoreError>;
    fn assign(&self, territory: TerritoryId, login: &str) -> Result<(), StoreError>;
    fn unassign(&self, territory: TerritoryId, login: &str) -> Result<(), StoreError>;
    /// Publishes a questionnaire version; a published version never changes.
    fn publish_questionnaire(&self, questionnaire: &Questionnaire) -> Result<(), StoreError>;
    fn directory(&self) -> Result<Directory, StoreError>;

    /// Stores the changes the caller may write, each once; answers item by item. Everything is
    /// durable on disk before this returns.
    fn push(&self, caller: &Caller, changes: &[PushedChange], now: Timestamp) -> Result<Vec<PushOutcome>, StoreError>;
    /// Up to `limit` changes of a scope after `since`, in sequence order.
    fn pull(&self, scope: TerritoryId, since: u64, limit: u32) -> Result<PullPage, StoreError>;

    /// Up to `limit` of a scope's documents after `after` as compacted snapshots, with the point
    /// of the feed they all cover (see `snapshots.rs`).
    fn bootstrap(&self, scope: TerritoryId, after: Option<ProspectId>, limit: u32)
    -> Result<BootstrapPage, StoreError>;
    fn compaction_status(&self) -> Result<CompactionStatus, StoreError>;
    /// Keeps security events in the audit trail, in one transaction.
    fn record_audit(&self, entries: &[AuditEntry]) -> Result<(), StoreError>;
    /// The audit trail's entries that `filter` asks for, newest first.
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
    /// Whether the database answers and is migrated: its schema version.
    fn ready(&self) -> Result<u32, StoreError>;
    /// The late work taken (changes made before their pusher lost the right), newest first.
    /// Whether any of `scopes` has changes or departures after `since`.
    fn news_since(&self, scopes: &[TerritoryId], since: u64) -> Result<bool, StoreError>;
    /// How many bytes the database takes.
    fn database_bytes(&self) -> Result<u64, StoreError>;
    /// The server's lasting id and its database's epoch.
    fn identity(&self) -> Result<ServerIdentity, StoreError>;
    fn late_arrivals(&self, limit: u32) -> Result<Vec<LateArrival>, StoreError>;
    /// The territory of `doc` when its document names the picture `name`, which its readers may
    /// then read (picture_records.rs); `None` when the server has no such prospect or it does
    /// not name the picture.
    fn picture_upload_territory(&self, name: &str, doc: ProspectId) -> Result<Option<TerritoryId>, StoreError>;
    /// Records `thumbnail` as a thumbnail of `picture`, uploaded for `doc`.
    fn record_thumbnail(&self, picture: &str, thumbnail: &str, doc: ProspectId) -> Result<(), StoreError>;
    /// The thumbnails of pictures of `scope`'s prospects, by picture after `after`, whole ones only.
    fn thumbnails(&self, scope: TerritoryId, after: &str, limit: u32) -> Result<Vec<(String, String)>, StoreError>;
    /// The pictures (not thumbnails) of `scope`'s prospects stored whole, with their lengths, by
    /// name after `after`.
    fn territory_pictures(&self, scope: TerritoryId, after: &str, limit: u32)
    -> Result<Vec<(String, u64)>, StoreError>;
    /// Records a picture stored whole, with its type and length.
    fn picture_stored(&self, name: &str, mime: &str, bytes: u64, at: Timestamp) -> Result<(), StoreError>;
    /// A stored picture's type and length.
    fn picture(&self, name: &str) -> Result<Option<(String, u64)>, StoreError>;
    /// The territories whose readers may read a picture.
    fn picture_territories(&self, name: &str) -> Result<Vec<TerritoryId>, StoreError>;
    /// Reads again the documents changed over at most `max_changes` more of the feed, drops the
    /// picture references they no longer make and marks the pictures left with none as
    /// unreferenced since `now`; answers how many references went and whether the sweep has
    /// reached the feed's end.
    fn sweep_picture_refs(&self, max_changes: u32, now: Timestamp) -> Result<(u64, bool), StoreError>;
    /// Pictures unreferenced since before `before`, at most `limit`.
    fn unreferenced_pictures(&self, before: Timestamp, limit: u32) -> Result<Vec<String>, StoreError>;
    /// Forgets a picture still unreferenced since before `before`; whether it was (and its bytes
    /// may go).
    fn forget_picture(&self, name: &str, before: Timestamp) -> Result<bool, StoreError>;
    /// Records a map pack under its name (map_packs.rs); answers the hash of the pack it
    /// replaced, when no other name keeps that one.
    fn record_map_pack(&self, record: &crate::map_packs::MapPackRecord) -> Result<Option<String>, StoreError>;
    /// Every map pack, by name.
    fn map_packs(&self) -> Result<Vec<crate::map_packs::MapPackRecord>, StoreError>;
    /// Brings snapshots up to date over at most `max_changes` more changes of the feed; says how
    /// many documents were rebuilt, or `None` when snapshots already cover the whole feed.
    fn compact_step(&self, max_changes: u32) -> Result<Option<usize>, StoreError>;
}
