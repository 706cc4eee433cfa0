//! Where pictures' bytes live: files named by their SHA-256 under the server's data folder,
//! behind [`PictureStore`] so that an object store (S3 and the like) can take their place. The
//! database holds only what describes them (`picture_api.rs`).
//!
//! An upload grows a partial file chunk by chunk, each at the offset the client says it has
//! reached, synced to disk before it is acknowledged; a client that lost its connection (or
//! a server that restarted) asks for the length stored and goes on from there. The last chunk
//! is followed by reading the whole file back through SHA-256: only a file whose bytes hash to
//! its name becomes a picture; any other is removed. No picture is ever held whole in memory.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use census_core::pictures::is_picture_name;
use sha2::{Digest, Sha256};

/// What an append found.
#[derive(Debug, PartialEq, Eq)]
pub enum Appended {
    /// Written; the partial file is now this long.
    Grown(u64),
    /// The client's offset is not the length stored: it should go on from this one.
    WrongOffset(u64),
}

/// The bytes of pictures, by name (lower-case hex SHA-256; names are checked before any path
/// is made of them).
pub trait PictureStore: Send + Sync {
    /// The length of the stored picture, if it is stored whole.
    fn stored(&self, name: &str) -> std::io::Result<Option<u64>>;
    /// How much of an upload is stored so far (0 if none began).
    fn partial(&self, name: &str) -> std::io::Result<u64>;
    /// Appends `bytes` at `offset` of an upload.
    fn append(&self, name: &str, offset: u64, bytes: &[u8]) -> std::io::Result<Appended>;
    /// Ends an upload: the picture is kept if its bytes hash to its name (true), else removed.
    fn complete(&self, name: &str) -> std::io::Result<bool>;
    /// Up to `len` bytes of a stored picture from `offset`.
    fn read(&self, name: &str, offset: u64, len: usize) -> std::io::Result<Vec<u8>>;
    /// Removes a picture and any upload of it.
    fn remove(&self, name: &str) -> std::io::Result<()>;
    /// The uploads not grown since `before`: abandoned, unless their device comes back.
    fn uploads_untouched_since(&self, before: SystemTime) -> std::io::Result<Vec<String>>;
}

/// Pictures as files: `complete/ab/abcd…` once whole, `partial/abcd…` while uploading.
#[derive(Debug)]
pub struct DiskPictures {
    root: PathBuf,
}

impl DiskPictures {
    /// Keeps pictures under `root`, creating it.
    pub fn open(root: &Path) -> std::io::Result<DiskPictures> {
        std::fs::create_dir_all(root.join("complete"))?;
        std::fs::create_dir_all(root.join("partial"))?;
        Ok(DiskPictures { root: root.to_owned() })
    }

    fn complete_path(&self, name: &str) -> std::io::Result<PathBuf> {
        checked(name)?;
        Ok(self.root.join("complete").join(&name[..2]).join(name))
    }

    fn partial_path(&self, name: &str) -> std::io::Result<PathBuf> {
        checked(name)?;
        Ok(self.root.join("partial").join(name))
    }
}

fn checked(name: &str) -> std::io::Result<()> {
    match is_picture_name(name) {
        true => Ok(()),
        false => Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a picture's name")),
    }
}

fn length_of(path: &Path) -> std::io::Result<Option<u64>> {
    match std::fs::metadata(path) {
        Ok(meta) => Ok(Some(meta.len())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl PictureStore for DiskPictures {
    fn stored(&self, name: &str) -> std::io::Result<Option<u64>> {
        length_of(&self.complete_path(name)?)
    }

    fn partial(&self, name: &str) -> std::io::Result<u64> {
        Ok(length_of(&self.partial_path(name)?)?.unwrap_or(0))
    }

    fn append(&self, name: &str, offset: u64, bytes: &[u8]) -> std::io::Result<Appended> {
        let mut file = OpenOptions::new().create(true).append(true).open(self.partial_path(name)?)?;
        let length = file.metadata()?.len();
        if length != offset {
            return Ok(Appended::WrongOffset(length));
        }
        file.write_all(bytes)?;
        // Acknowledged bytes survive a crash: the client will not send them again.
        file.sync_data()?;
        Ok(Appended::Grown(length + bytes.len() as u64))
    }

    fn complete(&self, name: &str) -> std::io::Result<bool> {
        let partial = self.partial_path(name)?;
        let mut file = File::open(&partial)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        let hash = hex::encode(hasher.finalize());
        if hash != name {
            std::fs::remove_file(&partial)?;
            return Ok(false);
        }
        let complete = self.complete_path(name)?;
        if let Some(folder) = complete.parent() {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::rename(&partial, &complete)?;
        if let Some(folder) = complete.parent() {
            File::open(folder)?.sync_all()?;
        }
        Ok(true)
    }

    fn read(&self, name: &str, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        let mut file = File::open(self.complete_path(name)?)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::with_capacity(len);
        file.take(len as u64).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn remove(&self, name: &str) -> std::io::Result<()> {
        for path in [self.complete_path(name)?, self.partial_path(name)?] {
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    fn uploads_untouched_since(&self, before: SystemTime) -> std::io::Result<Vec<String>> {
        let mut untouched = Vec::new();
        for entry in std::fs::read_dir(self.root.join("partial"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_picture_name(&name) && entry.metadata()?.modified()? < before {
                untouched.push(name);
            }
        }
        Ok(untouched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_grows_at_its_offset_and_is_kept_only_when_its_bytes_hash_to_its_name() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = DiskPictures::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        let bytes = b"\xFF\xD8\xFF a picture, or what stands for one".to_vec();
        let name = hex::encode(Sha256::digest(&bytes));
        assert_eq!(store.partial(&name).ok(), Some(0));
        assert_eq!(store.append(&name, 0, &bytes[..10]).ok(), Some(Appended::Grown(10)));
        assert_eq!(store.append(&name, 4, &bytes[4..]).ok(), Some(Appended::WrongOffset(10)), "no byte twice");
        assert_eq!(store.append(&name, 10, &bytes[10..]).ok(), Some(Appended::Grown(bytes.len() as u64)));
        assert_eq!(store.complete(&name).ok(), Some(true));
        assert_eq!(store.stored(&name).ok(), Some(Some(bytes.len() as u64)));
        assert_eq!(store.read(&name, 3, 6).ok(), Some(bytes[3..9].to_vec()));

        let forged = "0".repeat(64);
        assert!(matches!(store.append(&forged, 0, &bytes), Ok(Appended::Grown(_))));
        assert_eq!(store.complete(&forged).ok(), Some(false), "bytes that are not what their name says");
        assert_eq!((store.stored(&forged).ok(), store.partial(&forged).ok()), (Some(None), Some(0)), "and not kept");
        assert!(store.append("../../etc/passwd", 0, b"x").is_err(), "a name is never a path");
    }
}
