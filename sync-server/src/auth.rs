//! Signing in: argon2id password hashes, device tokens (random, stored only as their SHA-256),
//! and a limit on failed sign-ins so passwords cannot be guessed at speed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use sha2::{Digest, Sha256};

use crate::error::StoreError;

/// How long a device token stays valid without signing in again, unless the server is started
/// with another lifetime.
pub const TOKEN_LIFETIME_SECS: u64 = 90 * 86_400;

pub fn hash_password(password: &str) -> Result<String, StoreError> {
    if password.chars().count() < 8 {
        return Err(StoreError::Invalid("a password needs at least 8 characters".into()));
    }
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::Storage(format!("could not hash the password: {e}")))
}

/// A hash no password matches in practice (of 32 random bytes, thrown away), checked for logins
/// that do not exist.
pub const UNKNOWN_LOGIN_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$VoyDsSrj2DQEWVmMiXDJMg$oSjXPITlH1HBIKmtraRYMgXCo79EJrojH5yXbxu1WO4";

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A new device token: 32 random bytes as hex. Only its hash is stored.
pub fn new_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Failed sign-ins per login: after `MAX_FAILURES` within `WINDOW`, that login is refused until
/// the window has passed since the first of them.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(10 * 60);
const MAX_TRACKED: usize = 10_000;

impl SignInLimiter {
    /// `Err(minutes)` while the login is locked out.
    pub fn check(&self, login: &str) -> Result<(), u64> {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match failures.get(login) {
            Some((count, first)) if *count >= MAX_FAILURES && first.elapsed() < WINDOW => {
                Err(WINDOW.saturating_sub(first.elapsed()).as_secs().div_ceil(60).max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, login: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if failures.len() >= MAX_TRACKED {
            // Forget attempts older than the window, so guessing many logins cannot fill memory.
            failures.retain(|_, (_, first)| first.elapsed() < WINDOW);
        }
        let entry = failures.entry(login.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, login: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(login);
    }
}
