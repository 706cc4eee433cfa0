//! Sync at scale, with a real `census-server` process on 127.0.0.1 and real replicas: one device
//! uploads `--prospects` new prospects (10,000 by default); once the server has compacted them, a
//! fresh device syncs them all (from the snapshots), over plain HTTP and then over TLS (a server
//! with a certificate from the benchmark's own authority, on a backup of the same base); a sync
//! with nothing new; 1% of the prospects edited on one device until another has them; then 50
//! devices syncing at once.

use std::sync::{Arc, Barrier};
use std::time::Instant;

use census_bench::{option, peak_rss_mb_of, percentile_ms, round2};
use census_core::*;
use census_replica::{ListFilter, Trust};
use census_tests::certificates::Authority;
use census_tests::{Device, Server, admin, now};

const FLEET: usize = 50;
const FLEET_PROSPECTS: usize = 100;

fn new_prospect(territory: TerritoryId, n: usize) -> NewProspect {
    NewProspect {
        territory,
        name: format!("Магазин «Ромашка» №{n}"),
        category: ["grocery", "pharmacy", "kiosk"][n % 3].into(),
        status: Status::New,
        address: Address {
            line: format!("ул. Ленина, д. {}", n % 200), city: "Тверь".into(), ..Address::default()
        },
        location: Some(Location {
            lat: 56.8 + (n % 1000) as f64 * 1e-4,
            lon: 35.9 + (n / 1000) as f64 * 1e-4,
            accuracy_m: Some(8.0),
            at: now(),
        }),
    }
}

fn seconds(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

/// Times a fresh device's first sync of `prospects` from a TLS server on a backup of `db`.
fn first_sync_over_tls(dir: &std::path::Path, db: &std::path::Path, prospects: usize) -> Result<f64, String> {
    let copy = dir.join("tls-copy.db");
    admin(db, &["backup", copy.to_str().ok_or("a temporary path that is not UTF-8")?]);
    let authority = Authority::new("census-bench authority");
    let files = authority.server_files(dir);
    let options = files.options();
    let server = Server::start_with(&copy, &options.iter().map(String::as_str).collect::<Vec<_>>());
    let trust = Trust { company_ca: Some(authority.pem.clone()), plain_http: false };
    let mut fresh = Device::sign_in_trusting(dir, "fresh-tls", &server.url, &trust, "manager");
    let started = Instant::now();
    let first = fresh.sync().map_err(|e| e.to_string())?;
    let took = seconds(started);
    if first.updated as usize != prospects {
        return Err(format!("the fresh device has {} of {prospects} prospects over TLS", first.updated));
    }
    Ok(took)
}

fn main() -> Result<(), String> {
    let prospects: usize = option("--prospects", 10_000)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "0"]);
    let territory = census_server::demo::demo_territories()[0].id;
    let server = Server::start(&db);
    let fail = |e: &dyn std::fmt::Display| e.to_string();
    println!("census-bench sync: {prospects} prospects through {}", server.url);

    // One device records the prospects offline (not timed), then uploads them.
    let mut uploader = Device::sign_in(dir.path(), "uploader", &server, "manager");
    for n in 0..prospects {
        let ctx = uploader.ctx();
        uploader
            .replica
            .create_prospect(ProspectId::new_v7(now(), rand::random()), &ctx, &new_prospect(territory, n))
            .map_err(|e| fail(&e))?;
    }
    let started = Instant::now();
    let upload = uploader.sync().map_err(|e| fail(&e))?;
    let upload_s = seconds(started);
    let server_memory = || peak_rss_mb_of(&server.pid().to_string());
    println!("  uploaded in {upload_s:.2} s ({} bytes sent); server peak {:.0} MB", upload.bytes_sent, server_memory());
    // The server compacts in the background once pushes pause; a device joining later starts
    // from those snapshots.
    let started = Instant::now();
    uploader.wait_for_snapshots();
    println!("  snapshots caught up {:.2} s after the upload; server peak {:.0} MB", seconds(started), server_memory());

    // A fresh device, until its projections are complete.
    let mut fresh = Device::sign_in(dir.path(), "fresh", &server, "manager");
    let started = Instant::now();
    let first = fresh.sync().map_err(|e| fail(&e))?;
    let first_sync_s = seconds(started);
    let listed = fresh.replica.list(&ListFilter { limit: 1, ..ListFilter::default() }).map_err(|e| fail(&e))?;
    if first.updated as usize != prospects || listed.is_empty() {
        return Err(format!("the fresh device has {} of {prospects} prospects", first.updated));
    }
    println!(
        "  first sync in {first_sync_s:.2} s ({} prospects as snapshots, {} changes, {} bytes received); server peak {:.0} MB",
        first.bootstrapped,
        first.pulled,
        first.bytes_received,
        server_memory()
    );

    // The same first sync over TLS: a second server, with a certificate, on a copy of the base.
    let tls_first_sync_s = first_sync_over_tls(dir.path(), &db, prospects)?;
    println!(
        "  first sync over TLS in {tls_first_sync_s:.2} s ({:+.1}% against plain HTTP)",
        (tls_first_sync_s / first_sync_s - 1.0) * 100.0
    );

    let noop: Vec<f64> = (0..20)
        .map(|_| {
            let started = Instant::now();
            fresh.sync().map(|_| started.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<Result<_, _>>()
        .map_err(|e| fail(&e))?;

    // 1% edited on the uploading device, until the fresh device has them.
    let edited = (prospects / 100).max(1);
    let rows =
        uploader.replica.list(&ListFilter { limit: edited as u32, ..ListFilter::default() }).map_err(|e| fail(&e))?;
    for row in &rows {
        let ctx = uploader.ctx();
        uploader.replica.edit_prospect(row.id, &ctx, |p| p.set_status(Status::Visited)).map_err(|e| fail(&e))?;
    }
    let started = Instant::now();
    uploader.sync().map_err(|e| fail(&e))?;
    let received = fresh.sync().map_err(|e| fail(&e))?;
    let edit_1pct_ms = seconds(started) * 1e3;
    if received.updated as usize != rows.len() {
        return Err(format!("{} of {} edits arrived", received.updated, rows.len()));
    }

    // A fleet: 50 agents of one small territory, each synced once, then all at once.
    let fleet_territory = TerritoryId::new_v7(now(), rand::random());
    admin(&db, &["territory", "add", "Fleet", "--id", &fleet_territory.to_string()]);
    let mut seeder = Device::sign_in(dir.path(), "seeder", &server, "manager");
    for n in 0..FLEET_PROSPECTS {
        let ctx = seeder.ctx();
        seeder
            .replica
            .create_prospect(ProspectId::new_v7(now(), rand::random()), &ctx, &new_prospect(fleet_territory, n))
            .map_err(|e| fail(&e))?;
    }
    seeder.sync().map_err(|e| fail(&e))?;
    let mut fleet = Vec::new();
    for n in 0..FLEET {
        let login = format!("agent{n}");
        admin(&db, &["user", "add", &login, "--name", &login, "--role", "agent", "--password", "census-demo"]);
        admin(&db, &["assign", &fleet_territory.to_string(), &login]);
        let mut device = Device::sign_in(dir.path(), &login, &server, &login);
        device.sync().map_err(|e| fail(&e))?;
        fleet.push(device);
    }
    println!("  fleet signed in and synced; server peak {:.0} MB", server_memory());
    let barrier = Arc::new(Barrier::new(FLEET));
    let workers: Vec<_> = fleet
        .into_iter()
        .enumerate()
        .map(|(n, mut device)| {
            let barrier = barrier.clone();
            std::thread::spawn(move || -> Result<f64, String> {
                let id = device.replica.list(&ListFilter { offset: n as u32, limit: 1, ..ListFilter::default() });
                let id = id.map_err(|e| e.to_string())?[0].id;
                let ctx = device.ctx();
                device
                    .replica
                    .edit_prospect(id, &ctx, |p| p.set_notes(&format!("seen by agent {n}")))
                    .map_err(|e| e.to_string())?;
                barrier.wait();
                let started = Instant::now();
                device.sync().map_err(|e| e.to_string())?;
                Ok(started.elapsed().as_secs_f64() * 1e3)
            })
        })
        .collect();
    let mut fleet_ms = Vec::new();
    let mut fleet_errors = 0;
    for worker in workers {
        match worker.join() {
            Ok(Ok(ms)) => fleet_ms.push(ms),
            Ok(Err(e)) => {
                println!("  fleet error: {e}");
                fleet_errors += 1;
            }
            Err(_) => fleet_errors += 1,
        }
    }
    let server_peak_rss_mb = server_memory();

    println!(
        "{}",
        serde_json::json!({
            "prospects": prospects,
            "upload_per_s": (prospects as f64 / upload_s).round(),
            "first_sync_s": round2(first_sync_s),
            "first_sync_per_s": (prospects as f64 / first_sync_s).round(),
            "tls_first_sync_s": round2(tls_first_sync_s),
            "noop_sync_ms": round2(percentile_ms(&noop, 50.0)),
            "edit_1pct_ms": round2(edit_1pct_ms),
            "wire_bytes_per_prospect": (upload.bytes_sent as f64 / prospects.max(1) as f64).round(),
            "server_peak_rss_mb": round2(server_peak_rss_mb),
            "fleet_errors": fleet_errors,
            "fleet_p99_ms": round2(percentile_ms(&fleet_ms, 99.0)),
        })
    );
    Ok(())
}
