//! `census login` and `census sync` against a real server: work typed on one device's command
//! line reaches another's; a wrong password and an unreachable server are said plainly.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::Path;
use std::process::{Command, Output};

use census_server::demo;
use census_tests::{Server, admin, cli_binary};
use serde_json::Value;

fn census(replica: &Path, args: &[&str]) -> Output {
    Command::new(cli_binary()).arg("--replica").arg(replica).args(args).output().unwrap()
}

fn ok(replica: &Path, args: &[&str]) -> Value {
    let mut with_json = vec!["--json"];
    with_json.extend_from_slice(args);
    let out = census(replica, &with_json);
    assert!(out.status.success(), "census {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn work_typed_on_one_command_line_reaches_another_after_sync() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "20"]);
    let centre = demo::demo_territories()[0].id.to_string();
    let mut server = Server::start(&db);
    let anna = dir.path().join("anna.census");
    let manager = dir.path().join("manager.census");

    let wrong = census(&anna, &["login", "--server", &server.url, "--login", "anna", "--password", "nope-nope"]);
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("login or password is wrong"));

    let signed_in = ok(&anna, &["login", "--server", &server.url, "--login", "anna", "--password", "census-demo"]);
    assert_eq!(signed_in["user"]["login"], "anna");
    let first = ok(&anna, &["sync"]);
    assert_eq!(first["report"]["updated"], 10, "{first}");
    let added = ok(&anna, &["add", "--name", "Новая точка", "--territory", &centre, "--city", "Тверь"]);
    let id = added["id"].as_str().unwrap().to_owned();
    assert_eq!(ok(&anna, &["sync"])["report"]["pushed"], 1);

    ok(&manager, &["login", "--server", &server.url, "--login", "manager", "--password", "census-demo"]);
    ok(&manager, &["sync"]);
    assert_eq!(ok(&manager, &["show", &id])["prospect"]["name"], "Новая точка");

    // With the server gone, sync says so and the work stays.
    server.kill();
    ok(&anna, &["edit", &id, "--status", "visited"]);
    let offline = census(&anna, &["sync"]);
    assert_eq!(offline.status.code(), Some(3));
    let said = String::from_utf8_lossy(&offline.stderr);
    assert!(said.contains("cannot be reached"), "{said}");
    // One line per failed try, then the failure once.
    let tries: Vec<&str> = said.lines().filter(|line| line.starts_with("sync: try ")).collect();
    assert_eq!(tries.len(), 2, "{said}");
    assert!(tries[0].starts_with("sync: try 1 of 3 failed: the server cannot be reached"), "{said}");
    assert_eq!(said.lines().filter(|line| line.starts_with("census: ")).count(), 1, "{said}");
    assert_eq!(ok(&anna, &["outbox"])["waiting"].as_array().unwrap().len(), 1);
}
