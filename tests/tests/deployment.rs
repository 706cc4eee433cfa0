//! Putting the server where devices can reach it: it listens on the address it is told (here
//! another loopback address than 127.0.0.1), speaks TLS with the certificate it is given and
//! reads a renewed one on SIGHUP, says whether it is alive and ready, and reports metrics.
//! Devices refuse what they should not trust, and keep their cursors when the server moves.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::{ProspectId, TerritoryId};
use census_replica::{ListFilter, SyncClient, SyncError, Trust};
use census_tests::certificates::Authority;
use census_tests::{Device, Server, admin, new_prospect, now};

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

fn add_shop(device: &mut Device, territory: TerritoryId, name: &str) {
    let ctx = device.ctx();
    device
        .replica
        .create_prospect(ProspectId::new_v7(now(), rand::random()), &ctx, &new_prospect(territory, name))
        .unwrap();
}

fn trusting(authority: &Authority) -> Trust {
    Trust { company_ca: Some(authority.pem.clone()), plain_http: false }
}

#[test]
fn devices_speak_https_and_refuse_what_they_should_not_trust() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let company = Authority::new("Census test company");
    let files = company.server_files(dir.path());
    let options = files.options();
    let server = Server::start_with(&db, &options.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(server.url.starts_with("https://127.0.0.1:"), "{}", server.url);

    // A device that knows only the system's authorities refuses the certificate, in words.
    let mut replica = census_tests::new_replica(dir.path(), "doubter").0;
    let doubting = SyncClient::new(&server.url).unwrap();
    let refused = replica.login(&doubting, "anna", "census-demo", "doubter").unwrap_err();
    assert!(matches!(refused, SyncError::Untrusted(_)), "{refused:?}");
    assert!(refused.to_string().contains("signed by an authority this device does not know"), "{refused}");

    // Given the company's authority, it signs in and syncs over TLS.
    let mut anna = Device::sign_in_trusting(dir.path(), "anna", &server.url, &trusting(&company), "anna");
    anna.sync().unwrap();
    assert_eq!(anna.replica.list(&ListFilter::default()).unwrap().len(), 10);
    // The trust is kept with the sign-in: the device's own client trusts the authority too.
    let mut again = anna.replica.client().unwrap();
    anna.replica.sync(&again, census_tests::now(), &mut |_| {}).unwrap();
    assert_eq!(again.trust().company_ca.as_deref(), Some(company.pem.as_str()));

    // Plain http beyond this machine is refused unless the person insists.
    let plain = SyncClient::new("http://192.0.2.10:8737").unwrap_err();
    assert!(matches!(plain, SyncError::PlainHttp(_)) && plain.to_string().contains("Use https://"), "{plain}");
    let insisted = Trust { company_ca: None, plain_http: true };
    assert!(SyncClient::connect("http://192.0.2.10:8737", &insisted).is_ok());
    assert!(SyncClient::new("http://localhost:8737").is_ok() && SyncClient::new("http://127.0.0.2:1").is_ok());
    let not_an_address = SyncClient::new("census.example.com").unwrap_err();
    assert!(matches!(not_an_address, SyncError::BadAddress(_)), "{not_an_address:?}");
    let bad_authority = Trust { company_ca: Some("not a certificate".into()), plain_http: false };
    assert!(matches!(SyncClient::connect(&server.url, &bad_authority), Err(SyncError::BadAuthority(_))));

    // The command line signs in with --ca-cert, and syncs with what it was told to trust.
    let ca_file = company.write(&dir.path().join("company-ca.pem"));
    let replica_file = dir.path().join("cli.census");
    let cli = |args: &[&str]| {
        std::process::Command::new(census_tests::cli_binary())
            .arg("--replica")
            .arg(&replica_file)
            .args(args)
            .env("CENSUS_PASSWORD", "census-demo")
            .output()
            .unwrap()
    };
    let out = cli(&["login", "--server", &server.url, "--login", "boris"]);
    assert!(!out.status.success(), "no authority: refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not trusted"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&["login", "--server", &server.url, "--login", "boris", "--ca-cert", ca_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli(&["sync"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    again = SyncClient::new(&server.url).unwrap();
    assert!(again.trust().company_ca.is_none());
}

#[test]
fn a_renewed_certificate_is_read_again_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "4"]);
    let (old, renewed) = (Authority::new("the old authority"), Authority::new("the new authority"));
    let files = old.server_files(dir.path());
    let options = files.options();
    let server = Server::start_with(&db, &options.iter().map(String::as_str).collect::<Vec<_>>());
    let sign_in = |name: &str, authority: &Authority| {
        let client = SyncClient::connect(&server.url, &trusting(authority)).unwrap();
        let (mut replica, _) = census_tests::new_replica(dir.path(), name);
        replica.login(&client, "anna", "census-demo", name)
    };
    sign_in("first", &old).unwrap();

    // The certificate is renewed in place (by another authority, to tell them apart) and the
    // server told: new connections get the new one, with no restart.
    renewed.server_files(dir.path());
    server.signal("HUP");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sign_in("probe", &renewed).is_err() {
        assert!(std::time::Instant::now() < deadline, "the renewed certificate was not read");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(matches!(sign_in("old-trust", &old), Err(SyncError::Untrusted(_))));

    // A renewal gone wrong (a half-written key) keeps the certificate in use.
    std::fs::write(&files.key, "-----BEGIN PRIVATE KEY-----\nnot quite\n").unwrap();
    server.signal("HUP");
    std::thread::sleep(std::time::Duration::from_millis(500));
    sign_in("after-bad-renewal", &renewed).unwrap();
}

#[test]
fn a_device_keeps_its_cursors_when_its_server_moves_from_http_to_https() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "200"]);
    let mut server = Server::start(&db);
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let first = anna.sync().unwrap();
    assert!(first.bootstrapped + first.pulled > 0, "{first:?}");
    let territory = anna.replica.list(&ListFilter::default()).unwrap()[0].territory.parse().unwrap();

    // The server moves to https (same database, a new address); meanwhile a colleague adds a shop.
    server.kill();
    let company = Authority::new("Census test company");
    let files = company.server_files(dir.path());
    let options = files.options();
    let moved = Server::start_with(&db, &options.iter().map(String::as_str).collect::<Vec<_>>());
    let mut colleague = Device::sign_in_trusting(dir.path(), "colleague", &moved.url, &trusting(&company), "anna");
    colleague.sync().unwrap();
    add_shop(&mut colleague, territory, "Новый киоск");
    colleague.sync().unwrap();

    // Anna signs in at the new address: the same server, so only the new shop comes down.
    let client = SyncClient::connect(&moved.url, &trusting(&company)).unwrap();
    anna.replica.login(&client, "anna", "census-demo", "anna").unwrap();
    anna.client = client;
    let after_move = anna.sync().unwrap();
    assert_eq!(after_move.bootstrapped, 0, "{after_move:?}");
    assert!(after_move.pulled >= 1 && after_move.pulled < 10, "{after_move:?}");
    let every = ListFilter { limit: 1_000, ..ListFilter::default() };
    assert!(anna.replica.list(&every).unwrap().iter().any(|row| row.name == "Новый киоск"), "{after_move:?}");
}

/// The value of the metric line that starts with `name` (labels included) in `text`.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(name))
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

#[test]
fn metrics_move_as_devices_push_and_pull() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let server = Server::start(&db);
    let http = reqwest::blocking::Client::new();
    let scrape = || http.get(format!("{}/metrics", server.url)).send().unwrap().text().unwrap();
    let before = scrape();
    assert!(before.contains("# TYPE census_requests_total counter"), "{before}");

    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    anna.sync().unwrap();
    let territory = anna.replica.list(&ListFilter::default()).unwrap()[0].territory.parse().unwrap();
    for name in ["Ларёк 1", "Ларёк 2", "Ларёк 3"] {
        add_shop(&mut anna, territory, name);
    }
    anna.sync().unwrap();
    let mut stranger = census_tests::new_replica(dir.path(), "stranger").0;
    let _ = stranger.login(&SyncClient::new(&server.url).unwrap(), "anna", "wrong", "stranger");

    let after = scrape();
    assert!(metric(&after, "census_changes_stored_total") >= 3.0, "{after}");
    assert!(metric(&after, "census_pushes_total") >= 1.0);
    assert!(metric(&after, "census_pulls_total") > metric(&before, "census_pulls_total"));
    assert!(metric(&after, "census_bootstraps_total") >= 1.0);
    assert_eq!(metric(&after, "census_sign_ins_failed_total"), 1.0);
    assert!(metric(&after, "census_requests_total{route=\"/api/v1/push\",status=\"200\"}") >= 1.0, "{after}");
    assert!(metric(&after, "census_request_duration_seconds_count{route=\"/api/v1/pull\"}") >= 1.0, "{after}");
    assert!(metric(&after, "census_active_devices") >= 1.0);
    assert!(metric(&after, "census_database_bytes") > 0.0);
    assert!(after.contains("census_compaction_lag_changes"));
    assert!(metric(&after, "census_feed_end") > metric(&before, "census_feed_end"));
    // Counts say how much, never who.
    assert!(!after.contains("anna") && !after.contains(&anna.replica.device().to_string()));

    // A server that lets only another network read its metrics answers loopback with 404.
    let guarded = Server::start_with(&db.with_file_name("guarded.db"), &["--metrics-from", "10.0.0.0/8"]);
    let answer = http.get(format!("{}/metrics", guarded.url)).send().unwrap();
    assert_eq!(answer.status().as_u16(), 404);
}
