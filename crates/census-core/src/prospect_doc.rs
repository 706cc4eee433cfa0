//! The prospect document: one Automerge document per prospect, and every way to change it.
//!
//! Layout (see DESIGN.md, "Data model"). Containers are all created with the document, in its
//! first change, so that concurrent edits on other devices always land in the same maps:
//!
//! ```text
//! { schema: 1, id, territory, name, category, status,
//!   address { line, city, region, postcode, country },
//!   location { lat, lon, accuracy_m, at }          (replaced as a whole)
//!   contacts { <contact id>: { name, role, phone, email } }
//!   tags { <tag>: true }
//!   notes: Text
//!   visits { <visit id>: { at, agent, questionnaire { id, version }, answers { <question>: { type, value } }, location, outcome } }
//!   photos { <sha256>: { mime, bytes, taken_at, caption } }
//!   review { state, by, at, comment, approved_heads [] }   (replaced as a whole)
//!   merged_into, distinct_from { <prospect id>: true }, deleted, created { at, by } }
//! ```
//!
//! Every edit goes through [`ProspectDoc::edit`], which commits one Automerge change stamped with
//! the editing user, the moment, and (through the actor id) the device, and hands the change
//! back as bytes for the caller to store and push.

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, hydrate};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::authority::{Claims, Lookup, ObjectRef, Pusher, Refusal, Region};
use crate::conflict::{self, Conflict, FieldPath, FieldValue};
use crate::directory::Role;
use crate::doc_values::*;
use crate::ids::{ContactId, DeviceId, ProspectId, QuestionId, QuestionnaireId, TerritoryId, UserId, VisitId};
use crate::limits::{self, Size, SizeError};
use crate::prospect::*;
use crate::time::Timestamp;

/// The document layout version this code writes. A document with a higher number was written by
/// a newer Census and is refused rather than misread.
pub const SCHEMA_VERSION: u64 = 1;

/// Who makes an edit, when, and through what (e.g. "import of base.xlsx by Anna"). Stored in the
/// change's metadata, so per-field history can name them. The editor's role decides what the
/// edit may write (`authority.rs`); it is not stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditContext {
    pub user: UserId,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default = "least_role")]
    pub role: Role,
}

fn least_role() -> Role {
    Role::Agent
}

impl EditContext {
    /// An edit by `user` with an agent's rights; see [`EditContext::with_role`].
    pub fn new(user: UserId, at: Timestamp) -> Self {
        EditContext { user, at, source: None, role: Role::Agent }
    }

    pub fn with_role(mut self, role: Role) -> Self {
        self.role = role;
        self
    }

    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }
}

/// The user and source recorded in a change's message, read back for history and conflicts.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChangeOrigin {
    pub user: Option<UserId>,
    pub source: Option<String>,
}

impl ChangeOrigin {
    pub(crate) fn message_for(ctx: &EditContext) -> String {
        serde_json::json!({ "user": ctx.user, "source": ctx.source }).to_string()
    }

    /// Reads a change message written by [`ProspectDoc::edit`]; anything else gives an empty origin.
    pub fn from_message(message: Option<&str>) -> ChangeOrigin {
        message.and_then(|m| serde_json::from_str(m).ok()).unwrap_or_default()
    }
}

/// What a raw change says about itself (see [`ProspectDoc::inspect_change`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeInfo {
    pub hash: ChangeHash,
    /// The device that made it, when its actor is a Census device id.
    pub device: Option<DeviceId>,
    /// Its number among its device's changes to this document (1, 2, ...).
    pub seq: u64,
    pub deps: Vec<ChangeHash>,
    pub at: Timestamp,
    /// The prospect id it writes (only a prospect's first change does).
    pub sets_id: Option<String>,
    /// The territory it puts the prospect in (its first change, and moves).
    pub sets_territory: Option<String>,
    /// Its size uncompressed, which counts towards its prospect's (see `limits.rs`).
    pub size: Size,
    /// Its stated author and what it writes, for the rules of `authority.rs`.
    pub claims: Claims,
}

/// Decodes a raw change once it is measured within the limits (`limits.rs`), checking its
/// checksum (which decoding alone does not), so that damaged bytes are refused on arrival rather
/// than stored and found unreadable later.
fn decode_change(bytes: &[u8]) -> Result<(automerge::Change, Size), SizeError> {
    let size = limits::measure_change(bytes)?;
    let change = automerge::Change::from_bytes(bytes.to_vec()).map_err(|e| SizeError::Malformed(e.to_string()))?;
    if bytes.get(4..8) != Some(&change.hash().0[..4]) {
        return Err(SizeError::Malformed("its checksum does not match its contents".into()));
    }
    Ok((change, size))
}

/// The regions of a document's objects, found by their paths in the document itself.
struct DocumentLookup<'a>(&'a AutoCommit);

impl Lookup for DocumentLookup<'_> {
    fn region_of(&mut self, object: &ObjectRef) -> Option<Region> {
        let (id, _) = self.0.import(&object.to_automerge_id()).ok()?;
        let mut path: Vec<String> = self
            .0
            .parents(&id)
            .ok()?
            .map(|parent| match parent.prop {
                automerge::Prop::Map(key) => key,
                automerge::Prop::Seq(index) => index.to_string(),
            })
            .collect();
        path.reverse();
        Region::of_path(&path.iter().map(String::as_str).collect::<Vec<_>>())
    }
}

/// A change made on this device: its hash and its bytes, ready for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalChange {
    pub hash: ChangeHash,
    pub bytes: Vec<u8>,
}

/// Why a document could not be read or an edit could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    #[error("the prospect document is damaged and could not be read: {0}")]
    Unreadable(String),
    #[error("a change received for prospect {prospect} could not be applied: {reason}")]
    BadChange { prospect: ProspectId, reason: String },
    #[error("this document is not a Census prospect")]
    NotAProspect,
    #[error("the first changes of prospect {0} have not arrived yet; the ones received wait for them")]
    Incomplete(ProspectId),
    #[error("this document is prospect {found}, not the expected {expected}")]
    WrongProspect { expected: ProspectId, found: String },
    #[error("this prospect was saved by a newer version of Census (document schema {0}); update Census to open it")]
    NewerSchema(u64),
    #[error("the prospect has no contact {0}")]
    UnknownContact(ContactId),
    #[error("the prospect already has a contact {0}")]
    ContactExists(ContactId),
    #[error("the prospect already has a visit {0}")]
    VisitExists(VisitId),
    #[error("the position is not on the globe: latitude must be between -90 and 90, longitude between -180 and 180")]
    InvalidLocation,
    #[error("a tag must have at least one visible character")]
    EmptyTag,
    #[error("a photo needs the lower-case hex SHA-256 of its bytes (64 characters)")]
    InvalidPhotoHash,
    #[error("a prospect cannot be merged into itself, nor set apart from itself")]
    SameProspect,
    #[error("\"{0}\" is not a field of a prospect that can be set")]
    UnknownField(String),
    #[error("the value for {path} is not valid: {reason}")]
    InvalidValue { path: String, reason: String },
    #[error("{0}; the edit was not made")]
    TooLarge(SizeError),
    #[error("{0}; the edit was not made")]
    NotPermitted(Refusal),
    #[error("internal document error: {0}")]
    Internal(#[from] automerge::AutomergeError),
}

/// One prospect's Automerge document, as one device holds it.
#[derive(Debug)]
pub struct ProspectDoc {
    id: ProspectId,
    doc: AutoCommit,
    /// The sum of the document's changes, once known: what the server counts against the
    /// document's limits. Learnt at the first edit of a loaded document, kept up since.
    size: Option<Size>,
}

impl ProspectDoc {
    /// Creates the document of a new prospect on `device`. The returned change is the
    /// prospect's first: it creates every container, so later concurrent edits merge.
    pub fn create(
        id: ProspectId,
        device: DeviceId,
        ctx: &EditContext,
        new: &NewProspect,
    ) -> Result<(ProspectDoc, LocalChange), DocumentError> {
        ProspectDoc::create_with(id, device, ctx, new, |_| Ok(()))
    }

    /// Creates a prospect as [`ProspectDoc::create`] does, with more edits (`f`) in the same
    /// first change: an imported row's contacts and tags arrive with the prospect itself.
    pub fn create_with<F>(
        id: ProspectId,
        device: DeviceId,
        ctx: &EditContext,
        new: &NewProspect,
        f: F,
    ) -> Result<(ProspectDoc, LocalChange), DocumentError>
    where
        F: FnOnce(&mut ProspectEditor<'_>) -> Result<(), DocumentError>,
    {
        if let Some(location) = &new.location
            && !location.is_valid()
        {
            return Err(DocumentError::InvalidLocation);
        }
        // Automerge draws a throwaway random actor for a new document; it is replaced before any
        // operation, so every change is attributed to `device`.
        let mut doc = AutoCommit::new().with_actor(device.actor());
        let mut root = vec![
            ("schema", hydrate::Value::from(SCHEMA_VERSION)),
            ("id", text_value(&id.to_string())),
            ("territory", text_value(&new.territory.to_string())),
            ("name", text_value(new.name.trim())),
            ("category", text_value(new.category.trim())),
            ("status", text_value(new.status.as_str())),
            (
                "address",
                map_value(
                    Address::PARTS.map(|part| (part, text_value(new.address.part(part).unwrap_or_default().trim()))),
                ),
            ),
            ("contacts", hydrate::Value::map()),
            ("tags", hydrate::Value::map()),
            ("visits", hydrate::Value::map()),
            ("photos", hydrate::Value::map()),
            ("distinct_from", hydrate::Value::map()),
            ("notes", hydrate::Value::text(doc.text_encoding(), "")),
            ("deleted", hydrate::Value::from(ScalarValue::Boolean(false))),
            (
                "created",
                map_value([
                    ("at", hydrate::Value::from(ctx.at.unix_millis())),
                    ("by", text_value(&ctx.user.to_string())),
                ]),
            ),
        ];
        if let Some(location) = &new.location {
            root.push(("location", location_value(location)));
        }
        let root: HashMap<String, hydrate::Value> = root.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        doc.init_root_from_hydrate(&hydrate::Map::from(root))?;
        f(&mut ProspectEditor { id, doc: &mut doc, ctx })?;
        let mut prospect = ProspectDoc { id, doc, size: Some(Size::default()) };
        let change = prospect.commit(ctx, Size::default())?.ok_or(DocumentError::NotAProspect)?;
        Ok((prospect, change))
    }

    /// The prospect a document created from `new` by `ctx` reads as, before any other edit,
    /// without building the document: what an import compares a row with for a new prospect.
    pub fn as_created(id: ProspectId, ctx: &EditContext, new: &NewProspect) -> Prospect {
        let mut address = Address::default();
        for part in Address::PARTS {
            if let (Some(slot), Some(value)) = (address.part_mut(part), new.address.part(part)) {
                *slot = value.trim().to_owned();
            }
        }
        Prospect {
            id,
            territory: new.territory,
            name: new.name.trim().to_owned(),
            category: new.category.trim().to_owned(),
            status: new.status,
            address,
            location: new.location,
            contacts: BTreeMap::new(),
            tags: BTreeSet::new(),
            notes: String::new(),
            visits: BTreeMap::new(),
            photos: BTreeMap::new(),
            review: None,
            merged_into: None,
            distinct_from: BTreeSet::new(),
            deleted: false,
            created: Created { at: ctx.at, by: ctx.user },
        }
    }

    /// Loads a saved document (a snapshot, optionally followed by change chunks) to edit on
    /// `device`. Refuses bytes that are not this prospect or come from a newer schema.
    pub fn load(id: ProspectId, bytes: &[u8], device: DeviceId) -> Result<ProspectDoc, DocumentError> {
        limits::measure_saved(bytes).map_err(|e| DocumentError::Unreadable(e.to_string()))?;
        let doc = AutoCommit::load(bytes).map_err(|e| DocumentError::Unreadable(e.to_string()))?;
        let prospect = ProspectDoc { id, doc: doc.with_actor(device.actor()), size: None };
        prospect.check_identity()?;
        Ok(prospect)
    }

    /// Builds the document from its raw changes, as a device that never saw it receives them.
    pub fn from_changes<B: AsRef<[u8]>>(
        id: ProspectId,
        changes: &[B],
        device: DeviceId,
    ) -> Result<ProspectDoc, DocumentError> {
        let mut prospect =
            ProspectDoc { id, doc: AutoCommit::new().with_actor(device.actor()), size: Some(Size::default()) };
        prospect.apply_changes(changes)?;
        if prospect.doc.get_heads().is_empty() && prospect.is_waiting() {
            return Err(DocumentError::Incomplete(id));
        }
        prospect.check_identity()?;
        Ok(prospect)
    }

    fn check_identity(&self) -> Result<(), DocumentError> {
        let found = read_str(&self.doc, &ROOT, "id").ok_or(DocumentError::NotAProspect)?;
        if found != self.id.to_string() {
            return Err(DocumentError::WrongProspect { expected: self.id, found });
        }
        match read_i64(&self.doc, &ROOT, "schema") {
            Some(v) if v as u64 > SCHEMA_VERSION => Err(DocumentError::NewerSchema(v as u64)),
            Some(_) => Ok(()),
            None => Err(DocumentError::NotAProspect),
        }
    }

    pub fn id(&self) -> ProspectId {
        self.id
    }

    /// Applies raw changes from elsewhere. Repeats are ignored and changes whose dependencies
    /// have not arrived yet wait inside the document until they do, so order does not matter.
    pub fn apply_changes<B: AsRef<[u8]>>(&mut self, changes: &[B]) -> Result<(), DocumentError> {
        let id = self.id;
        let bad = |reason: SizeError| DocumentError::BadChange { prospect: id, reason: reason.to_string() };
        let mut decoded = Vec::with_capacity(changes.len());
        let mut added = Size::default();
        for bytes in changes {
            let (change, size) = decode_change(bytes.as_ref()).map_err(bad)?;
            // A repeat adds nothing to the document.
            if !self.has_change(&change.hash()) {
                added = added.plus(size);
            }
            decoded.push(change);
        }
        self.doc
            .apply_changes(decoded)
            .map_err(|e| DocumentError::BadChange { prospect: self.id, reason: e.to_string() })?;
        self.size = self.size.map(|size| size.plus(added));
        Ok(())
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The current heads: the changes nothing else in the document depends on yet.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// The time of the latest change in the document (the latest of its heads).
    pub fn updated_at(&mut self) -> Timestamp {
        let heads = self.doc.get_heads();
        let latest = heads.iter().filter_map(|h| self.doc.get_change_meta_by_hash(h).map(|m| m.timestamp)).max();
        Timestamp::from_unix_millis(latest.unwrap_or(0))
    }

    /// Whether the document holds the change with this hash (changes still waiting for their
    /// dependencies do not count).
    pub fn has_change(&mut self, hash: &ChangeHash) -> bool {
        self.doc.get_change_meta_by_hash(hash).is_some()
    }

    /// Whether some received changes wait for changes they build on that have not arrived.
    pub fn is_waiting(&mut self) -> bool {
        !self.doc.get_missing_deps(&[]).is_empty()
    }

    /// The raw bytes of one change in the document, as they are pushed to the server.
    pub fn change_bytes(&mut self, hash: &ChangeHash) -> Option<Vec<u8>> {
        self.doc.get_change_by_hash(hash).map(|c| c.raw_bytes().to_vec())
    }

    /// The hash of a raw change, so a receiver can tell which of several it already holds.
    pub fn change_hash(bytes: &[u8]) -> Result<ChangeHash, DocumentError> {
        Ok(Self::inspect_change(bytes)?.hash)
    }

    /// What a raw change says about itself, without any document: its hash, the device that
    /// made it, and the changes it builds on. Fails on bytes that are not a whole change.
    pub fn inspect_change(bytes: &[u8]) -> Result<ChangeInfo, DocumentError> {
        let (change, size) = decode_change(bytes).map_err(|e| match e {
            SizeError::Malformed(e) => DocumentError::Unreadable(format!("a change is damaged: {e}")),
            too_large => DocumentError::TooLarge(too_large),
        })?;
        // What the change writes at the top of the document: its identity and its territory.
        let (mut sets_id, mut sets_territory) = (None, None);
        for op in change.decode().operations {
            if let (automerge::legacy::ObjectId::Root, automerge::legacy::Key::Map(key)) = (&op.obj, &op.key)
                && let Some(ScalarValue::Str(value)) = op.primitive_value()
            {
                match key.as_str() {
                    "id" => sets_id = Some(value.to_string()),
                    "territory" => sets_territory = Some(value.to_string()),
                    _ => {}
                }
            }
        }
        Ok(ChangeInfo {
            hash: change.hash(),
            device: DeviceId::from_actor(change.actor_id()),
            seq: change.seq(),
            deps: change.deps().to_vec(),
            at: Timestamp::from_unix_millis(change.timestamp()),
            sets_id,
            sets_territory,
            size,
            claims: Claims::read(&change),
        })
    }

    /// The hashes of the changes made on `device`, in causal order: what a device pushes again
    /// to a server restored from a backup.
    pub fn changes_made_on(&mut self, device: DeviceId) -> Vec<ChangeHash> {
        let actor = device.actor();
        self.doc.get_changes(&[]).into_iter().filter(|c| c.actor_id() == &actor).map(|c| c.hash()).collect()
    }

    /// Raw bytes of every change that is not among `heads` or their ancestors, in causal order.
    pub fn changes_since(&mut self, heads: &[ChangeHash]) -> Vec<Vec<u8>> {
        self.doc.get_changes(heads).into_iter().map(|c| c.raw_bytes().to_vec()).collect()
    }

    /// Makes one edit (one or more field changes) as one Automerge change. If `f` fails, nothing
    /// is changed. Returns `None` when the edit left every field as it was.
    pub fn edit<F>(&mut self, ctx: &EditContext, f: F) -> Result<Option<LocalChange>, DocumentError>
    where
        F: FnOnce(&mut ProspectEditor<'_>) -> Result<(), DocumentError>,
    {
        let before = self.size();
        let outcome = f(&mut ProspectEditor { id: self.id, doc: &mut self.doc, ctx });
        if let Err(e) = outcome {
            self.doc.rollback();
            return Err(e);
        }
        self.commit(ctx, before)
    }

    /// Commits the pending edit as one change, unless the change or the document would pass
    /// the limits the server keeps (`limits.rs`): then the edit is undone and refused, so the
    /// device never holds a change the server would refuse (which would hold back every later
    /// change of the prospect).
    /// `before` is the document's size before the edit: measured before the edit began, since
    /// reading the changes would commit the pending edit.
    fn commit(&mut self, ctx: &EditContext, before: Size) -> Result<Option<LocalChange>, DocumentError> {
        let options =
            CommitOptions::default().with_message(ChangeOrigin::message_for(ctx)).with_time(ctx.at.unix_millis());
        let Some(hash) = self.doc.commit_with(options) else { return Ok(None) };
        let change = self
            .doc
            .get_change_by_hash(&hash)
            .ok_or(DocumentError::Unreadable("a committed change vanished".into()))?;
        let size = Size { bytes: change.raw_bytes().len() as u64, ops: change.len() as u64 };
        let refusal = match size.check_change().and_then(|()| before.plus(size).check_document()) {
            Err(too_large) => Some(DocumentError::TooLarge(too_large)),
            // The server's rules, applied before the change leaves the device.
            Ok(()) => {
                let (claims, first) = (Claims::read(&change), change.deps().is_empty());
                let pusher = Pusher { user: ctx.user, role: ctx.role };
                claims.check(first, pusher, &mut DocumentLookup(&self.doc)).err().map(DocumentError::NotPermitted)
            }
        };
        if let Some(refusal) = refusal {
            // The change builds on exactly the heads the document had before it.
            let heads_before = change.deps().to_vec();
            let actor = self.doc.get_actor().clone();
            self.doc = self.doc.fork_at(&heads_before)?.with_actor(actor);
            return Err(refusal);
        }
        let bytes = change.raw_bytes().to_vec();
        self.size = Some(before.plus(size));
        Ok(Some(LocalChange { hash, bytes }))
    }

    /// The sum of the document's changes, as the server counts it.
    fn size(&mut self) -> Size {
        if let Some(size) = self.size {
            return size;
        }
        let size =
            self.doc.get_changes(&[]).iter().fold(Size::default(), |sum, c| {
                sum.plus(Size { bytes: c.raw_bytes().len() as u64, ops: c.len() as u64 })
            });
        self.size = Some(size);
        size
    }

    /// Every field that holds several concurrent values, with who set each and when.
    pub fn conflicts(&mut self) -> Vec<Conflict> {
        conflict::list_conflicts(&mut self.doc)
    }

    /// Every change of every field, oldest first, with who made it, when, and on which device.
    pub fn history(&mut self) -> Vec<crate::history::FieldEdit> {
        crate::history::field_history(&mut self.doc)
    }

    /// What changed after the manager's last approval, the review itself aside, oldest first:
    /// `None` when the prospect is not approved (never reviewed, pending or flagged).
    pub fn changed_since_approval(&mut self, review: Option<&Review>) -> Option<Vec<crate::history::FieldEdit>> {
        let review = review.filter(|r| r.state == ReviewState::Approved)?;
        let heads: Vec<ChangeHash> = review.approved_heads.iter().filter_map(|h| h.parse().ok()).collect();
        let edits = crate::history::field_history_since(&mut self.doc, &heads);
        Some(edits.into_iter().filter(|e| e.path.segments().first().is_none_or(|f| f != "review")).collect())
    }

    /// The typed view of the whole prospect.
    pub fn read(&self) -> Prospect {
        read_prospect(&self.doc, self.id)
    }
}

/// The typed view of a whole prospect document.
fn read_prospect(doc: &AutoCommit, id: ProspectId) -> Prospect {
    {
        let root = MapView::of(doc, &ROOT);
        let text = |key: &str| root.str(key).unwrap_or_default();
        let address = root
            .obj("address", ObjType::Map)
            .map(|obj| {
                let parts = MapView::of(doc, &obj);
                let mut address = Address::default();
                for part in Address::PARTS {
                    if let (Some(slot), Some(value)) = (address.part_mut(part), parts.str(part)) {
                        *slot = value;
                    }
                }
                address
            })
            .unwrap_or_default();
        let location = root.obj("location", ObjType::Map).and_then(|m| read_location_obj(doc, &m));
        let contacts = root
            .obj("contacts", ObjType::Map)
            .map(|obj| {
                map_keys(doc, &obj)
                    .into_iter()
                    .filter_map(|key| {
                        let id = key.parse::<ContactId>().ok()?;
                        let map = read_obj(doc, &obj, &key, ObjType::Map)?;
                        let fields = MapView::of(doc, &map);
                        let mut contact = Contact::default();
                        for field in Contact::FIELDS {
                            if let (Some(slot), Some(value)) = (contact.field_mut(field), fields.str(field)) {
                                *slot = value;
                            }
                        }
                        Some((id, contact))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let tags =
            root.obj("tags", ObjType::Map).map(|obj| map_keys(doc, &obj).into_iter().collect()).unwrap_or_default();
        let notes = root.obj("notes", ObjType::Text).and_then(|t| doc.text(&t).ok()).unwrap_or_default();
        let visits = root
            .obj("visits", ObjType::Map)
            .map(|obj| {
                map_keys(doc, &obj)
                    .into_iter()
                    .filter_map(|key| {
                        let map = read_obj(doc, &obj, &key, ObjType::Map)?;
                        let visit = read_visit(doc, key.parse().ok()?, &map)?;
                        Some((visit.id, visit))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let photos = root
            .obj("photos", ObjType::Map)
            .map(|obj| {
                map_keys(doc, &obj)
                    .into_iter()
                    .filter_map(|sha256| {
                        let map = read_obj(doc, &obj, &sha256, ObjType::Map)?;
                        let photo = Photo {
                            mime: read_str(doc, &map, "mime")?,
                            bytes: read_i64(doc, &map, "bytes").unwrap_or(0).max(0) as u64,
                            taken_at: read_timestamp(doc, &map, "taken_at").unwrap_or(Timestamp::from_unix_millis(0)),
                            caption: read_str(doc, &map, "caption").unwrap_or_default(),
                            sha256: sha256.clone(),
                        };
                        Some((sha256, photo))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let review = root.obj("review", ObjType::Map).and_then(|m| read_review(doc, &m));
        let created = root.obj("created", ObjType::Map);
        let distinct_from = root
            .obj("distinct_from", ObjType::Map)
            .map(|obj| map_keys(doc, &obj).into_iter().filter_map(|key| key.parse().ok()).collect())
            .unwrap_or_default();
        Prospect {
            id,
            territory: text("territory").parse().unwrap_or(TerritoryId::from_bytes([0; 16])),
            name: text("name"),
            category: text("category"),
            status: text("status").parse().unwrap_or(Status::New),
            address,
            location,
            contacts,
            tags,
            notes,
            visits,
            photos,
            review,
            merged_into: root.str("merged_into").and_then(|s| s.parse().ok()),
            distinct_from,
            deleted: root.bool("deleted").unwrap_or(false),
            created: Created {
                at: created
                    .as_ref()
                    .and_then(|c| read_timestamp(doc, c, "at"))
                    .unwrap_or(Timestamp::from_unix_millis(0)),
                by: created
                    .as_ref()
                    .and_then(|c| read_str(doc, c, "by"))
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(UserId::from_bytes([0; 16])),
            },
        }
    }
}

fn read_visit(doc: &AutoCommit, id: VisitId, map: &ObjId) -> Option<Visit> {
    let questionnaire = read_obj(doc, map, "questionnaire", ObjType::Map)?;
    let answers_obj = read_obj(doc, map, "answers", ObjType::Map)?;
    let answers = map_keys(doc, &answers_obj)
        .into_iter()
        .filter_map(|key| {
            let answer = read_answer(doc, &read_obj(doc, &answers_obj, &key, ObjType::Map)?)?;
            Some((QuestionId::new(key).ok()?, answer))
        })
        .collect::<BTreeMap<_, _>>();
    Some(Visit {
        id,
        at: read_timestamp(doc, map, "at")?,
        agent: read_str(doc, map, "agent")?.parse().ok()?,
        questionnaire: QuestionnaireRef {
            id: read_str(doc, &questionnaire, "id")?.parse::<QuestionnaireId>().ok()?,
            version: u32::try_from(read_i64(doc, &questionnaire, "version")?).ok()?,
        },
        answers,
        location: read_obj(doc, map, "location", ObjType::Map).and_then(|m| read_location_obj(doc, &m)),
        outcome: read_str(doc, map, "outcome").unwrap_or_default(),
    })
}

pub(crate) fn read_review(doc: &AutoCommit, map: &ObjId) -> Option<Review> {
    let heads = read_obj(doc, map, "approved_heads", ObjType::List)
        .map(|list| {
            doc.list_range(&list, ..)
                .filter_map(|item| match item.value {
                    automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => Some(s.into_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Review {
        state: ReviewState::parse(&read_str(doc, map, "state")?)?,
        by: read_str(doc, map, "by")?.parse().ok()?,
        at: read_timestamp(doc, map, "at")?,
        comment: read_str(doc, map, "comment").unwrap_or_default(),
        approved_heads: heads,
    })
}

pub(crate) fn review_value(review: &Review) -> hydrate::Value {
    map_value([
        ("state", text_value(review.state.as_str())),
        ("by", text_value(&review.by.to_string())),
        ("at", hydrate::Value::from(review.at.unix_millis())),
        ("comment", text_value(&review.comment)),
        (
            "approved_heads",
            hydrate::Value::from(review.approved_heads.iter().map(|h| text_value(h)).collect::<Vec<_>>()),
        ),
    ])
}

/// The typed edits of a prospect, available inside [`ProspectDoc::edit`].
#[derive(Debug)]
pub struct ProspectEditor<'a> {
    id: ProspectId,
    doc: &'a mut AutoCommit,
    ctx: &'a EditContext,
}

impl ProspectEditor<'_> {
    fn container(&self, key: &str, kind: ObjType) -> Result<ObjId, DocumentError> {
        read_obj(self.doc, &ROOT, key, kind).ok_or(DocumentError::NotAProspect)
    }

    pub fn set_name(&mut self, name: &str) -> Result<(), DocumentError> {
        Ok(put_str(self.doc, &ROOT, "name", name.trim())?)
    }

    pub fn set_category(&mut self, category: &str) -> Result<(), DocumentError> {
        Ok(put_str(self.doc, &ROOT, "category", category.trim())?)
    }

    pub fn set_status(&mut self, status: Status) -> Result<(), DocumentError> {
        Ok(put_str(self.doc, &ROOT, "status", status.as_str())?)
    }

    /// Moves the prospect to another territory (and so to that territory's agents).
    pub fn set_territory(&mut self, territory: TerritoryId) -> Result<(), DocumentError> {
        Ok(put_str(self.doc, &ROOT, "territory", &territory.to_string())?)
    }

    /// Sets the address parts given in the patch; the others stay as they are.
    pub fn set_address(&mut self, patch: &AddressPatch) -> Result<(), DocumentError> {
        let address = self.container("address", ObjType::Map)?;
        for (part, value) in patch.parts() {
            if let Some(value) = value {
                put_str(self.doc, &address, part, value.trim())?;
            }
        }
        Ok(())
    }

    /// Sets the prospect's position, replacing the previous one as a whole.
    pub fn set_location(&mut self, location: &Location) -> Result<(), DocumentError> {
        if !location.is_valid() {
            return Err(DocumentError::InvalidLocation);
        }
        let current = self.doc.get_all(ROOT, "location")?;
        let unchanged = current.len() == 1
            && read_obj(self.doc, &ROOT, "location", ObjType::Map)
                .and_then(|m| read_location_obj(self.doc, &m))
                .is_some_and(|l| l == *location);
        if !unchanged {
            put_map(self.doc, &ROOT, "location", &location_value(location))?;
        }
        Ok(())
    }

    pub fn add_contact(&mut self, id: ContactId, contact: &Contact) -> Result<(), DocumentError> {
        let contacts = self.container("contacts", ObjType::Map)?;
        if self.doc.get(&contacts, id.to_string())?.is_some() {
            return Err(DocumentError::ContactExists(id));
        }
        let fields = Contact::FIELDS.map(|field| (field, text_value(contact.field(field).unwrap_or_default().trim())));
        put_map(self.doc, &contacts, &id.to_string(), &map_value(fields))?;
        Ok(())
    }

    /// Sets the contact fields given in the patch; each field merges on its own.
    pub fn edit_contact(&mut self, id: ContactId, patch: &ContactPatch) -> Result<(), DocumentError> {
        let contacts = self.container("contacts", ObjType::Map)?;
        let map =
            read_obj(self.doc, &contacts, &id.to_string(), ObjType::Map).ok_or(DocumentError::UnknownContact(id))?;
        for (field, value) in patch.fields() {
            if let Some(value) = value {
                put_str(self.doc, &map, field, value.trim())?;
            }
        }
        Ok(())
    }

    pub fn remove_contact(&mut self, id: ContactId) -> Result<(), DocumentError> {
        let contacts = self.container("contacts", ObjType::Map)?;
        if self.doc.get(&contacts, id.to_string())?.is_none() {
            return Err(DocumentError::UnknownContact(id));
        }
        self.doc.delete(&contacts, id.to_string())?;
        Ok(())
    }

    /// Adds a tag (a no-op when it is already there). Tags are a set: adding the same tag on two
    /// devices gives one tag.
    pub fn add_tag(&mut self, tag: &str) -> Result<(), DocumentError> {
        let tag = normalize_tag(tag)?;
        let tags = self.container("tags", ObjType::Map)?;
        if self.doc.get(&tags, tag.as_str())?.is_none() {
            self.doc.put(&tags, tag.as_str(), true)?;
        }
        Ok(())
    }

    pub fn remove_tag(&mut self, tag: &str) -> Result<(), DocumentError> {
        let tag = normalize_tag(tag)?;
        let tags = self.container("tags", ObjType::Map)?;
        if self.doc.get(&tags, tag.as_str())?.is_some() {
            self.doc.delete(&tags, tag.as_str())?;
        }
        Ok(())
    }

    /// Renames a tag: the old one goes, the new one comes.
    pub fn rename_tag(&mut self, from: &str, to: &str) -> Result<(), DocumentError> {
        self.remove_tag(from)?;
        self.add_tag(to)
    }

    /// Replaces the notes with `text`. Only the difference is recorded, character by character,
    /// so notes typed on two devices at once both survive.
    pub fn set_notes(&mut self, text: &str) -> Result<(), DocumentError> {
        let notes = self.container("notes", ObjType::Text)?;
        self.doc.update_text(&notes, text)?;
        Ok(())
    }

    /// Inserts and deletes characters in the notes at a position counted in characters.
    pub fn splice_notes(&mut self, position: usize, delete: usize, insert: &str) -> Result<(), DocumentError> {
        let notes = self.container("notes", ObjType::Text)?;
        let length = self.doc.text(&notes)?.chars().count();
        let position = position.min(length);
        let delete = delete.min(length - position);
        self.doc.splice_text(&notes, position, delete as isize, insert)?;
        Ok(())
    }

    /// Records a census visit. Validate the answers against the questionnaire first
    /// ([`crate::validate_answers`]); the document stores what it is given.
    pub fn add_visit(&mut self, visit: &Visit) -> Result<(), DocumentError> {
        let visits = self.container("visits", ObjType::Map)?;
        if self.doc.get(&visits, visit.id.to_string())?.is_some() {
            return Err(DocumentError::VisitExists(visit.id));
        }
        if visit.location.is_some_and(|l| !l.is_valid()) {
            return Err(DocumentError::InvalidLocation);
        }
        let questionnaire = map_value([
            ("id", text_value(&visit.questionnaire.id.to_string())),
            ("version", hydrate::Value::from(i64::from(visit.questionnaire.version))),
        ]);
        let answers =
            map_value(visit.answers.iter().map(|(question, answer)| (question.as_str(), answer_value(answer))));
        let mut entries = vec![
            ("at", hydrate::Value::from(visit.at.unix_millis())),
            ("agent", text_value(&visit.agent.to_string())),
            ("questionnaire", questionnaire),
            ("answers", answers),
            ("outcome", text_value(&visit.outcome)),
        ];
        if let Some(location) = &visit.location {
            entries.push(("location", location_value(location)));
        }
        put_map(self.doc, &visits, &visit.id.to_string(), &map_value(entries))?;
        Ok(())
    }

    /// Attaches a photo by the hash of its bytes (the bytes travel separately).
    pub fn add_photo(&mut self, photo: &Photo) -> Result<(), DocumentError> {
        let valid = photo.sha256.len() == 64 && photo.sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !valid {
            return Err(DocumentError::InvalidPhotoHash);
        }
        let photos = self.container("photos", ObjType::Map)?;
        let entries = [
            ("mime", text_value(&photo.mime)),
            ("bytes", hydrate::Value::from(i64::try_from(photo.bytes).unwrap_or(i64::MAX))),
            ("taken_at", hydrate::Value::from(photo.taken_at.unix_millis())),
            ("caption", text_value(&photo.caption)),
        ];
        put_map(self.doc, &photos, &photo.sha256, &map_value(entries))?;
        Ok(())
    }

    /// Takes a photo out of the prospect: from its photos, and from the answers of the visits
    /// that show it (the visits stay). Answers whether the prospect showed it. Once no prospect
    /// shows a picture, the server removes it after a grace period.
    pub fn remove_photo(&mut self, sha256: &str) -> Result<bool, DocumentError> {
        let mut removed = false;
        let photos = self.container("photos", ObjType::Map)?;
        if self.doc.get(&photos, sha256)?.is_some() {
            self.doc.delete(&photos, sha256)?;
            removed = true;
        }
        let visits = self.container("visits", ObjType::Map)?;
        let visit_ids: Vec<String> = self.doc.keys(&visits).collect();
        for visit in visit_ids {
            let Some(visit) = read_obj(self.doc, &visits, &visit, ObjType::Map) else { continue };
            let Some(answers) = read_obj(self.doc, &visit, "answers", ObjType::Map) else { continue };
            let questions: Vec<String> = self.doc.keys(&answers).collect();
            for question in questions {
                let shows_it = read_obj(self.doc, &answers, &question, ObjType::Map)
                    .and_then(|answer| read_answer(self.doc, &answer))
                    .is_some_and(
                        |answer| matches!(answer, crate::questionnaire::Answer::Photo(photo) if photo.sha256 == sha256),
                    );
                if shows_it {
                    self.doc.delete(&answers, question.as_str())?;
                    removed = true;
                }
            }
        }
        Ok(removed)
    }

    /// Sets the manager's review. Approving records the current heads, so the review queue can
    /// later show exactly what changed since the approval.
    pub fn set_review(&mut self, state: ReviewState, comment: &str) -> Result<(), DocumentError> {
        let approved_heads = match state {
            ReviewState::Approved => self.doc.get_heads().iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        };
        let review =
            Review { state, by: self.ctx.user, at: self.ctx.at, comment: comment.trim().to_owned(), approved_heads };
        Ok(put_map(self.doc, &ROOT, "review", &review_value(&review))?)
    }

    /// Marks this prospect as a duplicate merged into `survivor`; lists hide it from then on.
    pub fn mark_merged_into(&mut self, survivor: ProspectId) -> Result<(), DocumentError> {
        if survivor == self.id {
            return Err(DocumentError::SameProspect);
        }
        Ok(put_str(self.doc, &ROOT, "merged_into", &survivor.to_string())?)
    }

    /// Records that this prospect and `other` are not the same, though they look alike, so they
    /// are never proposed as duplicates again. Mark both sides: either one's device then knows.
    pub fn mark_distinct_from(&mut self, other: ProspectId) -> Result<(), DocumentError> {
        if other == self.id {
            return Err(DocumentError::SameProspect);
        }
        // Documents made before this map existed get it on their first such decision.
        let distinct = match read_obj(self.doc, &ROOT, "distinct_from", ObjType::Map) {
            Some(map) => map,
            None => self.doc.put_object(ROOT, "distinct_from", ObjType::Map)?,
        };
        if self.doc.get(&distinct, other.to_string())?.is_none() {
            self.doc.put(&distinct, other.to_string(), true)?;
        }
        Ok(())
    }

    /// The prospect as it stands in this edit, changes made so far included.
    pub fn read(&self) -> Prospect {
        read_prospect(self.doc, self.id)
    }

    /// Who is editing, and when.
    pub fn context(&self) -> &EditContext {
        self.ctx
    }

    /// Deletes the prospect (a tombstone: its history stays, and it can be restored).
    pub fn delete(&mut self) -> Result<(), DocumentError> {
        Ok(put_bool(self.doc, &ROOT, "deleted", true)?)
    }

    pub fn restore(&mut self) -> Result<(), DocumentError> {
        Ok(put_bool(self.doc, &ROOT, "deleted", false)?)
    }

    /// Resolves a conflict by setting the field to one value: one of the conflicting values, or
    /// a new one. The write supersedes every value this device has seen.
    pub fn resolve(&mut self, path: &FieldPath, value: &FieldValue) -> Result<(), DocumentError> {
        let invalid = |reason: &str| DocumentError::InvalidValue { path: path.to_string(), reason: reason.to_owned() };
        let segments: Vec<&str> = path.segments().iter().map(String::as_str).collect();
        match (segments.as_slice(), value) {
            (["name" | "category"], FieldValue::Text(text)) => put_str(self.doc, &ROOT, segments[0], text)?,
            (["status"], FieldValue::Text(text)) => {
                let status: Status = text.parse().map_err(|e: UnknownStatus| invalid(&e.to_string()))?;
                put_str(self.doc, &ROOT, "status", status.as_str())?;
            }
            (["territory"], FieldValue::Text(text)) => {
                let territory: TerritoryId =
                    text.parse().map_err(|e: crate::ids::InvalidId| invalid(&e.to_string()))?;
                put_str(self.doc, &ROOT, "territory", &territory.to_string())?;
            }
            // Kept again even when it holds already: that settles an ending later work contested.
            (["merged_into"], FieldValue::Text(text)) => {
                let survivor: ProspectId = text.parse().map_err(|e: crate::ids::InvalidId| invalid(&e.to_string()))?;
                if survivor == self.id {
                    return Err(DocumentError::SameProspect);
                }
                put_again(self.doc, &ROOT, "merged_into", ScalarValue::Str(survivor.to_string().into()))?;
            }
            (["merged_into"], FieldValue::Missing) => self.doc.delete(ROOT, "merged_into")?,
            (["deleted"], FieldValue::Flag(flag)) => {
                put_again(self.doc, &ROOT, "deleted", ScalarValue::Boolean(*flag))?
            }
            (["location"], FieldValue::Location(location)) => {
                if !location.is_valid() {
                    return Err(DocumentError::InvalidLocation);
                }
                put_map(self.doc, &ROOT, "location", &location_value(location))?;
            }
            (["location"], FieldValue::Missing) => self.doc.delete(ROOT, "location")?,
            (["review"], FieldValue::Review(review)) => {
                // The one who settles the conflict signs the review they keep.
                let kept = Review { by: self.ctx.user, at: self.ctx.at, ..review.clone() };
                put_map(self.doc, &ROOT, "review", &review_value(&kept))?
            }
            (["address", part], FieldValue::Text(text)) if Address::PARTS.contains(part) => {
                let address = self.container("address", ObjType::Map)?;
                put_str(self.doc, &address, part, text)?;
            }
            (["contacts", contact, field], FieldValue::Text(text)) if Contact::FIELDS.contains(field) => {
                let id: ContactId = contact.parse().map_err(|e: crate::ids::InvalidId| invalid(&e.to_string()))?;
                let contacts = self.container("contacts", ObjType::Map)?;
                let map =
                    read_obj(self.doc, &contacts, contact, ObjType::Map).ok_or(DocumentError::UnknownContact(id))?;
                put_str(self.doc, &map, field, text)?;
            }
            (
                ["name" | "category" | "status" | "territory" | "merged_into" | "deleted" | "location" | "review"]
                | ["address", _]
                | ["contacts", _, _],
                _,
            ) => return Err(invalid("this kind of value does not fit this field")),
            _ => return Err(DocumentError::UnknownField(path.to_string())),
        }
        Ok(())
    }
}

fn normalize_tag(tag: &str) -> Result<String, DocumentError> {
    let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
    if tag.is_empty() { Err(DocumentError::EmptyTag) } else { Ok(tag) }
}
