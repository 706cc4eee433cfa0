//! Live sync while the device is online: edits leave within a second or two of being made, and
//! others' edits arrive as soon as the server has them.
//!
//! Two threads, started with background sync. One waits for edits ([`EditSignal`]) and syncs a
//! second after the first of a burst (the rest go with it). The other keeps a news request open
//! at the server (`Replica::wait_for_news`, answered the moment the person's territories change)
//! and syncs when it answers. Offline, or after sleep or a network change, a news request
//! fails: the thread waits 2 s, then twice as long each time, up to a minute, and starts again.
//! Every sync goes through the same one-at-a-time lock as the sync button, and tells the window.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};

use crate::AppState;
use crate::commands::{signed_in, sync_and_tell};

/// How long a news request waits before asking again.
const NEWS_WAIT: Duration = Duration::from_secs(50);
/// How long after an edit it is sent: more edits made meanwhile go with it.
const EDIT_SETTLES: Duration = Duration::from_secs(1);
/// Pauses after a failed news request: the first, and the longest.
const FIRST_PAUSE: Duration = Duration::from_secs(2);
const LONGEST_PAUSE: Duration = Duration::from_secs(60);

/// Raised by every edit; the edit thread lowers it when it syncs.
#[derive(Debug, Default)]
pub struct EditSignal {
    edited: Mutex<bool>,
    raised: Condvar,
}

impl EditSignal {
    /// Says that something was changed on this device and should be sent.
    pub fn edited(&self) {
        *self.edited.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.raised.notify_one();
    }

    /// Waits until something was edited, then lowers the signal.
    fn wait(&self) {
        let mut edited = self.edited.lock().unwrap_or_else(|p| p.into_inner());
        while !*edited {
            edited = self.raised.wait(edited).unwrap_or_else(|p| p.into_inner());
        }
        *edited = false;
    }
}

/// Starts both threads.
pub(crate) fn start<R: Runtime>(app: &AppHandle<R>) {
    let sender = app.clone();
    let spawned = std::thread::Builder::new().name("send edits".into()).spawn(move || {
        let state = sender.state::<AppState>();
        loop {
            state.edits.wait();
            std::thread::sleep(EDIT_SETTLES);
            if signed_in(&state) {
                let _ = sync_and_tell(&sender, true);
            }
        }
    });
    let listener = app.clone();
    let listening = std::thread::Builder::new().name("news".into()).spawn(move || listen_for_news(&listener));
    if spawned.is_err() || listening.is_err() {
        eprintln!("Census cannot sync live; it syncs every two minutes and from the sync bar");
    }
}

fn listen_for_news<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let mut pause = FIRST_PAUSE;
    loop {
        // Until someone signs in there is no one to ask; look again in a second.
        if !signed_in(&state) {
            std::thread::sleep(Duration::from_secs(1));
            pause = FIRST_PAUSE;
            continue;
        }
        // The wait holds a connection of its own: the pool's are for the window's work.
        let waited = crate::open_replica(state.connections.path()).map_err(|_| ()).and_then(|replica| {
            let client = replica.client().map_err(|_| ())?;
            replica.wait_for_news(&client, NEWS_WAIT).map_err(|_| ())
        });
        let answered = match waited {
            Ok(true) => sync_and_tell(app, true).is_ok(),
            Ok(false) => true,
            Err(()) => false,
        };
        if answered {
            pause = FIRST_PAUSE;
        } else {
            // Offline, asleep, revoked, or the sync failed: ask again later, less often each time.
            std::thread::sleep(pause);
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
    }
}
