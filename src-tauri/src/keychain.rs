//! The device's sign-in token in the operating system's keychain (Keychain on macOS, Credential
//! Manager on Windows, the Secret Service on Linux) rather than in the replica file, so a copy of
//! the file does not carry the right to sync. Where no keychain answers (a phone, a Linux session
//! without a Secret Service), the replica keeps the token in its own file.

use census_replica::TokenVault;

/// One entry per device, under the app's identifier.
const SERVICE: &str = "app.census.field";

#[derive(Debug)]
pub(crate) struct Keychain;

impl TokenVault for Keychain {
    fn load(&self, device: &str) -> Result<Option<String>, String> {
        let entry = keyring::Entry::new(SERVICE, device).map_err(|e| e.to_string())?;
        match entry.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }

    fn save(&self, device: &str, token: &str) -> Result<(), String> {
        let entry = keyring::Entry::new(SERVICE, device).map_err(|e| e.to_string())?;
        entry.set_password(token).map_err(|e| e.to_string())
    }
}
