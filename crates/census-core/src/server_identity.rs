//! How a device knows its server: by an id the server keeps for life, not by its address, and
//! by the epoch of the server's database.
//!
//! A server that moves (from http to https, to a new name) keeps its id, so its devices keep
//! their cursors. A server restored from a backup keeps its id but starts a new epoch: its feed
//! may lack changes that devices already received or pushed, so a device that sees the epoch
//! change pushes everything it made again and pulls again from the start.

use serde::{Deserialize, Serialize};

/// A server's lasting id and its database's current epoch, as the server reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerIdentity {
    pub id: String,
    pub epoch: String,
}

/// What a device should do, given the server it last knew and the one that answers now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerChange {
    /// The same server, as before: keep syncing from the cursors.
    Same,
    /// The same server, restored from a backup: push everything made here again, pull again.
    Restored,
    /// Another server (or one the device cannot tell): its feed counts differently; pull anew.
    Other,
}

/// Compares the server a device knew (`known`, none before its first sign-in or from a server
/// that reported none) with the one answering (`now`).
pub fn server_change(known: Option<&ServerIdentity>, now: &ServerIdentity) -> ServerChange {
    match known {
        Some(known) if known.id != now.id => ServerChange::Other,
        Some(known) if known.epoch != now.epoch => ServerChange::Restored,
        Some(_) => ServerChange::Same,
        None => ServerChange::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(id: &str, epoch: &str) -> ServerIdentity {
        ServerIdentity { id: id.into(), epoch: epoch.into() }
    }

    #[test]
    fn a_device_tells_a_moved_server_from_a_restored_one_and_from_another() {
        let known = identity("a", "1");
        assert_eq!(server_change(Some(&known), &identity("a", "1")), ServerChange::Same);
        assert_eq!(server_change(Some(&known), &identity("a", "2")), ServerChange::Restored);
        assert_eq!(server_change(Some(&known), &identity("b", "1")), ServerChange::Other);
        assert_eq!(server_change(None, &identity("a", "1")), ServerChange::Other);
    }
}
