//! Security events that a flood repeats thousands of times a second (sign-ins turned away,
//! connections refused): each kind is logged at most once a second, with how many there were, so
//! that an attack cannot turn the log itself into the bottleneck. Events that come at most a few
//! times a second (a failed sign-in, a refused push) are logged one by one where they happen.

use std::sync::Mutex;
use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_secs(1);

/// One kind of frequent event, counted and logged at most once every second.
#[derive(Debug)]
pub struct Throttled {
    what: &'static str,
    /// When the kind was last logged (none yet: log the first at once), and events since.
    seen: Mutex<(Option<Instant>, u64)>,
}

impl Throttled {
    pub const fn new(what: &'static str) -> Throttled {
        Throttled { what, seen: Mutex::new((None, 0)) }
    }

    /// Counts one event, and logs the count at most once a second. Returns the count just
    /// logged (for the audit trail), or `None` while it waits for the next line.
    pub fn happened(&self) -> Option<u64> {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.1 += 1;
        if seen.0.is_none_or(|at| at.elapsed() >= EVERY) {
            let events = seen.1;
            tracing::warn!(target: "security", events, "{}", self.what);
            *seen = (Some(Instant::now()), 0);
            return Some(events);
        }
        None
    }

    pub fn what(&self) -> &'static str {
        self.what
    }
}
