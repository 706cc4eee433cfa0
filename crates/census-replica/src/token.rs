//! Where the device's sign-in token is kept. By default in the replica file itself; a shell
//! with a safer place (the operating system's keychain) installs a [`TokenVault`], and the
//! replica file then keeps no token at all. A vault that fails (no keychain service running, a
//! locked keyring) is not fatal: the token falls back to the replica file, so signing in never
//! fails for want of a keychain.

use std::fmt;

use census_core::DeviceId;

use crate::error::ReplicaError;
use crate::replica::{Replica, info, set_info};

/// A place for a device's token other than the replica file. Errors are plain words for a log;
/// the replica falls back to its own file on any of them.
pub trait TokenVault: Send {
    fn load(&self, device: &str) -> Result<Option<String>, String>;
    fn save(&self, device: &str, token: &str) -> Result<(), String>;
}

/// The vault a replica uses, if any (a boxed trait object has no `Debug` of its own).
pub(crate) struct Vault(pub(crate) Box<dyn TokenVault>);

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenVault")
    }
}

impl Replica {
    /// Keeps this device's token in `vault` from now on. A token already in the replica file
    /// moves there, if the vault takes it.
    pub fn keep_token_in(&mut self, vault: Box<dyn TokenVault>) -> Result<(), ReplicaError> {
        let device = self.device.to_string();
        if let Some(token) = info(&self.conn, "token")? {
            if vault.save(&device, &token).is_ok() {
                self.conn.execute("DELETE FROM replica_info WHERE key = 'token'", [])?;
            }
        }
        self.vault = Some(Vault(vault));
        Ok(())
    }

    /// The token, from the vault or else from the replica file.
    pub(crate) fn token(&self) -> Result<Option<String>, ReplicaError> {
        if let Some(Vault(vault)) = &self.vault {
            if let Ok(Some(token)) = vault.load(&self.device.to_string()) {
                return Ok(Some(token));
            }
        }
        info(&self.conn, "token")
    }
}

/// Stores a new token: in the vault when it takes it (and then not in the file), otherwise in
/// the replica file. Runs inside the caller's transaction on `conn`.
pub(crate) fn store_token(
    vault: Option<&Vault>,
    device: DeviceId,
    conn: &rusqlite::Connection,
    token: &str,
) -> Result<(), ReplicaError> {
    if let Some(Vault(vault)) = vault {
        if vault.save(&device.to_string(), token).is_ok() {
            conn.execute("DELETE FROM replica_info WHERE key = 'token'", [])?;
            return Ok(());
        }
    }
    set_info(conn, "token", token)
}
