//! A real `census-server` under attack, one class of attack per test (see `docs/security.md`):
//! compressed change bombs and oversized prospects, a sign-in flood from many addresses, slow and
//! idle connections, oversized texts and pages, and stopping with requests in flight. Each test
//! asserts the refusal (status and error code), that nothing stored changed, that the server's
//! peak memory (read from `/proc`) stayed under a bound, and that a signed-in device kept
//! syncing while the attack ran.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::io::{Read, Write};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use census_core::wire::{PullPage, PushBatch, PushItem, PushOutcome};
use census_core::*;
use census_replica::SyncClient;
use census_server::demo;
use census_tests::hostile::{
    RawApi, assert_error, change_bomb, client_from, closed_within, connect_from, gunzip, gzip, item, peak_rss_mib,
    refused_code, stalled_connection,
};
use census_tests::{Device, Server, admin, new_prospect, now};
use serde_json::Value;

/// The most memory the server may have held at any moment of a test.
const MEMORY_BOUND_MIB: f64 = 200.0;

/// A server over a small demo base, Anna's device signed in and synced, and the manager's raw
/// requests.
fn attacked_server(dir: &std::path::Path) -> (Server, Device, RawApi) {
    let db = dir.join("server.db");
    admin(&db, &["demo", "--prospects", "10"]);
    let server = Server::start(&db);
    SyncClient::new(&server.url).unwrap(); // installs the TLS provider reqwest needs
    let mut anna = Device::sign_in(dir, "anna", &server, "anna");
    anna.sync().unwrap();
    let manager = RawApi::sign_in(&server, "manager");
    (server, anna, manager)
}

/// Runs `attack` on other threads while `device` syncs again and again (each sync must succeed);
/// returns what the attack returned. The syncs' slowest time is printed, not asserted.
fn served_during<T: Send>(device: &mut Device, attack: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let attacking = scope.spawn(attack);
        let (mut syncs, mut slowest) = (0, Duration::ZERO);
        while syncs < 3 || !attacking.is_finished() {
            let started = Instant::now();
            device.sync().unwrap();
            slowest = slowest.max(started.elapsed());
            syncs += 1;
        }
        eprintln!("the signed-in device synced {syncs} times meanwhile, the slowest in {slowest:?}");
        attacking.join().unwrap()
    })
}

/// The end of the server's feed: what it has stored.
fn feed_end(api: &RawApi) -> u64 {
    let status: Value =
        api.http.get(format!("{}/api/v1/status", api.url)).bearer_auth(&api.token).send().unwrap().json().unwrap();
    status["feed_end"].as_u64().unwrap()
}

fn assert_memory_bounded(server: &Server) {
    let peak = peak_rss_mib(server.pid());
    eprintln!("the server's peak memory: {peak:.1} MiB");
    assert!(peak < MEMORY_BOUND_MIB, "the server held {peak:.1} MiB at its peak");
}

#[test]
fn change_bombs_and_overgrown_prospects_are_refused_without_inflating_them() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut anna, manager) = attacked_server(dir.path());
    let centre = demo::demo_territories()[0].id;
    let attacker = RawApi::sign_in(&server, "anna");
    let ctx = EditContext::new(attacker.user, now());
    let doc = ProspectId::new_v7(now(), rand::random());
    let (_, first) = ProspectDoc::create(doc, attacker.device, &ctx, &new_prospect(centre, "Бомба")).unwrap();
    // Half a GiB once inflated, a few hundred kilobytes as sent.
    let bomb = change_bomb(&first.bytes, 512);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    // A whole frame that inflates to a quarter of a GiB.
    let frame_bomb = gzip(&vec![0u8; 256 << 20]);
    let before = feed_end(&manager);

    let (outcomes, frame_refusal) =
        served_during(&mut anna, || (attacker.push(vec![item(doc, centre, &bomb)]), attacker.push_body(frame_bomb)));
    assert_eq!(refused_code(&outcomes[0]), "change_too_large", "{outcomes:?}");
    assert_error(frame_refusal, 413, "too_large");
    assert_eq!(feed_end(&manager), before, "nothing was stored");
    assert_memory_bounded(&server);

    // A prospect grown by two devices past the limit: each device's own changes fit, their sum
    // does not, and the server refuses the change that would pass it.
    let second = RawApi::sign_in(&server, "anna");
    let mut on_first = ProspectDoc::from_changes(doc, &[&first.bytes], attacker.device).unwrap();
    let mut on_second = ProspectDoc::from_changes(doc, &[&first.bytes], second.device).unwrap();
    assert_eq!(attacker.push(vec![item(doc, centre, &first.bytes)])[0], PushOutcome::Stored { seq: before + 1 });
    let name = |n: usize| format!("{n}{}", "ж".repeat(230_000)); // 460 KB, in a change of its own
    let mut outcomes = Vec::new();
    served_during(&mut anna, || {
        for n in 0..10 {
            let change = on_first.edit(&ctx, |p| p.set_name(&name(n))).unwrap().unwrap();
            outcomes.extend(attacker.push(vec![item(doc, centre, &change.bytes)]));
            let change = on_second.edit(&ctx, |p| p.set_name(&name(100 + n))).unwrap().unwrap();
            outcomes.extend(second.push(vec![item(doc, centre, &change.bytes)]));
        }
    });
    let stored = outcomes.iter().filter(|o| matches!(o, PushOutcome::Stored { .. })).count();
    let refused: Vec<&str> =
        outcomes.iter().filter(|o| matches!(o, PushOutcome::Refused { .. })).map(refused_code).collect();
    assert!((15..20).contains(&stored), "{stored} stored, {refused:?}");
    assert!(refused.iter().all(|code| *code == "document_too_large"), "{refused:?}");
    let stored_end = feed_end(&manager);
    assert_eq!(stored_end, before + 1 + stored as u64);
    assert_memory_bounded(&server);
}

#[test]
fn a_sign_in_flood_from_many_addresses_is_turned_away_and_devices_keep_syncing() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut anna, manager) = attacked_server(dir.path());
    let devices = |api: &RawApi| -> usize {
        let list: Value =
            api.http.get(format!("{}/api/v1/devices", api.url)).bearer_auth(&api.token).send().unwrap().json().unwrap();
        list.as_array().unwrap().len()
    };
    let devices_before = devices(&manager);
    let before = feed_end(&manager);

    // 48 clients, each from an address of its own, each sending 15 made-up sign-ins.
    let answers: Vec<(u16, String, bool)> = served_during(&mut anna, || {
        std::thread::scope(|scope| {
            let url = &server.url;
            let clients: Vec<_> = (0..48u8)
                .map(|n| {
                    scope.spawn(move || {
                        let http = client_from(IpAddr::from([127, 0, 1, n + 1]));
                        (0..15)
                            .map(|attempt| {
                                let body = serde_json::json!({
                                    "login": format!("nobody-{n}-{attempt}"), "password": "guess-guess-guess",
                                    "device": DeviceId::new_v7(now(), rand::random()),
                                });
                                let response = http.post(format!("{url}/api/v1/login")).json(&body).send().unwrap();
                                let status = response.status().as_u16();
                                let retry_after = response.headers().contains_key("retry-after");
                                let body: Value = response.json().unwrap();
                                (status, body["code"].as_str().unwrap_or_default().to_owned(), retry_after)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            clients.into_iter().flat_map(|c| c.join().unwrap()).collect()
        })
    });
    let count = |code: &str| answers.iter().filter(|(_, c, _)| c == code).count();
    eprintln!(
        "sign-ins: {} wrong, {} turned away while the queue was full, {} refused for their address",
        count("wrong_password"),
        count("busy"),
        count("too_many_sign_ins")
    );
    assert_eq!(answers.len(), 48 * 15);
    assert!(count("wrong_password") > 0, "some passwords were checked");
    assert!(count("busy") + count("too_many_sign_ins") > 0, "the flood was turned away");
    for (status, code, retry_after) in &answers {
        match code.as_str() {
            "wrong_password" => assert_eq!(*status, 401),
            "busy" | "too_many_sign_ins" => assert!(*status == 429 && *retry_after, "{status} {code}"),
            other => panic!("unexpected answer {status} {other}"),
        }
    }
    assert_eq!(devices(&manager), devices_before, "no device was signed in");
    assert_eq!(feed_end(&manager), before);
    assert_memory_bounded(&server);
    // An address that failed too often waits, even with the right password; the same sign-in
    // from elsewhere goes through.
    let sign_in = |from: [u8; 4], login: &str, password: &str| {
        let body = serde_json::json!({ "login": login, "password": password, "device": DeviceId::new_v7(now(), rand::random()) });
        client_from(IpAddr::from(from)).post(format!("{}/api/v1/login", server.url)).json(&body).send().unwrap()
    };
    for n in 0..10 {
        assert_error(sign_in([127, 0, 6, 1], &format!("guess-{n}"), "guess-guess"), 401, "wrong_password");
    }
    assert_error(sign_in([127, 0, 6, 1], "anna", "census-demo"), 429, "too_many_sign_ins");
    assert_eq!(sign_in([127, 0, 6, 2], "anna", "census-demo").status().as_u16(), 200);
}

#[test]
fn slow_idle_and_crowding_connections_are_closed_and_the_rest_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut anna, manager) = attacked_server(dir.path());
    let before = feed_end(&manager);
    let (slow_headers, slow_bodies, idle, crowd) = served_during(&mut anna, || {
        // 50 clients that start a request and never finish its headers.
        let slow_headers: Vec<_> = (0..50u8)
            .map(|n| {
                stalled_connection(
                    &server,
                    IpAddr::from([127, 0, 2, n + 1]),
                    "POST /api/v1/push HTTP/1.1\r\nHost: x\r\n",
                )
            })
            .collect();
        // Clients that send their headers and a little of the body they announce.
        let start = "POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
                     Content-Length: 1000\r\n\r\n{\"login\":";
        let slow_bodies: Vec<_> =
            (0..5u8).map(|n| stalled_connection(&server, IpAddr::from([127, 0, 3, n + 1]), start)).collect();
        // A client that connects and says nothing.
        let idle = connect_from(IpAddr::from([127, 0, 4, 1]), server.port());
        // One address opening more connections than one address may hold.
        let crowd: Vec<_> = (0..70).map(|_| connect_from(IpAddr::from([127, 0, 5, 1]), server.port())).collect();
        let crowd_closed_at_once =
            crowd.into_iter().rev().take(6).filter_map(|c| closed_within(c, Duration::from_secs(2))).count();
        let slow_headers: Vec<_> =
            slow_headers.into_iter().map(|c| closed_within(c, Duration::from_secs(40))).collect();
        let slow_bodies: Vec<_> = slow_bodies.into_iter().map(|c| closed_within(c, Duration::from_secs(40))).collect();
        (slow_headers, slow_bodies, closed_within(idle, Duration::from_secs(40)), crowd_closed_at_once)
    });
    assert!(slow_headers.iter().all(Option::is_some), "every connection stalled in its headers was closed");
    for answer in &slow_bodies {
        let answer = answer.as_deref().expect("a connection stalled in its body was closed");
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains("\"code\":\"slow_body\""), "{answer}");
    }
    assert!(idle.is_some(), "an idle connection was closed");
    assert_eq!(crowd, 6, "connections past the per-address limit were closed at once");
    assert_eq!(feed_end(&manager), before);
    assert_memory_bounded(&server);
}

#[test]
fn oversized_texts_are_refused_and_pages_are_bounded_in_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut anna, manager) = attacked_server(dir.path());
    let centre = demo::demo_territories()[0].id;
    let before = feed_end(&manager);
    let directory = |api: &RawApi| -> Value {
        api.http.get(format!("{}/api/v1/directory", api.url)).bearer_auth(&api.token).send().unwrap().json().unwrap()
    };
    let people_before = directory(&manager)["directory"]["people"].as_array().unwrap().len();
    let post = |path: &str, body: Value| {
        manager.http.post(format!("{}{path}", manager.url)).bearer_auth(&manager.token).json(&body).send().unwrap()
    };
    let huge = "Я".repeat(100_000);
    served_during(&mut anna, || {
        let person = serde_json::json!({ "login": "long", "name": huge, "role": "agent", "password": "census-demo" });
        let message = assert_error(post("/api/v1/people", person), 400, "bad_request");
        assert!(message.contains("at most 120 characters"), "{message}");
        let territory =
            serde_json::json!({ "id": TerritoryId::new_v7(now(), rand::random()), "name": "Т".repeat(500) });
        let saved = manager
            .http
            .put(format!("{}/api/v1/territories", manager.url))
            .bearer_auth(&manager.token)
            .json(&territory)
            .send()
            .unwrap();
        assert_error(saved, 400, "bad_request");
        let sign_in = serde_json::json!({ "login": "boris", "password": "census-demo", "device": DeviceId::new_v7(now(), rand::random()), "device_name": "x".repeat(10_000) });
        assert_error(
            manager.http.post(format!("{}/api/v1/login", manager.url)).json(&sign_in).send().unwrap(),
            400,
            "bad_request",
        );
    });
    assert_eq!(directory(&manager)["directory"]["people"].as_array().unwrap().len(), people_before);
    assert_eq!(feed_end(&manager), before);
    // A name typed in decomposed form is kept composed.
    let person = serde_json::json!({ "login": "andrei", "name": "  Андреи\u{306}  ", "role": "agent", "password": "census-demo" });
    assert_eq!(post("/api/v1/people", person).status().as_u16(), 200);
    let people = directory(&manager)["directory"]["people"].clone();
    assert!(people.as_array().unwrap().iter().any(|p| p["name"] == "Андрей"), "{people}");

    // Twelve prospects of about 900 KB each: a pull page stops at its byte limit.
    let writer = RawApi::sign_in(&server, "anna");
    let ctx = EditContext::new(writer.user, now());
    let big: Vec<PushItem> = (0..12)
        .map(|n| {
            let id = ProspectId::new_v7(now(), rand::random());
            let (_, first) = ProspectDoc::create(
                id,
                writer.device,
                &ctx,
                &new_prospect(centre, &format!("{n}{}", "ю".repeat(450_000))),
            )
            .unwrap();
            item(id, centre, &first.bytes)
        })
        .collect();
    for chunk in big.chunks(4) {
        assert!(writer.push(chunk.to_vec()).iter().all(|o| matches!(o, PushOutcome::Stored { .. })));
    }
    let (mut since, mut pages, mut received) = (0, 0, 0);
    loop {
        let response = writer
            .http
            .get(format!("{}/api/v1/pull", writer.url))
            .bearer_auth(&writer.token)
            .query(&[("scope", centre.to_string()), ("since", since.to_string()), ("limit", "5000".into())])
            .send()
            .unwrap();
        let page = PullPage::decode(&gunzip(&response.bytes().unwrap())).unwrap();
        let bytes: usize = page.changes.iter().map(|c| c.change.len()).sum();
        assert!(bytes <= census_server::sqlite_store::MAX_PULL_PAGE_BYTES + 1_000_000, "a page of {bytes} bytes");
        received += page.changes.len();
        pages += 1;
        since = page.next_cursor;
        if page.up_to_date {
            break;
        }
    }
    assert!(pages >= 3, "twelve 900 KB changes came in {pages} pages");
    assert!(received >= 12, "{received}");
    assert_memory_bounded(&server);
}

#[test]
fn a_stopping_server_finishes_the_request_in_flight_and_every_answer_has_an_id() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, mut anna, manager) = attacked_server(dir.path());
    let centre = demo::demo_territories()[0].id;
    let health = manager.http.get(format!("{}/api/v1/health", server.url)).send().unwrap();
    assert_eq!(health.headers()["x-request-id"].len(), 16);
    // A push that is half sent when the server is told to stop.
    let ctx = EditContext::new(manager.user, now());
    let doc = ProspectId::new_v7(now(), rand::random());
    let (_, first) =
        ProspectDoc::create(doc, manager.device, &ctx, &new_prospect(centre, "В последний момент")).unwrap();
    let body = gzip(&PushBatch { items: vec![item(doc, centre, &first.bytes)] }.encode());
    let mut stream = connect_from(IpAddr::from([127, 0, 0, 1]), server.port());
    let head = format!(
        "POST /api/v1/push HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\n\r\n",
        manager.token,
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&body[..body.len() / 2]).unwrap();
    let before = feed_end(&manager);
    anna.sync().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body[body.len() / 2..]).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.to_lowercase().contains("x-request-id"), "{answer}");
    let status = server.wait();
    assert!(status.success(), "the server stopped cleanly: {status:?}");
    // Started again, it has the change that was in flight.
    server.restart();
    let manager = RawApi::sign_in(&server, "manager");
    assert_eq!(feed_end(&manager), before + 1);
}
