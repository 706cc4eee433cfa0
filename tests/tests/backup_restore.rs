//! Backups and restores of a serving base, with real server processes and devices: a backup
//! taken while devices push holds everything acknowledged before it began, and after a restore
//! to that older state every device converges again with nothing it made lost.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use census_core::{ProspectId, TerritoryId};
use census_replica::ListFilter;
use census_tests::{Device, Server, admin, new_prospect, now};

/// Adds a shop named `name` in the device's first territory and returns its id.
fn add_shop(device: &mut Device, name: &str) -> ProspectId {
    let territory: TerritoryId = device.replica.list(&ListFilter::default()).unwrap()[0].territory.parse().unwrap();
    let id = ProspectId::new_v7(now(), rand::random());
    let ctx = device.ctx();
    device.replica.create_prospect(id, &ctx, &new_prospect(territory, name)).unwrap();
    id
}

/// Every prospect on the device, by name.
fn names(device: &Device) -> BTreeSet<String> {
    let every = ListFilter { limit: 100_000, ..ListFilter::default() };
    device.replica.list(&every).unwrap().into_iter().map(|row| row.name).collect()
}

#[test]
fn a_backup_taken_during_twenty_pushers_holds_every_change_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "40"]);
    let server = Server::start(&db);
    let acknowledged: Arc<Mutex<Vec<ProspectId>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let pushers: Vec<_> = (0..20)
        .map(|n| {
            let mut device = Device::sign_in(dir.path(), &format!("pusher-{n}"), &server, ["anna", "boris"][n % 2]);
            device.sync().unwrap();
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut round = 0;
                while !stop.load(Ordering::Relaxed) && round < 200 {
                    let id = add_shop(&mut device, &format!("Киоск {n}-{round}"));
                    device.sync().unwrap();
                    acknowledged.lock().unwrap().push(id);
                    round += 1;
                }
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acknowledged.lock().unwrap().len() < 60 {
        assert!(Instant::now() < deadline, "the pushers do not get going");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The backup starts while every pusher is still pushing.
    let before: Vec<ProspectId> = acknowledged.lock().unwrap().clone();
    let backup = dir.path().join("backup.db");
    let said = admin(&db, &["backup", backup.to_str().unwrap()]);
    let during = acknowledged.lock().unwrap().len() - before.len();
    stop.store(true, Ordering::Relaxed);
    for pusher in pushers {
        pusher.join().unwrap();
    }
    assert!(said.contains("Backed up"), "{said}");
    eprintln!("{} shops acknowledged before the backup, {during} while it ran", before.len());

    // The backup opens as a server of its own and holds every one of them.
    let restored_copy = dir.path().join("copy.db");
    std::fs::copy(&backup, &restored_copy).unwrap();
    let copy = Server::start(&restored_copy);
    let mut manager = Device::sign_in(dir.path(), "manager", &copy, "manager");
    manager.sync().unwrap();
    let every = ListFilter { limit: 100_000, ..ListFilter::default() };
    let held: BTreeSet<ProspectId> = manager.replica.list(&every).unwrap().into_iter().map(|row| row.id).collect();
    let missing: Vec<&ProspectId> = before.iter().filter(|id| !held.contains(id)).collect();
    assert!(missing.is_empty(), "{} acknowledged shops are missing from the backup", missing.len());
}

#[test]
fn after_a_restore_to_an_older_backup_every_device_converges_with_nothing_it_made_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let mut server = Server::start(&db);
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let mut boris = Device::sign_in(dir.path(), "boris", &server, "boris");
    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    for device in [&mut anna, &mut boris, &mut manager] {
        device.sync().unwrap();
    }
    add_shop(&mut anna, "Анна до копии");
    add_shop(&mut boris, "Борис до копии");
    anna.sync().unwrap();
    boris.sync().unwrap();
    let backup = dir.path().join("nightly.db");
    admin(&db, &["backup", backup.to_str().unwrap()]);

    // After the backup the day goes on: both agents add shops, and the manager receives them.
    add_shop(&mut anna, "Анна после копии");
    add_shop(&mut boris, "Борис после копии");
    for device in [&mut anna, &mut boris, &mut manager] {
        device.sync().unwrap();
    }
    let everything = names(&manager);
    assert!(everything.contains("Анна после копии") && everything.contains("Борис после копии"));

    // The server's disk is lost; the administrator restores last night's backup. Not while it
    // serves, though.
    let out = std::process::Command::new(census_tests::server_binary())
        .arg("--db")
        .arg(&db)
        .args(["restore", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("stop it first"), "{}", String::from_utf8_lossy(&out.stderr));
    server.kill();
    let said = admin(&db, &["restore", backup.to_str().unwrap()]);
    assert!(said.contains("Restored") && said.contains("kept as"), "{said}");
    server = Server::start(&db);

    // Each device notices the restore at its next sync, pushes what it made again, and pulls anew.
    for device in [&mut anna, &mut boris, &mut manager] {
        device.reconnect(&server);
        device.sync().unwrap();
    }
    for device in [&mut anna, &mut boris, &mut manager] {
        device.sync().unwrap();
    }
    let after_restore = names(&manager);
    assert_eq!(after_restore, everything, "the manager's base after the restore");
    assert!(names(&anna).contains("Анна после копии") && names(&boris).contains("Борис после копии"));

    // A device that joins now gets it all from the restored server.
    let newcomer = {
        let mut newcomer = Device::sign_in(dir.path(), "newcomer", &server, "manager");
        newcomer.sync().unwrap();
        newcomer
    };
    assert_eq!(names(&newcomer), everything);
}
