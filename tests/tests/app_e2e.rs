//! The real app in a real window (tauri-driver, WebKitWebDriver, Xvfb) against a real
//! `census-server`: a wrong password is said plainly; signing in and syncing fills the list; search
//! narrows it; a card opens; a new prospect's form says what is missing, and once saved the
//! prospect reaches the server; the language switches; the screens are photographed in both
//! languages and at phone width (into `target/screenshots/`).

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::PathBuf;
use std::time::Duration;

use census_tests::app::Driver;
use census_tests::{Device, Server, admin};
use fantoccini::{Client, ClientBuilder, Locator};

const WAIT: Duration = Duration::from_secs(30);

fn testid(id: &str) -> String {
    format!("[data-testid='{id}']")
}

/// The text of the element marked `id`, once it appears.
async fn text_of(client: &Client, id: &str) -> String {
    let selector = testid(id);
    let started = std::time::Instant::now();
    loop {
        if let Ok(element) = client.find(Locator::Css(&selector)).await {
            return element.text().await.unwrap();
        }
        assert!(started.elapsed() < WAIT, "{selector} never appeared");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the element marked `id` says something `expected` accepts; returns it.
async fn wait_for_text(client: &Client, id: &str, expected: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let text = text_of(client, id).await;
        if expected(&text) {
            return text;
        }
        assert!(started.elapsed() < WAIT, "{id} says \"{text}\"");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn rows(client: &Client) -> usize {
    client.find_all(Locator::Css(&testid("prospect-row"))).await.unwrap().len()
}

/// Waits until the list shows `count` rows.
async fn wait_for_rows(client: &Client, count: usize) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let shown = rows(client).await;
        if shown == count {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the list shows {shown} rows, not {count}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fill(client: &Client, name: &str, value: &str) {
    let field = client.find(Locator::Css(&format!("input[name='{name}']"))).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn screenshot(driver: &Driver, client: &Client, name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    // Let the last change paint first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    driver.screenshot(client.get_window_rect().await.unwrap(), &dir.join(format!("{name}.png")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_signs_in_syncs_searches_and_reads_a_card_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "40"]);
    let server = Server::start(&db);
    let driver = Driver::start(&dir.path().join("app"));
    let client =
        ClientBuilder::rustls().unwrap().capabilities(Driver::capabilities()).connect(&driver.url).await.unwrap();

    // Sign in: a wrong password first.
    client.wait().at_most(WAIT).for_element(Locator::Css(&testid("sign-in"))).await.unwrap();
    screenshot(&driver, &client, "sign-in-ru").await;
    fill(&client, "server", &server.url).await;
    fill(&client, "login", "anna").await;
    fill(&client, "password", "not-her-password").await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "sign-in-error", |t| t.contains("login or password is wrong")).await;
    fill(&client, "password", "census-demo").await;
    client.find(Locator::Css("button[type='submit']")).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "who", |t| t == "Анна Смирнова").await;

    // Sync: her territory arrives (half of the demo base).
    client.find(Locator::Css(&testid("sync"))).await.unwrap().click().await.unwrap();
    wait_for_rows(&client, 20).await;
    wait_for_text(&client, "sync-message", |t| t.contains("20")).await;
    screenshot(&driver, &client, "list-ru").await;

    // Search narrows the list; a card opens.
    client.find(Locator::Css(&testid("search"))).await.unwrap().send_keys("ромаш").await.unwrap();
    wait_for_rows(&client, 5).await;
    client.find(Locator::Css(&testid("prospect-row"))).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "card-name", |t| t.starts_with("Ромашка")).await;
    screenshot(&driver, &client, "card-ru").await;

    // A new prospect: the form says what is missing, then it is saved and waits to be sent.
    client.find(Locator::Css(&testid("add-prospect"))).await.unwrap().click().await.unwrap();
    client.find(Locator::Css(&testid("save-prospect"))).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "problem-name", |t| t == "Укажите название").await;
    fill(&client, "name", "Новая точка").await;
    fill(&client, "city", "Тверь").await;
    fill(&client, "lat", "56,86").await;
    client.find(Locator::Css(&testid("save-prospect"))).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "problem-position", |t| t.contains("Широта")).await;
    screenshot(&driver, &client, "new-prospect-ru").await;
    fill(&client, "lon", "35,91").await;
    client.find(Locator::Css(&testid("save-prospect"))).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 1").await;
    client.find(Locator::Css(&testid("sync"))).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "pending", |t| t == "Ждут отправки: 0").await;
    // The manager's device (a blocking client) checks what reached the server.
    let arrived = tokio::task::block_in_place(|| {
        let mut manager = Device::sign_in(dir.path(), "manager", &server, "manager");
        manager.sync().unwrap();
        manager.replica.search("новая точка", 10).unwrap()
    });
    assert_eq!(arrived.len(), 1, "the prospect typed in the app reached the server");
    assert_eq!((arrived[0].lat, arrived[0].lon), (Some(56.86), Some(35.91)));

    // English, then phone width.
    client.find(Locator::Css(&testid("language"))).await.unwrap().click().await.unwrap();
    wait_for_text(&client, "language", |t| t == "Русский").await;
    wait_for_text(&client, "pending", |t| t.starts_with("Waiting to send")).await;
    screenshot(&driver, &client, "card-en").await;
    client.set_window_size(390, 844).await.unwrap();
    screenshot(&driver, &client, "card-en-phone").await;

    client.close().await.unwrap();
    drop(driver);
}
