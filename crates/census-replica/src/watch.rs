//! Long work watched from another thread: an import's preview over a hundred thousand rows, an
//! export, the duplicate search of a whole base, a first sync. Whoever started it hears how far
//! it got, and may stop it; the work ends at its next step with [`ReplicaError::Stopped`],
//! having committed only whole transactions, and a query SQLite is running is interrupted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rusqlite::InterruptHandle;

use crate::error::ReplicaError;
use crate::replica::Replica;

/// Stops a replica's long work from any thread.
#[derive(Clone)]
pub struct Stopper {
    stopped: Arc<AtomicBool>,
    sqlite: Arc<InterruptHandle>,
}

impl Stopper {
    /// Asks the work to stop: it ends at its next step, or now if SQLite is busy with a query.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.sqlite.interrupt();
    }
}

impl std::fmt::Debug for Stopper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stopper").field("stopped", &self.stopped).finish_non_exhaustive()
    }
}

/// Hears how many of a long job's units (rows, prospects, pairs) are done, of how many.
pub type ProgressSink = Box<dyn Fn(u64, u64) + Send + Sync>;

/// What a replica's long work reports to, and whether it was asked to stop.
#[derive(Default)]
pub(crate) struct Watch {
    stopped: Arc<AtomicBool>,
    progress: Option<ProgressSink>,
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").field("stopped", &self.stopped).finish_non_exhaustive()
    }
}

impl Replica {
    /// A handle that stops this replica's long work (see [`Stopper::stop`]).
    pub fn stopper(&self) -> Stopper {
        Stopper { stopped: self.watch.stopped.clone(), sqlite: Arc::new(self.conn.get_interrupt_handle()) }
    }

    /// Starts watching afresh: earlier stoppers no longer reach this replica, and long work
    /// reports its progress to `progress` (to no one with `None`).
    pub fn watch(&mut self, progress: Option<ProgressSink>) {
        self.watch = Watch { stopped: Arc::new(AtomicBool::new(false)), progress };
    }

    /// Reports `done` of `total`, and ends the work if it was asked to stop.
    pub(crate) fn step(&self, done: usize, total: usize) -> Result<(), ReplicaError> {
        if self.watch.stopped.load(Ordering::SeqCst) {
            return Err(ReplicaError::Stopped);
        }
        if let Some(progress) = &self.watch.progress {
            progress(done as u64, total as u64);
        }
        Ok(())
    }

    /// Ends the work if it was asked to stop, reporting nothing.
    pub(crate) fn keep_going(&self) -> Result<(), ReplicaError> {
        match self.watch.stopped.load(Ordering::SeqCst) {
            true => Err(ReplicaError::Stopped),
            false => Ok(()),
        }
    }
}
