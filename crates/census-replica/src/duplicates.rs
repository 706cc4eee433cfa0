//! Duplicates: warning an agent before adding a shop twice, finding the likely pairs of the
//! whole base for a manager, merging one into the other, and setting look-alikes apart.
//!
//! The search reads only the projection rows (names, addresses, phones, positions) and leaves
//! the pairing to census-core's [`likely_pairs`](census_core::likely_pairs); merging and setting
//! apart are edits of both documents in one transaction, so they sync like any other edit.

use std::collections::HashSet;

use census_core::{DuplicateProbe, EditContext, Location, MergeSummary, ProspectId, ProspectRow, Timestamp};
use serde::{Deserialize, Serialize};

use crate::documents::load_document;
use crate::error::ReplicaError;
use crate::queries::{SELECT_ROW, read_row};
use crate::replica::{Replica, edit_in};

/// A prospect already on the device that a new one may duplicate, with the reasons in words.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    pub row: ProspectRow,
    pub score: f64,
    pub reasons: Vec<census_core::Localized>,
}

/// Two prospects of the base that look like the same shop, and why.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePair {
    pub first: ProspectRow,
    pub second: ProspectRow,
    pub score: f64,
    pub reasons: Vec<census_core::Localized>,
}

/// The likeliest pairs of the base, and how many there are in all.
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicatePairs {
    pub total: u32,
    pub pairs: Vec<DuplicatePair>,
}

/// What a row says about its prospect, for scoring it.
pub(crate) fn probe_of(
    name: String,
    address: String,
    phones: &str,
    lat: Option<f64>,
    lon: Option<f64>,
) -> DuplicateProbe {
    DuplicateProbe {
        name,
        address,
        phones: phones.split(", ").filter(|p| !p.is_empty()).map(str::to_owned).collect(),
        // The moment a position was taken plays no part in scoring.
        location: lat.zip(lon).map(|(lat, lon)| Location {
            lat,
            lon,
            accuracy_m: None,
            at: Timestamp::from_unix_millis(0),
        }),
    }
}

impl Replica {
    /// The prospects within `radius_m` of `probe`'s position that census-core scores as likely
    /// duplicates of it, the likeliest first: what an agent is warned about before adding one.
    pub fn likely_duplicates(
        &self,
        probe: &DuplicateProbe,
        radius_m: f64,
    ) -> Result<Vec<DuplicateCandidate>, ReplicaError> {
        let Some(at) = probe.location else { return Ok(Vec::new()) };
        let mut found: Vec<DuplicateCandidate> = self
            .nearby(at.lat, at.lon, radius_m, 200)?
            .into_iter()
            .filter_map(|(row, _)| {
                let other = probe_of(row.name.clone(), row.address.clone(), &row.phones, row.lat, row.lon);
                let score = census_core::score_duplicate(probe, &other);
                score.is_likely().then(|| DuplicateCandidate {
                    reasons: score.reasons.iter().map(|r| r.describe()).collect(),
                    score: score.score,
                    row,
                })
            })
            .collect();
        found.sort_by(|a, b| b.score.total_cmp(&a.score));
        Ok(found)
    }

    /// The `limit` likeliest duplicate pairs among every prospect on the device (merged and
    /// deleted ones aside), leaving out pairs a manager has set apart.
    pub fn duplicate_pairs(&self, limit: usize) -> Result<DuplicatePairs, ReplicaError> {
        let mut statement = self.conn.prepare(
            "SELECT row, id, name, address, phones, lat, lon, distinct_from FROM prospects \
             WHERE deleted = 0 AND merged_into IS NULL",
        )?;
        let mut rows = Vec::new();
        let mut ids = Vec::new();
        let mut probes = Vec::new();
        let mut set_apart: HashSet<(ProspectId, ProspectId)> = HashSet::new();
        let mut query = statement.query([])?;
        while let Some(r) = query.next()? {
            rows.push(r.get::<_, i64>(0)?);
            let id = <[u8; 16]>::try_from(r.get::<_, Vec<u8>>(1)?)
                .map(ProspectId::from_bytes)
                .map_err(|_| ReplicaError::Corrupt("a prospect's id is damaged".into()))?;
            let distinct_from: String = r.get(7)?;
            set_apart.extend(distinct_from.split(' ').filter_map(|other| Some((id, other.parse().ok()?))));
            ids.push(id);
            probes.push(probe_of(r.get(2)?, r.get(3)?, &r.get::<_, String>(4)?, r.get(5)?, r.get(6)?));
        }
        self.keep_going()?;
        let apart = |a: usize, b: usize| set_apart.contains(&(ids[a], ids[b])) || set_apart.contains(&(ids[b], ids[a]));
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        let found = census_core::likely_pairs(&probes, apart, workers);
        self.keep_going()?;
        let shown = &found[..found.len().min(limit)];
        let wanted: Vec<i64> = shown.iter().flat_map(|p| [rows[p.first], rows[p.second]]).collect();
        let mut by_row = std::collections::HashMap::new();
        let mut statement =
            self.conn.prepare(&format!("{SELECT_ROW} WHERE row IN (SELECT value FROM json_each(?1))"))?;
        let mut query =
            statement.query([serde_json::to_string(&wanted).map_err(|e| ReplicaError::Storage(e.to_string()))?])?;
        while let Some(r) = query.next()? {
            by_row.insert(r.get::<_, i64>(crate::queries::ROW_NUMBER)?, read_row(r)?);
        }
        let pairs = shown
            .iter()
            .filter_map(|p| {
                let why = census_core::score_duplicate(&probes[p.first], &probes[p.second]);
                Some(DuplicatePair {
                    first: by_row.get(&rows[p.first])?.clone(),
                    second: by_row.get(&rows[p.second])?.clone(),
                    score: p.score,
                    reasons: why.reasons.iter().map(|r| r.describe()).collect(),
                })
            })
            .collect();
        Ok(DuplicatePairs { total: u32::try_from(found.len()).unwrap_or(u32::MAX), pairs })
    }

    /// Merges `duplicate` into `survivor`: the survivor takes its visits, contacts, tags,
    /// photos and notes and fills its empty fields from it; the duplicate is marked merged into
    /// the survivor and leaves every list. Both edits commit together.
    pub fn merge_duplicate(
        &mut self,
        survivor: ProspectId,
        duplicate: ProspectId,
        ctx: &EditContext,
    ) -> Result<MergeSummary, ReplicaError> {
        let tx = self.conn.transaction()?;
        let taken = load_document(&tx, duplicate, self.device)?.read();
        if taken.merged_into.is_some() {
            return Err(ReplicaError::AlreadyMerged(duplicate));
        }
        if load_document(&tx, survivor, self.device)?.read().merged_into.is_some() {
            return Err(ReplicaError::AlreadyMerged(survivor));
        }
        let mut summary = MergeSummary::default();
        edit_in(&tx, self.device, survivor, ctx, |p| p.absorb(&taken).map(|s| summary = s))?;
        edit_in(&tx, self.device, duplicate, ctx, |p| p.mark_merged_into(survivor))?;
        tx.commit()?;
        Ok(summary)
    }

    /// Records that `a` and `b` are different prospects, on both, so that neither is proposed
    /// as the other's duplicate again on any device.
    pub fn set_apart(&mut self, a: ProspectId, b: ProspectId, ctx: &EditContext) -> Result<(), ReplicaError> {
        let tx = self.conn.transaction()?;
        edit_in(&tx, self.device, a, ctx, |p| p.mark_distinct_from(b))?;
        edit_in(&tx, self.device, b, ctx, |p| p.mark_distinct_from(a))?;
        tx.commit()?;
        Ok(())
    }
}
