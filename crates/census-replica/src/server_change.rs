//! What a device does when its server moved, was restored from a backup, or is another one
//! (`census_core::server_identity`).
//!
//! The device keeps the id and epoch its server last reported. A server that answers at a new
//! address with the same id is the same server: the cursors stay. The same id with a new epoch
//! is a restored server, which may lack what this device pushed or received: every change made
//! here goes back in the outbox (the server stores a change once, so what it kept costs
//! nothing) and every territory is pulled again from the start. Another id means another feed:
//! the cursors go.

use census_core::{DeviceId, ProspectId, ServerChange, ServerIdentity, server_change};
use rusqlite::{Connection, params};

use crate::documents::load_document;
use crate::error::ReplicaError;
use crate::replica::{info, set_info};

/// The server this device last knew, if it reported who it is.
pub(crate) fn known_server(conn: &Connection) -> Result<Option<ServerIdentity>, ReplicaError> {
    Ok(match (info(conn, "server_id")?, info(conn, "server_epoch")?) {
        (Some(id), Some(epoch)) => Some(ServerIdentity { id, epoch }),
        _ => None,
    })
}

/// Keeps who the server is, for the next comparison.
pub(crate) fn remember_server(conn: &Connection, server: &ServerIdentity) -> Result<(), ReplicaError> {
    set_info(conn, "server_id", &server.id)?;
    set_info(conn, "server_epoch", &server.epoch)
}

/// How the server answering at `address` (reporting `now`, or nothing if it is older than
/// server identities) compares with the one this device knew.
pub(crate) fn compare(
    conn: &Connection,
    address: &str,
    now: Option<&ServerIdentity>,
) -> Result<ServerChange, ReplicaError> {
    let same_address = info(conn, "server")?.is_some_and(|known| known == address);
    Ok(match (known_server(conn)?, now) {
        (Some(known), Some(now)) => server_change(Some(&known), now),
        // Signed in before servers said who they are: the address is all there is to go by.
        (None, _) | (_, None) if same_address => ServerChange::Same,
        _ => ServerChange::Other,
    })
}

/// Gets ready to sync with a server restored from a backup: everything made here goes back in
/// the outbox, and every territory is pulled again from the start.
pub(crate) fn recover_from_restore(conn: &Connection, device: DeviceId) -> Result<(), ReplicaError> {
    queue_everything_made_here(conn, device)?;
    forget_cursors(conn)
}

/// Forgets how far each territory was pulled: the next sync starts them from the beginning.
pub(crate) fn forget_cursors(conn: &Connection) -> Result<(), ReplicaError> {
    conn.execute("DELETE FROM scope_cursors", [])?;
    conn.execute("DELETE FROM bootstraps", [])?;
    conn.execute("DELETE FROM replica_info WHERE key = 'scopes'", [])?;
    Ok(())
}

/// Puts every change made on this device back in the outbox, once each. Returns how many.
fn queue_everything_made_here(conn: &Connection, device: DeviceId) -> Result<usize, ReplicaError> {
    let ids: Vec<Vec<u8>> =
        conn.prepare("SELECT prospect_id FROM documents")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO outbox (prospect_id, territory, hash) VALUES (?1, ?2, ?3)")?;
    let mut queued = 0;
    for id in ids {
        let id = ProspectId::from_bytes(
            id.try_into().map_err(|_| ReplicaError::Corrupt("a document's id is damaged".into()))?,
        );
        let mut doc = load_document(conn, id, device)?;
        let territory = doc.read().territory;
        for hash in doc.changes_made_on(device) {
            queued += insert.execute(params![id.as_bytes(), territory.as_bytes(), hash.0])?;
        }
    }
    Ok(queued)
}
