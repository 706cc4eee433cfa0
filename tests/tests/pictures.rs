//! Pictures between devices and a real server: a photo taken for a visit is uploaded after the
//! sync that pushes the visit; an upload cut off and a server restarted go on from the last
//! byte stored; the same picture from a second device is not sent again; a manager's device
//! fetches it; an agent of another territory is refused; bytes that are not their name's are
//! refused and not kept; a file that is not a picture is refused.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::*;
use census_replica::PICTURE_CHUNK_BYTES;
use census_tests::hostile::RawApi;
use census_tests::{Device, Server, admin, now};
use rand::RngCore;

/// A JPEG's first bytes, then `len` bytes in all of noise (the server reads only the start).
fn jpeg(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes[..4].copy_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0]);
    bytes
}

fn upload_state(api: &RawApi, name: &str, shop: ProspectId) -> reqwest::blocking::Response {
    api.http
        .get(format!("{}/api/v1/pictures/{name}/upload", api.url))
        .query(&[("prospect", shop.to_string())])
        .bearer_auth(&api.token)
        .send()
        .unwrap()
}

fn append(
    api: &RawApi,
    name: &str,
    shop: ProspectId,
    offset: usize,
    length: usize,
    chunk: &[u8],
) -> reqwest::blocking::Response {
    api.http
        .patch(format!("{}/api/v1/pictures/{name}", api.url))
        .query(&[("prospect", shop.to_string())])
        .bearer_auth(&api.token)
        .header("upload-offset", offset)
        .header("upload-length", length)
        .body(chunk.to_vec())
        .send()
        .unwrap()
}

/// Syncs `device` up to its pictures: the visit is pushed, the pictures stay queued.
fn sync_all_but_pictures(device: &mut Device) {
    let stopper = device.replica.stopper();
    let stopped = device.replica.sync(&device.client, now(), &mut |progress| {
        if let census_replica::SyncProgress::Pictures { .. } = progress {
            stopper.stop();
        }
    });
    assert!(matches!(stopped, Err(census_replica::SyncError::Replica(census_replica::ReplicaError::Stopped))));
    device.replica.watch(None);
}

#[test]
fn pictures_upload_after_their_visit_resume_where_the_server_stopped_and_reach_only_those_who_may_read_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let mut server = Server::start(&db);
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();
    let shops: Vec<ProspectId> = anna.replica.search("ромашка", 5).unwrap().into_iter().map(|r| r.id).collect();

    // A photo taken for a visit goes with the sync that pushes the visit.
    let first = jpeg(2 * PICTURE_CHUNK_BYTES + 1234);
    let first_photo = anna.replica.store_photo(&first, "image/jpeg", now()).unwrap();
    anna.record_photo_visit(shops[0], &first_photo);
    assert_eq!(anna.replica.pictures_pending().unwrap(), (1, first.len() as u64));
    let report = anna.sync().unwrap();
    assert_eq!((report.pictures_uploaded, report.picture_bytes_sent), (1, first.len() as u64));
    assert_eq!((report.pictures_pending, anna.replica.pictures_pending().unwrap().0), (0, 0));

    // A second photo's upload is cut off at a random byte (the server has stored what came),
    // and the server is killed and started again: the device sends only the rest.
    let second = jpeg(3 * PICTURE_CHUNK_BYTES + 77);
    let second_photo = anna.replica.store_photo(&second, "image/jpeg", now()).unwrap();
    anna.record_photo_visit(shops[1], &second_photo);
    sync_all_but_pictures(&mut anna);
    let cut_at = 1 + rand::random::<u32>() as usize % (second.len() - 1);
    let raw = RawApi::sign_in(&server, "anna");
    let name = second_photo.sha256.as_str();
    let answer: serde_json::Value = append(&raw, name, shops[1], 0, second.len(), &second[..cut_at]).json().unwrap();
    assert_eq!(answer, serde_json::json!({ "offset": cut_at, "complete": false }));
    // Sent again from a byte the server already has: refused, with where to go on from.
    let again = append(&raw, name, shops[1], 0, second.len(), &second[..10]);
    assert_eq!(again.status().as_u16(), 409);
    let port: u16 = server.url.rsplit(':').next().unwrap().parse().unwrap();
    server.kill();
    server = Server::start_on(&db, port);
    let report = anna.sync().unwrap();
    assert_eq!(report.pictures_uploaded, 1);
    assert_eq!(report.picture_bytes_sent, (second.len() - cut_at) as u64, "not one byte sent twice");
    let received = server.metric("census_picture_bytes_received_total");
    assert_eq!(received, (second.len() - cut_at) as u64, "and the server counted no more arriving");

    // The office fetches the pictures on demand; the same picture from its device is not sent again.
    let mut office = Device::sign_in(dir.path(), "office", &server, "manager");
    office.sync().unwrap();
    assert_eq!(office.replica.fetch_picture(&office.client, name, now()).unwrap(), second);
    assert_eq!(office.replica.photo(name).unwrap().unwrap().bytes, second, "kept on the device");
    let copy = office.replica.store_photo(&first, "image/jpeg", now()).unwrap();
    office.record_photo_visit(shops[0], &copy);
    let report = office.sync().unwrap();
    assert_eq!((report.pictures_uploaded, report.picture_bytes_sent), (1, 0), "the server had it");

    // Boris works another territory: he neither reads nor uploads these pictures.
    let boris = RawApi::sign_in(&server, "boris");
    let read =
        boris.http.get(format!("{}/api/v1/pictures/{name}", boris.url)).bearer_auth(&boris.token).send().unwrap();
    assert_eq!(read.status().as_u16(), 404);
    assert_eq!(upload_state(&boris, name, shops[1]).status().as_u16(), 403);
    let unnamed = hex(&[7; 32]);
    assert_eq!(upload_state(&raw, &unnamed, shops[1]).status().as_u16(), 403, "a picture the prospect does not show");

    // A third photo: bytes that are not the picture named are refused and not kept; a file
    // that is no picture is refused at its first chunk; then the real one goes through.
    let third = jpeg(PICTURE_CHUNK_BYTES / 2);
    let third_photo = anna.replica.store_photo(&third, "image/jpeg", now()).unwrap();
    anna.record_photo_visit(shops[2], &third_photo);
    sync_all_but_pictures(&mut anna);
    let third_name = third_photo.sha256.as_str();
    let other = jpeg(third.len());
    let forged = append(&raw, third_name, shops[2], 0, other.len(), &other);
    assert_eq!(forged.status().as_u16(), 422);
    let answer: serde_json::Value = upload_state(&raw, third_name, shops[2]).json().unwrap();
    assert_eq!(answer, serde_json::json!({ "offset": 0, "complete": false }), "nothing of it kept");
    let script = b"#!/bin/sh\necho not a picture\n";
    let refused = append(&raw, third_name, shops[2], 0, script.len(), script);
    assert_eq!(refused.status().as_u16(), 400);
    let report = anna.sync().unwrap();
    assert_eq!((report.pictures_uploaded, report.picture_bytes_sent), (1, third.len() as u64));

    // A photo that decodes has a thumbnail, made when it is taken: it goes up with the photo,
    // and the office's next sync brings the thumbnail only.
    let png =
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/icons/icon.png")).unwrap();
    let fourth = anna.replica.store_photo(&png, "image/png", now()).unwrap();
    let thumbnail = anna.replica.thumbnail(&fourth.sha256).unwrap().expect("a thumbnail made at capture");
    assert!(thumbnail.bytes != png && thumbnail.mime == "image/jpeg");
    anna.record_photo_visit(shops[0], &fourth);
    let report = anna.sync().unwrap();
    assert_eq!(report.pictures_uploaded, 2, "the photo and its thumbnail");
    let report = office.sync().unwrap();
    assert!(report.thumbnails_fetched >= 1, "{report:?}");
    assert_eq!(office.replica.thumbnail(&fourth.sha256).unwrap().map(|t| t.bytes), Some(thumbnail.bytes));
    assert!(office.replica.photo(&fourth.sha256).unwrap().is_none(), "the photo itself waits until it is opened");
    let again = office.sync().unwrap();
    assert_eq!(again.thumbnails_fetched, 0, "a thumbnail comes once");

    // Before going offline the office downloads the originals of its territories, but for
    // those it has; a second time, nothing is left to fetch.
    let download = office.replica.download_pictures(&office.client, None, now()).unwrap();
    assert_eq!((download.fetched, download.already_here, download.left_out), (2, 2, 0), "{download:?}");
    assert_eq!(office.replica.photo(&fourth.sha256).unwrap().map(|p| p.bytes), Some(png.clone()));
    let again = office.replica.download_pictures(&office.client, None, now()).unwrap();
    assert_eq!((again.fetched, again.already_here), (0, 4));

    // From the command line: the pictures on a device, and one fetched from the server.
    let listed = census(&anna.path, &["photos"]);
    assert!(listed.starts_with("0 picture(s) waiting to be uploaded (0 bytes); 5 in all"), "{listed}");
    let file = dir.path().join("third.jpg");
    let written = census(&office.path, &["photo", "get", third_name, "--out", file.to_str().unwrap()]);
    assert!(written.starts_with(&format!("Wrote picture {third_name}")), "{written}");
    assert_eq!(std::fs::read(&file).unwrap(), third);
}

/// Runs the `census` command line on `replica`; answers with what it printed.
fn census(replica: &std::path::Path, args: &[&str]) -> String {
    let out =
        std::process::Command::new(census_tests::cli_binary()).arg("-r").arg(replica).args(args).output().unwrap();
    assert!(out.status.success(), "census {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_picture_no_prospect_shows_any_more_is_removed_after_the_grace_period_and_no_other() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let server = Server::start_with(&db, &["--picture-grace-secs", "2"]);
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();
    let shops: Vec<ProspectId> = anna.replica.search("ромашка", 5).unwrap().into_iter().map(|r| r.id).collect();
    let (mistaken, kept) = (jpeg(300_000), jpeg(200_000));
    let mistaken_photo = anna.replica.store_photo(&mistaken, "image/jpeg", now()).unwrap();
    let kept_photo = anna.replica.store_photo(&kept, "image/jpeg", now()).unwrap();
    anna.record_photo_visit(shops[0], &mistaken_photo);
    anna.record_photo_visit(shops[1], &kept_photo);
    assert_eq!(anna.sync().unwrap().pictures_uploaded, 2);
    assert_eq!(server.metric("census_picture_bytes_received_total"), (mistaken.len() + kept.len()) as u64);

    // The agent takes the mistaken photo out of its prospect; after the grace period the
    // server has it no more, file and all, and keeps the other.
    let ctx = anna.ctx();
    anna.replica.edit_prospect(shops[0], &ctx, |p| p.remove_photo(&mistaken_photo.sha256).map(drop)).unwrap();
    anna.sync().unwrap();
    let removed_at = std::time::Instant::now();
    let file = |name: &str| db.with_extension("pictures").join("complete").join(&name[..2]).join(name);
    assert!(file(&mistaken_photo.sha256).exists(), "kept through the grace period");
    let office = RawApi::sign_in(&server, "manager");
    let read = |name: &str| {
        let url = format!("{}/api/v1/pictures/{name}", office.url);
        office.http.get(url).bearer_auth(&office.token).send().unwrap().status().as_u16()
    };
    while file(&mistaken_photo.sha256).exists() {
        assert!(removed_at.elapsed().as_secs() < 30, "the unreferenced picture is still kept");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(removed_at.elapsed().as_secs_f64() >= 1.9, "not before the grace period");
    assert_eq!(read(&mistaken_photo.sha256), 404);
    assert_eq!(server.metric("census_pictures_removed_total"), 1);
    assert_eq!(read(&kept_photo.sha256), 200, "a picture still shown stays");
    assert!(file(&kept_photo.sha256).exists());
}

#[test]
fn an_upload_cut_by_killing_the_devices_process_goes_on_from_the_last_byte_the_server_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let server = Server::start(&db);
    // The device's uploads cross a slow link: 2 MB a second, so a picture takes seconds.
    let link = census_tests::slow_link::SlowLink::to(&server.url, 2 << 20);
    let trust = census_replica::Trust::default();
    let mut anna = Device::sign_in_trusting(dir.path(), "anna", &link.url, &trust, "anna");
    anna.sync().unwrap();
    let shop = anna.replica.search("ромашка", 1).unwrap()[0].id;
    let picture = jpeg(8 * PICTURE_CHUNK_BYTES + 4321);
    let photo = anna.replica.store_photo(&picture, "image/jpeg", now()).unwrap();
    anna.record_photo_visit(shop, &photo);
    let replica = anna.path.clone();
    drop(anna);

    // `census sync` is killed once the server has stored some of the picture, not all.
    let mut syncing = std::process::Command::new(census_tests::cli_binary())
        .arg("-r")
        .arg(&replica)
        .arg("sync")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let office = RawApi::sign_in(&server, "anna");
    // Until the visit is pushed the server refuses to say: the prospect does not show it yet.
    let stored = || -> u64 {
        let state: serde_json::Value = upload_state(&office, &photo.sha256, shop).json().unwrap();
        state["offset"].as_u64().unwrap_or(0)
    };
    let started = std::time::Instant::now();
    while stored() < 2 * PICTURE_CHUNK_BYTES as u64 {
        assert!(started.elapsed().as_secs() < 60, "the upload never got going");
        assert!(syncing.try_wait().unwrap().is_none(), "the sync ended before it was killed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    syncing.kill().unwrap();
    syncing.wait().unwrap();
    let kept = stored();
    assert!(kept < picture.len() as u64, "killed half way: {kept} of {} bytes stored", picture.len());
    let received_before = server.metric("census_picture_bytes_received_total");

    // The next run sends the rest and nothing the server had.
    let out = census(&replica, &["sync"]);
    let rest = picture.len() as u64 - kept;
    assert!(out.contains(&format!("Pictures: 1 uploaded ({rest} bytes sent)")), "{out}");
    let received = server.metric("census_picture_bytes_received_total") - received_before;
    assert_eq!(received, rest, "only what the server lacked crossed again");
    let state: serde_json::Value = upload_state(&office, &photo.sha256, shop).json().unwrap();
    assert_eq!(state, serde_json::json!({ "offset": picture.len(), "complete": true }), "whole, its hash checked");
    drop(link);
}
