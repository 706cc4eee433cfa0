//! The real app at scale: a replica of `--prospects` prospects (100,000 by default) in the app's
//! data folder, the release app started through tauri-driver on Xvfb like the end-to-end tests,
//! and the timings a person feels:
//!
//! - `start_to_list_s`: from asking for the app until its list shows the base;
//! - `search_ms`: from typing a query until the matching rows are on screen (median of
//!   `--samples`, each a different prospect);
//! - `open_card_ms`: from a click on a row until its card shows (median);
//! - `search_ms_during_import`: `search_ms` while the preview of a spreadsheet of `--prospects`
//!   rows runs (the office's base again, each row a prospect already here with a new phone);
//! - `live_update_ms`: from another online device sending an edit until the open list shows it
//!   (median of five; the app signed in to a real server with a demo base, syncing live, its
//!   two-minute sync ten minutes away).
//!
//! The two in-page timings are taken inside the page (`performance.now()`, a `MutationObserver`
//! on the document), so the WebDriver round trips are not counted. The last line is JSON.
//!
//! `cargo run --release -p census-bench --bin app` (needs `scripts/setup` first).

use std::time::{Duration, Instant};

use census_bench::manager_replica::seed_manager_replica;
use census_bench::{option, percentile_ms, round2};
use census_core::*;
use census_tests::app::Driver;
use census_tests::{Device, Server, admin};
use fantoccini::{Client, ClientBuilder, Locator};

const NAMES: [&str; 8] = ["Ромашка", "Берёзка", "Аптека", "Продукты", "Колос", "Мечта", "Весна", "Уют"];

/// Types `arguments[0]` into the search box and answers with the milliseconds until the first
/// row shown starts with `arguments[1]` (or -1 after ten seconds).
const TIME_SEARCH: &str = r#"
const [query, expected, done] = arguments;
const box = document.querySelector("[data-testid='search']");
const shown = () => {
  const first = document.querySelector("[data-testid='prospect-row'] .name");
  return first !== null && first.textContent === expected;
};
const started = performance.now();
const observer = new MutationObserver(() => {
  if (shown()) { observer.disconnect(); clearTimeout(timer); done(performance.now() - started); }
});
const timer = setTimeout(() => { observer.disconnect(); done(-1); }, 10000);
observer.observe(document.body, { childList: true, subtree: true, characterData: true });
box.value = query;
box.dispatchEvent(new Event('input', { bubbles: true }));
"#;

/// Clicks the first row and answers with the milliseconds until the card shows its name.
const TIME_CARD: &str = r#"
const done = arguments[arguments.length - 1];
const row = document.querySelector("[data-testid='prospect-row']");
const name = row.querySelector('.name').textContent;
const shown = () => {
  const card = document.querySelector("[data-testid='card-name']");
  return card !== null && card.textContent === name;
};
const started = performance.now();
const observer = new MutationObserver(() => {
  if (shown()) { observer.disconnect(); clearTimeout(timer); done(performance.now() - started); }
});
const timer = setTimeout(() => { observer.disconnect(); done(-1); }, 10000);
observer.observe(document.body, { childList: true, subtree: true, characterData: true });
row.click();
"#;

fn name_of(n: usize) -> String {
    format!("{} {}", NAMES[n % NAMES.len()], n / NAMES.len() + 1)
}

fn street_of(n: usize) -> String {
    format!("ул. Ленина, д. {}", n % 200 + 1)
}

fn position_of(n: usize) -> (f64, f64) {
    (56.8 + (n % 1000) as f64 * 1e-4, 35.9 + (n / 1000) as f64 * 1e-4)
}

/// The office's spreadsheet of the base: every prospect again, now with a phone.
fn office_sheet(path: &std::path::Path, prospects: usize) -> Result<(), String> {
    let mut sheet = String::from("Название;Адрес;Город;Широта;Долгота;Телефон\n");
    for n in 0..prospects {
        let (lat, lon) = position_of(n);
        sheet.push_str(&format!("{};{};Тверь;{lat:.4};{lon:.4};+7 900 {n:07}\n", name_of(n), street_of(n)));
    }
    std::fs::write(path, sheet).map_err(|e| e.to_string())
}

/// Whether the import's preview is still running (its stop button is there, on a hidden screen).
async fn previewing(client: &Client) -> Result<bool, String> {
    let script = "return document.querySelector(\"[data-testid='import-stop']\") !== null";
    let running = client.execute(script, vec![]).await.map_err(|e| e.to_string())?;
    Ok(running.as_bool() == Some(true))
}

/// Starts the preview of `file` on the import screen, then goes back to the list and times
/// searches for as long as the preview runs (at most `samples`); stops the preview after.
async fn searches_during_import(client: &Client, file: &std::path::Path, names: &[String]) -> Result<Vec<f64>, String> {
    let click = async |id: &str| -> Result<(), String> {
        let found = client.find(Locator::Css(&format!("[data-testid='{id}']"))).await;
        found.map_err(|e| format!("{id}: {e}"))?.click().await.map_err(|e| e.to_string())
    };
    click("to-import").await?;
    let input = client.find(Locator::Css("input[name='import-file']")).await.map_err(|e| e.to_string())?;
    input.send_keys(&file.display().to_string()).await.map_err(|e| e.to_string())?;
    wait_for(client, "[data-testid='import-file']", |t| t.contains("office.csv")).await?;
    click("import-preview").await?;
    wait_for(client, "[data-testid='import-progress']", |_| true).await?;
    click("to-prospects").await?;
    wait_for(client, "[data-testid='search']", |_| true).await?;
    let mut times = Vec::new();
    for name in names {
        let ms = time_in_page(client, TIME_SEARCH, vec![name.clone().into(), name.clone().into()]).await?;
        if !previewing(client).await? {
            break;
        }
        times.push(ms);
    }
    if times.len() < 3 {
        return Err(format!("the preview ended after {} searches; give it a larger file", times.len()));
    }
    click("to-import").await?;
    if previewing(client).await? {
        click("import-stop").await?;
    }
    Ok(times)
}

/// A replica like a manager's after a season: the base, the manager signed in, two territories.
fn seed(path: &std::path::Path, prospects: usize) -> Result<(), String> {
    seed_manager_replica(path, ["Центр", "Заволжье"], prospects, |n, territories| {
        let (lat, lon) = position_of(n);
        NewProspect {
            territory: territories[n % 2].id,
            name: name_of(n),
            category: ["grocery", "pharmacy", "kiosk", "cafe"][n % 4].into(),
            status: [Status::New, Status::Visited, Status::Interested, Status::Client][n % 7 % 4],
            address: Address { line: street_of(n), city: "Тверь".into(), ..Address::default() },
            location: Some(Location {
                lat,
                lon,
                accuracy_m: Some(8.0),
                at: Timestamp::from_unix_millis(1_795_800_000_000),
            }),
        }
    })
}

async fn wait_for(client: &Client, selector: &str, accept: impl Fn(&str) -> bool) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(element) = client.find(Locator::Css(selector)).await {
            if element.text().await.is_ok_and(|t| accept(&t)) {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("{selector} did not appear within a minute"));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn time_in_page(client: &Client, script: &str, args: Vec<serde_json::Value>) -> Result<f64, String> {
    let ms = client.execute_async(script, args).await.map_err(|e| e.to_string())?;
    let ms = ms.as_f64().ok_or("the page answered something other than a time")?;
    if ms < 0.0 {
        return Err("the page did not show the result within ten seconds".into());
    }
    Ok(ms)
}

/// Answers as soon as a row of the list is named `arguments[0]`.
const SEEN_IN_LIST: &str = r#"
const [expected, done] = arguments;
const shown = () => [...document.querySelectorAll("[data-testid='prospect-row'] .name")]
  .some((name) => name.textContent === expected);
if (shown()) { done(0); } else {
  const observer = new MutationObserver(() => {
    if (shown()) { observer.disconnect(); clearTimeout(timer); done(0); }
  });
  const timer = setTimeout(() => { observer.disconnect(); done(-1); }, 20000);
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
}
"#;

/// Times `samples` renames on another online device until the app's open list shows each.
async fn live_updates(samples: usize) -> Result<Vec<f64>, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "40"]);
    let server = Server::start(&db);
    let driver = Driver::start_syncing_every(&dir.path().join("app"), 600);
    let client = connect(&driver).await?;
    wait_for(&client, "[data-testid='sign-in']", |_| true).await?;
    for (field, value) in [("server", server.url.as_str()), ("login", "anna"), ("password", "census-demo")] {
        let input = client.find(Locator::Css(&format!("input[name='{field}']"))).await.map_err(|e| e.to_string())?;
        input.clear().await.map_err(|e| e.to_string())?;
        input.send_keys(value).await.map_err(|e| e.to_string())?;
    }
    client
        .find(Locator::Css("button[type='submit']"))
        .await
        .map_err(|e| e.to_string())?
        .click()
        .await
        .map_err(|e| e.to_string())?;
    wait_for(&client, "[data-testid='prospect-row']", |t| !t.is_empty()).await?;
    let mut phone = Device::sign_in(dir.path(), "phone", &server, "anna");
    phone.sync().map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for i in 0..samples {
        let word = ["альфа", "бета", "гамма", "дельта", "эпсилон", "дзета", "эта", "тета"][i % 8];
        let name = format!("Живое обновление {word}");
        // The list is searched for the new name first: the renamed shop is its only row.
        let search = client.find(Locator::Css("[data-testid='search']")).await.map_err(|e| e.to_string())?;
        search.clear().await.map_err(|e| e.to_string())?;
        search.send_keys(&format!("обновление {word}")).await.map_err(|e| e.to_string())?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let target = phone.replica.search("ромашка", 1).map_err(|e| e.to_string())?[0].id;
        let ctx = phone.ctx();
        phone.replica.edit_prospect(target, &ctx, |p| p.set_name(&name)).map_err(|e| e.to_string())?;
        let started = Instant::now();
        let seen = client.execute_async(SEEN_IN_LIST, vec![name.clone().into()]);
        let sent = async {
            phone.sync().map_err(|e| e.to_string())?;
            Ok::<(), String>(())
        };
        let (seen, sent) = tokio::join!(seen, sent);
        sent?;
        if seen.map_err(|e| e.to_string())?.as_f64() != Some(0.0) {
            return Err(format!("the list did not show \"{name}\" within 20 s"));
        }
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = client.close().await;
    drop(driver);
    Ok(times)
}

/// A WebDriver session with the app `driver` started.
async fn connect(driver: &Driver) -> Result<Client, String> {
    ClientBuilder::rustls()
        .map_err(|e| e.to_string())?
        .capabilities(Driver::capabilities())
        .connect(&driver.url)
        .await
        .map_err(|e| e.to_string())
}

fn median(times: &[f64]) -> f64 {
    round2(percentile_ms(times, 50.0))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let prospects: usize = option("--prospects", 100_000)?;
    let samples: usize = option("--samples", 20)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = dir.path().join("app");
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    println!("census-bench app: {prospects} prospects in {}", data.display());
    seed(&data.join("census.replica"), prospects)?;

    // The app is built (when it is not up to date) before the clock starts.
    census_tests::app::app_binary();
    let driver = Driver::start(&data);
    let started = Instant::now();
    let client = connect(&driver).await?;
    // The count is written as the language writes numbers ("100 000"): its digits are compared.
    let digits = |t: &str| t.chars().filter(char::is_ascii_digit).collect::<String>();
    wait_for(&client, "[data-testid='list-count']", |t| digits(t) == prospects.to_string()).await?;
    wait_for(&client, "[data-testid='prospect-row']", |t| !t.is_empty()).await?;
    let start_to_list_s = started.elapsed().as_secs_f64();

    // Only prospects whose number begins no other number ("Ромашка 1300", not "Ромашка 13", whose
    // search also finds "Ромашка 130…"), so that a search for the whole name shows it first.
    let largest = (prospects - 1) / NAMES.len() + 1;
    let first_unique = (largest / 10) * NAMES.len();
    let mut searches = Vec::new();
    let mut cards = Vec::new();
    for i in 0..samples {
        // A different prospect each time, spread over the base.
        let n = first_unique + (i * 7_919 + 13) % (prospects - first_unique);
        let name = name_of(n);
        searches.push(time_in_page(&client, TIME_SEARCH, vec![name.clone().into(), name.into()]).await?);
        cards.push(time_in_page(&client, TIME_CARD, vec![]).await?);
    }
    let office = dir.path().join("office.csv");
    office_sheet(&office, prospects)?;
    let names: Vec<String> =
        (0..samples).map(|i| name_of(first_unique + (i * 6_133 + 7) % (prospects - first_unique))).collect();
    let during_import = searches_during_import(&client, &office, &names).await?;
    let _ = client.close().await;
    drop(driver);
    let live = live_updates(5).await?;

    println!(
        "{}",
        serde_json::json!({
            "bench": "app",
            "prospects": prospects,
            "samples": samples,
            "start_to_list_s": round2(start_to_list_s),
            "search_ms": median(&searches),
            "search_p95_ms": round2(percentile_ms(&searches, 95.0)),
            "open_card_ms": median(&cards),
            "open_card_p95_ms": round2(percentile_ms(&cards, 95.0)),
            "search_ms_during_import": median(&during_import),
            "search_during_import_samples": during_import.len(),
            "live_update_ms": median(&live),
        })
    );
    Ok(())
}
