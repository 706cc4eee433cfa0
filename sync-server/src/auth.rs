//! Signing in: argon2id password hashes, device tokens (random, stored only as their SHA-256),
//! and growing delays after failed sign-ins so passwords cannot be guessed at speed.

use std::collections::HashMap;
use std::net::IpAddr;
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

/// Failed sign-ins slow the next ones down and never lock a login out. Per login and client
/// address (one guesser), the wait doubles from the 4th failure, up to 15 minutes; per login from
/// any address (guessers spread over many), it doubles from the 10th, up to 30 seconds. So the
/// owner, typing the right password from their own address, waits half a minute at worst
/// however many strangers guess, while each guesser gets a handful of guesses an hour.
#[derive(Debug, Default)]
pub struct SignInLimiter {
    per_address: Mutex<HashMap<(String, IpAddr), Failures>>,
    per_login: Mutex<HashMap<String, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Failures that cost nothing, and the longest wait after more.
struct Throttle {
    free: u32,
    longest: Duration,
}

const PER_ADDRESS: Throttle = Throttle { free: 3, longest: Duration::from_secs(15 * 60) };
const PER_LOGIN: Throttle = Throttle { free: 9, longest: Duration::from_secs(30) };
/// Failures are forgotten this long after the last one.
const FORGET_AFTER: Duration = Duration::from_secs(30 * 60);
const MAX_TRACKED: usize = 100_000;

impl Throttle {
    /// How long to wait still, after these failures.
    fn wait(&self, failures: Option<&Failures>) -> Duration {
        let Some(failures) = failures.filter(|f| f.count > self.free && f.last.elapsed() < FORGET_AFTER) else {
            return Duration::ZERO;
        };
        let doubling = Duration::from_secs(1 << (failures.count - self.free - 1).min(20));
        doubling.min(self.longest).saturating_sub(failures.last.elapsed())
    }
}

fn note_failure<K: std::hash::Hash + Eq>(failures: &Mutex<HashMap<K, Failures>>, key: K) {
    let mut failures = failures.lock().unwrap_or_else(|p| p.into_inner());
    if failures.len() >= MAX_TRACKED {
        // Forget old failures, so guessing many logins from many addresses cannot fill memory.
        failures.retain(|_, f| f.last.elapsed() < FORGET_AFTER);
    }
    let entry = failures.entry(key).or_insert(Failures { count: 0, last: Instant::now() });
    if entry.last.elapsed() >= FORGET_AFTER {
        entry.count = 0;
    }
    *entry = Failures { count: entry.count + 1, last: Instant::now() };
}

impl SignInLimiter {
    /// `Err(seconds to wait)` while sign-ins of `login` from `address` are slowed down.
    pub fn check(&self, login: &str, address: IpAddr) -> Result<(), u64> {
        let here = PER_ADDRESS
            .wait(self.per_address.lock().unwrap_or_else(|p| p.into_inner()).get(&(login.to_owned(), address)));
        let anywhere = PER_LOGIN.wait(self.per_login.lock().unwrap_or_else(|p| p.into_inner()).get(login));
        match here.max(anywhere) {
            wait if wait.is_zero() => Ok(()),
            wait => Err(wait.as_secs_f64().ceil().max(1.0) as u64),
        }
    }

    pub fn failed(&self, login: &str, address: IpAddr) {
        note_failure(&self.per_address, (login.to_owned(), address));
        note_failure(&self.per_login, login.to_owned());
    }

    /// The right password from an address clears that address's failures; others' stay.
    pub fn succeeded(&self, login: &str, address: IpAddr) {
        self.per_address.lock().unwrap_or_else(|p| p.into_inner()).remove(&(login.to_owned(), address));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    #[test]
    fn guesses_slow_the_guesser_down_and_never_lock_the_owner_out() {
        let limiter = SignInLimiter::default();
        let (guesser, owner): (IpAddr, IpAddr) = ("10.0.0.66".parse().unwrap(), "10.0.0.7".parse().unwrap());
        for _ in 0..PER_ADDRESS.free {
            limiter.check("boris", guesser).unwrap();
            limiter.failed("boris", guesser);
        }
        limiter.check("boris", guesser).unwrap();
        limiter.failed("boris", guesser);
        assert_eq!(limiter.check("boris", guesser), Err(1), "the fourth failure costs a second");
        limiter.failed("boris", guesser);
        assert_eq!(limiter.check("boris", guesser), Err(2), "the fifth, two");
        limiter.check("boris", owner).unwrap();
        // Guessers everywhere slow the login down for at most half a minute.
        for n in 0..40u8 {
            limiter.failed("boris", IpAddr::from([10, 1, 0, n]));
        }
        let wait = limiter.check("boris", owner).unwrap_err();
        assert!((1..=30).contains(&wait), "{wait}");
        limiter.check("anna", owner).unwrap();
    }
}
