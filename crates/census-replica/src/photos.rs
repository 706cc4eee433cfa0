//! Pictures taken for photo questions. A visit's answer names a picture by the SHA-256 of its
//! bytes; the bytes stay here, on the device, so the same picture is stored once however many
//! answers name it, and a document never carries images.

use census_core::{Localized, PhotoAnswer};
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::error::ReplicaError;
use crate::replica::Replica;

/// The largest picture a device keeps: a phone camera's full-size photo fits with room to spare.
pub const MAX_PHOTO_BYTES: usize = 20 * 1024 * 1024;

/// A picture as stored: its type and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl Replica {
    /// Keeps a picture and returns the answer that names it. Storing the same bytes again is
    /// harmless.
    pub fn store_photo(
        &mut self,
        bytes: &[u8],
        mime: &str,
        at: census_core::Timestamp,
    ) -> Result<PhotoAnswer, ReplicaError> {
        if bytes.is_empty() {
            return Err(ReplicaError::InvalidPhoto(Localized::new("фото пустое", "the picture is empty")));
        }
        if bytes.len() > MAX_PHOTO_BYTES {
            let megabytes = format!("{:.1}", bytes.len() as f64 / 1_048_576.0);
            let most = MAX_PHOTO_BYTES / 1_048_576;
            return Err(ReplicaError::InvalidPhoto(Localized::new(
                format!("фото слишком большое ({} МБ; можно не больше {most} МБ)", megabytes.replace('.', ",")),
                format!("the picture is too large ({megabytes} MB; at most {most} MB)"),
            )));
        }
        if !mime.starts_with("image/") || mime.len() > 100 {
            return Err(ReplicaError::InvalidPhoto(Localized::new(
                format!("«{mime}» — это не изображение; выберите файл с фото"),
                format!("\"{mime}\" is not a picture type; choose an image file"),
            )));
        }
        let sha256 = hex_sha256(bytes);
        self.conn.execute(
            "INSERT INTO photos (sha256, mime, bytes, stored_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            params![sha256, mime, bytes, at.unix_millis()],
        )?;
        self.touch_picture(&sha256)?;
        if !self.has_thumbnail(&sha256)?
            && let Some(thumbnail) = crate::thumbnails::thumbnail_of(bytes)
        {
            self.keep_thumbnail(&sha256, &thumbnail, at)?;
        }
        Ok(PhotoAnswer { sha256, mime: mime.to_owned() })
    }

    /// Keeps `thumbnail` as the thumbnail of picture `of`.
    pub(crate) fn keep_thumbnail(
        &self,
        of: &str,
        thumbnail: &[u8],
        at: census_core::Timestamp,
    ) -> Result<String, ReplicaError> {
        let name = hex_sha256(thumbnail);
        self.conn.execute(
            "INSERT INTO photos (sha256, mime, bytes, stored_at, thumbnail_of) VALUES (?1, 'image/jpeg', ?2, ?3, ?4) \
             ON CONFLICT DO NOTHING",
            params![name, thumbnail, at.unix_millis(), of],
        )?;
        Ok(name)
    }

    /// Whether this device has a thumbnail of picture `of`.
    pub(crate) fn has_thumbnail(&self, of: &str) -> Result<bool, ReplicaError> {
        Ok(self
            .conn
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM photos WHERE thumbnail_of = ?1)")?
            .query_row([of], |r| r.get(0))?)
    }

    /// The thumbnail of picture `of`, if this device has one.
    pub fn thumbnail(&self, of: &str) -> Result<Option<StoredPhoto>, ReplicaError> {
        Ok(self
            .conn
            .query_row("SELECT mime, bytes FROM photos WHERE thumbnail_of = ?1 LIMIT 1", [of], |r| {
                Ok(StoredPhoto { mime: r.get(0)?, bytes: r.get(1)? })
            })
            .optional()?)
    }

    /// A picture kept on this device, if it is here; looked at now, so the cache keeps it
    /// longest (picture_cache.rs).
    pub fn photo(&self, sha256: &str) -> Result<Option<StoredPhoto>, ReplicaError> {
        let photo = self
            .conn
            .query_row("SELECT mime, bytes FROM photos WHERE sha256 = ?1", [sha256], |r| {
                Ok(StoredPhoto { mime: r.get(0)?, bytes: r.get(1)? })
            })
            .optional()?;
        if photo.is_some() {
            self.touch_picture(sha256)?;
        }
        Ok(photo)
    }
}

pub(crate) fn hex_sha256(bytes: &[u8]) -> String {
    crate::projection::hex(&Sha256::digest(bytes))
}
