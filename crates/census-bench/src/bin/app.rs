//! The real app at scale: a replica of `--prospects` prospects (100,000 by default) in the app's
//! data folder, the release app started through tauri-driver on Xvfb like the end-to-end tests,
//! and three timings a person feels:
//!
//! - `start_to_list_s`: from asking for the app until its list shows the base;
//! - `search_ms`: from typing a query until the matching rows are on screen (median of
//!   `--samples`, each a different prospect);
//! - `open_card_ms`: from a click on a row until its card shows (median).
//!
//! The two in-page timings are taken inside the page (`performance.now()`, a `MutationObserver`
//! on the document), so the WebDriver round trips are not counted. The last line is JSON.
//!
//! `cargo run --release -p census-bench --bin app` (needs `scripts/setup` first).

use std::time::{Duration, Instant};

use census_bench::{option, percentile_ms, round2};
use census_core::*;
use census_replica::Replica;
use census_tests::app::Driver;
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

/// A replica like an agent's after a season: the base, a signed-in agent, two territories.
fn seed(path: &std::path::Path, prospects: usize) -> Result<(), String> {
    let fail = |e: census_replica::ReplicaError| e.to_string();
    let agent = Person {
        id: UserId::from_bytes([2; 16]),
        login: "anna".into(),
        name: "Анна Смирнова".into(),
        role: Role::Agent,
        retired: false,
    };
    let territories: Vec<Territory> = (0..2u8)
        .map(|n| Territory {
            id: TerritoryId::from_bytes([10 + n; 16]),
            name: ["Центр", "Заволжье"][n as usize].into(),
            planned_prospects: None,
            agents: vec![agent.id],
            boundary: vec![],
        })
        .collect();
    let mut replica = Replica::create(path, DeviceId::from_bytes([1; 16])).map_err(fail)?;
    replica
        .cache_directory(&Directory {
            people: vec![agent.clone()],
            territories: territories.clone(),
            questionnaires: vec![],
        })
        .map_err(fail)?;
    replica.set_signed_in_user(agent.id).map_err(fail)?;
    let started = Instant::now();
    for n in 0..prospects {
        let new = NewProspect {
            territory: territories[n % 2].id,
            name: name_of(n),
            category: ["grocery", "pharmacy", "kiosk", "cafe"][n % 4].into(),
            status: [Status::New, Status::Visited, Status::Interested, Status::Client][n % 7 % 4],
            address: Address {
                line: format!("ул. Ленина, д. {}", n % 200 + 1),
                city: "Тверь".into(),
                ..Address::default()
            },
            location: Some(Location {
                lat: 56.8 + (n % 1000) as f64 * 1e-4,
                lon: 35.9 + (n / 1000) as f64 * 1e-4,
                accuracy_m: Some(8.0),
                at: Timestamp::from_unix_millis(1_795_800_000_000),
            }),
        };
        let ctx = EditContext::new(agent.id, Timestamp::from_unix_millis(1_795_800_000_000 + n as i64));
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(n as u64 + 1).to_be_bytes());
        replica.create_prospect(ProspectId::from_bytes(id), &ctx, &new).map_err(fail)?;
        if (n + 1) % 20_000 == 0 {
            println!("  {} prospects written, {:.0} s", n + 1, started.elapsed().as_secs_f64());
        }
    }
    Ok(())
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

    let driver = Driver::start(&data);
    let started = Instant::now();
    let client = ClientBuilder::rustls()
        .map_err(|e| e.to_string())?
        .capabilities(Driver::capabilities())
        .connect(&driver.url)
        .await
        .map_err(|e| e.to_string())?;
    wait_for(&client, "[data-testid='list-count']", |t| t.ends_with(&format!(": {prospects}"))).await?;
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
    let _ = client.close().await;
    drop(driver);

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
        })
    );
    Ok(())
}
