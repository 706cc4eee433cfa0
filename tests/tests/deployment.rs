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

#[test]
fn a_configuration_file_sets_the_server_up_and_its_mistakes_are_said_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "4"]);
    let config = dir.path().join("census-server.toml");
    let text = format!(
        "db = \"{}\"\nlisten = \"127.0.0.3:8737\"\ntoken_lifetime_secs = 3600\ntrusted_proxies = [\"127.0.0.1\"]\n",
        db.display()
    );
    std::fs::write(&config, text).unwrap();
    let config = config.to_str().unwrap();

    // `config check` says what the file adds up to, and that the database is there.
    let checked = admin(&db, &["--config", config, "config", "check"]);
    assert!(checked.contains("listen = \"127.0.0.3:8737\""), "{checked}");
    assert!(checked.contains("token_lifetime_secs = 3600") && checked.contains("\"127.0.0.1/32\""), "{checked}");
    assert!(checked.contains("at schema"), "{checked}");

    // The server listens where the file says (the port from the command line), and serves.
    let server = Server::start_with(&db, &["--config", config]);
    assert!(server.url.starts_with("http://127.0.0.3:"), "{}", server.url);
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();

    // A mistake is refused before anything starts, in words.
    let wrong = dir.path().join("wrong.toml");
    std::fs::write(&wrong, "listn = \"0.0.0.0:8737\"\n").unwrap();
    let out = std::process::Command::new(census_tests::server_binary())
        .args(["--config", wrong.to_str().unwrap(), "config", "check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("is not right") && said.contains("unknown field"), "{said}");
}
