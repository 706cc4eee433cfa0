//! The server is killed with SIGKILL again and again while three devices push at once. After
//! every restart each change the server acknowledged is there; in the end every device's work
//! has arrived exactly once and all devices converge.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use census_core::*;
use census_replica::{ListFilter, SyncClient};
use census_server::demo;
use census_tests::{Device, Server, admin, now};
use rand::{Rng, SeedableRng};

const KILLS: usize = 12;

fn all() -> ListFilter {
    ListFilter { limit: 100_000, ..ListFilter::default() }
}

#[test]
fn acknowledged_changes_survive_server_kills_during_concurrent_pushes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "0"]);
    let [centre, riverside] = demo::demo_territories().map(|t| t.id);
    admin(&db, &["user", "add", "vera", "--name", "Вера", "--role", "agent", "--password", "census-demo"]);
    admin(&db, &["assign", &centre.to_string(), "vera"]);
    let mut server = Server::start(&db);
    let url = Arc::new(Mutex::new(server.url.clone()));
    let acknowledged: Arc<Mutex<BTreeSet<ProspectId>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));

    let mut workers = Vec::new();
    for (n, login, territory) in [(0u8, "anna", centre), (1, "vera", centre), (2, "boris", riverside)] {
        let mut device = Device::sign_in(dir.path(), login, &server, login);
        let (url, acknowledged, stop) = (url.clone(), acknowledged.clone(), stop.clone());
        workers.push(std::thread::spawn(move || {
            let mut created = Vec::new();
            let mut k = 0u32;
            while !stop.load(Ordering::Relaxed) {
                for _ in 0..5 {
                    let id = ProspectId::new_v7(now(), [n, (k >> 16) as u8, (k >> 8) as u8, k as u8, 0, 0, 0, 0, 0, 1]);
                    let new = NewProspect {
                        territory,
                        name: format!("{login} {k}"),
                        category: "kiosk".into(),
                        status: Status::New,
                        address: Address::default(),
                        location: None,
                    };
                    let ctx = device.ctx();
                    device.replica.create_prospect(id, &ctx, &new).unwrap();
                    created.push(id);
                    k += 1;
                }
                device.client = SyncClient::new(&url.lock().unwrap()).unwrap();
                match device.sync() {
                    // Everything pushed so far is acknowledged: the outbox is empty.
                    Ok(report) => {
                        assert_eq!(report.refused, 0);
                        assert_eq!(device.replica.outbox_len().unwrap(), 0);
                        acknowledged.lock().unwrap().extend(created.iter().copied());
                    }
                    Err(e) => assert!(e.is_transient(), "{login}: {e}"),
                }
            }
            (device, created)
        }));
    }

    let seed: u64 = rand::random();
    println!("seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut checker = Device::sign_in(dir.path(), "checker", &server, "manager");
    for kill in 0..KILLS {
        std::thread::sleep(Duration::from_millis(rng.random_range(50..400)));
        server.kill();
        let promised = acknowledged.lock().unwrap().clone();
        server = Server::start(&db);
        *url.lock().unwrap() = server.url.clone();
        checker.reconnect(&server);
        checker.sync().unwrap();
        let stored: BTreeSet<ProspectId> = checker.replica.list(&all()).unwrap().into_iter().map(|r| r.id).collect();
        let lost: Vec<&ProspectId> = promised.difference(&stored).collect();
        assert!(lost.is_empty(), "kill {kill} (seed {seed}): acknowledged but gone: {lost:?}");
    }
    stop.store(true, Ordering::Relaxed);
    let mut devices = Vec::new();
    let mut everything = BTreeSet::new();
    for worker in workers {
        let (device, created) = worker.join().unwrap();
        everything.extend(created);
        devices.push(device);
    }

    // Every device finishes its pushes; everyone converges on all of it, each prospect once.
    for device in &mut devices {
        device.reconnect(&server);
        device.sync().unwrap();
        assert_eq!(device.replica.outbox_len().unwrap(), 0);
    }
    checker.sync().unwrap();
    let rows = checker.replica.list(&all()).unwrap();
    let stored: BTreeSet<ProspectId> = rows.iter().map(|r| r.id).collect();
    assert_eq!(rows.len(), stored.len());
    assert_eq!(stored, everything, "every prospect created on any device is on the server");
    assert!(everything.len() > 3 * 5 * 2, "the devices were busy ({} prospects)", everything.len());
    for device in &mut devices {
        device.sync().unwrap();
        let territory = device.replica.list(&all()).unwrap()[0].territory.clone();
        let theirs: BTreeSet<ProspectId> = rows.iter().filter(|r| r.territory == territory).map(|r| r.id).collect();
        let mine: BTreeSet<ProspectId> = device.replica.list(&all()).unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(mine, theirs);
    }
    println!("{KILLS} kills, {} prospects, all acknowledged ones kept", everything.len());
}
