//! Map packs from a real server: an administrator adds a pack for a region; each agent's device
//! is offered the packs that meet its territories (a manager's, all of them), downloads one
//! resumably from any byte, and sees a pack replaced under the same name as a new one. A real
//! device keeps its map folder in line with what it is offered: a download stopped half way goes
//! on from where it stopped, damaged bytes are never taken for a pack, a replaced pack goes.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_replica::ReplicaError;
use census_tests::hostile::RawApi;
use census_tests::{Device, Server, admin, write_map_pack};

fn packs(api: &RawApi) -> serde_json::Value {
    api.http.get(format!("{}/api/v1/maps", api.url)).bearer_auth(&api.token).send().unwrap().json().unwrap()
}

fn download(api: &RawApi, sha256: &str, from: Option<u64>) -> reqwest::blocking::Response {
    let mut request = api.http.get(format!("{}/api/v1/maps/{sha256}", api.url)).bearer_auth(&api.token);
    if let Some(from) = from {
        request = request.header("range", format!("bytes={from}-"));
    }
    request.send().unwrap()
}

#[test]
fn each_device_is_offered_the_packs_of_its_territories_and_downloads_them_from_any_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    // One pack over Anna's territory (Тверь — Центр), one over Boris's (Заволжье).
    let centre = dir.path().join("centre.mbtiles");
    write_map_pack(&centre, "Центр", "35.89,56.84,35.94,56.875", &[(14, 9826, 11120, vec![7; 50_000])]);
    let beyond = dir.path().join("beyond.mbtiles");
    write_map_pack(&beyond, "Заволжье", "35.89,56.877,35.94,56.91", &[(14, 9826, 11121, vec![8; 50_000])]);
    let added = admin(&db, &["map", "add", centre.to_str().unwrap(), "--name", "Тверь — Центр"]);
    assert!(added.starts_with("Added the map pack «Тверь — Центр»"), "{added}");
    admin(&db, &["map", "add", beyond.to_str().unwrap(), "--name", "Тверь — Заволжье"]);
    let refused = std::process::Command::new(census_tests::server_binary())
        .arg("--db")
        .arg(&db)
        .args(["map", "add", db.to_str().unwrap(), "--name", "not a map"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not a map pack"), "{refused:?}");

    let server = Server::start(&db);
    let anna = RawApi::sign_in(&server, "anna");
    let offered = packs(&anna);
    let names: Vec<&str> = offered.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Тверь — Центр"], "only the pack over her territory");
    let manager = RawApi::sign_in(&server, "manager");
    assert_eq!(packs(&manager).as_array().unwrap().len(), 2, "a manager gets every pack");

    // The whole pack, then its rest from a byte a cut download reached.
    let sha256 = offered[0]["sha256"].as_str().unwrap().to_owned();
    let whole = std::fs::read(&centre).unwrap();
    assert_eq!(offered[0]["bytes"].as_u64(), Some(whole.len() as u64));
    let got = download(&anna, &sha256, None);
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().unwrap().to_vec(), whole);
    let cut = whole.len() / 3;
    let rest = download(&anna, &sha256, Some(cut as u64));
    assert_eq!(rest.status().as_u16(), 206);
    let range = rest.headers()["content-range"].to_str().unwrap().to_owned();
    assert_eq!(range, format!("bytes {cut}-{}/{}", whole.len() - 1, whole.len()));
    assert_eq!(rest.bytes().unwrap().to_vec(), whole[cut..].to_vec(), "only what was missing");
    assert_eq!(download(&anna, &sha256, Some(whole.len() as u64 + 1)).status().as_u16(), 416);

    // Boris's pack is not Anna's to download.
    let boris_pack =
        packs(&manager).as_array().unwrap().iter().find(|p| p["name"] == "Тверь — Заволжье").unwrap().clone();
    assert_eq!(download(&anna, boris_pack["sha256"].as_str().unwrap(), None).status().as_u16(), 404);

    // Replaced under the same name, the pack has a new hash; the old file is gone.
    let newer = dir.path().join("newer.mbtiles");
    write_map_pack(&newer, "Центр", "35.89,56.84,35.94,56.875", &[(14, 9826, 11120, vec![9; 60_000])]);
    admin(&db, &["map", "add", newer.to_str().unwrap(), "--name", "Тверь — Центр"]);
    let replaced = packs(&anna);
    assert_eq!(replaced.as_array().unwrap().len(), 1);
    assert_ne!(replaced[0]["sha256"].as_str().unwrap(), sha256);
    assert!(!db.with_extension("maps").join(format!("{sha256}.mbtiles")).exists(), "the old file went");
    assert_eq!(download(&anna, &sha256, None).status().as_u16(), 404, "the old pack is no longer offered");
}

/// Tiles of random bytes (they do not shrink), so that the pack is a few megabytes.
fn big_tiles(seed: u64, count: u32) -> Vec<(u8, u32, u32, Vec<u8>)> {
    use rand::{Rng, SeedableRng};
    let mut random = rand::rngs::StdRng::seed_from_u64(seed);
    (0..count).map(|i| (14, 9826 + i, 11120, (0..100_000).map(|_| random.random()).collect())).collect()
}

fn files_in(folder: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .map(|entries| entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_device_keeps_its_map_folder_in_line_with_the_packs_offered_resuming_a_stopped_download() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let pack = dir.path().join("centre.mbtiles");
    write_map_pack(&pack, "Центр", "35.89,56.84,35.94,56.875", &big_tiles(1, 40));
    admin(&db, &["map", "add", pack.to_str().unwrap(), "--name", "Тверь — Центр"]);
    let whole = std::fs::read(&pack).unwrap();
    let server = Server::start(&db);
    let offered_sha = || packs(&RawApi::sign_in(&server, "anna"))[0]["sha256"].as_str().unwrap().to_owned();
    let sha256 = offered_sha();
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let folder = dir.path().join("maps");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("my-own.mbtiles"), b"a pack put here by hand").unwrap();

    // Stopped a third of the way: what arrived stays, as a partial file, not as a pack.
    let third = whole.len() as u64 / 3;
    // Watching starts afresh: the stopper is taken after, and stops the work at its next step.
    let stopper = std::sync::Arc::new(std::sync::OnceLock::<census_replica::Stopper>::new());
    let stop_at_third = stopper.clone();
    anna.replica.watch(Some(Box::new(move |done, _total| {
        if done >= third {
            stop_at_third.get().map(census_replica::Stopper::stop);
        }
    })));
    let _ = stopper.set(anna.replica.stopper());
    let stopped = anna.replica.download_map_packs(&anna.client, &folder);
    assert!(matches!(stopped, Err(census_replica::SyncError::Replica(ReplicaError::Stopped))), "{stopped:?}");
    let partial = folder.join(format!("{sha256}.mbtiles.partial"));
    let kept = std::fs::metadata(&partial).unwrap().len();
    assert!(kept >= third && kept < whole.len() as u64, "kept {kept} of {}", whole.len());
    assert_eq!(files_in(&folder), [format!("{sha256}.mbtiles.partial"), "my-own.mbtiles".into()]);

    // The next round asks only for the rest.
    anna.replica.watch(None);
    let done = anna.replica.download_map_packs(&anna.client, &folder).unwrap();
    assert_eq!(done.fetched, 1);
    assert_eq!(done.bytes, whole.len() as u64 - kept, "only what was missing crossed the network");
    assert_eq!(std::fs::read(folder.join(format!("{sha256}.mbtiles"))).unwrap(), whole);
    assert!(census_map_packs::MapPack::open(&folder.join(format!("{sha256}.mbtiles"))).is_ok());
    let again = anna.replica.download_map_packs(&anna.client, &folder).unwrap();
    assert_eq!((again.fetched, again.up_to_date, again.bytes), (0, 1, 0), "nothing to do");

    // The administrator replaces the pack: the new one comes, the old one goes, the hand-put
    // file stays. Damaged bytes in the piece kept from before are found and never made a pack.
    let newer = dir.path().join("newer.mbtiles");
    write_map_pack(&newer, "Центр", "35.89,56.84,35.94,56.875", &big_tiles(2, 30));
    admin(&db, &["map", "add", newer.to_str().unwrap(), "--name", "Тверь — Центр"]);
    let newer_bytes = std::fs::read(&newer).unwrap();
    let newer_sha = offered_sha();
    assert_ne!(newer_sha, sha256);
    let mut damaged = newer_bytes[..newer_bytes.len() / 2].to_vec();
    damaged[1000] ^= 0xFF;
    std::fs::write(folder.join(format!("{newer_sha}.mbtiles.partial")), &damaged).unwrap();
    let refused = anna.replica.download_map_packs(&anna.client, &folder).unwrap_err();
    assert!(refused.to_string().contains("arrived damaged"), "{refused}");
    assert!(!folder.join(format!("{newer_sha}.mbtiles")).exists());
    let replaced = anna.replica.download_map_packs(&anna.client, &folder).unwrap();
    assert_eq!((replaced.fetched, replaced.bytes), (1, newer_bytes.len() as u64));
    assert_eq!(files_in(&folder), [format!("{newer_sha}.mbtiles"), "my-own.mbtiles".into()]);
    assert_eq!(std::fs::read(folder.join(format!("{newer_sha}.mbtiles"))).unwrap(), newer_bytes);
}
