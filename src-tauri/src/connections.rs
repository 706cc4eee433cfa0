//! The replica's connections, shared by the commands. A command borrows one for its work and
//! runs on the blocking pool, never on the window's thread; a long job (an import, an export, the
//! duplicate search, a sync) keeps its own for as long as it lasts, so the list, search and the
//! card go on answering from the others meanwhile. SQLite in WAL mode lets them all read at
//! once; writes take turns, each a short transaction.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use census_replica::Replica;

use crate::{AppError, ErrorKind};

/// Connections kept open between commands; more are opened when more work runs at once.
const KEPT_OPEN: usize = 4;

#[derive(Debug)]
pub struct Connections {
    path: PathBuf,
    idle: Mutex<Vec<Replica>>,
}

impl Connections {
    /// Keeps `first` (already opened, which proved the file sound) for the commands to share.
    pub fn new(path: PathBuf, first: Replica) -> Arc<Connections> {
        Arc::new(Connections { path, idle: Mutex::new(vec![first]) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on a connection, here on the calling thread.
    pub fn with<T>(&self, work: impl FnOnce(&mut Replica) -> Result<T, AppError>) -> Result<T, AppError> {
        let mut replica = self.take()?;
        let done = work(&mut replica);
        self.give_back(replica);
        done
    }

    /// Runs `work` on a connection, on the blocking pool: the window's thread goes on meanwhile.
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut Replica) -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let connections = self.clone();
        off_the_window(move || connections.with(work)).await
    }

    /// An idle connection, or a new one when all are busy.
    pub(crate) fn take(&self) -> Result<Replica, AppError> {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match idle {
            Some(replica) => Ok(replica),
            None => crate::open_replica(&self.path),
        }
    }

    /// Keeps a connection for the next command, or closes it when enough are kept.
    pub(crate) fn give_back(&self, mut replica: Replica) {
        replica.watch(None);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < KEPT_OPEN {
            idle.push(replica);
        }
    }
}

/// Runs work that may take a while (the network, a long read) on the blocking pool.
pub(crate) async fn off_the_window<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    tauri::async_runtime::spawn_blocking(work).await.map_err(|e| {
        AppError::new(
            ErrorKind::Storage,
            format!("the work stopped unexpectedly: {e}"),
            "работа неожиданно прервалась; попробуйте ещё раз",
        )
    })?
}
