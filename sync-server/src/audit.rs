//! The audit trail: security events kept in the server's database, for administrators
//! (`census-server audit`, `GET /api/v1/audit`, the app's audit screen).
//!
//! A request never waits on the database for its event: [`AuditTrail::record`] hands the event
//! to a thread that writes whatever has gathered in one transaction, every [`BATCH_WAIT`] at
//! most. The queue is bounded; events that find it full are counted and kept as one
//! `events_dropped` entry. Events a flood repeats (sign-ins turned away) arrive already counted,
//! once a second (`security_log.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use census_core::{AuditEntry, AuditFilter, AuditKind, DeviceId, Person, Retired, Timestamp, UserId};
use rusqlite::{Connection, params};

use crate::error::StoreError;
use crate::store::Store;

/// Events waiting to be written, at most.
const QUEUE: usize = 4_096;
/// How long the writer gathers events before writing them.
const BATCH_WAIT: Duration = Duration::from_millis(200);

enum Message {
    Event(Box<AuditEntry>),
    /// Write everything before this, then answer.
    Flush(std::sync::mpsc::Sender<()>),
}

/// Where handlers send security events.
pub struct AuditTrail {
    sender: Mutex<Option<SyncSender<Message>>>,
    dropped: Arc<AtomicU64>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditTrail")
    }
}

impl AuditTrail {
    /// Starts the thread that writes events into `store`.
    pub fn start(store: Arc<dyn Store>) -> AuditTrail {
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let counted = dropped.clone();
        let writer = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || write_batches(&*store, &receiver, &counted))
            .ok();
        AuditTrail { sender: Mutex::new(Some(sender)), dropped, writer: Mutex::new(writer) }
    }

    /// Queues an event; never waits. An event that finds the queue full is counted instead.
    pub fn record(&self, entry: AuditEntry) {
        let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner());
        let Some(sender) = sender.as_ref() else { return };
        if let Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) =
            sender.try_send(Message::Event(Box::new(entry)))
        {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until every event recorded so far is written (at most `within`).
    pub fn flush(&self, within: Duration) {
        let (done, wait) = std::sync::mpsc::channel();
        let sender = self.sender.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(sender) = sender
            && sender.send(Message::Flush(done)).is_ok()
        {
            let _ = wait.recv_timeout(within);
        }
    }

    /// Writes what is queued and stops the writer (the server is stopping).
    pub fn finish(&self) {
        self.sender.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = writer.join();
        }
    }
}

fn write_batches(store: &dyn Store, receiver: &Receiver<Message>, dropped: &AtomicU64) {
    let mut open = true;
    while open {
        let mut batch = Vec::new();
        let mut flushes = Vec::new();
        // Wait for the first event, then gather for a moment.
        match receiver.recv() {
            Ok(Message::Event(entry)) => batch.push(*entry),
            Ok(Message::Flush(done)) => flushes.push(done),
            Err(_) => open = false,
        }
        let until = Instant::now() + BATCH_WAIT;
        while open && flushes.is_empty() {
            match receiver.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(Message::Event(entry)) => batch.push(*entry),
                Ok(Message::Flush(done)) => flushes.push(done),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let mut entry = AuditEntry::new(
                AuditKind::EventsDropped,
                crate::api::now(),
                "security events came faster than the server could keep them; these were lost",
            );
            entry.count = u32::try_from(lost).unwrap_or(u32::MAX);
            batch.push(entry);
        }
        if !batch.is_empty()
            && let Err(e) = store.record_audit(&batch)
        {
            tracing::error!(target: "security", events = batch.len(), "the audit trail could not be written: {e}");
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Entries the trail's helpers build for the events handlers record.
pub fn entry(kind: AuditKind, detail: impl Into<String>) -> AuditEntry {
    AuditEntry::new(kind, crate::api::now(), detail)
}

/// Adds who an entry is about.
pub fn about(mut entry: AuditEntry, user: Option<UserId>, login: Option<&str>, device: Option<DeviceId>) -> AuditEntry {
    entry.user = user;
    entry.login = login.map(str::to_owned);
    entry.device = device;
    entry
}

/// What the audit trail says of a reinstated device.
pub const REINSTATED: &str = "device reinstated; it signs in anew";

/// A person added, with the role they were given.
pub fn person_added(person: &Person) -> AuditEntry {
    let entry = self::entry(AuditKind::PersonAdded, format!("{} added as {}", person.name, person.role.as_str()));
    about(entry, Some(person.id), Some(&person.login), None)
}

/// A device revoked or reinstated, with its owner when known.
pub fn device_event(
    kind: AuditKind,
    detail: impl Into<String>,
    device: DeviceId,
    owner: Option<&Person>,
) -> AuditEntry {
    about(self::entry(kind, detail), owner.map(|o| o.id), owner.map(|o| o.login.as_str()), Some(device))
}

/// A retirement, with whom the territories went to.
pub fn retirement(retired: &Retired, successor: Option<&str>) -> AuditEntry {
    let detail = match successor {
        Some(successor) => format!(
            "{} retired; their devices revoked, {} territories handed to {successor}",
            retired.person.name,
            retired.handed_over.len()
        ),
        None => format!("{} retired; their devices revoked, their territories left unassigned", retired.person.name),
    };
    about(self::entry(AuditKind::PersonRetired, detail), Some(retired.person.id), Some(&retired.person.login), None)
}

pub(crate) fn insert(conn: &Connection, entries: &[AuditEntry]) -> Result<(), StoreError> {
    let mut statement = conn.prepare_cached(
        "INSERT INTO audit (at, kind, user, login, device, by, address, count, detail) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in entries {
        statement.execute(params![
            e.at.unix_millis(),
            e.kind.as_str(),
            e.user.map(|u| u.as_bytes().to_vec()),
            e.login,
            e.device.map(|d| d.as_bytes().to_vec()),
            e.by.map(|u| u.as_bytes().to_vec()),
            e.address,
            i64::from(e.count),
            e.detail
        ])?;
    }
    Ok(())
}

pub(crate) fn list(conn: &Connection, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT at, kind, user, login, device, by, address, count, detail FROM audit \
         WHERE (?1 IS NULL OR kind = ?1) \
           AND (?2 IS NULL OR login = ?2 OR user IN (SELECT id FROM people WHERE login = ?2) \
                OR by IN (SELECT id FROM people WHERE login = ?2)) \
           AND (?3 IS NULL OR device = ?3) \
           AND (?4 IS NULL OR at >= ?4) \
         ORDER BY at DESC, id DESC LIMIT ?5",
    )?;
    let id16 = |bytes: Option<Vec<u8>>| bytes.and_then(|b| <[u8; 16]>::try_from(b).ok());
    let rows = statement.query_map(
        params![
            filter.kind.map(|k| k.as_str()),
            filter.login,
            filter.device.map(|d| d.as_bytes().to_vec()),
            filter.since.map(|t| t.unix_millis()),
            filter.bounded_limit()
        ],
        |r| {
            let kind: String = r.get(1)?;
            Ok(AuditEntry {
                at: Timestamp::from_unix_millis(r.get(0)?),
                kind: kind.parse().unwrap_or(AuditKind::EventsDropped),
                user: id16(r.get(2)?).map(UserId::from_bytes),
                login: r.get(3)?,
                device: id16(r.get(4)?).map(DeviceId::from_bytes),
                by: id16(r.get(5)?).map(UserId::from_bytes),
                address: r.get(6)?,
                count: u32::try_from(r.get::<_, i64>(7)?).unwrap_or(u32::MAX),
                detail: r.get(8)?,
            })
        },
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
