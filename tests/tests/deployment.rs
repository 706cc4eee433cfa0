//! Putting the server where devices can reach it: it listens on the address it is told (here
//! another loopback address than 127.0.0.1), and says whether it is alive and ready.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_replica::ListFilter;
use census_tests::{Device, Server, admin};

#[test]
fn the_server_listens_where_it_is_told_and_says_when_it_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let server = Server::start_with(&db, &["--listen", "127.0.0.2:0"]);
    assert!(server.url.starts_with("http://127.0.0.2:"), "{}", server.url);

    // A device syncs with it there.
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();
    assert_eq!(anna.replica.list(&ListFilter::default()).unwrap().len(), 10);

    // Alive, and ready: its database answers at the schema this server writes.
    let http = reqwest::blocking::Client::new();
    let health = http.get(format!("{}/api/v1/health", server.url)).send().unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let ready = http.get(format!("{}/api/v1/ready", server.url)).send().unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    let body: serde_json::Value = ready.json().unwrap();
    assert_eq!(body["status"], "ready");
    assert!(body["schema"].as_u64().is_some_and(|schema| schema >= 8), "{body}");
}
