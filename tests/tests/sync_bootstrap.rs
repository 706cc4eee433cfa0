//! A device new to a territory starts from the server's compacted snapshots: it stores them
//! without replaying the feed, then pulls only what came after. The result is the same base a
//! device that pulled every change holds, its list rows are what its own derivation gives, an
//! interrupted bootstrap resumes where it stopped, and work done meanwhile still arrives.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::collections::BTreeMap;

use census_core::*;
use census_replica::{ListFilter, SyncError, SyncProgress};
use census_tests::{Device, Server, admin, now};

fn all() -> ListFilter {
    ListFilter { limit: 100_000, ..ListFilter::default() }
}

fn everything(device: &Device) -> BTreeMap<ProspectId, Prospect> {
    device
        .replica
        .list(&all())
        .unwrap()
        .into_iter()
        .map(|r| (r.id, device.replica.prospect(r.id).unwrap().prospect))
        .collect()
}

#[test]
fn a_new_device_bootstraps_from_snapshots_resumes_after_a_crash_and_pulls_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "2400"]);
    let mut server = Server::start(&db);

    // The manager's first device syncs at once; it may get changes, snapshots, or both.
    let mut first = Device::sign_in(dir.path(), "first", &server, "manager");
    first.sync().unwrap();
    first.wait_for_snapshots();

    // After the snapshots were made: an edit, and a concurrent edit from an agent.
    let some = first.replica.list(&ListFilter { limit: 3, ..all() }).unwrap();
    let ctx = first.ctx();
    first.replica.edit_prospect(some[0].id, &ctx, |p| p.set_notes("после снимка")).unwrap();
    first.sync().unwrap();

    // A second device: the first page is stored, then the server dies.
    let mut second = Device::sign_in(dir.path(), "second", &server, "manager");
    let mut pages = Vec::new();
    let crashed = second.replica.sync(&second.client, now(), &mut |p| {
        if let SyncProgress::Bootstrap { received, total, .. } = p {
            pages.push((received, total));
            server.kill();
        }
    });
    assert!(matches!(crashed, Err(SyncError::Offline(_))), "{crashed:?}");
    assert_eq!(pages.len(), 1);
    let (stored_before_crash, total) = pages[0];
    assert!(stored_before_crash > 0 && stored_before_crash < total, "{pages:?}");
    assert_eq!(second.replica.list(&all()).unwrap().len() as u64, stored_before_crash);

    server.restart();
    first.reconnect(&server);
    second.reconnect(&server);
    let report = second.sync().unwrap();
    assert_eq!(report.bootstrapped + stored_before_crash, 2400, "nothing received twice: {report:?}");
    // The edit made after the snapshots comes as a change (unless the server compacted it first).
    assert!(report.pulled <= 1, "{report:?}");

    // Same base as the device that pulled; list rows as the device itself derives them.
    let base = everything(&first);
    assert_eq!(base.len(), 2400);
    assert_eq!(everything(&second), base);
    assert_eq!(second.replica.prospect(some[0].id).unwrap().prospect.notes, "после снимка");
    let (stored, rebuilt) = second.replica.projection_check().unwrap();
    assert_eq!(stored, rebuilt);

    // Work goes on from the bootstrapped device like from any other.
    let ctx = second.ctx();
    second.replica.edit_prospect(some[1].id, &ctx, |p| p.set_status(Status::Visited)).unwrap();
    second.sync().unwrap();
    first.sync().unwrap();
    assert_eq!(first.replica.prospect(some[1].id).unwrap().prospect.status, Status::Visited);
    assert_eq!(everything(&second), everything(&first));
}
