//! The street map at scale: a replica of `--prospects` prospects (100,000 by default) spread
//! over central Helsinki and around it, the city's real map pack (`scripts/map-data`) in the
//! app's map folder as a download leaves it, and the release app started through tauri-driver
//! on Xvfb like the end-to-end tests, drawing with Mesa's software renderer:
//!
//! - `first_render_ms`: from a tap on "Map" until the map has drawn its markers (clustered)
//!   over the streets, every prospect loaded;
//! - `pan_frame_ms`, `zoom_frame_ms`: the 95th percentile of the time between two frames
//!   (`requestAnimationFrame` in the page) while the map is dragged about, then zoomed in and
//!   out with the wheel, for `--seconds` each;
//! - `pack_download_mb_per_s`: a device downloading a `--pack-mb` map pack (random tiles, which
//!   do not shrink) from a real server over loopback, the way the app does after a sync.
//!
//! Timings inside the page are taken there (`performance.now()`), so WebDriver's round trips
//! are not counted. The last line is JSON.
//!
//! `cargo run --release -p census-bench --bin map -- --prospects 100000` (needs `scripts/setup`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use census_bench::manager_replica::seed_manager_replica;
use census_bench::{option, percentile_ms, round2};
use census_core::*;
use census_tests::app::Driver;
use census_tests::{Device, Server, admin, write_map_pack};
use fantoccini::{Client, ClientBuilder};
use rand::{Rng, SeedableRng};

/// The middle of the demo city (Helsinki's centre, where the map pack is).
const CITY: (f64, f64) = (60.1715, 24.9440);

/// Taps "Map" and answers with the milliseconds until the map has drawn markers or clusters
/// (with `arguments[0]` prospects loaded), or -1 after a minute.
const TIME_FIRST_RENDER: &str = r#"
const [expected, done] = arguments;
const drawnMarkers = (text) => [...text.matchAll(/(markers|clusters)=(\d+)/g)].reduce((n, m) => n + Number(m[2]), 0);
const ready = () => {
  const view = document.querySelector("[data-testid='map-view']");
  const count = document.querySelector("[data-testid='map-count']");
  return view !== null && count !== null && count.textContent.replace(/\D/g, '') === String(expected)
    && drawnMarkers(view.dataset.drawn || '') > 0;
};
const started = performance.now();
const observer = new MutationObserver(() => {
  if (ready()) { observer.disconnect(); clearTimeout(timer); done(performance.now() - started); }
});
const timer = setTimeout(() => { observer.disconnect(); done(-1); }, 60000);
observer.observe(document.body, { childList: true, subtree: true, characterData: true, attributes: true });
document.querySelector("[data-testid='to-map']").click();
"#;

/// Moves the map for `arguments[1]` ms (`arguments[0]`: "pan" drags it about, "zoom" turns the
/// wheel in then out) and answers with every frame's time since the one before, in ms.
const TIME_FRAMES: &str = r#"
const [how, duration, done] = arguments;
const canvas = document.querySelector("[data-testid='map-canvas']");
const r = canvas.getBoundingClientRect();
const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
const mouse = (type, x, y) => canvas.dispatchEvent(new MouseEvent(type, {
  clientX: x, clientY: y, button: 0, buttons: type === 'mouseup' ? 0 : 1, bubbles: true, cancelable: true }));
const frames = [];
let running = true, last = null;
const tick = (t) => { if (last !== null) frames.push(t - last); last = t; if (running) requestAnimationFrame(tick); };
requestAnimationFrame(tick);
const started = performance.now();
if (how === 'pan') mouse('mousedown', cx, cy);
const step = () => {
  const elapsed = performance.now() - started;
  if (elapsed > duration) {
    if (how === 'pan') mouse('mouseup', cx, cy);
    running = false;
    setTimeout(() => done(frames), 100);
    return;
  }
  if (how === 'pan') {
    // A circle of 120 px a second and a half: the streets and markers keep moving.
    const angle = (elapsed / 1500) * 2 * Math.PI;
    mouse('mousemove', cx + 120 * Math.cos(angle) - 120, cy + 120 * Math.sin(angle));
  } else {
    const inwards = elapsed < duration / 2;
    canvas.dispatchEvent(new WheelEvent('wheel', { clientX: cx, clientY: cy, deltaY: inwards ? -60 : 60, deltaMode: 0, bubbles: true, cancelable: true }));
  }
  setTimeout(step, how === 'pan' ? 16 : 50);
};
step();
"#;

/// A replica of `prospects` prospects around the city, as a manager's after a season.
fn seed(path: &Path, prospects: usize) -> Result<(), String> {
    let mut random = rand::rngs::StdRng::seed_from_u64(7);
    seed_manager_replica(
        path,
        ["Хельсинки — Юг", "Хельсинки — Север"],
        prospects,
        |n, territories| {
            // Half in the centre the map pack covers, half around it up to about 10 km out.
            let spread = if n % 2 == 0 { 0.008 } else { 0.09 };
            let lat = CITY.0 + random.random_range(-spread..spread) / 2.0;
            let lon = CITY.1 + random.random_range(-spread..spread);
            NewProspect {
                territory: territories[usize::from(lat > CITY.0)].id,
                name: format!("Prospect {n}"),
                category: ["Кафе", "Продукты", "Офис", "Бар"][n % 4].into(),
                status: [Status::New, Status::Visited, Status::Interested, Status::Client, Status::Refused][n % 5],
                address: Address {
                    line: format!("Katu {}", n % 300 + 1),
                    city: "Helsinki".into(),
                    ..Address::default()
                },
                location: Some(Location {
                    lat,
                    lon,
                    accuracy_m: Some(8.0),
                    at: Timestamp::from_unix_millis(1_795_800_000_000),
                }),
            }
        },
    )
}

/// The file `scripts/map-data` made.
fn helsinki_pack() -> Result<PathBuf, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/map/helsinki.mbtiles");
    path.exists().then_some(path).ok_or_else(|| "target/map/helsinki.mbtiles is missing: run scripts/setup".into())
}

/// Megabytes a second for a device downloading a `megabytes` pack from a real server.
fn pack_download(megabytes: usize) -> Result<f64, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "10"]);
    let mut random = rand::rngs::StdRng::seed_from_u64(11);
    let tiles: Vec<(u8, u32, u32, Vec<u8>)> = (0..megabytes * 10)
        .map(|i| (14, 9000 + i as u32, 11120, (0..100_000).map(|_| random.random()).collect()))
        .collect();
    let pack = dir.path().join("region.mbtiles");
    write_map_pack(&pack, "Bench region", "35.89,56.84,35.94,56.91", &tiles);
    admin(&db, &["map", "add", pack.to_str().ok_or("a path in UTF-8")?, "--name", "Bench region"]);
    let server = Server::start(&db);
    let device = Device::sign_in(dir.path(), "phone", &server, "anna");
    let started = Instant::now();
    let done =
        device.replica.download_map_packs(&device.client, &dir.path().join("maps")).map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    if done.fetched != 1 {
        return Err(format!("the device fetched {} packs, not one", done.fetched));
    }
    println!("  a {:.1} MB pack in {seconds:.2} s", done.bytes as f64 / 1e6);
    Ok(done.bytes as f64 / 1e6 / seconds)
}

async fn connect(driver: &Driver) -> Result<Client, String> {
    ClientBuilder::rustls()
        .map_err(|e| e.to_string())?
        .capabilities(Driver::capabilities())
        .connect(&driver.url)
        .await
        .map_err(|e| e.to_string())
}

async fn in_page(client: &Client, script: &str, args: Vec<serde_json::Value>) -> Result<serde_json::Value, String> {
    client.execute_async(script, args).await.map_err(|e| e.to_string())
}

/// The 95th percentile of the frame times the page answered, leaving out the first (the
/// frame before the movement started).
fn p95(frames: &serde_json::Value) -> Result<(f64, usize), String> {
    let times: Vec<f64> = frames.as_array().ok_or("no frames")?.iter().skip(1).filter_map(|f| f.as_f64()).collect();
    if times.len() < 10 {
        return Err(format!("only {} frames were drawn", times.len()));
    }
    Ok((round2(percentile_ms(&times, 95.0)), times.len()))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let prospects: usize = option("--prospects", 100_000)?;
    let seconds: u64 = option("--seconds", 5)?;
    let pack_mb: usize = option("--pack-mb", 64)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = dir.path().join("app");
    std::fs::create_dir_all(data.join("maps")).map_err(|e| e.to_string())?;
    println!("census-bench map: {prospects} prospects in {}", data.display());
    seed(&data.join("census.replica"), prospects)?;
    std::fs::copy(helsinki_pack()?, data.join("maps/helsinki.mbtiles")).map_err(|e| e.to_string())?;

    // The app is built (when it is not up to date) before the clock starts.
    census_tests::app::app_binary();
    let driver = Driver::start(&data);
    let client = connect(&driver).await?;
    client
        .wait()
        .at_most(Duration::from_secs(60))
        .for_element(fantoccini::Locator::Css("[data-testid='to-map']"))
        .await
        .map_err(|e| e.to_string())?;
    let first = in_page(&client, TIME_FIRST_RENDER, vec![prospects.into()]).await?;
    let first_render_ms =
        first.as_f64().filter(|ms| *ms >= 0.0).ok_or("the map did not draw its markers in a minute")?;
    // Closer, where streets, buildings and single markers show, before the frames are timed.
    for _ in 0..3 {
        client
            .execute("document.querySelector(\"[data-testid='zoom-in']\").click()", vec![])
            .await
            .map_err(|e| e.to_string())?;
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let duration = (seconds * 1000) as f64;
    let (pan_frame_ms, pan_frames) = p95(&in_page(&client, TIME_FRAMES, vec!["pan".into(), duration.into()]).await?)?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (zoom_frame_ms, zoom_frames) =
        p95(&in_page(&client, TIME_FRAMES, vec!["zoom".into(), duration.into()]).await?)?;
    let drawn = client
        .execute("return document.querySelector(\"[data-testid='map-view']\").dataset.drawn", vec![])
        .await
        .map_err(|e| e.to_string())?;
    println!("  after zooming the map drew {drawn}; {pan_frames} frames panning, {zoom_frames} zooming");
    let _ = client.close().await;
    drop(driver);

    let pack_download_mb_per_s = round2(tokio::task::block_in_place(|| pack_download(pack_mb))?);
    let figures = serde_json::json!({
        "bench": "map",
        "prospects": prospects,
        "first_render_ms": round2(first_render_ms),
        "pan_frame_ms": pan_frame_ms,
        "zoom_frame_ms": zoom_frame_ms,
        "pack_download_mb_per_s": pack_download_mb_per_s,
        "pack_mb": pack_mb,
    });
    println!("{figures}");
    Ok(())
}
