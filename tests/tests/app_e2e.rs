//! The real app in a real window (tauri-driver, WebKitWebDriver, Xvfb) against a real
//! `census-server`.
//!
//! The first test is an agent's day: a wrong password is said plainly; signing in and syncing
//! fills the list; search narrows it; then, with the server down, a new prospect (its form says
//! what is missing), a contact added and edited, a census visit whose questionnaire shows its
//! problems next to the questions until they are fixed, a photo; the app is quit and started
//! again and everything is still there; the server comes back, one sync, and a second device
//! finds all of it. The second test: the app syncs by itself, a change made on another device
//! appears, and a concurrent edit shows a conflict badge until it is settled in the card. The
//! screens are photographed in both languages and at phone width (into `target/screenshots/`).

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::PathBuf;
use std::time::Duration;

use census_replica::MAX_IMPORT_ROWS;
use census_tests::app::Driver;
use census_tests::window::*;
use census_tests::{Device, Server, admin};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};

/// Waits until the list says it holds `count` prospects.
async fn wait_for_rows(client: &Client, count: usize) {
    wait_for_text(client, "list-count", |t| t.ends_with(&format!(": {count}"))).await;
}

/// Opens the first prospect whose name starts with `name`.
async fn open_prospect(client: &Client, name: &str) {
    let search = client.find(Locator::Css(&testid("search"))).await.unwrap();
    search.clear().await.unwrap();
    search.send_keys(name).await.unwrap();
    wait_for_text(client, "prospect-row", |t| t.starts_with(name)).await;
    click(client, "prospect-row").await;
    wait_for_text(client, "card-name", |t| t.starts_with(name)).await;
}

async fn fill_text(client: &Client, name: &str, value: &str) {
    let field = client.find(Locator::Css(&format!("textarea[name='{name}']"))).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Another of Anna's devices, which renames "Ромашка 1" to "Ромашка у вокзала" and syncs.
fn renamed_on_a_phone(dir: &std::path::Path, server: &Server) -> Device {
    let mut phone = Device::sign_in(dir, "phone", server, "anna");
    phone.sync().unwrap();
    let target = phone.replica.search("ромашка 1", 1).unwrap()[0].id;
    phone.replica.edit_prospect(target, &phone.ctx(), |p| p.set_name("Ромашка у вокзала")).unwrap();
    phone.sync().unwrap();
    phone
}

/// A server over a demo base of 40 prospects (20 in Anna's territory).
fn demo_server(dir: &std::path::Path) -> (PathBuf, Server) {
    let db = dir.join("server.db");
    admin(&db, &["demo", "--prospects", "40"]);
    let server = Server::start(&db);
    (db, server)
}

/// Types into a question's text input (`name` is the question id).
async fn answer(client: &Client, question: &str, text: &str) {
    let field = client.find(Locator::Css(&format!("input[name='{question}']"))).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(&format!("{text}{}", Key::Tab)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_works_offline_quits_and_syncs_when_the_server_is_back() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, mut server) = demo_server(dir.path());
    let port = server.port();
    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;

    // Sign in: a wrong password first.
    client.wait().at_most(WAIT).for_element(Locator::Css(&testid("sign-in"))).await.unwrap();
    screenshot(&driver, &client, "sign-in-ru").await;
    fill(&client, "server", &server.url).await;
    fill(&client, "login", "anna").await;
    fill(&client, "password", "not-her-password").await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "sign-in-error", |t| t == "Неверный логин или пароль.").await;
    fill(&client, "password", "census-demo").await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "who", |t| t == "Анна Смирнова").await;

    // Sync: her territory arrives (half of the demo base).
    click(&client, "sync").await;
    wait_for_rows(&client, 20).await;
    wait_for_text(&client, "sync-message", |t| t.contains("20")).await;
    screenshot(&driver, &client, "list-ru").await;
    click(&client, "to-territories").await;
    wait_for_text(&client, "territory", |t| t.contains("Обследовано 0 из")).await;
    screenshot(&driver, &client, "territories-ru").await;

    // The map: her prospects as markers; a tap on empty ground offers to add one there.
    click(&client, "to-map").await;
    wait_for_text(&client, "map-count", |t| t == "На карте: 20").await;
    screenshot(&driver, &client, "map-ru").await;
    // Filtered like the list: three of her prospects are clients.
    let map_status = client.find(Locator::Css(&testid("map-status"))).await.unwrap();
    map_status.select_by_value("client").await.unwrap();
    wait_for_text(&client, "map-count", |t| t == "На карте: 3").await;
    map_status.select_by_value("").await.unwrap();
    wait_for_text(&client, "map-count", |t| t == "На карте: 20").await;
    let tap = "const c = arguments[0], r = c.getBoundingClientRect(); \
               for (const type of ['mousedown', 'mouseup', 'click']) \
                 c.dispatchEvent(new MouseEvent(type, { clientX: r.left + 40, clientY: r.top + 40, button: 0, bubbles: true }));";
    let canvas = client.find(Locator::Css(&testid("map-canvas"))).await.unwrap();
    client.execute(tap, vec![serde_json::to_value(&canvas).unwrap()]).await.unwrap();
    click(&client, "add-here").await;
    let lat = client.find(Locator::Css("input[name='lat']")).await.unwrap().prop("value").await.unwrap().unwrap();
    assert!(lat.parse::<f64>().is_ok_and(|lat| (56.0..58.0).contains(&lat)), "the tapped latitude is filled in: {lat}");
    click(&client, "cancel-prospect").await;
    click(&client, "to-prospects").await;

    // Search narrows the list; a card opens.
    client.find(Locator::Css(&testid("search"))).await.unwrap().send_keys("ромаш").await.unwrap();
    wait_for_rows(&client, 5).await;
    click(&client, "prospect-row").await;
    wait_for_text(&client, "card-name", |t| t.starts_with("Ромашка")).await;
    screenshot(&driver, &client, "card-ru").await;

    // The server goes down; the agent goes on.
    server.kill();
    click(&client, "sync").await;
    wait_for_text(&client, "sync-error", |t| t.starts_with("Нет связи с сервером")).await;

    // A new prospect: the form says what is missing, then it is saved and waits to be sent.
    click(&client, "add-prospect").await;
    click(&client, "save-prospect").await;
    wait_for_text(&client, "problem-name", |t| t == "Укажите название").await;
    fill(&client, "name", "Новая точка").await;
    fill(&client, "city", "Тверь").await;
    fill(&client, "lat", "56,86").await;
    click(&client, "save-prospect").await;
    wait_for_text(&client, "problem-position", |t| t.contains("Широта")).await;
    screenshot(&driver, &client, "new-prospect-ru").await;
    fill(&client, "lon", "35,91").await;
    click(&client, "save-prospect").await;
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 1").await;

    // A contact, added and then corrected.
    open_prospect(&client, "Новая точка").await;
    click(&client, "add-contact").await;
    fill(&client, "contact-name", "Ольга Петрова").await;
    fill(&client, "contact-phone", "+7 900 111-22-33").await;
    click(&client, "save-contact").await;
    wait_for_text(&client, "contact", |t| t.contains("+7 900 111-22-33")).await;
    click(&client, "edit-contact").await;
    fill(&client, "contact-role", "владелец").await;
    fill(&client, "contact-phone", "+7 900 111-22-44").await;
    click(&client, "save-contact").await;
    wait_for_text(&client, "contact", |t| t.contains("+7 900 111-22-44") && t.contains("владелец")).await;

    // The census visit: a word where a number belongs, then the questionnaire's own rules.
    click(&client, "new-visit").await;
    answer(&client, "staff", "много").await;
    wait_for_text(&client, "problem-staff", |t| t == "Введите целое число").await;
    answer(&client, "staff", "0").await;
    click(&client, "record-visit").await;
    wait_for_text(&client, "problem-staff", |t| !t.is_empty() && t != "Введите целое число").await;
    wait_for_text(&client, "problem-owner_present", |t| !t.is_empty()).await;
    screenshot(&driver, &client, "visit-problems-ru").await;
    // The owner's phone is asked only once the owner is there.
    assert!(client.find(Locator::Css("input[name='owner_phone']")).await.is_err());
    answer(&client, "staff", "12").await;
    let owner_present = client.find(Locator::Css("input[name='owner_present'][value='yes']")).await.unwrap();
    assert!(click_element(&client, owner_present).await);
    answer(&client, "owner_phone", "+7 900 555-66-77").await;
    answer(&client, "floor_area", "85,5").await;
    let picture = dir.path().join("shopfront.png");
    std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/icons/icon.png"), &picture).unwrap();
    client
        .find(Locator::Css("input[name='shopfront']"))
        .await
        .unwrap()
        .send_keys(&picture.display().to_string())
        .await
        .unwrap();
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("{} {}", testid("visit-form"), testid("photo"))))
        .await
        .unwrap();
    // The form settles (the photo kept in the draft) before the finger goes for the button.
    wait_for_text(&client, "visit-message", |t| t == "Черновик сохранён").await;
    screenshot(&driver, &client, "visit-ru").await;
    click(&client, "record-visit").await;
    wait_for_text(&client, "visit", |t| t.contains("12") && t.contains("85,5")).await;
    assert!(client.find(Locator::Css(&testid("continue-draft"))).await.is_err(), "no draft is left behind");
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(&format!("{} {}", testid("visit"), testid("photo"))))
        .await
        .unwrap();

    // Quit and start again: everything is still there.
    client.close().await.unwrap();
    let client = connect(&driver).await;
    wait_for_text(&client, "who", |t| t == "Анна Смирнова").await;
    wait_for_text(&client, "pending", |t| t != "Ждут отправки: 0" && t.starts_with("Ждут отправки")).await;
    open_prospect(&client, "Новая точка").await;
    wait_for_text(&client, "contact", |t| t.contains("+7 900 111-22-44")).await;
    wait_for_text(&client, "visit", |t| t.contains("12")).await;
    screenshot(&driver, &client, "card-with-visit-ru").await;

    // The server is back on the same address: one sync sends everything.
    let server = Server::start_on(&db, port);
    click(&client, "sync").await;
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;
    let arrived = tokio::task::block_in_place(|| {
        let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
        manager.sync().unwrap();
        let found = manager.replica.search("новая точка", 10).unwrap();
        assert_eq!(found.len(), 1, "the prospect typed in the app reached the server");
        assert_eq!((found[0].lat, found[0].lon), (Some(56.86), Some(35.91)));
        let arrived = manager.replica.prospect(found[0].id).unwrap().prospect;
        // The photo taken offline went up after the visit, and the office can fetch it.
        let photo = arrived.visits.values().flat_map(|v| v.answers.values()).find_map(|answer| match answer {
            census_core::Answer::Photo(photo) => Some(photo.sha256.clone()),
            _ => None,
        });
        let fetched = manager.replica.fetch_picture(&manager.client, &photo.unwrap(), census_tests::now()).unwrap();
        assert_eq!(fetched, std::fs::read(&picture).unwrap());
        arrived
    });
    let contacts: Vec<_> = arrived.contacts.values().collect();
    assert_eq!(contacts.len(), 1);
    assert_eq!((contacts[0].phone.as_str(), contacts[0].role.as_str()), ("+7 900 111-22-44", "владелец"));
    let visit = arrived.visits.values().next().expect("the visit arrived");
    let staff = census_core::QuestionId::new("staff").unwrap();
    assert_eq!(visit.answers.get(&staff), Some(&census_core::Answer::Integer(12)));
    assert!(visit.answers.contains_key(&census_core::QuestionId::new("shopfront").unwrap()));

    // English, then phone width.
    click(&client, "language").await;
    wait_for_text(&client, "language", |t| t == "Русский").await;
    wait_for_text(&client, "pending", |t| t.starts_with("Waiting to send")).await;
    screenshot(&driver, &client, "card-en").await;
    click(&client, "to-territories").await;
    wait_for_text(&client, "territory", |t| t.contains("Surveyed")).await;
    screenshot(&driver, &client, "territories-en").await;
    click(&client, "to-map").await;
    wait_for_text(&client, "map-count", |t| t.starts_with("On the map: ")).await;
    screenshot(&driver, &client, "map-en").await;
    click(&client, "to-prospects").await;
    click(&client, "close-card").await;
    wait_for_text(&client, "list-count", |t| t.ends_with(": 21")).await;
    screenshot(&driver, &client, "list-en").await;
    // At phone width the list and an open card take turns on the screen.
    client.set_window_size(390, 844).await.unwrap();
    screenshot(&driver, &client, "list-en-phone").await;
    open_prospect(&client, "Новая точка").await;
    screenshot(&driver, &client, "card-en-phone").await;
    click(&client, "new-visit").await;
    wait_for_text(&client, "visit-form", |t| t.contains("Record the visit")).await;
    screenshot(&driver, &client, "visit-en-phone").await;
    click(&client, "discard-draft").await;
    wait_until_gone(&client, &testid("visit-form")).await;
    assert!(client.find(Locator::Css(&testid("continue-draft"))).await.is_err(), "nothing is left to continue");
    click(&client, "close-card").await;
    wait_until_gone(&client, &testid("prospect-card")).await;
    wait_for_text(&client, "prospect-row", |t| t.starts_with("Новая точка")).await;
    click(&client, "to-map").await;
    wait_for_text(&client, "map-count", |t| t.starts_with("On the map: ")).await;
    screenshot(&driver, &client, "map-en-phone").await;
    // On a phone the map's filters fold away under one button.
    let status_filter = client.find(Locator::Css(&testid("map-status"))).await.unwrap();
    assert!(!status_filter.is_displayed().await.unwrap(), "the filters are folded at phone width");
    click(&client, "map-filters-toggle").await;
    assert!(status_filter.is_displayed().await.unwrap(), "a tap unfolds them");
    status_filter.select_by_value("client").await.unwrap();
    wait_for_text(&client, "map-filters-toggle", |t| t.starts_with("Filters (1 set)")).await;

    client.close().await.unwrap();
    drop(driver);
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_from_another_device_arrive_by_themselves_and_a_concurrent_edit_shows_a_conflict() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, mut server) = demo_server(dir.path());
    let port = server.port();
    let driver = Driver::start_syncing_every(&dir.path().join("app"), 2);
    let client = connect(&driver).await;
    sign_in(&client, &server, "anna").await;
    // No button pressed: the app syncs by itself.
    wait_for_rows(&client, 20).await;

    // Another of Anna's devices renames a prospect; the app shows it after its next sync.
    let mut phone = tokio::task::block_in_place(|| renamed_on_a_phone(dir.path(), &server));
    open_prospect(&client, "Ромашка у вокзала").await;

    // Both change its status while the server is down: a conflict, once both have synced.
    server.kill();
    let status = client.find(Locator::Css(&testid("card-status"))).await.unwrap();
    status.select_by_value("interested").await.unwrap();
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 1").await;
    let _server_again = tokio::task::block_in_place(|| {
        let target = phone.replica.search("ромашка у вокзала", 1).unwrap()[0].id;
        phone.replica.edit_prospect(target, &phone.ctx(), |p| p.set_status(census_core::Status::Refused)).unwrap();
        let server = Server::start_on(&db, port);
        phone.sync().unwrap();
        server
    });
    wait_for_text(&client, "conflict-badge", |t| t == "Конфликт").await;
    click(&client, "prospect-row").await;
    wait_for_text(&client, "card-conflicts", |t| t.contains("Статус") && t.contains("Интерес") && t.contains("Отказ"))
        .await;
    screenshot(&driver, &client, "conflict-ru").await;
    click(&client, "keep-value").await;
    wait_until_gone(&client, &testid("card-conflicts")).await;
    wait_until_gone(&client, &testid("conflict-badge")).await;

    // Adding a shop that is already there: the form warns first, then saves if asked again.
    click(&client, "add-prospect").await;
    fill(&client, "name", "Ромашка 2").await;
    let territory = client.find(Locator::Css("select[name='territory']")).await.unwrap();
    territory.select_by_index(1).await.unwrap();
    fill(&client, "lat", "56.8693").await;
    fill(&client, "lon", "35.9073").await;
    click(&client, "save-prospect").await;
    wait_for_text(&client, "maybe-duplicate", |t| t.contains("Ромашка 2") && t.contains("Похожие названия")).await;
    screenshot(&driver, &client, "maybe-duplicate-ru").await;
    click(&client, "save-prospect").await;
    wait_until_gone(&client, &testid("new-prospect")).await;

    client.close().await.unwrap();
    drop(driver);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_settles_two_agents_conflict_reviews_and_exports_the_merged_base() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (db, server) = demo_server(dir.path());
    let centre = census_server::demo::demo_territories()[0].id.to_string();
    admin(&db, &["assign", &centre, "boris"]);

    // Anna and Boris both set the status of the same shop while apart.
    let (mut anna, mut boris, shop) = tokio::task::block_in_place(|| {
        let mut anna = Device::sign_in(dir.path(), "anna", &server, "anna");
        let mut boris = Device::sign_in(dir.path(), "boris", &server, "boris");
        anna.sync().unwrap();
        boris.sync().unwrap();
        let shop = anna.replica.search("ромашка 1", 1).unwrap()[0].id;
        anna.replica.edit_prospect(shop, &anna.ctx(), |p| p.set_status(census_core::Status::Interested)).unwrap();
        boris.replica.edit_prospect(shop, &boris.ctx(), |p| p.set_status(census_core::Status::Refused)).unwrap();
        // Anna also enters the same shop again, 15 m off, and records a visit to it there.
        let original = anna.replica.prospect(shop).unwrap().prospect;
        let mut again = census_core::NewProspect {
            territory: original.territory,
            name: format!("ООО «{}»", original.name),
            category: original.category.clone(),
            status: census_core::Status::Visited,
            address: original.address.clone(),
            location: original.location,
        };
        if let Some(at) = again.location.as_mut() {
            at.lat += 0.000_13;
        }
        let twin = census_core::ProspectId::new_v7(census_tests::now(), rand::random());
        anna.replica.create_prospect(twin, &anna.ctx(), &again).unwrap();
        let visit = census_core::Visit {
            id: census_core::VisitId::new_v7(census_tests::now(), rand::random()),
            at: census_tests::now(),
            agent: anna.user(),
            questionnaire: census_core::QuestionnaireRef {
                id: census_server::demo::demo_questionnaire().id,
                version: 1,
            },
            answers: Default::default(),
            location: None,
            outcome: "владелец на месте".into(),
        };
        anna.replica.edit_prospect(twin, &anna.ctx(), |p| p.add_visit(&visit)).unwrap();
        anna.sync().unwrap();
        boris.sync().unwrap();
        (anna, boris, (shop, twin, original.name))
    });
    let (shop, twin, shop_name) = shop;

    // The manager's app: the conflict is in her inbox, with who set each value.
    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    sign_in(&client, &server, "manager").await;
    click(&client, "sync").await;
    wait_for_rows(&client, 41).await;
    click(&client, "to-inbox").await;
    wait_for_rows(&client, 1).await;
    click(&client, "prospect-row").await;
    let conflict =
        wait_for_text(&client, "card-conflicts", |t| t.contains("Анна Смирнова") && t.contains("Борис Петров")).await;
    assert!(conflict.contains("Интерес") && conflict.contains("Отказ"), "{conflict}");
    screenshot(&driver, &client, "inbox-ru").await;
    let keep_refused = client.find_all(Locator::Css(&testid("keep-value"))).await.unwrap();
    let texts = conflict_value_texts(&client).await;
    let refused = texts.iter().position(|t| t.contains("Отказ")).expect("a value says Отказ");
    assert!(click_element(&client, keep_refused[refused].clone()).await);
    wait_until_gone(&client, &testid("card-conflicts")).await;
    // She flags it for Anna with a comment.
    fill_text(&client, "review-comment", "Уточните, почему отказ").await;
    click(&client, "flag").await;
    wait_for_text(&client, "review-comment", |t| t == "Уточните, почему отказ").await;
    click(&client, "sync").await;
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;

    // Both agents converge on the manager's choice, and see her flag.
    tokio::task::block_in_place(|| {
        for device in [&mut anna, &mut boris] {
            device.sync().unwrap();
            let detail = device.replica.prospect(shop).unwrap();
            assert!(detail.conflicts.is_empty(), "the conflict is settled on every device");
            assert_eq!(detail.prospect.status, census_core::Status::Refused);
            let review = detail.prospect.review.expect("the manager's review arrived");
            assert_eq!(
                (review.state, review.comment.as_str()),
                (census_core::ReviewState::Flagged, "Уточните, почему отказ")
            );
        }
    });

    // The review queue: everything is new, so everything waits; approving one takes it out.
    click(&client, "to-queue").await;
    wait_for_rows(&client, 41).await;
    click(&client, "prospect-row").await;
    click(&client, "approve").await;
    wait_for_rows(&client, 40).await;
    screenshot(&driver, &client, "queue-ru").await;

    // Duplicates: Anna's second entry is proposed with the shop, with the reasons; the manager
    // keeps the shop, and the second entry's visit moves to it.
    click(&client, "to-duplicates").await;
    wait_for_text(&client, "duplicates-count", |t| t.starts_with("Похожих пар:")).await;
    let pair = find_by_text(&client, "duplicate-pair", &format!("ООО «{shop_name}»")).await;
    let reasons = pair.text().await.unwrap();
    assert!(reasons.contains("Рядом: 14 м") && reasons.contains("Похожие названия"), "{reasons}");
    screenshot(&driver, &client, "duplicates-ru").await;
    let first_name = pair.find(Locator::Css(&format!("{} .name", testid("duplicate-first")))).await.unwrap();
    let keep = if first_name.text().await.unwrap() == shop_name { "keep-first" } else { "keep-second" };
    let button = pair.find(Locator::Css(&testid(keep))).await.unwrap();
    assert!(click_element(&client, button).await);
    wait_for_text(&client, "duplicates-message", |t| t.contains("Перенесено: 1 визит,")).await;
    click(&client, "to-prospects").await;
    wait_for_rows(&client, 40).await;
    open_prospect(&client, &shop_name).await;
    wait_for_text(&client, "visit", |t| t.contains("владелец на месте")).await;
    click(&client, "sync").await;
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;
    tokio::task::block_in_place(|| {
        for device in [&mut anna, &mut boris] {
            device.sync().unwrap();
            let listed = device.replica.list(&census_replica::ListFilter { limit: 100, ..Default::default() }).unwrap();
            assert!(listed.iter().all(|r| r.id != twin), "the duplicate is gone from both agents' lists too");
            assert!(listed.iter().any(|r| r.id == shop));
            assert_eq!(device.replica.prospect(shop).unwrap().prospect.visits.len(), 1, "its visit is on the shop");
        }
    });

    // The dashboard, then the whole base exported and read back.
    click(&client, "to-dashboard").await;
    wait_for_text(&client, "coverage", |t| t.contains("Тверь — Центр") && t.contains("Тверь — Заволжье")).await;
    wait_for_text(&client, "funnel-refused", |t| t.ends_with(" 1") || t.ends_with("\n1")).await;
    wait_for_text(&client, "categories", |t| t.contains("Продукты")).await;
    screenshot(&driver, &client, "dashboard-ru").await;
    click(&client, "to-prospects").await;
    wait_for_rows(&client, 40).await;
    let exports = dir.path().join("app/exports");
    let file = export_from_app(&client, &exports, "xlsx").await;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    let sheet = calamine::Reader::worksheet_range(&mut workbook, census_replica::XLSX_SHEET).unwrap();
    let xlsx_rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let file = export_from_app(&client, &exports, "csv").await;
    // Exported from a window in Russian: a Russian CSV, semicolons between cells.
    let csv_rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(&file)
        .map(|mut reader| {
            let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
            std::iter::once(header)
                .chain(reader.records().map(|r| r.unwrap().iter().map(String::from).collect()))
                .collect()
        })
        .unwrap();
    for rows in [&xlsx_rows, &csv_rows] {
        assert_eq!(rows.len(), 41, "a header and every prospect of the base");
        let column = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
        let id = column("Идентификатор Census");
        let row = rows.iter().find(|r| r[id] == shop.to_string()).expect("the shop is exported");
        assert_eq!(row[column("Статус")], "Отказ", "the export holds the settled value, in words");
        assert_eq!(row[column("Визитов")], "1", "and the visit merged into it");
        assert!(rows.iter().all(|r| r[id] != twin.to_string()), "the merged duplicate is not exported");
    }
    let file = export_from_app(&client, &exports, "geojson").await;
    let map: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let features = map["features"].as_array().unwrap();
    let property =
        |feature: &serde_json::Value, name: &str| feature["properties"][name].as_str().unwrap_or_default().to_owned();
    let on_map =
        features.iter().find(|f| property(f, "census_id") == shop.to_string()).expect("the shop is on the map");
    assert_eq!(property(on_map, "status"), "refused");
    assert_eq!(on_map["geometry"]["type"], "Point");
    assert!(
        features.iter().all(|f| property(f, "census_id") != twin.to_string()),
        "the merged duplicate is not on the map"
    );

    client.close().await.unwrap();
    drop(driver);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_hires_an_agent_retires_another_hands_the_territory_over_and_outlines_it() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, server) = demo_server(dir.path());
    let centre = census_server::demo::demo_territories()[0].id;

    // Anna's last note before she leaves.
    let (mut anna, shop) = tokio::task::block_in_place(|| {
        let (mut anna, shop) = anna_and_romashka(dir.path(), &server);
        anna.replica.edit_prospect(shop.id, &anna.ctx(), |p| p.set_notes("Ключи у соседей")).unwrap();
        anna.sync().unwrap();
        // And one more, offline, that reaches the server only after she is retired.
        anna.replica.edit_prospect(shop.id, &anna.ctx(), |p| p.add_tag("вывеска сменилась")).unwrap();
        (anna, shop.id)
    });

    // The manager adds Olga, who joins and has nothing to survey yet.
    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    sign_in(&client, &server, "manager").await;
    click(&client, "sync").await;
    wait_for_rows(&client, 40).await;
    click(&client, "to-people").await;
    wait_for_text(&client, "device", |t| !t.is_empty()).await;
    // A login already taken: the server's refusal, in Russian through and through.
    click(&client, "add-person").await;
    fill(&client, "person-name", "Анна Вторая").await;
    fill(&client, "person-login", "anna").await;
    fill(&client, "person-password", "census-demo").await;
    click(&client, "add-person-confirm").await;
    let refused = wait_for_text(&client, "people-problem", |t| !t.is_empty()).await;
    assert!(refused.starts_with("Сервер не принял запрос: это противоречит"), "{refused}");
    assert!(!refused.chars().any(|c| c.is_ascii_alphabetic()), "no English inside: {refused}");
    fill(&client, "person-name", "Ольга Новикова").await;
    fill(&client, "person-login", "olga").await;
    fill(&client, "person-password", "census-demo").await;
    click(&client, "add-person-confirm").await;
    wait_for_text(&client, "people-message", |t| t == "Добавлен(а): Ольга Новикова, вход «olga»").await;
    let mut olga = tokio::task::block_in_place(|| {
        let mut olga = Device::sign_in(dir.path(), "olga", &server, "olga");
        assert_eq!(olga.sync().unwrap().pulled, 0);
        olga
    });

    // The manager retires Anna and hands her territory to Olga, in one step.
    let anna_row = find_by_text(&client, "person", "Анна Смирнова").await;
    let retire = anna_row.find(Locator::Css(&testid("retire"))).await.unwrap();
    assert!(click_element(&client, retire).await);
    choose(&client, "successor", "olga").await;
    click(&client, "retire-confirm").await;
    wait_for_text(&client, "people-message", |t| t == "Анна Смирнова больше не может входить; территорий передано: 1")
        .await;
    screenshot(&driver, &client, "people-ru").await;

    // Anna's device delivers what she made before, and learns it is revoked.
    tokio::task::block_in_place(|| assert!(matches!(anna.sync(), Err(census_replica::SyncError::Revoked))));

    // The territory now lists Olga; its plan is raised; Anna's late work is listed.
    click(&client, "to-territories").await;
    let late = find_by_text(&client, "late-arrival", "Анна Смирнова").await.text().await.unwrap();
    assert!(late.contains("Ромашка") && late.contains("Тверь — Центр"), "{late}");
    let row = find_by_text(&client, "territory-row", "Ольга Новикова").await;
    assert!(row.text().await.unwrap().contains("Тверь — Центр"));
    assert!(click_element(&client, row.find(Locator::Css(&testid("edit-territory"))).await.unwrap()).await);
    fill(&client, "planned", "300").await;
    click(&client, "save-territory").await;
    wait_for_text(&client, "territories-message", |t| t == "Сохранено").await;
    find_by_text(&client, "territory-row", "из 300").await;
    screenshot(&driver, &client, "territories-manager-ru").await;

    // Its outline, drawn on the map corner by corner.
    click(&client, "to-map").await;
    choose(&client, "map-territory", &centre.to_string()).await;
    click(&client, "draw-outline").await;
    let canvas = client.find(Locator::Css(&testid("map-canvas"))).await.unwrap();
    for (x, y) in [(0.2, 0.2), (0.8, 0.2), (0.8, 0.8), (0.2, 0.8)] {
        let tap = format!(
            "const c = arguments[0], r = c.getBoundingClientRect(); \
             for (const type of ['mousedown', 'mouseup', 'click']) \
               c.dispatchEvent(new MouseEvent(type, {{ clientX: r.left + r.width * {x}, clientY: r.top + r.height * {y}, button: 0, bubbles: true }}));"
        );
        client.execute(&tap, vec![serde_json::to_value(&canvas).unwrap()]).await.unwrap();
    }
    click(&client, "save-outline").await;
    wait_for_text(&client, "map-message", |t| t == "Граница сохранена").await;
    screenshot(&driver, &client, "map-outline-ru").await;

    // Anna's device no longer syncs; Olga's receives the territory's whole history.
    tokio::task::block_in_place(|| {
        assert!(matches!(anna.sync(), Err(census_replica::SyncError::Revoked)));
        let report = olga.sync().unwrap();
        assert!(report.bootstrapped + report.pulled > 0, "{report:?}");
        let listed = olga.replica.list(&census_replica::ListFilter { limit: 100, ..Default::default() }).unwrap();
        assert_eq!(listed.len(), 20, "every prospect of the territory");
        let detail = olga.replica.prospect(shop).unwrap();
        assert_eq!(detail.prospect.notes, "Ключи у соседей", "Anna's last note came with it");
        assert!(detail.prospect.tags.contains("вывеска сменилась"), "and her late work");
        assert!(detail.history.iter().any(|edit| edit.path.to_string() == "notes"));
        let territory = olga.replica.territories().unwrap().into_iter().find(|t| t.id == centre).unwrap();
        assert_eq!((territory.planned_prospects, territory.boundary.len()), (Some(300), 4));
        assert_eq!(territory.agents, vec![olga.user()]);
    });

    client.close().await.unwrap();
    drop(driver);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_manager_imports_a_spreadsheet_and_importing_it_again_changes_nothing() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, server) = demo_server(dir.path());
    let centre = census_server::demo::demo_territories()[0].id;

    // The old base, as a Russian spreadsheet saves it: Windows-1251, semicolons. One new shop,
    // one the base already has (another name, the same place), one with a word for a latitude.
    let (mut anna, shop) = tokio::task::block_in_place(|| anna_and_romashka(dir.path(), &server));
    let at = shop.location.unwrap();
    // Its column "Сеть" (the chain) means nothing to Census until the manager maps it to tags.
    let sheet = format!(
        "Название;Адрес;Телефон;Широта;Долгота;Сеть\n\
         Новый магазин;ул. Советская, 7, Тверь;+7 900 123-45-67;56,8612;35,9105;Пятёрочка\n\
         ООО «{}»;{};+7 999 000-00-01;{};{};Магнит\n\
         Уют;;;сорок;35,9;\n",
        shop.name,
        shop.address.one_line(),
        at.lat.to_string().replace('.', ","),
        at.lon.to_string().replace('.', ",")
    );
    let file = dir.path().join("база.csv");
    std::fs::write(&file, encoding_rs::WINDOWS_1251.encode(&sheet).0).unwrap();

    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    sign_in(&client, &server, "manager").await;
    click(&client, "sync").await;
    wait_for_rows(&client, 40).await;
    // A picture saved as ".csv" is refused, in the language shown.
    let picture = dir.path().join("фото.csv");
    std::fs::write(&picture, [0x89, b'P', b'N', b'G', 0, 0, 0, 13, 0, 1, 2, 3]).unwrap();
    click(&client, "to-import").await;
    pick_import_file(&client, &picture).await;
    wait_for_text(&client, "import-problem", |t| {
        t == "Файл не импортируется: это не таблица, которую Census может прочитать (XLSX, XLS, ODS или CSV)"
    })
    .await;
    open_import(&client, &file).await;
    let fields = client.find_all(Locator::Css(&testid("import-field"))).await.unwrap();
    assert_eq!(fields[5].prop("value").await.unwrap().as_deref(), Some(""), "“Сеть” is not guessed");
    fields[5].select_by_value("tags").await.unwrap();
    fill(&client, "mapping-name", "Старая база").await;
    click(&client, "import-mapping-save").await;
    wait_for_text(&client, "import-message", |t| t.contains("«Старая база» сохранено")).await;
    preview_loaded_import(
        &client,
        &centre.to_string(),
        "Новых: 1, обновится: 0, без изменений: 0, похожи на уже имеющиеся: 1, с ошибками: 1",
    )
    .await;
    let rows = wait_for_text(&client, "import", |t| t.contains("Строка 4")).await;
    assert!(rows.contains("«сорок» — не число (широта)"), "{rows}");
    assert!(rows.contains("Телефон: «» → «+7 999 000-00-01»"), "{rows}");
    assert!(rows.contains("Метки: «» → «Магнит»"), "{rows}");
    let counts = client.find(Locator::Css(&testid("import-counts"))).await.unwrap();
    client
        .execute("arguments[0].scrollIntoView({ block: 'start' })", vec![serde_json::to_value(&counts).unwrap()])
        .await
        .unwrap();
    screenshot(&driver, &client, "import-ru").await;
    click(&client, "import-apply").await;
    wait_for_text(&client, "import-message", |t| {
        t.starts_with("Импортировано. Новых: 1, обновлено: 0, похожих обновлено: 1")
    })
    .await;
    click(&client, "to-prospects").await;
    wait_for_rows(&client, 41).await;

    // The same file again, mapped by the saved mapping by itself: every row is found, nothing
    // would change.
    open_import(&client, &file).await;
    wait_for_text(&client, "import-message", |t| t == "Колонки сопоставлены, как в сохранённом «Старая база».").await;
    preview_loaded_import(
        &client,
        &centre.to_string(),
        "Новых: 0, обновится: 0, без изменений: 2, похожи на уже имеющиеся: 0, с ошибками: 1",
    )
    .await;

    // After a sync, Anna's device has the new shop and the shop's new phone, marked as imported.
    click(&client, "sync").await;
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;
    tokio::task::block_in_place(|| {
        anna.sync().unwrap();
        assert_eq!(anna.replica.search("Новый магазин", 5).unwrap().len(), 1);
        let detail = anna.replica.prospect(shop.id).unwrap();
        assert!(detail.prospect.contacts.values().any(|c| c.phone == "+7 999 000-00-01"));
        assert!(detail.prospect.tags.contains("Магнит"), "the chain came in as a tag");
        let sources: Vec<Option<String>> = detail.history.iter().map(|e| e.source.clone()).collect();
        assert!(sources.contains(&Some("import of база.csv by Мария Управляющая".into())), "{sources:?}");
    });

    client.close().await.unwrap();
    drop(driver);
}

/// A preview of a large spreadsheet is a job on a connection of its own: meanwhile the list
/// answers a search and opens a card, and back on the import screen the manager stops it.
#[tokio::test(flavor = "multi_thread")]
async fn the_list_answers_while_a_large_import_is_previewed_and_the_preview_stops() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, server) = demo_server(dir.path());
    let centre = census_server::demo::demo_territories()[0].id;
    // The office's old base, every row a shop already known with a phone it lacks: each is
    // compared with its shop's document, so the preview of the largest file lasts many seconds.
    let known = tokio::task::block_in_place(|| {
        let mut office = Device::sign_in(dir.path(), "office", &server, "manager");
        office.sync().unwrap();
        office.replica.list(&census_replica::ListFilter { limit: 100, ..Default::default() }).unwrap()
    });
    let mut sheet = String::from("Название;Адрес;Широта;Долгота;Телефон\n");
    for n in 0..MAX_IMPORT_ROWS {
        let shop = &known[n % known.len()];
        let (lat, lon) = (shop.lat.unwrap(), shop.lon.unwrap());
        sheet.push_str(&format!("{};{};{lat};{lon};+7 900 {:07}\n", shop.name, shop.address.replace(';', ","), n));
    }
    let file = dir.path().join("большая база.csv");
    std::fs::write(&file, sheet).unwrap();

    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    sign_in(&client, &server, "manager").await;
    click(&client, "sync").await;
    wait_for_rows(&client, 40).await;
    click(&client, "to-import").await;
    pick_import_file(&client, &file).await;
    wait_for_text(&client, "import-file", |t| t.starts_with("«большая база.csv»")).await;
    choose(&client, "import-territory", &centre.to_string()).await;
    click(&client, "import-preview").await;
    wait_for_text(&client, "import-progress", |t| t.starts_with("Проверка строк:")).await;

    click(&client, "to-prospects").await;
    open_prospect(&client, "Ромашка 1").await;
    let still_previewing = "return document.querySelector(\"[data-testid='import-stop']\") !== null";
    let running = client.execute(still_previewing, vec![]).await.unwrap();
    assert_eq!(running, serde_json::Value::Bool(true), "the search and the card waited for the preview");

    click(&client, "to-import").await;
    click(&client, "import-stop").await;
    wait_for_text(&client, "import-stopped", |t| t == "Остановлено до завершения").await;
    wait_until_gone(&client, &testid("import-progress")).await;
    assert!(client.find(Locator::Css(&testid("import-counts"))).await.is_err(), "a stopped preview shows no counts");
    assert!(client.find(Locator::Css(&testid("import-problem"))).await.is_err(), "stopping is not an error");

    client.close().await.unwrap();
    drop(driver);
}

/// A photo taken in the field reaches the office: Anna's device photographs a shopfront during
/// a visit and syncs; the manager's app shows its thumbnail in the card (fetched with the
/// manager's sync), the photo itself full screen (fetched from the server when opened), and
/// the thumbnail again in the review queue.
#[tokio::test(flavor = "multi_thread")]
async fn a_photo_from_the_field_shows_in_the_managers_card_and_review_queue() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, server) = demo_server(dir.path());
    let picture = std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../src-tauri/icons/icon.png")).unwrap();
    let shop = tokio::task::block_in_place(|| {
        let (mut anna, shop) = anna_and_romashka(dir.path(), &server);
        let photo = anna.replica.store_photo(&picture, "image/png", census_tests::now()).unwrap();
        anna.record_photo_visit(shop.id, &photo);
        // A second photo, another visit: the first one's thumbnail, which is a JPEG of its own.
        let small = anna.replica.thumbnail(&photo.sha256).unwrap().unwrap();
        let second = anna.replica.store_photo(&small.bytes, "image/jpeg", census_tests::now()).unwrap();
        anna.record_photo_visit(shop.id, &second);
        // Three pictures: the second photo is the first one's thumbnail, sent once.
        assert_eq!(anna.sync().unwrap().pictures_uploaded, 3, "the photos and their thumbnails");
        shop
    });

    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    sign_in(&client, &server, "manager").await;
    click(&client, "sync").await;
    wait_for_rows(&client, 40).await;
    // Before going offline, the photos of the territories come down to the device.
    click(&client, "offline-photos-open").await;
    click(&client, "download-photos").await;
    // The second photo came with the sync already: it is the first one's thumbnail.
    let said = |t: &str| t.starts_with("Скачано: 1 фото") && t.ends_with("уже были на устройстве: 1");
    wait_for_text(&client, "photos-downloaded", said).await;

    open_prospect(&client, &shop.name).await;
    let shown = format!("{} {}", testid("visit"), testid("photo"));
    wait_for_picture(&client, &shown).await;
    wait_for_picture(&client, &format!("{} {}", testid("gallery"), testid("photo"))).await;
    photograph_for_docs(&driver, &client, "photo-card-ru").await;
    click(&client, "photo-open").await;
    wait_for_picture(&client, &format!("{} img", testid("photo-full"))).await;
    wait_for_text(&client, "photo-count", |t| t == "1 / 2").await;
    photograph_for_docs(&driver, &client, "photo-full-ru").await;
    click(&client, "photo-next").await;
    wait_for_text(&client, "photo-count", |t| t == "2 / 2").await;
    wait_for_picture(&client, &format!("{} img", testid("photo-full"))).await;
    click(&client, "photo-close").await;
    wait_until_gone(&client, &testid("photo-full")).await;

    click(&client, "to-queue").await;
    open_prospect(&client, &shop.name).await;
    wait_for_picture(&client, &shown).await;
    photograph_for_docs(&driver, &client, "photo-review-ru").await;

    // A photo taken by mistake is taken out of the prospect; the other stays.
    click(&client, "photo-open").await;
    click(&client, "photo-remove").await;
    wait_for_text(&client, "photo-remove", |t| t == "Точно убрать это фото?").await;
    click(&client, "photo-remove").await;
    wait_until_gone(&client, &testid("photo-full")).await;
    let gallery_size =
        format!("return document.querySelectorAll(\"{} [data-testid='photo']\").length", testid("gallery"));
    let started = std::time::Instant::now();
    while client.execute(&gallery_size, vec![]).await.unwrap() != serde_json::json!(1) {
        assert!(started.elapsed() < WAIT, "the photo stayed in the gallery:\n{}", window_text(&client).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    client.close().await.unwrap();
    drop(driver);
}

/// Waits until the picture `selector` finds is drawn (its bytes arrived and decoded), and
/// scrolls it into view.
async fn wait_for_picture(client: &Client, selector: &str) {
    let drawn = format!(
        "const img = document.querySelector(\"{selector}\"); \
         const drawn = img !== null && img.complete && img.naturalWidth > 0; \
         if (drawn) img.scrollIntoView({{ block: 'center' }}); return drawn;"
    );
    let started = std::time::Instant::now();
    while client.execute(&drawn, vec![]).await.unwrap() != serde_json::Value::Bool(true) {
        assert!(
            started.elapsed() < WAIT,
            "{selector} was never drawn; the window said:\n{}",
            window_text(client).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Exports the list as `format` from the app; answers with the file it wrote into `folder`.
async fn export_from_app(client: &Client, folder: &std::path::Path, format: &str) -> PathBuf {
    let extension = format!(".{format}");
    choose(client, "export", format).await;
    wait_for_text(client, "exported", |t| t.contains(&extension)).await;
    let written = std::fs::read_dir(folder).unwrap().map(|e| e.unwrap().path());
    written.filter(|p| p.to_string_lossy().ends_with(&extension)).max().expect("the export file")
}

/// Opens the import screen and picks `file` (three rows).
async fn open_import(client: &Client, file: &std::path::Path) {
    click(client, "to-import").await;
    pick_import_file(client, file).await;
    wait_for_text(client, "import-file", |t| t == "«база.csv»: 3 строки").await;
}

async fn pick_import_file(client: &Client, file: &std::path::Path) {
    let input = client.find(Locator::Css("input[name='import-file']")).await.unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
}

/// Sends the new prospects of the file picked to `territory` and waits for the preview's counts
/// to read `counts`.
async fn preview_loaded_import(client: &Client, territory: &str, counts: &str) {
    choose(client, "import-territory", territory).await;
    click(client, "import-preview").await;
    wait_for_text(client, "import-counts", |t| t == counts).await;
}

/// Anna's device, synced, and the demo base's shop "Ромашка 1" as it has it.
fn anna_and_romashka(dir: &std::path::Path, server: &Server) -> (Device, census_core::Prospect) {
    let mut anna = Device::sign_in(dir, "anna", server, "anna");
    anna.sync().unwrap();
    let shop = anna.replica.prospect(anna.replica.search("ромашка 1", 1).unwrap()[0].id).unwrap().prospect;
    (anna, shop)
}

/// The element marked `id` whose text mentions `text`.
async fn find_by_text(client: &Client, id: &str, text: &str) -> fantoccini::elements::Element {
    let started = std::time::Instant::now();
    loop {
        for element in client.find_all(Locator::Css(&testid(id))).await.unwrap() {
            if element.text().await.is_ok_and(|t| t.contains(text)) {
                return element;
            }
        }
        if started.elapsed() > WAIT {
            panic!("no {id} mentions {text}; the window said:\n{}", window_text(client).await);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The text of every value line of the conflict view, in order.
async fn conflict_value_texts(client: &Client) -> Vec<String> {
    let mut texts = Vec::new();
    for item in client.find_all(Locator::Css(&format!("{} li", testid("card-conflicts")))).await.unwrap() {
        texts.push(item.text().await.unwrap());
    }
    texts
}

#[tokio::test(flavor = "multi_thread")]
async fn an_administrator_reads_who_failed_to_sign_in_in_the_security_log() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, server) = demo_server(dir.path());

    // Someone tries Boris's login with a wrong password, then the administrator signs in.
    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    client.wait().at_most(WAIT).for_element(Locator::Css(&testid("sign-in"))).await.unwrap();
    fill(&client, "server", &server.url).await;
    fill(&client, "login", "boris").await;
    fill(&client, "password", "not his password").await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "sign-in-error", |t| !t.is_empty()).await;
    sign_in(&client, &server, "admin").await;

    // The security log lists both sign-ins, and its filter narrows it to the failed one.
    click(&client, "to-audit").await;
    let log = audit_shows(&client, |t| t.contains("Неудачный вход") && t.contains("admin")).await;
    assert!(log.contains("boris") && log.contains("wrong password"), "{log}");
    assert!(log.contains("Вход") && log.contains("admin"), "{log}");
    assert!(!log.contains("not his password"), "the log never shows a password");
    choose(&client, "audit-kind", "sign_in_failed").await;
    let failed = audit_shows(&client, |t| !t.contains("admin")).await;
    assert!(failed.contains("boris"), "{failed}");
    screenshot(&driver, &client, "audit-ru").await;

    client.close().await.unwrap();
    drop(driver);
}

/// The security log's text once it shows what `expected` wants; the server writes its events in
/// batches, so this asks again until they are there.
async fn audit_shows(client: &Client, expected: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let shown = text_of(client, "audit").await;
        if expected(&shown) {
            return shown;
        }
        assert!(std::time::Instant::now() < deadline, "the security log never showed it: {shown}");
        tokio::time::sleep(Duration::from_millis(300)).await;
        click(client, "audit-show").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visit_half_filled_when_the_window_closes_is_finished_on_its_own_questionnaire() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, server) = demo_server(dir.path());
    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    sign_in(&client, &server, "anna").await;
    click(&client, "sync").await;
    wait_for_rows(&client, 20).await;

    // Anna starts a visit, types the staff count and closes the window at once.
    open_prospect(&client, "Ромашка 1").await;
    click(&client, "new-visit").await;
    answer(&client, "staff", "7").await;
    // As the window's close button does: a close request, which the window may answer first.
    let close = "window.__TAURI_INTERNALS__.invoke('plugin:window|close', { label: 'main' }).catch(() => {})";
    let _ = client.execute(close, vec![]).await;
    // Ending the WebDriver session kills the app: wait until its close has saved the draft, as a
    // window closing by itself would, before letting the session go.
    let replica = dir.path().join("app").join("census.replica");
    let deadline = std::time::Instant::now() + WAIT;
    while tokio::task::block_in_place(|| {
        census_replica::Replica::open(&replica).and_then(|r| r.visit_drafts(None)).map_or(true, |d| d.is_empty())
    }) {
        assert!(std::time::Instant::now() < deadline, "closing the window saved no draft");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(client);

    // Meanwhile the manager publishes a new version of the questionnaire without that question.
    tokio::task::block_in_place(|| {
        let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
        manager.sync().unwrap();
        let mut second = census_server::demo::demo_questionnaire();
        second.version = 2;
        second.questions.retain(|q| q.id.as_str() != "staff");
        manager.replica.publish_questionnaire(&manager.client, &second).unwrap();
    });

    // Started again, the app has the draft; it is finished on the version it was begun on.
    let client = connect(&driver).await;
    wait_for_text(&client, "who", |t| t == "Анна Смирнова").await;
    click(&client, "sync").await;
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;
    open_prospect(&client, "Ромашка 1").await;
    click(&client, "continue-draft").await;
    let staff = client.find(Locator::Css("input[name='staff']")).await.unwrap();
    assert_eq!(staff.prop("value").await.unwrap().as_deref(), Some("7"), "the answer typed before closing is kept");
    let owner_absent = client.find(Locator::Css("input[name='owner_present'][value='no']")).await.unwrap();
    assert!(click_element(&client, owner_absent).await);
    click(&client, "record-visit").await;
    wait_for_text(&client, "visit", |t| t.contains('7')).await;
    click(&client, "sync").await;
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;
    tokio::task::block_in_place(|| {
        let mut manager = Device::sign_in(dir.path(), "laptop", &server, "manager");
        manager.sync().unwrap();
        let shop = manager.replica.search("ромашка 1", 1).unwrap()[0].id;
        let visit = manager.replica.prospect(shop).unwrap().prospect.visits.into_values().next().unwrap();
        assert_eq!(visit.questionnaire.version, 1);
        let staff = census_core::QuestionId::new("staff").unwrap();
        assert_eq!(visit.answers.get(&staff), Some(&census_core::Answer::Integer(7)));
    });

    client.close().await.unwrap();
    drop(driver);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_sees_her_note_on_a_deleted_shop_put_to_the_manager() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_, server) = demo_server(dir.path());
    let (mut manager, shop) = tokio::task::block_in_place(|| {
        let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
        manager.sync().unwrap();
        let shop = manager.replica.search("ромашка 1", 1).unwrap()[0].id;
        (manager, shop)
    });
    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    sign_in(&client, &server, "anna").await;
    click(&client, "sync").await;
    wait_for_rows(&client, 20).await;

    // Apart: the manager deletes the shop; Anna writes a note on it.
    tokio::task::block_in_place(|| {
        manager.replica.edit_prospect(shop, &manager.ctx(), |p| p.delete()).unwrap();
        manager.sync().unwrap();
    });
    open_prospect(&client, "Ромашка 1").await;
    client.find(Locator::Css(&testid("notes"))).await.unwrap().send_keys("Закрыто на ремонт до среды").await.unwrap();
    click(&client, "save-notes").await;
    click(&client, "sync").await;
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;

    // Her card says what happened: the deletion and her note, put to the manager.
    let disputed = wait_for_text(&client, "card-conflicts", |t| t.contains("Удаление точки")).await;
    assert!(
        disputed.contains("удалить точку") && disputed.contains("оставить точку с новыми изменениями"),
        "{disputed}"
    );
    assert!(!text_of(&client, "manager-settles").await.is_empty());
    screenshot(&driver, &client, "deletion-disputed-ru").await;

    // The manager keeps the shop with her note; after a sync her card is settled.
    tokio::task::block_in_place(|| {
        manager.sync().unwrap();
        let path: census_core::FieldPath = "deleted".parse().unwrap();
        let ctx = manager.ctx();
        manager.replica.resolve_conflict(shop, &ctx, &path, &census_core::FieldValue::Flag(false)).unwrap();
        manager.sync().unwrap();
    });
    click(&client, "sync").await;
    wait_until_gone(&client, &testid("card-conflicts")).await;
    assert_eq!(
        client.find(Locator::Css(&testid("notes"))).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("Закрыто на ремонт до среды")
    );

    client.close().await.unwrap();
    drop(driver);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_signs_in_over_https_once_she_gives_the_company_authority() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "40"]);
    let company = census_tests::certificates::Authority::new("Census test company");
    let options = company.server_files(dir.path()).options();
    let server = Server::start_with(&db, &options.iter().map(String::as_str).collect::<Vec<_>>());
    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    client.wait().at_most(WAIT).for_element(Locator::Css(&testid("sign-in"))).await.unwrap();
    fill(&client, "login", "anna").await;
    fill(&client, "password", "census-demo").await;

    // Plain http to a server elsewhere is refused, and insisting is offered.
    fill(&client, "server", "http://192.0.2.10:8737").await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "sign-in-error", |t| t.starts_with("Адрес начинается с http://")).await;
    client.find(Locator::Css("input[name='plain-http']")).await.unwrap();

    // The company's server, whose certificate the device cannot check yet.
    fill(&client, "server", &server.url).await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "sign-in-error", |t| t.contains("не доверяет")).await;
    // She picks the authority's file; its text shows in the field.
    let ca_file = company.write(&dir.path().join("company-ca.pem"));
    let input = client.find(Locator::Css("input[name='company-ca-file']")).await.unwrap();
    input.send_keys(&ca_file.display().to_string()).await.unwrap();
    let field = client.find(Locator::Css("textarea[name='company-ca']")).await.unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while field.prop("value").await.unwrap().unwrap_or_default() != company.pem {
        assert!(std::time::Instant::now() < deadline, "the authority's file was not read");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&driver, &client, "sign-in-company-ca-ru").await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "who", |t| t == "Анна Смирнова").await;

    // Syncs go over TLS with the authority kept from the sign-in.
    click(&client, "sync").await;
    wait_for_rows(&client, 20).await;

    client.close().await.unwrap();
    drop(driver);
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_travel_between_online_devices_without_anyone_pressing_sync() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let (_db, server) = demo_server(dir.path());
    // The two-minute sync is ten minutes away: whatever arrives sooner came live.
    let driver = Driver::start_syncing_every(&dir.path().join("app"), 600);
    let client = connect(&driver).await;
    sign_in(&client, &server, "anna").await;
    wait_for_rows(&client, 20).await;

    // Another of Anna's devices, online, renames a shop: the list shows it without a press.
    let search = client.find(Locator::Css(&testid("search"))).await.unwrap();
    search.send_keys("вокзала").await.unwrap();
    let mut phone = tokio::task::block_in_place(|| renamed_on_a_phone(dir.path(), &server));
    wait_for_text(&client, "prospect-row", |t| t.starts_with("Ромашка у вокзала")).await;

    // An edit made in the app leaves by itself and reaches the phone.
    click(&client, "prospect-row").await;
    let status = client.wait().at_most(WAIT).for_element(Locator::Css(&testid("card-status"))).await.unwrap();
    status.select_by_value("client").await.unwrap();
    let arrived = tokio::task::block_in_place(|| {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            phone.sync().unwrap();
            let found = phone.replica.search("ромашка у вокзала", 1).unwrap();
            if found.first().is_some_and(|row| row.status == census_core::Status::Client) {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    assert!(arrived, "the app's edit did not reach the other device by itself");
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;

    client.close().await.unwrap();
    drop(driver);
}

/// The map reads its tiles from the map packs on the device through the app's own URI scheme,
/// in the real webview: what the packs cover, a tile inflated from the pack, and nothing where
/// no pack has a tile.
#[tokio::test(flavor = "multi_thread")]
async fn the_map_reads_tiles_from_the_packs_on_the_device_through_its_own_scheme() {
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let maps = dir.path().join("app").join("maps");
    std::fs::create_dir_all(&maps).unwrap();
    let tile = b"\x1a\x0bvector tile".to_vec();
    let mut gzipped = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gzipped, &tile).unwrap();
    // Row 11641 counted from the south is row 4742 counted from the north, as maps ask.
    let tiles = [(14, 9330, 11641, gzipped.finish().unwrap())];
    census_tests::write_map_pack(&maps.join("city.mbtiles"), "Helsinki", "24.93,60.16,24.96,60.18", &tiles);

    let driver = Driver::start(&dir.path().join("app"));
    let client = connect(&driver).await;
    let read = "const done = arguments[arguments.length - 1]; \
        Promise.all([ \
          fetch('census-map://localhost/packs.json').then((r) => r.json()), \
          fetch('census-map://localhost/tiles/14/9330/4742.pbf').then((r) => r.arrayBuffer()), \
          fetch('census-map://localhost/tiles/14/1/1.pbf').then((r) => r.status), \
        ]).then(([packs, tile, none]) => done({ packs, tile: Array.from(new Uint8Array(tile)), none })) \
          .catch((e) => done({ error: String(e) }));";
    // As the map does: once the window is up.
    client.wait().at_most(WAIT).for_element(Locator::Css(&testid("sign-in"))).await.unwrap();
    let answer = client.execute_async(read, vec![]).await.unwrap();
    assert_eq!(answer["error"], serde_json::Value::Null, "{answer}");
    assert_eq!(answer["packs"][0]["name"], "Helsinki", "{answer}");
    assert_eq!(answer["packs"][0]["bounds"]["west"], 24.93, "{answer}");
    assert_eq!(answer["tile"], serde_json::json!(tile), "the tile, inflated");
    assert_eq!(answer["none"], 204, "no pack has a tile there");

    client.close().await.unwrap();
    drop(driver);
}
