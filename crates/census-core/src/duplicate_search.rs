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

use std::collections::{HashMap, HashSet};

use crate::duplicates::{DuplicateProbe, DuplicateScore, PreparedProbe, score_prepared};

/// Prospects farther apart than this are only compared when they share a phone: beyond it
/// position adds no evidence ([`crate::score_duplicate`]).
pub const NEAR_ENOUGH_M: f64 = 300.0;

/// A phone or name shared by more prospects than this (a chain's hotline, "Продукты") says
/// nothing about any pair of them, and would make the search quadratic.
const LARGEST_SHARED_GROUP: usize = 30;

const METERS_PER_DEGREE: f64 = 111_320.0;

/// Two prospects, by their index in the probes searched, that score as likely the same.
#[derive(Debug, Clone, PartialEq)]
pub struct LikelyPair {
    pub first: usize,
    pub second: usize,
    pub score: DuplicateScore,
}

/// Every pair of `probes` scoring as a likely duplicate, the likeliest first, leaving out the
/// pairs `set_apart` says a manager has already judged distinct.
pub fn likely_pairs(probes: &[DuplicateProbe], set_apart: impl Fn(usize, usize) -> bool) -> Vec<LikelyPair> {
    let prepared: Vec<PreparedProbe> = probes.iter().map(PreparedProbe::new).collect();
    let mut search = Search { prepared: &prepared, set_apart, found: Vec::new(), compared: HashSet::new() };
    search.near_each_other();
    search.sharing_a_phone();
    search.sharing_a_name();
    let mut found = search.found;
    found.sort_by(|a, b| b.score.score.total_cmp(&a.score.score).then((a.first, a.second).cmp(&(b.first, b.second))));
    found
}

struct Search<'a, F> {
    prepared: &'a [PreparedProbe],
    set_apart: F,
    found: Vec<LikelyPair>,
    /// Pairs scored by phone or name, which the position search did not already score.
    compared: HashSet<(usize, usize)>,
}

impl<F: Fn(usize, usize) -> bool> Search<'_, F> {
    fn consider(&mut self, a: usize, b: usize) {
        let (first, second) = (a.min(b), a.max(b));
        let score = score_prepared(&self.prepared[first], &self.prepared[second]);
        if score.is_likely() && !(self.set_apart)(first, second) {
            self.found.push(LikelyPair { first, second, score });
        }
    }

    /// Were `a` and `b` already scored by the position search?
    fn near(&self, a: usize, b: usize) -> bool {
        match (&self.prepared[a].location, &self.prepared[b].location) {
            (Some(la), Some(lb)) => la.distance_m(lb) <= NEAR_ENOUGH_M,
            _ => false,
        }
    }

    fn near_each_other(&mut self) {
        let located: Vec<usize> = (0..self.prepared.len()).filter(|i| self.prepared[*i].location.is_some()).collect();
        let Some(widest) =
            located.iter().filter_map(|i| self.prepared[*i].location.map(|l| l.lat.abs())).reduce(f64::max)
        else {
            return;
        };
        // Cells are NEAR_ENOUGH_M high everywhere and at least that wide: a degree of longitude
        // is shortest at the base's highest latitude, so that one sets the width.
        let cell_lat = NEAR_ENOUGH_M / METERS_PER_DEGREE;
        let cell_lon = NEAR_ENOUGH_M / (METERS_PER_DEGREE * widest.to_radians().cos().max(0.01));
        let mut cells: HashMap<(i64, i64), Vec<usize>> = HashMap::new();
        for &i in &located {
            let at = self.prepared[i].location.expect("located");
            cells.entry(((at.lat / cell_lat).floor() as i64, (at.lon / cell_lon).floor() as i64)).or_default().push(i);
        }
        // Each cell against itself and the four neighbours after it, so every pair of
        // neighbouring cells is visited once.
        const AFTER: [(i64, i64); 4] = [(0, 1), (1, -1), (1, 0), (1, 1)];
        for (&(row, column), members) in &cells {
            for (k, &a) in members.iter().enumerate() {
                for &b in &members[k + 1..] {
                    if self.near(a, b) {
                        self.consider(a, b);
                    }
                }
            }
            for (dr, dc) in AFTER {
                let Some(others) = cells.get(&(row + dr, column + dc)) else { continue };
                for &a in members {
                    for &b in others {
                        if self.near(a, b) {
                            self.consider(a, b);
                        }
                    }
                }
            }
        }
    }

    fn sharing_a_phone(&mut self) {
        let mut by_phone: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, probe) in self.prepared.iter().enumerate() {
            for phone in probe.phones() {
                let group = by_phone.entry(phone.as_str()).or_default();
                if group.last() != Some(&i) {
                    group.push(i);
                }
            }
        }
        self.within_groups(by_phone.into_values().collect());
    }

    fn sharing_a_name(&mut self) {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, probe) in self.prepared.iter().enumerate() {
            if !probe.name_key().is_empty() {
                by_name.entry(probe.name_key()).or_default().push(i);
            }
        }
        self.within_groups(by_name.into_values().collect());
    }

    /// Scores the pairs inside each group not scored yet.
    fn within_groups(&mut self, groups: Vec<Vec<usize>>) {
        for group in groups.into_iter().filter(|g| g.len() > 1 && g.len() <= LARGEST_SHARED_GROUP) {
            for (k, &a) in group.iter().enumerate() {
                for &b in &group[k + 1..] {
                    let pair = (a.min(b), a.max(b));
                    if !self.near(a, b) && self.compared.insert(pair) {
                        self.consider(a, b);
                    }
                }
            }
        }
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
        let found = likely_pairs(&probes, |_, _| false);
        let mut pairs: Vec<(usize, usize)> = found.iter().map(|p| (p.first, p.second)).collect();
        pairs.sort();
        assert_eq!(pairs, vec![(0, 1), (2, 3), (4, 5)]);
        assert_eq!(pairs, every_pair(&probes), "blocking misses no pair brute force finds here");
        assert!(found.windows(2).all(|w| w[0].score.score >= w[1].score.score), "likeliest first");
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
            likely_pairs(&probes, |_, _| false).iter().map(|p| (p.first, p.second)).collect();
        pairs.sort();
        let near = |(a, b): &(usize, usize)| {
            probes[*a].location.unwrap().distance_m(&probes[*b].location.unwrap()) <= NEAR_ENOUGH_M
        };
        let near_pairs: Vec<(usize, usize)> = every_pair(&probes).into_iter().filter(near).collect();
        assert!(near_pairs.len() >= 40);
        assert_eq!(pairs.iter().copied().filter(near).collect::<Vec<_>>(), near_pairs);
    }

    #[test]
    fn pairs_set_apart_are_left_out() {
        let probes = vec![probe("Ромашка", "", Some((56.85, 35.9))), probe("Ромашка", "", Some((56.85, 35.9)))];
        assert_eq!(likely_pairs(&probes, |_, _| false).len(), 1);
        assert!(likely_pairs(&probes, |a, b| (a, b) == (0, 1)).is_empty());
    }

    #[test]
    fn a_hotline_shared_by_a_chain_is_not_evidence() {
        // Alone, a shared phone would make any two of these likely duplicates.
        let probes: Vec<DuplicateProbe> = (0..100).map(|_| probe("", "8 800 555-55-55", None)).collect();
        assert!(crate::score_duplicate(&probes[0], &probes[1]).is_likely());
        assert!(likely_pairs(&probes, |_, _| false).is_empty());
    }
}
