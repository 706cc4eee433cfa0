//! The replica: one SQLite file holding a device's prospects, and the operations that change
//! them. Reads of the projections are in `queries.rs`; the outbox, the directory cache, visit
//! drafts and export each have their own file.

use std::path::Path;

use census_core::{
    Conflict, DeviceId, DocumentError, EditContext, FieldEdit, FieldPath, FieldValue, NewProspect, Problem, Prospect,
    ProspectDoc, ProspectEditor, ProspectId, ProspectRow, Questionnaire, Role, Timestamp, UserId, Visit,
    validate_answers,
};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::checkpoint::Checkpointer;
use crate::documents::{append_changes, document_exists, insert_document, load_document};
use crate::error::ReplicaError;
use crate::outbox::queue_for_push;
use crate::projection::write_projection;
use crate::queries::{SELECT_ROW, read_row};
use crate::received::{Received, apply_received};
use crate::schema;

/// A prospect opened in full: the document's view, its conflicts, and who changed each field.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProspectDetail {
    pub prospect: Prospect,
    pub conflicts: Vec<Conflict>,
    /// Every change of every field, oldest first.
    pub history: Vec<FieldEdit>,
    /// What changed since the manager's approval (none: not approved), for the review queue.
    pub changed_since_approval: Option<Vec<FieldEdit>>,
}

/// The result of recording a visit: saved, or refused with the problems to fix.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum VisitOutcome {
    Recorded { prospect: Box<Prospect> },
    Invalid { problems: Vec<Problem> },
}

/// A device's offline replica.
#[derive(Debug)]
pub struct Replica {
    pub(crate) conn: Connection,
    pub(crate) device: DeviceId,
    /// Where the sign-in token is kept, when not in this file (`token.rs`).
    pub(crate) vault: Option<crate::token::Vault>,
    /// Who hears how long work goes, and whether it was asked to stop (`watch.rs`).
    pub(crate) watch: crate::watch::Watch,
    _checkpointer: Checkpointer,
}

impl Replica {
    /// Creates a new replica file for `device`; refuses an existing Census replica or any other
    /// database.
    pub fn create(path: &Path, device: DeviceId) -> Result<Replica, ReplicaError> {
        let mut conn = connect(path)?;
        schema::migrate(&mut conn)?;
        if info(&conn, "device")?.is_some() {
            return Err(ReplicaError::AlreadyExists(path.display().to_string()));
        }
        set_info(&conn, "device", &device.to_string())?;
        Ok(Replica { conn, device, vault: None, watch: Default::default(), _checkpointer: Checkpointer::start(path)? })
    }

    /// Opens an existing replica, upgrading its schema if it is older.
    pub fn open(path: &Path) -> Result<Replica, ReplicaError> {
        if !path.exists() {
            return Err(ReplicaError::Missing(path.display().to_string()));
        }
        let mut conn = connect(path)?;
        schema::migrate(&mut conn)?;
        let device = info(&conn, "device")?.ok_or(ReplicaError::NotAReplica)?;
        let device =
            device.parse().map_err(|_| ReplicaError::Corrupt("the replica's device id is unreadable".into()))?;
        crate::projection::rebuild_stale_projections(&mut conn, device)?;
        Ok(Replica { conn, device, vault: None, watch: Default::default(), _checkpointer: Checkpointer::start(path)? })
    }

    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// The person signed in on this device, if anyone is.
    pub fn signed_in_user(&self) -> Result<Option<UserId>, ReplicaError> {
        info(&self.conn, "user")?
            .map(|u| u.parse().map_err(|_| ReplicaError::Corrupt("the signed-in user's id is unreadable".into())))
            .transpose()
    }

    /// Who edits on this device, at `at`: the person signed in, with the role the cached
    /// directory gives them (an agent's until the directory says more). Before anyone has signed
    /// in, no one can edit: a change names its author, and the server accepts only the person
    /// signed in on the device that pushes it.
    pub fn edit_context(&self, at: Timestamp) -> Result<EditContext, ReplicaError> {
        let user = self.signed_in_user()?.ok_or(ReplicaError::SignedOut)?;
        let role = self.people()?.into_iter().find(|p| p.id == user).map_or(Role::Agent, |p| p.role);
        Ok(EditContext::new(user, at).with_role(role))
    }

    /// Records who is signed in on this device.
    pub fn set_signed_in_user(&mut self, user: UserId) -> Result<(), ReplicaError> {
        set_info(&self.conn, "user", &user.to_string())
    }

    /// Creates a prospect: its document, its outbox entry and its projection in one transaction.
    pub fn create_prospect(
        &mut self,
        id: ProspectId,
        ctx: &EditContext,
        new: &NewProspect,
    ) -> Result<Prospect, ReplicaError> {
        let (mut doc, change) = ProspectDoc::create(id, self.device, ctx, new)?;
        let tx = self.conn.transaction()?;
        if document_exists(&tx, id)? {
            return Err(ReplicaError::ProspectExists(id));
        }
        insert_document(&tx, &mut doc)?;
        queue_for_push(&tx, id, new.territory, &change)?;
        let prospect = doc.read();
        write_projection(&tx, &mut doc, &prospect)?;
        tx.commit()?;
        Ok(prospect)
    }

    /// Makes one edit of a prospect; the change, its outbox entry and the projection commit
    /// together or not at all.
    pub fn edit_prospect<F>(&mut self, id: ProspectId, ctx: &EditContext, f: F) -> Result<Prospect, ReplicaError>
    where
        F: FnOnce(&mut ProspectEditor<'_>) -> Result<(), DocumentError>,
    {
        let tx = self.conn.transaction()?;
        let prospect = edit_in(&tx, self.device, id, ctx, f)?;
        tx.commit()?;
        Ok(prospect)
    }

    /// Records a census visit after checking its answers against the questionnaire. A visit
    /// with problems is not saved; the problems come back for the form to show (the form may
    /// keep it as a draft meanwhile). Recording a visit discards its draft.
    pub fn record_visit(
        &mut self,
        id: ProspectId,
        ctx: &EditContext,
        questionnaire: &Questionnaire,
        visit: &Visit,
    ) -> Result<VisitOutcome, ReplicaError> {
        if (visit.questionnaire.id, visit.questionnaire.version) != (questionnaire.id, questionnaire.version) {
            return Err(ReplicaError::WrongQuestionnaire);
        }
        let problems = validate_answers(questionnaire, &visit.answers);
        if !problems.is_empty() {
            return Ok(VisitOutcome::Invalid { problems });
        }
        let tx = self.conn.transaction()?;
        let prospect = edit_in(&tx, self.device, id, ctx, |p| p.add_visit(visit)).map_err(|e| match e {
            ReplicaError::Document(DocumentError::VisitExists(v)) => ReplicaError::VisitExists(v),
            e => e,
        })?;
        crate::drafts::discard(&tx, visit.id)?;
        for answer in visit.answers.values() {
            if let census_core::Answer::Photo(photo) = answer {
                crate::picture_uploads::queue_with_thumbnail(&tx, &photo.sha256, id)?;
            }
        }
        tx.commit()?;
        Ok(VisitOutcome::Recorded { prospect: Box::new(prospect) })
    }

    /// Settles a conflict: the field takes `value` (one of the conflicting values, or a new
    /// one) on this device, and everywhere once the change is synced.
    pub fn resolve_conflict(
        &mut self,
        id: ProspectId,
        ctx: &EditContext,
        field: &FieldPath,
        value: &FieldValue,
    ) -> Result<Prospect, ReplicaError> {
        // Keeping a merge brings over to the survivor what the duplicate has by then: work that
        // arrived after the merge (the reason it was contested) included.
        if let (true, FieldValue::Text(text)) = (field.to_string() == "merged_into", value) {
            let survivor: ProspectId = text.parse().map_err(|e: census_core::ids::InvalidId| {
                DocumentError::InvalidValue { path: field.to_string(), reason: e.to_string() }
            })?;
            let tx = self.conn.transaction()?;
            let taken = load_document(&tx, id, self.device)?.read();
            edit_in(&tx, self.device, survivor, ctx, |p| p.absorb(&taken).map(|_| ()))?;
            let prospect = edit_in(&tx, self.device, id, ctx, |p| p.resolve(field, value))?;
            tx.commit()?;
            return Ok(prospect);
        }
        self.edit_prospect(id, ctx, |p| p.resolve(field, value))
    }

    /// A prospect in full, with its conflicts and per-field history.
    pub fn prospect(&self, id: ProspectId) -> Result<ProspectDetail, ReplicaError> {
        let mut doc = load_document(&self.conn, id, self.device)?;
        let prospect = doc.read();
        let changed_since_approval = doc.changed_since_approval(prospect.review.as_ref());
        Ok(ProspectDetail { prospect, conflicts: doc.conflicts(), history: doc.history(), changed_since_approval })
    }

    /// Applies changes received from elsewhere (any order, repeats harmless), updating the
    /// projections of the touched prospects only. Changes that arrive before those they build
    /// on are kept and applied when those arrive. Returns how many prospects changed.
    pub fn apply_changes(&mut self, changes: &[(ProspectId, Vec<u8>)]) -> Result<usize, ReplicaError> {
        let tx = self.conn.transaction()?;
        let applied = apply_received(&tx, self.device, changes, Received::Strict)?;
        tx.commit()?;
        Ok(applied.touched)
    }

    /// Changes received from the server that could not be applied here: (prospect, reason).
    pub fn set_aside_changes(&self) -> Result<Vec<(ProspectId, String)>, ReplicaError> {
        let mut statement = self.conn.prepare("SELECT prospect_id, reason FROM set_aside_changes ORDER BY seq")?;
        let rows = statement.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?)))?;
        let mut found = Vec::new();
        for row in rows {
            let (id, reason) = row?;
            let id = id.try_into().map_err(|_| ReplicaError::Corrupt("a set-aside change is damaged".into()))?;
            found.push((ProspectId::from_bytes(id), reason));
        }
        Ok(found)
    }

    /// Every projection row as stored, and as rebuilt from the documents now; they must agree.
    pub fn projection_check(&self) -> Result<(Vec<ProspectRow>, Vec<ProspectRow>), ReplicaError> {
        let stored = {
            let mut statement = self.conn.prepare(&format!("{SELECT_ROW} ORDER BY id"))?;
            statement.query_map([], read_row)?.collect::<Result<Vec<_>, _>>()?
        };
        let ids: Vec<Vec<u8>> = {
            let mut statement = self.conn.prepare("SELECT prospect_id FROM documents ORDER BY prospect_id")?;
            statement.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?
        };
        let mut rebuilt = Vec::new();
        for id in ids {
            let id = ProspectId::from_bytes(
                id.try_into().map_err(|_| ReplicaError::Corrupt("a document id is damaged".into()))?,
            );
            let mut doc = load_document(&self.conn, id, self.device)?;
            let prospect = doc.read();
            rebuilt.push(doc.projection(&prospect).row);
        }
        Ok((stored, rebuilt))
    }
}

fn connect(path: &Path) -> Result<Connection, ReplicaError> {
    configure(Connection::open(path)?).map_err(|e| match e {
        // SQLite only says it cannot open the file; say why when the reason is a read-only disk.
        ReplicaError::Storage(_) if is_read_only(path) => ReplicaError::ReadOnly,
        e => e,
    })
}

fn is_read_only(path: &Path) -> bool {
    std::fs::OpenOptions::new().append(true).open(path).is_err_and(|e| {
        matches!(e.kind(), std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied)
    })
}

fn configure(mut conn: Connection) -> Result<Connection, ReplicaError> {
    // Write transactions take the write lock when they begin, waiting for it if need be, rather
    // than failing when a read turns into a write while the checkpointer holds the lock.
    conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    // WAL keeps readers going while a write commits; synchronous=NORMAL in WAL is durable across
    // process crashes (a power cut may lose the last commits, never corrupt the file).
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Statement journals (written for every statement that touches the search index) stay in
    // memory instead of a temporary file.
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoints run on the checkpointer's thread, off the path of edits. Under steady
    // writing it never catches the end of the log, which then only restarts once a checkpoint
    // on this connection has copied the last pages: SQLite's automatic one, here at 4,000
    // pages (16 MB), so that an edit pays for it rarely.
    conn.pragma_update(None, "wal_autocheckpoint", 4_000)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// A fact about this replica (its device, who is signed in, its server, ...).
pub(crate) fn info(conn: &Connection, key: &str) -> Result<Option<String>, ReplicaError> {
    Ok(conn.query_row("SELECT value FROM replica_info WHERE key = ?1", [key], |r| r.get(0)).optional()?)
}

pub(crate) fn set_info(conn: &Connection, key: &str, value: &str) -> Result<(), ReplicaError> {
    conn.execute("INSERT OR REPLACE INTO replica_info (key, value) VALUES (?1, ?2)", [key, value])?;
    Ok(())
}

/// One edit inside the caller's transaction: the change, its outbox entry and the projection.
pub(crate) fn edit_in<F>(
    tx: &Connection,
    device: DeviceId,
    id: ProspectId,
    ctx: &EditContext,
    f: F,
) -> Result<Prospect, ReplicaError>
where
    F: FnOnce(&mut ProspectEditor<'_>) -> Result<(), DocumentError>,
{
    let mut doc = load_document(tx, id, device)?;
    let change = doc.edit(ctx, f)?;
    let prospect = doc.read();
    if let Some(change) = change {
        append_changes(tx, &mut doc, &[&change.bytes])?;
        queue_for_push(tx, id, prospect.territory, &change)?;
        write_projection(tx, &mut doc, &prospect)?;
    }
    Ok(prospect)
}
