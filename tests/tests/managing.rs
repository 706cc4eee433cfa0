//! Managers change the directory from their devices, through a real server over HTTP: devices
//! listed and revoked, a departing agent retired with their territory handed to a newcomer
//! (whose device then receives the territory's whole history), territories outlined and
//! planned, questionnaire versions published; and agents may do none of it.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::{Retirement, Role, Territory};
use census_replica::{ListFilter, SyncError};
use census_server::demo::{demo_questionnaire, demo_territories};
use census_tests::{Device, Server, admin};

fn demo(dir: &std::path::Path) -> Server {
    let db = dir.join("server.db");
    admin(&db, &["demo", "--prospects", "40"]);
    Server::start(&db)
}

fn refused_code(result: Result<impl std::fmt::Debug, SyncError>) -> String {
    match result {
        Err(SyncError::Refused { code, .. }) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Anna's device and the manager's, both synced.
fn anna_and_manager(dir: &std::path::Path, server: &Server) -> (Device, Device) {
    let mut anna = Device::sign_in(dir, "anna", server, "anna");
    let mut manager = Device::sign_in(dir, "manager", server, "manager");
    anna.sync().unwrap();
    manager.sync().unwrap();
    (anna, manager)
}

fn everything(device: &Device) -> usize {
    device.replica.list(&ListFilter { limit: 1_000, ..ListFilter::default() }).unwrap().len()
}

#[test]
fn a_departing_agent_is_retired_and_the_newcomer_receives_the_whole_territory() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(dir.path());
    admin(
        &server.db,
        &["user", "add", "olga", "--name", "Ольга Новикова", "--role", "agent", "--password", "census-demo"],
    );
    let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
    let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
    anna.sync().unwrap();
    manager.sync().unwrap();
    // Anna's last edit before she leaves.
    let shop = anna.replica.search("ромашка 1", 1).unwrap()[0].id;
    anna.replica.edit_prospect(shop, &anna.ctx(), |p| p.set_notes("Передаю Ольге")).unwrap();
    anna.sync().unwrap();
    let annas = everything(&anna);
    assert_eq!(annas, 20);

    // The newcomer has nothing to survey yet.
    let mut olga = Device::sign_in(dir.path(), "olga", &server, "olga");
    olga.sync().unwrap();
    assert_eq!(everything(&olga), 0);

    let retired = manager
        .replica
        .retire_person(&manager.client, &Retirement { login: "anna".into(), successor: Some("olga".into()) })
        .unwrap();
    assert!(retired.person.retired);
    assert_eq!(retired.handed_over, vec![demo_territories()[0].id]);
    // The manager's copy of the directory already says so.
    let centre = manager.replica.territories().unwrap().into_iter().find(|t| t.id == demo_territories()[0].id).unwrap();
    assert_eq!(centre.agents, vec![olga.user()]);

    // Anna's device stops syncing; Olga's receives the territory, Anna's last edit included.
    assert!(matches!(anna.sync(), Err(SyncError::Revoked)));
    olga.sync().unwrap();
    assert_eq!(everything(&olga), annas);
    assert_eq!(olga.replica.prospect(shop).unwrap().prospect.notes, "Передаю Ольге");
    let history = olga.replica.prospect(shop).unwrap().history;
    assert!(history.iter().any(|edit| edit.path.to_string() == "notes"), "Anna's edit is in the history");
    // Olga can work there.
    olga.replica.edit_prospect(shop, &olga.ctx(), |p| p.set_notes("Была у них")).unwrap();
    assert_eq!(olga.sync().unwrap().refused, 0);
}

#[test]
fn managers_revoke_devices_outline_territories_and_publish_questionnaires() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(dir.path());
    let (mut anna, mut manager) = anna_and_manager(dir.path(), &server);

    // Devices, then Anna's revoked (it was lost).
    let devices = manager.replica.devices(&manager.client).unwrap();
    let annas = devices.iter().find(|d| d.login == "anna").expect("Anna's device is listed");
    assert!(!annas.revoked && annas.last_seen_at.is_some());
    manager.replica.revoke_device(&manager.client, annas.id).unwrap();
    assert!(matches!(anna.sync(), Err(SyncError::Revoked)));
    assert!(manager.replica.devices(&manager.client).unwrap().iter().any(|d| d.id == annas.id && d.revoked));
    // Nobody revokes the device in their own hands.
    assert_eq!(refused_code(manager.replica.revoke_device(&manager.client, manager.replica.device())), "bad_request");

    // A territory outlined, with a planned target and Boris alone assigned.
    let boris = manager.replica.people().unwrap().into_iter().find(|p| p.login == "boris").unwrap();
    let mut centre = demo_territories()[0].clone();
    centre.planned_prospects = Some(320);
    centre.boundary = vec![[56.84, 35.89], [56.84, 35.94], [56.88, 35.94], [56.88, 35.89]];
    centre.agents = vec![boris.id];
    manager.replica.save_territory(&manager.client, &centre).unwrap();
    let mut boris_device = Device::sign_in(dir.path(), "boris", &server, "boris");
    boris_device.sync().unwrap();
    let seen = boris_device.replica.territories().unwrap().into_iter().find(|t| t.id == centre.id).unwrap();
    assert_eq!(seen, centre, "every device receives the outline, the target and the agents");
    assert_eq!(everything(&boris_device), 40, "Boris now surveys both territories");

    // A new territory, and a bad one refused in words.
    let north = Territory {
        id: census_core::TerritoryId::new_v7(census_tests::now(), rand::random()),
        name: "Тверь — Север".into(),
        planned_prospects: Some(100),
        agents: vec![],
        boundary: vec![],
    };
    manager.replica.save_territory(&manager.client, &north).unwrap();
    assert!(manager.replica.territories().unwrap().iter().any(|t| t.name == "Тверь — Север"));
    let two_corners = Territory { boundary: vec![[56.9, 35.9], [56.95, 35.9]], ..north.clone() };
    match manager.replica.save_territory(&manager.client, &two_corners) {
        Err(SyncError::Refused { code, message }) => {
            assert_eq!(code, "bad_request");
            assert!(message.contains("at least three corners"), "{message}");
        }
        other => panic!("a two-corner outline was not refused: {other:?}"),
    }

    // A new questionnaire version; a published version never changes.
    let mut second = demo_questionnaire();
    second.version = 2;
    second.questions.truncate(3);
    manager.replica.publish_questionnaire(&manager.client, &second).unwrap();
    assert!(manager.replica.questionnaires().unwrap().iter().any(|q| q.version == 2));
    second.questions.truncate(2);
    assert_eq!(refused_code(manager.replica.publish_questionnaire(&manager.client, &second)), "conflict");
}

#[test]
fn agents_may_not_manage_and_managers_may_not_add_or_retire_managers() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo(dir.path());
    let (mut anna, mut manager) = anna_and_manager(dir.path(), &server);
    assert_eq!(refused_code(anna.replica.devices(&anna.client)), "forbidden");
    let retire_boris = Retirement { login: "boris".into(), successor: Some("anna".into()) };
    assert_eq!(refused_code(anna.replica.retire_person(&anna.client, &retire_boris)), "forbidden");
    assert_eq!(refused_code(anna.replica.save_territory(&anna.client, &demo_territories()[0])), "forbidden");

    let newcomer = |login: &str, role: Role, password: &str| census_core::NewPerson {
        login: login.into(),
        name: "Новый Сотрудник".into(),
        role,
        password: password.into(),
    };
    assert_eq!(
        refused_code(anna.replica.add_person(&anna.client, &newcomer("vera", Role::Agent, "census-demo"))),
        "forbidden"
    );
    assert_eq!(
        refused_code(manager.replica.add_person(&manager.client, &newcomer("vera", Role::Admin, "census-demo"))),
        "forbidden",
        "only an administrator adds an administrator"
    );
    assert_eq!(
        refused_code(manager.replica.add_person(&manager.client, &newcomer("vera", Role::Agent, "short"))),
        "bad_request"
    );
    assert_eq!(
        refused_code(manager.replica.add_person(&manager.client, &newcomer("ve ra", Role::Agent, "census-demo"))),
        "bad_request"
    );
    assert_eq!(
        refused_code(manager.replica.add_person(&manager.client, &newcomer("boris", Role::Agent, "census-demo"))),
        "conflict"
    );
    let vera = manager.replica.add_person(&manager.client, &newcomer("vera", Role::Agent, "census-demo")).unwrap();
    assert!(manager.replica.people().unwrap().contains(&vera), "the manager's directory has her at once");
    let mut vera_device = Device::sign_in(dir.path(), "vera", &server, "vera");
    assert_eq!(vera_device.sync().unwrap().pulled, 0, "no territory yet");

    let retire_manager = Retirement { login: "manager".into(), successor: None };
    assert_eq!(refused_code(manager.replica.retire_person(&manager.client, &retire_manager)), "forbidden");
    let unknown = Retirement { login: "nobody".into(), successor: None };
    assert_eq!(refused_code(manager.replica.retire_person(&manager.client, &unknown)), "not_found");
    let to_nobody = Retirement { login: "boris".into(), successor: Some("nobody".into()) };
    assert_eq!(refused_code(manager.replica.retire_person(&manager.client, &to_nobody)), "not_found");
    let to_himself = Retirement { login: "boris".into(), successor: Some("boris".into()) };
    assert_eq!(refused_code(manager.replica.retire_person(&manager.client, &to_himself)), "bad_request");
    // Nothing of that changed anyone: Boris still works.
    let mut boris = Device::sign_in(dir.path(), "boris", &server, "boris");
    boris.sync().unwrap();
    assert_eq!(everything(&boris), 20);
    assert_eq!(manager.replica.role().unwrap(), Some(Role::Manager));

    // Malformed and oversized bodies are refused in words; the server stays up.
    let http = reqwest::blocking::Client::new();
    let device = census_core::DeviceId::new_v7(census_tests::now(), rand::random());
    let login = serde_json::json!({ "login": "manager", "password": "census-demo", "device": device });
    let signed_in: serde_json::Value =
        http.post(format!("{}/api/v1/login", server.url)).json(&login).send().unwrap().json().unwrap();
    let token = signed_in["token"].as_str().unwrap();
    let retire = format!("{}/api/v1/people/retire", server.url);
    let reply = http.post(&retire).bearer_auth(token).body("{").send().unwrap();
    assert_eq!(reply.status(), 400);
    let said: serde_json::Value = reply.json().unwrap();
    assert!(said["message"].as_str().unwrap().starts_with("this is not a valid retirement"), "{said}");
    let reply = http.post(&retire).bearer_auth(token).body(vec![b' '; 2 << 20]).send().unwrap();
    assert_eq!(reply.status(), 413);
    let reply = http.post(&retire).body("{}").send().unwrap();
    assert_eq!(reply.status(), 401, "no token, no change");
    assert!(boris.sync().is_ok());
}

#[test]
fn roles_act_downward_on_devices_and_ids_in_use_cannot_be_claimed() {
    use census_tests::hostile::{RawApi, assert_error};
    let dir = tempfile::tempdir().unwrap();
    let server = demo(dir.path());
    let (mut anna, mut manager) = anna_and_manager(dir.path(), &server);
    let mut boss = Device::sign_in(dir.path(), "boss", &server, "admin");
    boss.sync().unwrap();
    let devices = manager.replica.devices(&manager.client).unwrap();
    let device_of = |login: &str| devices.iter().find(|d| d.login == login).unwrap().id;

    // A manager may not revoke an administrator's device; an administrator may revoke a manager's.
    assert_eq!(refused_code(manager.replica.revoke_device(&manager.client, device_of("admin"))), "forbidden");
    boss.replica.revoke_device(&boss.client, device_of("manager")).unwrap();
    assert!(matches!(manager.sync(), Err(SyncError::Revoked)));
    // The manager's revoked device cannot sign in again until an administrator reinstates it;
    // a manager may not reinstate anything, an administrator may.
    let other_manager = RawApi::sign_in(&server, "manager");
    let reinstate = |api: &RawApi, device: census_core::DeviceId| {
        api.http
            .post(format!("{}/api/v1/devices/reinstate", api.url))
            .bearer_auth(&api.token)
            .json(&serde_json::json!({ "device": device }))
            .send()
            .unwrap()
    };
    assert_error(reinstate(&other_manager, device_of("manager")), 403, "forbidden");
    let message = match manager.replica.login(&manager.client, "manager", "census-demo", "manager") {
        Err(SyncError::Refused { message, .. }) => message,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(message.contains("reinstate"), "{message}");
    let admin_api = RawApi::sign_in(&server, "admin");
    assert_eq!(reinstate(&admin_api, device_of("manager")).status().as_u16(), 200);
    manager.replica.login(&manager.client, "manager", "census-demo", "manager").unwrap();
    manager.sync().unwrap();
    // A manager still revokes an agent's device.
    manager.replica.revoke_device(&manager.client, device_of("anna")).unwrap();
    assert!(matches!(anna.sync(), Err(SyncError::Revoked)));

    // The nil id, and the id of a device whose changes are in the feed (the demo base's), cannot
    // be claimed by a new device.
    let claim = |device: &str| {
        let body = serde_json::json!({ "login": "boris", "password": "census-demo", "device": device });
        admin_api.http.post(format!("{}/api/v1/login", server.url)).json(&body).send().unwrap()
    };
    assert_error(claim("00000000-0000-0000-0000-000000000000"), 409, "device_id_taken");
    assert_error(claim(&census_server::demo::demo_device().to_string()), 409, "device_id_taken");
}

#[test]
fn an_agent_receives_only_the_people_they_work_with() {
    use census_tests::hostile::RawApi;
    let dir = tempfile::tempdir().unwrap();
    let server = demo(dir.path());
    let logins = |login: &str| -> Vec<String> {
        let api = RawApi::sign_in(&server, login);
        let directory: serde_json::Value = api
            .http
            .get(format!("{}/api/v1/directory", api.url))
            .bearer_auth(&api.token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let mut logins: Vec<String> = directory["directory"]["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["login"].as_str().unwrap().to_owned())
            .collect();
        logins.sort();
        logins
    };
    // Anna works in the centre alone: she gets the managers and herself, not Boris.
    assert_eq!(logins("anna"), ["admin", "anna", "manager"]);
    // A colleague in her territory appears.
    admin(&server.db, &["user", "add", "olga", "--name", "Ольга", "--role", "agent", "--password", "census-demo"]);
    admin(&server.db, &["assign", &demo_territories()[0].id.to_string(), "olga"]);
    assert_eq!(logins("anna"), ["admin", "anna", "manager", "olga"]);
    // Managers see everyone.
    assert_eq!(logins("manager"), ["admin", "anna", "boris", "manager", "olga"]);
}
