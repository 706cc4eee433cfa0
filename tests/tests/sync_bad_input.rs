//! Bad input to a real server: malformed and truncated bodies, undecodable changes, a change
//! with a foreign actor, oversized bodies, unknown document kinds, writes outside the caller's
//! territories, wrong passwords (rate-limited), missing, unknown and revoked tokens. Each gets a
//! 4xx JSON error `{code, message}` (or, for one change in a batch, a refusal of that change);
//! nothing stored changes; the server keeps serving.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::wire::{DocKind, PushBatch, PushItem, PushOutcome};
use census_core::*;
use census_replica::SyncClient;
use census_server::demo;
use census_tests::hostile::{RawApi, assert_error, gzip, refused_code};
use census_tests::{Device, Server, admin, now};
use serde_json::Value;

#[test]
fn bad_input_is_refused_in_plain_words_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "10"]);
    let [centre, riverside] = demo::demo_territories().map(|t| t.id);
    let server = Server::start(&db);
    SyncClient::new(&server.url).unwrap(); // installs the TLS provider reqwest needs
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();
    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    manager.sync().unwrap();

    // A token for raw requests, as Anna's second device.
    let api = RawApi::sign_in(&server, "anna");
    let (http, raw_device) = (api.http.clone(), api.device);

    // A real change by the raw device, and one made by somebody else's device.
    let ctx = EditContext::new(anna.user(), now());
    let new = NewProspect {
        territory: centre,
        name: "Проверка".into(),
        category: "kiosk".into(),
        status: Status::New,
        address: Address::default(),
        location: None,
    };
    let own_id = ProspectId::new_v7(now(), [7; 10]);
    let (_, own) = ProspectDoc::create(own_id, raw_device, &ctx, &new).unwrap();
    let foreign_id = ProspectId::new_v7(now(), [8; 10]);
    let (_, foreign) = ProspectDoc::create(foreign_id, DeviceId::new_v7(now(), [9; 10]), &ctx, &new).unwrap();
    let outside_id = ProspectId::new_v7(now(), [10; 10]);
    let (mut outside_doc, outside) =
        ProspectDoc::create(outside_id, raw_device, &ctx, &NewProspect { territory: riverside, ..new.clone() })
            .unwrap();
    let outside_edit = outside_doc.edit(&ctx, |p| p.set_name("ещё")).unwrap().unwrap();
    let nowhere_id = ProspectId::new_v7(now(), [11; 10]);
    let nowhere = TerritoryId::new_v7(now(), [3; 10]);
    let (_, unknown_place) =
        ProspectDoc::create(nowhere_id, raw_device, &ctx, &NewProspect { territory: nowhere, ..new.clone() }).unwrap();
    let (_, misfiled) = ProspectDoc::create(ProspectId::new_v7(now(), [12; 10]), raw_device, &ctx, &new).unwrap();
    let item =
        |doc, territory, change: &[u8]| PushItem { doc, kind: DocKind::Prospect, territory, change: change.to_vec() };

    // Whole requests refused.
    assert_error(api.push_body(b"not gzip".to_vec()), 400, "bad_body");
    assert_error(api.push_body(gzip(b"gzip, but not a Census frame")), 400, "bad_body");
    let frame = PushBatch { items: vec![item(own_id, centre, &own.bytes)] }.encode();
    assert_error(api.push_body(gzip(&frame[..frame.len() - 7])), 400, "bad_body");
    let mut unknown_kind = frame.clone();
    unknown_kind[4 + 1 + 1 + 1 + 16] = 9; // the item's document kind
    let crc = crc32(&unknown_kind[..unknown_kind.len() - 4]);
    let at = unknown_kind.len() - 4;
    unknown_kind[at..].copy_from_slice(&crc.to_le_bytes());
    let message = assert_error(api.push_body(gzip(&unknown_kind)), 400, "bad_body");
    assert!(message.contains("kind"), "{message}");
    let huge: Vec<u8> = (0..9 << 20).map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    assert_error(api.push_body(huge), 413, "too_large");
    assert_error(api.push_body(gzip(&vec![0u8; 70 << 20])), 413, "too_large");

    // Changes refused one by one, the rest of the batch stored.
    let mut damaged = own.bytes.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let outcomes = api.push(vec![
        item(own_id, centre, b"\x85\x6f\x4a\x83 not a change"),
        item(own_id, centre, &damaged),
        item(foreign_id, centre, &foreign.bytes),
        // The change says where the prospect goes; claiming another territory changes nothing.
        item(outside_id, centre, &outside.bytes),
        item(outside_id, centre, &outside_edit.bytes),
        item(nowhere_id, centre, &unknown_place.bytes),
        item(foreign_id, centre, &misfiled.bytes),
    ]);
    assert_eq!(refused_code(&outcomes[0]), "undecodable_change");
    assert_eq!(refused_code(&outcomes[1]), "held_back", "the same prospect's later change waits on the refused one");
    assert_eq!(refused_code(&outcomes[2]), "foreign_actor");
    assert_eq!(refused_code(&outcomes[3]), "outside_your_territories");
    assert_eq!(refused_code(&outcomes[4]), "held_back");
    assert_eq!(refused_code(&outcomes[5]), "unknown_territory");
    assert_eq!(refused_code(&outcomes[6]), "held_back");
    let outcomes = api.push(vec![item(own_id, centre, &damaged), item(foreign_id, centre, &misfiled.bytes)]);
    assert_eq!(refused_code(&outcomes[0]), "undecodable_change", "a damaged change is refused");
    assert_eq!(refused_code(&outcomes[1]), "wrong_prospect", "a first change sent for another prospect");

    // Reading outside one's territories.
    let pull = |scope: &str, token: &str| {
        http.get(format!("{}/api/v1/pull", server.url)).bearer_auth(token).query(&[("scope", scope)]).send().unwrap()
    };
    assert_error(pull(&riverside.to_string(), &api.token), 403, "forbidden");
    assert_error(pull("nowhere", &api.token), 400, "bad_request");
    let bootstrap = |query: &[(&str, &str)], token: &str| {
        http.get(format!("{}/api/v1/bootstrap", server.url)).bearer_auth(token).query(query).send().unwrap()
    };
    assert_error(bootstrap(&[("scope", &riverside.to_string())], &api.token), 403, "forbidden");
    assert_error(bootstrap(&[("scope", "nowhere")], &api.token), 400, "bad_request");
    assert_error(bootstrap(&[("after", "x")], &api.token), 400, "bad_request");
    let message =
        assert_error(bootstrap(&[("scope", &centre.to_string()), ("after", "x")], &api.token), 400, "bad_request");
    assert!(!message.is_empty());
    assert_error(bootstrap(&[("scope", &centre.to_string())], "0123456789abcdef"), 401, "bad_token");
    assert_error(http.get(format!("{}/api/v1/status", server.url)).send().unwrap(), 401, "no_token");

    // Tokens.
    assert_error(http.get(format!("{}/api/v1/directory", server.url)).send().unwrap(), 401, "no_token");
    assert_error(pull(&centre.to_string(), "0123456789abcdef"), 401, "bad_token");

    // Sign-in: malformed, wrong passwords, then slowed down from this address (even the right
    // password waits), while the owner signing in from elsewhere is not locked out.
    let malformed = http.post(format!("{}/api/v1/login", server.url)).body("{\"login\":").send().unwrap();
    assert_error(malformed, 400, "bad_request");
    for _ in 0..4 {
        assert_error(api.login("boris", "guess-guess"), 401, "wrong_password");
    }
    let slowed = api.login("boris", "census-demo");
    let retry_after: u64 = slowed.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let message = assert_error(slowed, 429, "too_many_attempts");
    assert!(message.contains("second"), "{message}");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let owner = census_tests::hostile::client_from(std::net::IpAddr::from([127, 0, 8, 1]));
    let body = serde_json::json!({ "login": "boris", "password": "census-demo", "device": DeviceId::new_v7(now(), rand::random()) });
    let signed_in = owner.post(format!("{}/api/v1/login", server.url)).json(&body).send().unwrap();
    assert_eq!(signed_in.status().as_u16(), 200, "the owner is not locked out");
    assert_eq!(api.login("manager", "census-demo").status().as_u16(), 200, "other logins are not slowed");
    std::thread::sleep(std::time::Duration::from_secs(retry_after));
    assert_eq!(api.login("boris", "census-demo").status().as_u16(), 200, "after the wait, the right password");

    // Nothing from any of it was stored: the manager receives nothing new.
    let report = manager.sync().unwrap();
    assert_eq!(report.pulled, 0, "{report:?}");

    // The one good change is stored once, however often it is pushed.
    let first = api.push(vec![item(own_id, centre, &own.bytes)]);
    let again = api.push(vec![item(own_id, centre, &own.bytes), item(own_id, centre, &own.bytes)]);
    let PushOutcome::Stored { seq } = first[0] else { panic!("{first:?}") };
    assert_eq!(again, vec![PushOutcome::AlreadyStored { seq }, PushOutcome::AlreadyStored { seq }]);
    assert_eq!(manager.sync().unwrap().pulled, 1);

    // A revoked device's token stops working at once.
    admin(&db, &["device", "revoke", &raw_device.to_string()]);
    assert_error(pull(&centre.to_string(), &api.token), 401, "device_revoked");
    let health: Value = http.get(format!("{}/api/v1/health", server.url)).send().unwrap().json().unwrap();
    assert_eq!(health["status"], "ok", "the server keeps serving");
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(bytes);
    hasher.finalize()
}
