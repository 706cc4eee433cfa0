//! The originals of pictures on this device are a cache with a size cap: the least recently
//! looked at go first when room is needed. A picture the server does not have yet (waiting to
//! be uploaded, or refused and so kept only here) never goes, nor does any thumbnail: lists and
//! cards show thumbnails offline, and an original that went is fetched again when opened.
//!
//! Before going where there is no network, an agent downloads the originals of their
//! territories, as many as the cap leaves room for.

use serde::{Deserialize, Serialize};

use crate::error::ReplicaError;
use crate::replica::{Replica, info, set_info};
use crate::sync_client::{SyncClient, SyncError};

/// The cap unless the person sets another: a thousand phone photos or so.
pub const DEFAULT_PICTURE_CACHE_BYTES: u64 = 2 << 30;
/// The smallest cap: room for the largest picture, several times over.
pub const MIN_PICTURE_CACHE_BYTES: u64 = 100 << 20;

/// The originals on this device, against the cap.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PictureCache {
    pub limit_bytes: u64,
    /// Originals kept here, and their bytes.
    pub kept: u64,
    pub kept_bytes: u64,
    /// Of those, the bytes that may not go: the server does not have them yet.
    pub pinned_bytes: u64,
}

/// What downloading a territory's pictures did.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PictureDownload {
    /// Downloaded now, and their bytes.
    pub fetched: u64,
    pub bytes: u64,
    /// On this device already.
    pub already_here: u64,
    /// Left on the server: the cap has no room for them.
    pub left_out: u64,
}

/// A picture of a territory as the server lists it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ListedPicture {
    pub name: String,
    pub bytes: u64,
}

impl SyncClient {
    /// The pictures of `scope`'s prospects the server has whole, after picture `after`.
    pub(crate) fn territory_pictures(
        &self,
        token: &str,
        scope: census_core::TerritoryId,
        after: &str,
    ) -> Result<Vec<ListedPicture>, SyncError> {
        let query = [("scope", scope.to_string()), ("after", after.to_owned())];
        self.get_json_with(token, "pictures", &query, "list of pictures")
    }
}

impl Replica {
    /// The originals kept here, against the cap.
    pub fn picture_cache(&self) -> Result<PictureCache, ReplicaError> {
        let (kept, kept_bytes, pinned_bytes) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(length(p.bytes)), 0), \
             coalesce(sum(CASE WHEN coalesce(u.on_server, 0) = 0 \
             OR EXISTS (SELECT 1 FROM picture_uploads q WHERE q.sha256 = p.sha256) THEN length(p.bytes) ELSE 0 END), 0) \
             FROM photos p LEFT JOIN picture_use u ON u.sha256 = p.sha256 WHERE p.thumbnail_of IS NULL",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
        )?;
        Ok(PictureCache {
            limit_bytes: self.picture_cache_limit()?,
            kept: kept.unsigned_abs(),
            kept_bytes: kept_bytes.unsigned_abs(),
            pinned_bytes: pinned_bytes.unsigned_abs(),
        })
    }

    fn picture_cache_limit(&self) -> Result<u64, ReplicaError> {
        let set = info(&self.conn, "picture_cache_bytes")?.and_then(|v| v.parse().ok());
        Ok(set.unwrap_or(DEFAULT_PICTURE_CACHE_BYTES))
    }

    /// Sets the cap (at least [`MIN_PICTURE_CACHE_BYTES`]) and makes room under it at once.
    pub fn set_picture_cache_limit(&mut self, bytes: u64) -> Result<PictureCache, ReplicaError> {
        if bytes < MIN_PICTURE_CACHE_BYTES {
            let least = MIN_PICTURE_CACHE_BYTES >> 20;
            return Err(ReplicaError::InvalidPhoto(census_core::Localized::new(
                format!("место для фото — не меньше {least} МБ"),
                format!("the room for photos is at least {least} MB"),
            )));
        }
        set_info(&self.conn, "picture_cache_bytes", &bytes.to_string())?;
        self.trim_picture_cache()?;
        self.picture_cache()
    }

    /// Notes that picture `name` was just looked at: it goes last.
    pub(crate) fn touch_picture(&self, name: &str) -> Result<(), ReplicaError> {
        self.conn
            .prepare_cached(
                "INSERT INTO picture_use (sha256, used) VALUES (?1, (SELECT coalesce(max(used), 0) + 1 FROM picture_use)) \
                 ON CONFLICT (sha256) DO UPDATE SET used = excluded.used",
            )?
            .execute([name])?;
        Ok(())
    }

    /// Notes that the server has picture `name` whole: this device's copy may go for room.
    pub(crate) fn mark_on_server(&self, name: &str) -> Result<(), ReplicaError> {
        self.conn
            .prepare_cached(
                "INSERT INTO picture_use (sha256, on_server) VALUES (?1, 1) ON CONFLICT (sha256) DO UPDATE SET on_server = 1",
            )?
            .execute([name])?;
        Ok(())
    }

    /// Lets the least recently looked-at originals the server has go until the rest fit under
    /// the cap; answers how many went.
    pub fn trim_picture_cache(&self) -> Result<u64, ReplicaError> {
        let limit = self.picture_cache_limit()?;
        let mut kept = self.picture_cache()?.kept_bytes;
        if kept <= limit {
            return Ok(0);
        }
        let candidates: Vec<(String, u64)> = self
            .conn
            .prepare(
                "SELECT p.sha256, length(p.bytes) FROM photos p JOIN picture_use u ON u.sha256 = p.sha256 \
                 WHERE p.thumbnail_of IS NULL AND u.on_server = 1 \
                 AND NOT EXISTS (SELECT 1 FROM picture_uploads q WHERE q.sha256 = p.sha256) ORDER BY u.used",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs())))?
            .collect::<Result<_, _>>()?;
        let mut gone = 0;
        for (name, bytes) in candidates {
            if kept <= limit {
                break;
            }
            self.conn.prepare_cached("DELETE FROM photos WHERE sha256 = ?1")?.execute([&name])?;
            self.conn.prepare_cached("DELETE FROM picture_use WHERE sha256 = ?1")?.execute([&name])?;
            kept = kept.saturating_sub(bytes);
            gone += 1;
        }
        Ok(gone)
    }

    /// Downloads the originals of `territory`'s prospects (or those of every territory this
    /// device syncs) that this device lacks, as many as fit under the cap beside the pictures
    /// that may not go; ones here already are kept first.
    pub fn download_pictures(
        &mut self,
        client: &SyncClient,
        territory: Option<census_core::TerritoryId>,
        now: census_core::Timestamp,
    ) -> Result<PictureDownload, SyncError> {
        let token = self.token()?.ok_or(SyncError::SignedOut)?;
        let scopes = match territory {
            Some(territory) => vec![territory],
            None => self.synced_scopes()?,
        };
        let mut listed = Vec::new();
        for scope in &scopes {
            let mut after = String::new();
            loop {
                self.keep_going()?;
                let page = client.territory_pictures(&token, *scope, &after)?;
                let Some(last) = page.last() else { break };
                after = last.name.clone();
                listed.extend(page.into_iter().filter(|p| census_core::pictures::is_picture_name(&p.name)));
            }
        }
        listed.sort_by(|a, b| a.name.cmp(&b.name));
        listed.dedup_by(|a, b| a.name == b.name);
        let mut download = PictureDownload::default();
        let mut wanted = Vec::new();
        let mut room = self.picture_cache_limit()?.saturating_sub(self.picture_cache()?.pinned_bytes);
        for picture in listed {
            let here: bool = self
                .conn
                .prepare_cached("SELECT EXISTS (SELECT 1 FROM photos WHERE sha256 = ?1)")
                .and_then(|mut s| s.query_row([&picture.name], |r| r.get(0)))
                .map_err(ReplicaError::from)?;
            if here {
                // Looked at now: the territory's pictures are what the agent wants kept.
                self.touch_picture(&picture.name)?;
                download.already_here += 1;
                room = room.saturating_sub(picture.bytes);
            } else {
                wanted.push(picture);
            }
        }
        let total = wanted.len();
        for (done, picture) in wanted.into_iter().enumerate() {
            self.step(done, total)?;
            if picture.bytes > room {
                download.left_out += 1;
                continue;
            }
            let fetched = self.fetch_checked(client, &token, &picture.name, now)?.len() as u64;
            room = room.saturating_sub(fetched);
            download.fetched += 1;
            download.bytes += fetched;
        }
        self.step(total, total)?;
        Ok(download)
    }

    /// The territories this device pulls.
    fn synced_scopes(&self) -> Result<Vec<census_core::TerritoryId>, ReplicaError> {
        let scopes: Vec<Vec<u8>> = self
            .conn
            .prepare("SELECT scope FROM scope_cursors ORDER BY scope")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(scopes
            .into_iter()
            .filter_map(|scope| <[u8; 16]>::try_from(scope).ok().map(census_core::TerritoryId::from_bytes))
            .collect())
    }

    /// Fetches picture `name` from the server and keeps it: looked at now, and free to go for
    /// room later. Bytes that do not hash to the name are not kept.
    pub(crate) fn fetch_checked(
        &mut self,
        client: &SyncClient,
        token: &str,
        name: &str,
        now: census_core::Timestamp,
    ) -> Result<Vec<u8>, SyncError> {
        let (mime, bytes) = client.download_picture(token, name)?;
        if crate::photos::hex_sha256(&bytes) != name {
            return Err(SyncError::Server("the server sent other bytes than the picture asked for".into()));
        }
        self.store_photo(&bytes, &mime, now)?;
        self.mark_on_server(name)?;
        self.trim_picture_cache()?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_seen_picture_the_server_has_goes_first_and_no_other() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut replica = Replica::create(&dir.path().join("cache.census"), census_core::DeviceId::from_bytes([1; 16]))
            .unwrap_or_else(|e| panic!("{e}"));
        let at = census_core::Timestamp::from_unix_millis(1_795_800_000_000);
        let picture = |fill: u8| {
            let mut bytes = vec![fill; 19 << 20];
            bytes[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
            bytes
        };
        let mut names = Vec::new();
        for fill in 1..=6u8 {
            names.push(replica.store_photo(&picture(fill), "image/jpeg", at).unwrap_or_else(|e| panic!("{e}")).sha256);
        }
        // The first is taken here and not uploaded yet; the others came from the server.
        for name in &names[1..] {
            replica.mark_on_server(name).unwrap_or_else(|e| panic!("{e}"));
        }
        replica.touch_picture(&names[0]).unwrap_or_else(|e| panic!("{e}"));
        replica.touch_picture(&names[1]).unwrap_or_else(|e| panic!("{e}"));
        assert!(replica.set_picture_cache_limit(10 << 20).is_err(), "too small a cap is refused");
        let cache = replica.set_picture_cache_limit(100 << 20).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((cache.kept, cache.kept_bytes, cache.pinned_bytes), (5, 95 << 20, 19 << 20));
        let here = |name: &str| replica.photo(name).unwrap_or_else(|e| panic!("{e}")).is_some();
        assert!(here(&names[0]), "never the one only this device has");
        assert!(!here(&names[2]), "the least recently looked at went");
        assert!(here(&names[1]));
    }
}
