//! Likely duplicates across a whole base, for the manager's duplicates screen.
//!
//! Scoring every pair of 100,000 prospects would be five billion comparisons. A pair is only
//! scored when something could make it a duplicate ("blocking"):
//! - positions less than [`NEAR_ENOUGH_M`] apart: prospects fall into square cells of that
//!   size, and each cell is compared with itself and its neighbours;
//! - the same phone number (a shop moved by a wrong GPS fix still shares its phone);
//! - the same name, once normalised (the same shop with no position, or a wrong one).
//!
//! Each prospect's texts are normalised once, not once per pair.

use std::collections::HashMap;

use crate::duplicates::{DuplicateProbe, Evidence, PreparedProbe};

/// Prospects farther apart than this are only compared when they share a phone: beyond it
/// position adds no evidence ([`crate::score_duplicate`]).
pub const NEAR_ENOUGH_M: f64 = 300.0;

/// A phone or name shared by more prospects than this (a chain's hotline, "Продукты") says
/// nothing about any pair of them, and would make the search quadratic.
const LARGEST_SHARED_GROUP: usize = 30;

const METERS_PER_DEGREE: f64 = 111_320.0;

/// How far apart the position search looks: [`NEAR_ENOUGH_M`] with a margin for measuring on
/// the flat, so that no pair the exact distance puts within reach is missed.
const REACH_M: f64 = NEAR_ENOUGH_M * 1.01;

/// Two prospects, by their index in the probes searched, that score as likely the same. The
/// reasons are left to [`crate::score_duplicate`], for the pairs that are shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LikelyPair {
    pub first: usize,
    pub second: usize,
    pub score: f64,
}

/// Every pair of `probes` scoring as a likely duplicate, the likeliest first, leaving out the
/// pairs `set_apart` says a manager has already judged distinct. The work is shared among
/// `workers` threads (the result is the same for any number).
pub fn likely_pairs(
    probes: &[DuplicateProbe],
    set_apart: impl Fn(usize, usize) -> bool + Sync,
    workers: usize,
) -> Vec<LikelyPair> {
    let prepared: Vec<PreparedProbe> = probes.iter().map(PreparedProbe::new).collect();
    let blocks = Blocks::of(&prepared);
    let workers = workers.clamp(1, 64);
    let mut found: Vec<LikelyPair> = std::thread::scope(|scope| {
        let shares: Vec<_> = (0..workers)
            .map(|share| {
                let (blocks, set_apart) = (&blocks, &set_apart);
                scope.spawn(move || blocks.search(share, workers, set_apart))
            })
            .collect();
        shares
            .into_iter()
            .flat_map(|share| share.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    });
    // A pair sharing both a phone and a name may have been scored twice.
    found.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then((a.first, a.second).cmp(&(b.first, b.second))));
    found.dedup_by_key(|p| (p.first, p.second));
    found
}

/// The prospects grouped so that only pairs within a group, or in neighbouring cells, are
/// compared.
struct Blocks<'a> {
    prepared: &'a [PreparedProbe],
    /// The cosine of each prospect's latitude, for distances on the flat.
    cos_lat: Vec<f64>,
    /// Prospects with a position by cell (row, column), in cell order.
    cells: Vec<((i64, i64), Vec<usize>)>,
    cell_index: HashMap<(i64, i64), usize>,
    /// Prospects sharing a phone, or a name, in groups small enough to say something.
    groups: Vec<Vec<usize>>,
}

impl<'a> Blocks<'a> {
    fn of(prepared: &'a [PreparedProbe]) -> Blocks<'a> {
        let cos_lat = prepared.iter().map(|p| p.location.map_or(1.0, |l| l.lat.to_radians().cos())).collect();
        // Cells are REACH_M high everywhere and at least that wide: a degree of longitude is
        // shortest at the base's highest latitude, so that one sets the width.
        let widest = prepared.iter().filter_map(|p| p.location.map(|l| l.lat.abs())).fold(0.0, f64::max);
        let cell_lat = REACH_M / METERS_PER_DEGREE;
        let cell_lon = REACH_M / (METERS_PER_DEGREE * widest.to_radians().cos().max(0.01));
        let mut by_cell: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        let mut by_phone: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, probe) in prepared.iter().enumerate() {
            if let Some(at) = probe.location {
                let cell = ((at.lat / cell_lat).floor() as i64, (at.lon / cell_lon).floor() as i64);
                by_cell.entry(cell).or_default().push(i);
            }
            for phone in probe.phones() {
                let group = by_phone.entry(phone.as_str()).or_default();
                if group.last() != Some(&i) {
                    group.push(i);
                }
            }
            if !probe.name_key().is_empty() {
                by_name.entry(probe.name_key()).or_default().push(i);
            }
        }
        let mut cells: Vec<((i64, i64), Vec<usize>)> = by_cell.into_iter().collect();
        cells.sort_unstable_by_key(|(cell, _)| *cell);
        let cell_index = cells.iter().enumerate().map(|(k, (cell, _))| (*cell, k)).collect();
        let mut groups: Vec<Vec<usize>> = by_phone
            .into_values()
            .chain(by_name.into_values())
            .filter(|g| g.len() > 1 && g.len() <= LARGEST_SHARED_GROUP)
            .collect();
        groups.sort_unstable();
        Blocks { prepared, cos_lat, cells, cell_index, groups }
    }

    /// The likely pairs of one `share` of `shares` of the cells and groups.
    fn search(&self, share: usize, shares: usize, set_apart: &impl Fn(usize, usize) -> bool) -> Vec<LikelyPair> {
        let mut found = Vec::new();
        let mut consider = |a: usize, b: usize| {
            let (first, second) = (a.min(b), a.max(b));
            if let Some(score) = Evidence::likely_score(&self.prepared[first], &self.prepared[second])
                && !set_apart(first, second)
            {
                found.push(LikelyPair { first, second, score });
            }
        };
        // Each cell against itself and the four neighbours after it, so every pair of
        // neighbouring cells is visited once.
        const AFTER: [(i64, i64); 4] = [(0, 1), (1, -1), (1, 0), (1, 1)];
        for ((row, column), members) in self.cells.iter().skip(share).step_by(shares) {
            for (k, &a) in members.iter().enumerate() {
                for &b in members[k + 1..].iter().filter(|b| self.near(a, **b)) {
                    consider(a, b);
                }
            }
            for (dr, dc) in AFTER {
                let Some(&other) = self.cell_index.get(&(row + dr, column + dc)) else { continue };
                for &a in members {
                    for &b in self.cells[other].1.iter().filter(|b| self.near(a, **b)) {
                        consider(a, b);
                    }
                }
            }
        }
        // Pairs in a group not already scored by position.
        for group in self.groups.iter().skip(share).step_by(shares) {
            for (k, &a) in group.iter().enumerate() {
                for &b in group[k + 1..].iter().filter(|b| !self.near(a, **b)) {
                    consider(a, b);
                }
            }
        }
        found
    }

    /// Were `a` and `b` scored by the position search? Measured on the flat, which is within a
    /// fraction of a percent at these distances.
    fn near(&self, a: usize, b: usize) -> bool {
        let (Some(la), Some(lb)) = (&self.prepared[a].location, &self.prepared[b].location) else { return false };
        let north = (la.lat - lb.lat) * METERS_PER_DEGREE;
        let east = (la.lon - lb.lon) * METERS_PER_DEGREE * 0.5 * (self.cos_lat[a] + self.cos_lat[b]);
        north * north + east * east <= REACH_M * REACH_M
    }
}

/// The prospects already in a base, indexed so that an incoming one (an imported row) finds the
/// one it most likely is, by the same blocking as [`likely_pairs`]: neighbouring cells, shared
/// phones, a shared name.
#[derive(Debug)]
pub struct MatchIndex {
    prepared: Vec<PreparedProbe>,
    cell_lat: f64,
    cell_lon: f64,
    cells: HashMap<(i64, i64), Vec<usize>>,
    phones: HashMap<String, Vec<usize>>,
    names: HashMap<String, Vec<usize>>,
}

impl MatchIndex {
    pub fn new(existing: &[DuplicateProbe]) -> MatchIndex {
        let prepared: Vec<PreparedProbe> = existing.iter().map(PreparedProbe::new).collect();
        // Wide enough for any latitude people live at, so incoming rows anywhere find their cells.
        let cell_lat = REACH_M / METERS_PER_DEGREE;
        let cell_lon = REACH_M / (METERS_PER_DEGREE * 75f64.to_radians().cos());
        let mut index = MatchIndex {
            cells: HashMap::new(),
            phones: HashMap::new(),
            names: HashMap::new(),
            cell_lat,
            cell_lon,
            prepared: Vec::new(),
        };
        for (i, probe) in prepared.iter().enumerate() {
            if let Some(cell) = index.cell_of(probe) {
                index.cells.entry(cell).or_default().push(i);
            }
            for phone in probe.phones() {
                index.phones.entry(phone.clone()).or_default().push(i);
            }
            if !probe.name_key().is_empty() {
                index.names.entry(probe.name_key().to_owned()).or_default().push(i);
            }
        }
        index.prepared = prepared;
        index
    }

    fn cell_of(&self, probe: &PreparedProbe) -> Option<(i64, i64)> {
        probe.location.map(|at| ((at.lat / self.cell_lat).floor() as i64, (at.lon / self.cell_lon).floor() as i64))
    }

    /// The existing prospect `incoming` most likely is, by its index, with its score, if that
    /// score reaches `threshold`.
    pub fn best_match(&self, incoming: &DuplicateProbe, threshold: f64) -> Option<(usize, f64)> {
        let probe = PreparedProbe::new(incoming);
        let mut candidates: Vec<usize> = Vec::new();
        if let Some((row, column)) = self.cell_of(&probe) {
            for dr in -1..=1 {
                for dc in -1..=1 {
                    candidates.extend(self.cells.get(&(row + dr, column + dc)).into_iter().flatten());
                }
            }
        }
        for phone in probe.phones() {
            candidates.extend(self.phones.get(phone).into_iter().flatten().take(LARGEST_SHARED_GROUP));
        }
        candidates.extend(self.names.get(probe.name_key()).into_iter().flatten().take(LARGEST_SHARED_GROUP));
        candidates.sort_unstable();
        candidates.dedup();
        // Neighbours in the cells count only within reach; shared phones and names always.
        let within_reach = |i: &usize| {
            let other = &self.prepared[*i];
            let near = match (&probe.location, &other.location) {
                (Some(a), Some(b)) => {
                    let north = (a.lat - b.lat) * METERS_PER_DEGREE;
                    let east = (a.lon - b.lon) * METERS_PER_DEGREE * a.lat.to_radians().cos();
                    north * north + east * east <= REACH_M * REACH_M
                }
                _ => false,
            };
            near || other.phones().iter().any(|p| probe.phones().contains(p)) || other.name_key() == probe.name_key()
        };
        candidates
            .into_iter()
            .filter(within_reach)
            .map(|i| (i, Evidence::between(&self.prepared[i], &probe).score()))
            .filter(|(_, score)| *score >= threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prospect::Location;
    use crate::time::Timestamp;

    fn probe(name: &str, phone: &str, at: Option<(f64, f64)>) -> DuplicateProbe {
        DuplicateProbe {
            name: name.into(),
            address: String::new(),
            phones: if phone.is_empty() { vec![] } else { vec![phone.into()] },
            location: at.map(|(lat, lon)| Location { lat, lon, accuracy_m: None, at: Timestamp::from_unix_millis(0) }),
        }
    }

    /// Every likely pair, by brute force.
    fn every_pair(probes: &[DuplicateProbe]) -> Vec<(usize, usize)> {
        let mut pairs = Vec::new();
        for a in 0..probes.len() {
            for b in a + 1..probes.len() {
                if crate::score_duplicate(&probes[a], &probes[b]).is_likely() {
                    pairs.push((a, b));
                }
            }
        }
        pairs
    }

    #[test]
    fn finds_pairs_by_position_phone_and_name() {
        let probes = vec![
            probe("Ромашка", "", Some((56.8500, 35.9000))),
            probe("ООО Ромашка", "", Some((56.8501, 35.9001))), // 13 m from the first
            probe("Колос", "+7 912 345-67-89", Some((56.9000, 36.0000))),
            probe("Колос на Мира", "8 912 345 67 89", Some((56.9050, 36.0000))), // 556 m, same phone
            probe("Аптека Здоровье", "", None),
            probe("аптека «Здоровье»", "", Some((56.7, 35.8))),
            probe("Уют", "", Some((56.8500, 35.9040))), // 244 m from the first, another name
        ];
        let found = likely_pairs(&probes, |_, _| false, 2);
        let mut pairs: Vec<(usize, usize)> = found.iter().map(|p| (p.first, p.second)).collect();
        pairs.sort();
        assert_eq!(pairs, vec![(0, 1), (2, 3), (4, 5)]);
        assert_eq!(pairs, every_pair(&probes), "blocking misses no pair brute force finds here");
        assert!(found.windows(2).all(|w| w[0].score >= w[1].score), "likeliest first");
    }

    #[test]
    fn cells_do_not_hide_neighbours_across_their_edges() {
        // Pairs straddling cell boundaries in every direction, at a high latitude.
        let mut probes = Vec::new();
        for k in 0..40 {
            let lat = 67.0 + k as f64 * 0.00137;
            let lon = 33.0 + k as f64 * 0.00291;
            probes.push(probe(&format!("Магазин {k}"), "", Some((lat, lon))));
            probes.push(probe(&format!("Магазин {k}"), "", Some((lat + 0.0004, lon - 0.0007))));
        }
        let mut pairs: Vec<(usize, usize)> =
            likely_pairs(&probes, |_, _| false, 2).iter().map(|p| (p.first, p.second)).collect();
        pairs.sort();
        let near = |(a, b): &(usize, usize)| {
            probes[*a].location.unwrap().distance_m(&probes[*b].location.unwrap()) <= NEAR_ENOUGH_M
        };
        let near_pairs: Vec<(usize, usize)> = every_pair(&probes).into_iter().filter(near).collect();
        assert!(near_pairs.len() >= 40);
        assert_eq!(pairs.iter().copied().filter(near).collect::<Vec<_>>(), near_pairs);
        let alone = likely_pairs(&probes, |_, _| false, 1);
        assert_eq!(likely_pairs(&probes, |_, _| false, 3), alone, "any number of workers finds the same");
    }

    #[test]
    fn pairs_set_apart_are_left_out() {
        let probes = vec![probe("Ромашка", "", Some((56.85, 35.9))), probe("Ромашка", "", Some((56.85, 35.9)))];
        assert_eq!(likely_pairs(&probes, |_, _| false, 2).len(), 1);
        assert!(likely_pairs(&probes, |a, b| (a, b) == (0, 1), 1).is_empty());
    }

    #[test]
    fn a_hotline_shared_by_a_chain_is_not_evidence() {
        // Alone, a shared phone would make any two of these likely duplicates.
        let probes: Vec<DuplicateProbe> = (0..100).map(|_| probe("", "8 800 555-55-55", None)).collect();
        assert!(crate::score_duplicate(&probes[0], &probes[1]).is_likely());
        assert!(likely_pairs(&probes, |_, _| false, 2).is_empty());
    }

    #[test]
    fn an_incoming_prospect_finds_the_one_it_most_likely_is() {
        let index = MatchIndex::new(&[
            probe("Ромашка", "", Some((56.85, 35.9))),
            probe("Колос", "+7 912 345-67-89", Some((56.95, 36.1))),
            probe("Аптека Здоровье", "", None),
        ]);
        assert_eq!(index.best_match(&probe("ООО Ромашка", "", Some((56.8501, 35.9))), 0.6).map(|m| m.0), Some(0));
        assert_eq!(index.best_match(&probe("Колос", "8 912 345 67 89", None), 0.6).map(|m| m.0), Some(1));
        assert_eq!(index.best_match(&probe("аптека «Здоровье»", "", Some((50.0, 30.0))), 0.6).map(|m| m.0), Some(2));
        assert_eq!(index.best_match(&probe("Уют", "", Some((56.85, 35.9))), 0.6), None);
        // A higher threshold turns a likely match into a new prospect.
        assert_eq!(index.best_match(&probe("ООО Ромашка", "", Some((56.8501, 35.9))), 0.99), None);
    }
}
