//! Prospects merged into each other: two managers, apart, merge A into B and B into A (or a
//! longer ring). Each document alone looks merged away, so all of them would leave every list,
//! and their work with them. A manager's device that finds such a ring after a sync takes the
//! merge mark off one of them, the one with the smallest id (the same on every device): it then
//! holds the ring's work, since each merge brought its duplicate's work over. Devices that do
//! it at once remove the same mark, so they agree.

use std::collections::{BTreeSet, HashMap};

use census_core::{EditContext, FieldPath, FieldValue, ProspectId, Role};

use crate::error::ReplicaError;
use crate::replica::{Replica, edit_in};

impl Replica {
    /// Takes the merge mark off the smallest prospect of every ring of merges on this device, on
    /// a manager's or an administrator's device (merge marks are theirs). Returns how many.
    pub fn break_merge_rings(&mut self, ctx: &EditContext) -> Result<usize, ReplicaError> {
        if ctx.role == Role::Agent {
            return Ok(0);
        }
        let merged = self.merged_into()?;
        let rings: BTreeSet<ProspectId> = merged.keys().filter_map(|start| ring_through(*start, &merged)).collect();
        if rings.is_empty() {
            return Ok(0);
        }
        let path: FieldPath = "merged_into".parse().map_err(ReplicaError::Storage)?;
        let tx = self.conn.transaction()?;
        for prospect in &rings {
            edit_in(&tx, self.device, *prospect, ctx, |p| p.resolve(&path, &FieldValue::Missing))?;
        }
        tx.commit()?;
        Ok(rings.len())
    }

    /// Every prospect on this device listed as merged, with the one it was merged into.
    fn merged_into(&self) -> Result<HashMap<ProspectId, ProspectId>, ReplicaError> {
        let mut statement = self.conn.prepare("SELECT id, merged_into FROM prospects WHERE merged_into IS NOT NULL")?;
        let rows = statement.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?)))?;
        let mut merged = HashMap::new();
        for row in rows {
            let (id, survivor) = row?;
            let (Ok(id), Ok(survivor)) = (<[u8; 16]>::try_from(id), survivor.parse::<ProspectId>()) else { continue };
            merged.insert(ProspectId::from_bytes(id), survivor);
        }
        Ok(merged)
    }
}

/// The smallest prospect of the ring of merges `start` is on, if it is on one.
fn ring_through(start: ProspectId, merged: &HashMap<ProspectId, ProspectId>) -> Option<ProspectId> {
    let mut ring = vec![start];
    let mut at = start;
    while let Some(&next) = merged.get(&at) {
        if next == start {
            return ring.into_iter().min();
        }
        if ring.contains(&next) {
            return None;
        }
        ring.push(next);
        at = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ProspectId {
        ProspectId::from_bytes([n; 16])
    }

    #[test]
    fn a_ring_is_found_by_its_smallest_member_and_a_chain_is_not_a_ring() {
        let merged = HashMap::from([(id(3), id(1)), (id(1), id(2)), (id(2), id(3)), (id(5), id(4)), (id(6), id(5))]);
        assert_eq!(ring_through(id(2), &merged), Some(id(1)));
        assert_eq!(ring_through(id(3), &merged), Some(id(1)));
        assert_eq!(ring_through(id(6), &merged), None, "6 → 5 → 4 is a chain: 4 holds the work");
        // A chain that runs into a ring is not on it.
        let tail = HashMap::from([(id(7), id(8)), (id(8), id(9)), (id(9), id(8))]);
        assert_eq!(ring_through(id(7), &tail), None);
        assert_eq!(ring_through(id(9), &tail), Some(id(8)));
    }
}
