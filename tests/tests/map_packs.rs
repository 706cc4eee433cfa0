//! Map packs from a real server: an administrator adds a pack for a region; each agent's device
//! is offered the packs that meet its territories (a manager's, all of them), downloads one
//! resumably from any byte, and sees a pack replaced under the same name as a new one.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_tests::hostile::RawApi;
use census_tests::{Server, admin, write_map_pack};

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
