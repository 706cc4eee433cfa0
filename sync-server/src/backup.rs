//! Backups taken while the server serves, restores made while it is stopped, and the server's
//! identity that a restore carries on.
//!
//! A backup copies the database with SQLite's online backup API in one step, from a connection
//! of its own: that step reads one consistent state (every change acknowledged before it
//! began), while pushes go on writing to the write-ahead log. The copy is checked, synced to
//! disk, and only then given its name.
//!
//! A restore puts a backup in place of the database, keeps the server's id and starts a new
//! epoch (`census_core::server_identity`): the backup may lack changes that devices already
//! pushed or received, and a device that sees the new epoch pushes what it made again and
//! pulls again. The database it replaces is kept beside it, not deleted.
//!
//! The serving process holds a lock on `<database>.lock`; a restore refuses to run while it is
//! held.

use std::fs::File;
use std::path::{Path, PathBuf};

use census_core::ServerIdentity;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use crate::SqliteStore;
use crate::error::StoreError;

/// The server's id and its database's epoch.
pub(crate) fn identity(conn: &Connection) -> Result<ServerIdentity, StoreError> {
    Ok(conn.query_row("SELECT id, epoch FROM server_identity", [], |r| {
        Ok(ServerIdentity { id: r.get(0)?, epoch: r.get(1)? })
    })?)
}

/// Held while a server serves a database, so that a restore cannot pull it from under it.
#[derive(Debug)]
pub struct ServingLock {
    _file: File,
}

fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl ServingLock {
    /// Takes the lock of the database at `db`, or says that another process serves it.
    pub fn take(db: &Path) -> Result<ServingLock, String> {
        let path = lock_path(db);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))?;
        #[cfg(unix)]
        match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => {}
            Err(rustix::io::Errno::WOULDBLOCK) => {
                return Err(format!("a census-server is serving {} now; stop it first", db.display()));
            }
            Err(e) => return Err(format!("cannot lock {}: {e}", path.display())),
        }
        Ok(ServingLock { _file: file })
    }
}

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    /// The feed's last sequence number in the copy.
    pub feed_end: i64,
    pub bytes: u64,
}

fn open_read_only(path: &Path) -> Result<Connection, String> {
    if !path.is_file() {
        return Err(format!("{} does not exist", path.display()));
    }
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Checks that `conn` holds a whole Census server database, and returns its feed's end.
fn check_copy(conn: &Connection, shown: &Path) -> Result<i64, String> {
    let not_census = |e: rusqlite::Error| format!("{} is not a Census server database: {e}", shown.display());
    let verdict: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(not_census)?;
    if verdict != "ok" {
        return Err(format!("{} is damaged: {verdict}", shown.display()));
    }
    conn.query_row("SELECT last FROM sequence", [], |r| r.get(0)).map_err(not_census)
}

/// Copies the database at `db` to `dest` in one consistent state, while the server may serve
/// it. `dest` must not exist yet.
pub fn backup(db: &Path, dest: &Path) -> Result<BackupReport, String> {
    if dest.exists() {
        return Err(format!("{} exists already; a backup does not overwrite a file", dest.display()));
    }
    let source = open_read_only(db)?;
    check_copy(&source, db)?;
    let partial = with_suffix(dest, ".partial");
    let _ = std::fs::remove_file(&partial);
    copy(&source, &partial)?;
    let report = {
        let copy = open_read_only(&partial)?;
        let feed_end = check_copy(&copy, &partial)?;
        BackupReport { feed_end, bytes: std::fs::metadata(&partial).map_err(|e| e.to_string())?.len() }
    };
    File::open(&partial).and_then(|f| f.sync_all()).map_err(|e| format!("cannot sync {}: {e}", partial.display()))?;
    std::fs::rename(&partial, dest).map_err(|e| format!("cannot name the backup {}: {e}", dest.display()))?;
    Ok(report)
}

/// Copies every page of `source` into a new database file at `to`, in one step.
fn copy(source: &Connection, to: &Path) -> Result<(), String> {
    let mut target = Connection::open(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let failed = |e: rusqlite::Error| format!("the copy to {} failed: {e}", to.display());
    {
        let backup = Backup::new(source, &mut target).map_err(failed)?;
        // One step holds one read of the source for the whole copy: a consistent state, and
        // writers meanwhile go to the write-ahead log without restarting it.
        loop {
            match backup.step(-1).map_err(failed)? {
                StepResult::Done => break,
                StepResult::More | StepResult::Busy | StepResult::Locked => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                _ => std::thread::sleep(std::time::Duration::from_millis(50)),
            }
        }
    }
    // A backup is one file: its pages out of the write-ahead log, into the file itself.
    target.pragma_update(None, "journal_mode", "DELETE").map_err(failed)?;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    pub identity: ServerIdentity,
    pub feed_end: i64,
    /// Where the database that was replaced now is (none when there was none).
    pub kept_aside: Option<PathBuf>,
}

/// Puts the backup at `src` in place of the database at `db`, with the server stopped. The
/// server keeps its id and starts a new epoch; the replaced database is kept beside it, named
/// for the moment of the restore (`stamp`).
pub fn restore(src: &Path, db: &Path, stamp: &str) -> Result<RestoreReport, String> {
    let _lock = ServingLock::take(db)?;
    let source = open_read_only(src)?;
    check_copy(&source, src)?;
    let current_id = match db.exists() {
        true => Some(identity(&open_read_only(db)?).map_err(|e| e.to_string())?.id),
        false => None,
    };
    let incoming = with_suffix(db, ".restoring");
    let _ = std::fs::remove_file(&incoming);
    copy(&source, &incoming)?;
    drop(source);
    // Brings an older backup's schema up to this server's.
    drop(SqliteStore::open(&incoming).map_err(|e| format!("cannot open the backup {}: {e}", src.display()))?);
    let conn = Connection::open(&incoming).map_err(|e| e.to_string())?;
    let epoch = hex::encode(rand::random::<[u8; 8]>());
    let id = match current_id {
        Some(id) => id,
        None => identity(&conn).map_err(|e| e.to_string())?.id,
    };
    conn.execute("UPDATE server_identity SET id = ?1, epoch = ?2", [&id, &epoch]).map_err(|e| e.to_string())?;
    let feed_end = check_copy(&conn, &incoming)?;
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE").map_err(|e| e.to_string())?;
    drop(conn);
    let kept_aside = match db.exists() {
        true => {
            let aside = with_suffix(db, &format!(".before-restore-{stamp}"));
            for suffix in ["", "-wal", "-shm"] {
                let from = with_suffix(db, suffix);
                if from.exists() {
                    std::fs::rename(&from, with_suffix(&aside, suffix))
                        .map_err(|e| format!("cannot move {} aside: {e}", from.display()))?;
                }
            }
            Some(aside)
        }
        false => None,
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&incoming, suffix));
    }
    std::fs::rename(&incoming, db).map_err(|e| format!("cannot put the backup in place: {e}"))?;
    Ok(RestoreReport { identity: ServerIdentity { id, epoch }, feed_end, kept_aside })
}
