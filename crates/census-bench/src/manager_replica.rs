//! A replica like a manager's after a season, for the benchmarks that drive the real app: the
//! manager signed in, two territories, and as many prospects as asked, each made by the caller.

use std::path::Path;
use std::time::Instant;

use census_core::*;
use census_replica::Replica;

/// Writes the replica at `path`: the manager, territories named `territory_names`, and
/// `prospects` prospects, the `n`th being `prospect(n, territories)`.
pub fn seed_manager_replica(
    path: &Path,
    territory_names: [&str; 2],
    prospects: usize,
    mut prospect: impl FnMut(usize, &[Territory]) -> NewProspect,
) -> Result<(), String> {
    let fail = |e: census_replica::ReplicaError| e.to_string();
    let manager = Person {
        id: UserId::from_bytes([2; 16]),
        login: "maria".into(),
        name: "Мария Управляющая".into(),
        role: Role::Manager,
        retired: false,
    };
    let territories: Vec<Territory> = (0..2u8)
        .map(|n| Territory {
            id: TerritoryId::from_bytes([10 + n; 16]),
            name: territory_names[n as usize].into(),
            planned_prospects: None,
            agents: vec![manager.id],
            boundary: vec![],
        })
        .collect();
    let mut replica = Replica::create(path, DeviceId::from_bytes([1; 16])).map_err(fail)?;
    let directory =
        Directory { people: vec![manager.clone()], territories: territories.clone(), questionnaires: vec![] };
    replica.cache_directory(&directory).map_err(fail)?;
    replica.set_signed_in_user(manager.id).map_err(fail)?;
    let started = Instant::now();
    for n in 0..prospects {
        let new = prospect(n, &territories);
        let ctx = EditContext::new(manager.id, Timestamp::from_unix_millis(crate::base::T0 + n as i64));
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(n as u64 + 1).to_be_bytes());
        replica.create_prospect(ProspectId::from_bytes(id), &ctx, &new).map_err(fail)?;
        if (n + 1) % 20_000 == 0 {
            println!("  {} prospects written, {:.0} s", n + 1, started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}
