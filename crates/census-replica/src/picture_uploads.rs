//! Pictures between this device and its server. A picture taken for a visit is queued with its
//! prospect when the visit is recorded; after a sync has pushed the changes that name it, it is
//! uploaded a chunk at a time. Each upload first asks the server how much it already has, so
//! one cut by a lost network, a killed app or a restarted server goes on from the last byte
//! the server stored, and a picture the server has from any device is not sent again.

use census_core::ProspectId;
use rusqlite::{Connection, params};
use serde::Deserialize;

use crate::error::ReplicaError;
use crate::replica::Replica;
use crate::sync_client::{SyncClient, SyncError};

/// The most one upload request carries: what a cut connection costs again, at most.
pub const PICTURE_CHUNK_BYTES: usize = 1024 * 1024;

/// Where an upload stands on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct UploadState {
    pub offset: u64,
    pub complete: bool,
}

/// What uploading the queued pictures did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PictureReport {
    /// Pictures the server now has whole (sent now, or already there).
    pub uploaded: u64,
    /// Bytes sent in this run.
    pub bytes_sent: u64,
    /// Pictures the server refused for their prospect (not theirs to upload, or damaged here).
    pub refused: u64,
}

/// Queues picture `sha256`, and its thumbnail if there is one, to be uploaded for `prospect`,
/// inside the caller's transaction.
pub(crate) fn queue_with_thumbnail(conn: &Connection, sha256: &str, prospect: ProspectId) -> Result<(), ReplicaError> {
    conn.prepare_cached("INSERT OR IGNORE INTO picture_uploads (sha256, prospect_id) VALUES (?1, ?2)")?
        .execute(params![sha256, prospect.as_bytes()])?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO picture_uploads (sha256, prospect_id, thumbnail_of) \
         SELECT sha256, ?2, thumbnail_of FROM photos WHERE thumbnail_of = ?1",
    )?
    .execute(params![sha256, prospect.as_bytes()])?;
    Ok(())
}

/// A thumbnail the server has for a picture of a territory.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ThumbnailEntry {
    pub picture: String,
    pub thumbnail: String,
}

impl SyncClient {
    fn picture_path(name: &str) -> String {
        format!("pictures/{name}")
    }

    /// How much of picture `name` the server has, asked for `upload`'s prospect.
    pub(crate) fn picture_upload_state(&self, token: &str, upload: &Upload) -> Result<UploadState, SyncError> {
        let path = format!("{}/upload", SyncClient::picture_path(&upload.name));
        self.get_json_with(token, &path, &upload.query(), "upload state")
    }

    /// Sends `chunk`, the bytes of `upload`'s picture (of `length` in all) from `offset`.
    pub(crate) fn append_picture(
        &self,
        token: &str,
        upload: &Upload,
        (offset, length): (u64, u64),
        chunk: &[u8],
    ) -> Result<UploadState, SyncError> {
        let request = self
            .http
            .patch(self.url(&SyncClient::picture_path(&upload.name)))
            .bearer_auth(token)
            .query(&upload.query())
            .header("upload-offset", offset)
            .header("upload-length", length)
            .header(reqwest::header::CONTENT_TYPE, "application/offset+octet-stream")
            .body(chunk.to_vec());
        let response = self.send(request)?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable upload reply: {e}")))
    }

    /// The thumbnails the server has for pictures of `scope`'s prospects, after picture `after`.
    pub(crate) fn thumbnails(
        &self,
        token: &str,
        scope: census_core::TerritoryId,
        after: &str,
    ) -> Result<Vec<ThumbnailEntry>, SyncError> {
        let query = [("scope", scope.to_string()), ("after", after.to_owned())];
        self.get_json_with(token, "thumbnails", &query, "list of thumbnails")
    }

    /// The picture `name`, as the server has it (at most `census_core::pictures::MAX_PICTURE_BYTES`).
    pub(crate) fn download_picture(&self, token: &str, name: &str) -> Result<(String, Vec<u8>), SyncError> {
        use std::io::Read;
        let response = self.send(self.http.get(self.url(&SyncClient::picture_path(name))).bearer_auth(token))?;
        let mime = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut bytes = Vec::new();
        response
            .take(census_core::pictures::MAX_PICTURE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| SyncError::Offline(e.to_string()))?;
        if bytes.len() as u64 > census_core::pictures::MAX_PICTURE_BYTES {
            return Err(SyncError::Server("the server sent a picture larger than any picture may be".into()));
        }
        Ok((mime, bytes))
    }
}

/// A picture kept on this device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PictureOnDevice {
    pub sha256: String,
    pub mime: String,
    pub bytes: u64,
    /// Waiting to be uploaded (else uploaded, or taken elsewhere and fetched).
    pub pending: bool,
}

impl Replica {
    /// Every picture kept on this device, those waiting to be uploaded first.
    pub fn pictures(&self) -> Result<Vec<PictureOnDevice>, ReplicaError> {
        let mut statement = self.conn.prepare(
            "SELECT p.sha256, p.mime, length(p.bytes), EXISTS (SELECT 1 FROM picture_uploads u WHERE u.sha256 = p.sha256) \
             AS pending FROM photos p ORDER BY pending DESC, p.stored_at, p.sha256",
        )?;
        let rows = statement.query_map([], |r| {
            Ok(PictureOnDevice {
                sha256: r.get(0)?,
                mime: r.get(1)?,
                bytes: r.get::<_, i64>(2)?.unsigned_abs(),
                pending: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Pictures waiting to be uploaded, and their bytes in all.
    pub fn pictures_pending(&self) -> Result<(u64, u64), ReplicaError> {
        Ok(self.conn.query_row(
            "SELECT count(DISTINCT u.sha256), coalesce(sum(length(p.bytes)), 0) FROM picture_uploads u \
             LEFT JOIN photos p ON p.sha256 = u.sha256",
            [],
            |r| Ok((r.get::<_, i64>(0)?.unsigned_abs(), r.get::<_, i64>(1)?.unsigned_abs())),
        )?)
    }

    /// Uploads every queued picture, each from where the server's copy ends. Run after a push,
    /// so that the server has the changes that name the pictures. A picture the server refuses
    /// for its prospect leaves the queue (counted in `refused`); a failed connection ends the
    /// run with the rest still queued. Counts into `report` as it goes, so that what a failed
    /// run sent is still counted.
    pub(crate) fn upload_pictures(
        &mut self,
        client: &SyncClient,
        token: &str,
        report: &mut PictureReport,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(), SyncError> {
        // Thumbnails first: other devices show them as soon as they are there.
        let queued: Vec<(String, Vec<u8>, Option<String>)> = self
            .conn
            .prepare(
                "SELECT sha256, prospect_id, thumbnail_of FROM picture_uploads ORDER BY thumbnail_of IS NULL, sha256",
            )
            .map_err(ReplicaError::from)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(ReplicaError::from)?
            .collect::<Result<_, _>>()
            .map_err(ReplicaError::from)?;
        let total = queued.len() as u64;
        // No picture waiting, no picture phase in the sync's progress.
        if total == 0 {
            return Ok(());
        }
        for (done, (name, prospect, thumbnail_of)) in queued.into_iter().enumerate() {
            self.keep_going()?;
            progress(done as u64, total);
            let Ok(prospect) = <[u8; 16]>::try_from(prospect).map(ProspectId::from_bytes) else {
                self.unqueue(&name, None)?;
                continue;
            };
            let Some(photo) = self.photo(&name)? else {
                self.unqueue(&name, Some(prospect))?;
                continue;
            };
            let upload = Upload { name: name.clone(), prospect, thumbnail_of };
            match self.upload_one(client, token, &upload, &photo.bytes, report) {
                Ok(()) => {
                    self.mark_on_server(&name)?;
                    report.uploaded += 1;
                }
                Err(SyncError::Refused { .. }) => report.refused += 1,
                Err(e) => return Err(e),
            }
            self.unqueue(&name, Some(prospect))?;
        }
        progress(total, total);
        Ok(())
    }

    fn upload_one(
        &self,
        client: &SyncClient,
        token: &str,
        upload: &Upload,
        bytes: &[u8],
        report: &mut PictureReport,
    ) -> Result<(), SyncError> {
        let length = bytes.len() as u64;
        let mut state = client.picture_upload_state(token, upload)?;
        while !state.complete {
            self.keep_going()?;
            let start = usize::try_from(state.offset).unwrap_or(usize::MAX).min(bytes.len());
            let chunk = &bytes[start..(start + PICTURE_CHUNK_BYTES).min(bytes.len())];
            // Counted as sent before it goes: a chunk cut off on the way was sent all the same.
            report.bytes_sent += chunk.len() as u64;
            state = match client.append_picture(token, upload, (state.offset, length), chunk) {
                Ok(state) => state,
                // Another try of this device got there first: go on from where the server is.
                Err(SyncError::Refused { code, .. }) if code == "wrong_offset" => {
                    client.picture_upload_state(token, upload)?
                }
                Err(e) => return Err(e),
            };
        }
        Ok(())
    }

    fn unqueue(&self, name: &str, prospect: Option<ProspectId>) -> Result<(), ReplicaError> {
        match prospect {
            Some(prospect) => self.conn.execute(
                "DELETE FROM picture_uploads WHERE sha256 = ?1 AND prospect_id = ?2",
                params![name, prospect.as_bytes()],
            )?,
            None => self.conn.execute("DELETE FROM picture_uploads WHERE sha256 = ?1", [name])?,
        };
        Ok(())
    }

    /// Fetches the thumbnails the server has for pictures of `scopes` that this device lacks
    /// (after a pull: lists and cards show them offline); answers with how many came.
    pub fn fetch_thumbnails(
        &mut self,
        client: &SyncClient,
        token: &str,
        scopes: &[census_core::TerritoryId],
        now: census_core::Timestamp,
    ) -> Result<u64, SyncError> {
        let mut fetched = 0;
        for scope in scopes {
            let mut after = String::new();
            loop {
                let page = client.thumbnails(token, *scope, &after)?;
                let Some(last) = page.last() else { break };
                after = last.picture.clone();
                for entry in &page {
                    self.keep_going()?;
                    if !census_core::pictures::is_picture_name(&entry.picture) || self.has_thumbnail(&entry.picture)? {
                        continue;
                    }
                    let (_, bytes) = client.download_picture(token, &entry.thumbnail)?;
                    if crate::photos::hex_sha256(&bytes) == entry.thumbnail {
                        self.keep_thumbnail(&entry.picture, &bytes, now)?;
                        fetched += 1;
                    }
                }
            }
        }
        Ok(fetched)
    }

    /// Fetches picture `name` from the server and keeps it here (for a prospect this device
    /// reads, in the cache of originals); answers with its bytes. Bytes that do not hash to the
    /// name are not kept.
    pub fn fetch_picture(
        &mut self,
        client: &SyncClient,
        name: &str,
        now: census_core::Timestamp,
    ) -> Result<Vec<u8>, SyncError> {
        if let Some(photo) = self.photo(name)? {
            return Ok(photo.bytes);
        }
        let token = self.token()?.ok_or(SyncError::SignedOut)?;
        self.fetch_checked(client, &token, name, now)
    }
}

/// One picture to upload: its name, the prospect it is for, and the picture it is the
/// thumbnail of, if it is one.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    name: String,
    prospect: ProspectId,
    thumbnail_of: Option<String>,
}

impl Upload {
    fn query(&self) -> Vec<(&'static str, String)> {
        let mut query = vec![("prospect", self.prospect.to_string())];
        if let Some(of) = &self.thumbnail_of {
            query.push(("thumbnail_of", of.clone()));
        }
        query
    }
}
