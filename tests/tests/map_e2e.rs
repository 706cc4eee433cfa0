//! The street map in the real app, with nothing but loopback: the test runs inside a network
//! namespace whose only interface is `lo` (`census_tests::offline`), so the server, the display,
//! the driver and the app can reach each other and nothing else.
//!
//! The server holds the demo base made of central Helsinki's real businesses and the map pack of
//! the same OpenStreetMap extract (`scripts/map-data`). Anna signs in over a link that is cut
//! while the pack downloads; it resumes from where it stopped. Her map then draws the city's
//! streets with their names, its buildings, and her prospects on them; a tap on a marker opens
//! its card; a long press places a new prospect, which the manager's device receives at that
//! very position. The manager then outlines a territory on the same streets. The screens are
//! photographed at desktop and phone width, in Russian and English, into `docs/screenshots/`.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use census_tests::app::Driver;
use census_tests::offline::inside_offline_namespace;
use census_tests::slow_link::SlowLink;
use census_tests::window::*;
use census_tests::{Device, Server, admin};
use fantoccini::{Client, Locator};

/// A file `scripts/map-data` made (scripts/setup runs it).
fn map_data(file: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/map").join(file);
    assert!(path.exists(), "{} is missing: run scripts/map-data (scripts/setup does) first", path.display());
    path
}

/// What the map shows: its centre, zoom and size in CSS pixels.
#[derive(Debug, Clone, Copy)]
struct View {
    lat: f64,
    lon: f64,
    zoom: f64,
    width: f64,
    height: f64,
}

impl View {
    /// MapLibre's world is 512 pixels wide at zoom 0 (Web Mercator).
    fn world(&self, lat: f64, lon: f64) -> (f64, f64) {
        let size = 512.0 * 2f64.powf(self.zoom);
        let sin = lat.to_radians().sin();
        (((lon + 180.0) / 360.0) * size, (0.5 - ((1.0 + sin) / (1.0 - sin)).ln() / (4.0 * std::f64::consts::PI)) * size)
    }

    /// Where on the map (pixels from its top-left corner) a position is drawn.
    fn pixel(&self, lat: f64, lon: f64) -> (f64, f64) {
        let (cx, cy) = self.world(self.lat, self.lon);
        let (x, y) = self.world(lat, lon);
        (x - cx + self.width / 2.0, y - cy + self.height / 2.0)
    }
}

/// The map's view once it has come to rest with everything drawn, and what it drew.
async fn map_at_rest(client: &Client, ready: impl Fn(&str) -> bool) -> (View, String) {
    let started = Instant::now();
    loop {
        let state = client
            .execute(
                "const m = document.querySelector(\"[data-testid='map-view']\"); \
                 const c = m && m.querySelector('canvas'); \
                 return m && c ? [m.dataset.view || '', m.dataset.drawn || '', c.clientWidth, c.clientHeight] : null;",
                vec![],
            )
            .await
            .unwrap();
        if let Some([view, drawn, width, height]) = state.as_array().map(Vec::as_slice) {
            let parts: Vec<f64> = view.as_str().unwrap().split(',').filter_map(|p| p.parse().ok()).collect();
            let drawn = drawn.as_str().unwrap().to_owned();
            if parts.len() == 3 && ready(&drawn) {
                let view = View {
                    lat: parts[0],
                    lon: parts[1],
                    zoom: parts[2],
                    width: width.as_f64().unwrap(),
                    height: height.as_f64().unwrap(),
                };
                return (view, drawn);
            }
        }
        assert!(started.elapsed() < WAIT * 2, "the map never came to rest as expected: {state}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// How many of `kind` the map drew (`drawn` is `kind=n kind=n …`).
fn drawn_count(drawn: &str, kind: &str) -> u64 {
    drawn.split(' ').find_map(|part| part.strip_prefix(&format!("{kind}="))?.parse().ok()).unwrap_or(0)
}

/// Presses the map at `x, y` (pixels from its corner) for `hold_ms`, as a mouse does.
async fn press(client: &Client, (x, y): (f64, f64), hold_ms: u64) {
    let event = |kind: &str| {
        format!(
            "const c = document.querySelector(\"[data-testid='map-canvas']\"), r = c.getBoundingClientRect(); \
             c.dispatchEvent(new MouseEvent('{kind}', {{ clientX: r.left + {x}, clientY: r.top + {y}, button: 0, buttons: 1, bubbles: true, cancelable: true }}));"
        )
    };
    client.execute(&event("mousedown"), vec![]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(hold_ms)).await;
    client.execute(&event("mouseup"), vec![]).await.unwrap();
    client.execute(&event("click"), vec![]).await.unwrap();
}

/// Zooms in with the map's own button until the map is at `zoom` or closer, and at rest.
async fn zoom_to(client: &Client, zoom: f64) -> View {
    loop {
        let (view, _) = map_at_rest(client, |_| true).await;
        if view.zoom >= zoom {
            return view;
        }
        click(client, "zoom-in").await;
        // Until the map has come to rest after this step: its view changed, then held still.
        let started = Instant::now();
        loop {
            let (now, _) = map_at_rest(client, |_| true).await;
            tokio::time::sleep(Duration::from_millis(400)).await;
            let (later, _) = map_at_rest(client, |_| true).await;
            if now.zoom > view.zoom + 0.5 && later.zoom == now.zoom {
                break;
            }
            assert!(started.elapsed() < WAIT, "the map did not zoom in");
        }
    }
}

/// Waits until a piece of a map pack of at least `bytes` is on the device.
fn wait_for_partial_pack(maps: &Path, bytes: u64) {
    let started = Instant::now();
    loop {
        let piece = std::fs::read_dir(maps)
            .ok()
            .and_then(|entries| entries.flatten().find(|e| e.file_name().to_string_lossy().ends_with(".partial")));
        if piece.and_then(|e| e.metadata().ok()).is_some_and(|m| m.len() >= bytes) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "no piece of the map pack arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_walks_real_streets_on_a_map_that_came_from_the_server_and_no_further() {
    if !inside_offline_namespace("an_agent_walks_real_streets_on_a_map_that_came_from_the_server_and_no_further") {
        return;
    }
    let _window = ONE_WINDOW.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let businesses = map_data("helsinki-businesses.json");
    let tiles = map_data("helsinki.mbtiles");
    admin(&db, &["demo", "--prospects", "5000", "--places", businesses.to_str().unwrap()]);
    admin(&db, &["map", "add", tiles.to_str().unwrap(), "--name", "Helsinki"]);
    let server = Server::start(&db);
    let pack = std::fs::read(&tiles).unwrap();
    // The pack comes down at 60 kB/s: a cut after its first 40 kB leaves most of it to resume.
    let link = SlowLink::with_rates(&server.url, None, Some(60_000));

    let data = dir.path().join("anna-app");
    let driver = Driver::start(&data);
    let client = connect(&driver).await;
    sign_in_at(&client, &link.url, "anna").await;
    click(&client, "sync").await;
    wait_for_text(&client, "sync-message", |t| t.starts_with("Готово")).await;

    // After the sync, the pack of her territory starts coming; the link is cut under it.
    let maps = data.join("maps");
    tokio::task::block_in_place(|| wait_for_partial_pack(&maps, 40_000));
    link.cut();
    wait_for_text(&client, "map-pack-error", |t| t.starts_with("Карта не загружена")).await;
    let before = link.bytes_down();
    link.restore();
    click(&client, "map-pack-retry").await;
    wait_for_text(&client, "map-pack-done", |t| t.starts_with("Карта загружена: 1 пакет")).await;
    let resumed = link.bytes_down() - before;
    assert!(resumed < pack.len() as u64 - 30_000, "only the rest came again: {resumed} of {} bytes", pack.len());
    let kept: Vec<_> = std::fs::read_dir(&maps).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(kept.len(), 1, "one whole pack and no piece: {kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), pack, "the very pack the server has");

    // Her map: Helsinki's streets with their names, its buildings, and her prospects on them.
    click(&client, "to-map").await;
    let (_, drawn) = map_at_rest(&client, |drawn| {
        drawn_count(drawn, "streets") > 50
            && drawn_count(drawn, "street_names") > 5
            && drawn_count(drawn, "buildings") > 50
            && drawn_count(drawn, "markers") + drawn_count(drawn, "clusters") > 0
    })
    .await;
    let on_map = wait_for_text(&client, "map-count", |t| t.starts_with("На карте: ")).await;
    println!("the map drew {drawn}; {on_map}");
    photograph_for_docs(&driver, &client, "map-streets-ru").await;

    // Close enough for every prospect to stand alone: a tap on one opens its card.
    let anna = tokio::task::block_in_place(|| {
        let mut anna = Device::sign_in(dir.path(), "anna-laptop", &server, "anna");
        anna.sync().unwrap();
        anna
    });
    let filter = census_replica::ListFilter { limit: 10_000, ..Default::default() };
    let prospects = anna.replica.list(&filter).unwrap();
    let positions: Vec<(String, f64, f64)> =
        prospects.iter().filter_map(|p| Some((p.name.clone(), p.lat?, p.lon?))).collect();
    let view = zoom_to(&client, 17.0).await;
    let alone = |x: f64, y: f64, room: f64| {
        positions.iter().all(|(_, lat, lon)| {
            let (px, py) = view.pixel(*lat, *lon);
            (px - x).abs() > room || (py - y).abs() > room || (px == x && py == y)
        })
    };
    let inside = |(x, y): (f64, f64)| x > 80.0 && x < view.width - 200.0 && y > 80.0 && y < view.height - 80.0;
    let (name, lat, lon) = positions
        .iter()
        .find(|(_, lat, lon)| {
            let (x, y) = view.pixel(*lat, *lon);
            inside((x, y)) && alone(x, y, 30.0)
        })
        .expect("a prospect standing alone in view")
        .clone();
    press(&client, view.pixel(lat, lon), 50).await;
    wait_for_text(&client, "card-name", |t| t.starts_with(name.as_str())).await;
    photograph_for_docs(&driver, &client, "map-card-ru").await;
    click(&client, "close-card").await;

    // A long press where no prospect is places a new one there.
    click(&client, "to-map").await;
    let (view, _) = map_at_rest(&client, |_| true).await;
    let spot = (0..20)
        .flat_map(|i| (0..20).map(move |j| (100.0 + i as f64 * 40.0, 100.0 + j as f64 * 25.0)))
        .filter(|&(x, y)| inside((x, y)))
        .max_by(|a, b| {
            let room = |&(x, y): &(f64, f64)| {
                positions
                    .iter()
                    .map(|(_, lat, lon)| {
                        let (px, py) = view.pixel(*lat, *lon);
                        (px - x).hypot(py - y)
                    })
                    .fold(f64::INFINITY, f64::min)
            };
            room(a).total_cmp(&room(b))
        })
        .unwrap();
    press(&client, spot, 900).await;
    click(&client, "add-here").await;
    fill(&client, "name", "Kioski Kartalta").await;
    let value = |name: &'static str| {
        let client = client.clone();
        async move {
            let field = client.find(Locator::Css(&format!("input[name='{name}']"))).await.unwrap();
            field.prop("value").await.unwrap().unwrap().parse::<f64>().unwrap()
        }
    };
    let (placed_lat, placed_lon) = (value("lat").await, value("lon").await);
    // The form holds the position under the finger (to a metre or so: the view is rounded).
    let (x, y) = view.pixel(placed_lat, placed_lon);
    assert!((x - spot.0).abs() < 3.0 && (y - spot.1).abs() < 3.0, "placed at {x},{y}, pressed at {spot:?}");
    click(&client, "save-prospect").await;
    wait_until_gone(&client, &testid("new-prospect")).await;
    click(&client, "sync").await;
    wait_for_text(&client, "sync-message", |t| t.contains("Отправлено: 1 ")).await;
    let arrived = tokio::task::block_in_place(|| {
        let mut office = Device::sign_in(dir.path(), "office", &server, "manager");
        office.sync().unwrap();
        let found = office.replica.search("Kioski Kartalta", 1).unwrap();
        office.replica.prospect(found[0].id).unwrap().prospect
    });
    let at = arrived.location.expect("the placed prospect has its position");
    assert!((at.lat - placed_lat).abs() < 1e-9 && (at.lon - placed_lon).abs() < 1e-9, "{at:?}");

    // Anna stands by the kiosk she placed: the platform says so (this window has no GPS, so its
    // geolocation is given that fix, 25 m sure), and the map shows her there.
    let stand_here = format!(
        "const fix = {{ coords: {{ latitude: {placed_lat}, longitude: {placed_lon}, accuracy: 25 }}, timestamp: Date.now() }}; \
         Object.defineProperty(navigator, 'geolocation', {{ configurable: true, value: {{ \
           watchPosition: (ok) => {{ setTimeout(() => ok(fix), 10); return 1; }}, clearWatch: () => {{}}, \
           getCurrentPosition: (ok) => setTimeout(() => ok(fix), 10) }} }});"
    );
    client.execute(&stand_here, vec![]).await.unwrap();

    // English, and at phone width.
    click(&client, "language").await;
    wait_for_text(&client, "language", |t| t == "Русский").await;
    click(&client, "to-map").await;
    map_at_rest(&client, |drawn| drawn_count(drawn, "street_names") > 0).await;
    photograph_for_docs(&driver, &client, "map-streets-en").await;
    client.set_window_size(390, 844).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    map_at_rest(&client, |drawn| drawn_count(drawn, "streets") > 0).await;
    photograph_for_docs(&driver, &client, "map-streets-en-phone").await;
    click(&client, "language").await;
    wait_for_text(&client, "language", |t| t == "English").await;
    click(&client, "nearest-toggle").await;
    wait_for_text(&client, "nearest", |t| t.contains("ближе всего к вам")).await;
    // Nearest first: the kiosk where she stands, then those no one has visited, by distance.
    let unvisited: Vec<&census_core::ProspectRow> =
        prospects.iter().filter(|p| p.visits == 0 && p.lat.is_some()).collect();
    let metres = |p: &census_core::ProspectRow| {
        let (dlat, dlon) = (p.lat.unwrap() - placed_lat, (p.lon.unwrap() - placed_lon) * placed_lat.to_radians().cos());
        dlat.hypot(dlon) * 111_195.0
    };
    let nearest_known = unvisited.iter().min_by(|a, b| metres(a).total_cmp(&metres(b))).unwrap();
    let listed = client.find_all(Locator::Css(&testid("nearest-item"))).await.unwrap();
    assert_eq!(listed[0].text().await.unwrap(), "Kioski Kartalta");
    assert_eq!(listed[1].text().await.unwrap(), nearest_known.name);
    map_at_rest(&client, |drawn| drawn_count(drawn, "streets") > 0).await;
    photograph_for_docs(&driver, &client, "map-streets-ru-phone").await;
    client.close().await.unwrap();
    drop(driver);

    // The manager outlines the south territory on the same streets.
    let south = census_server::demo::demo_territories()[0].id;
    let driver = Driver::start(&dir.path().join("manager-app"));
    let client = connect(&driver).await;
    sign_in(&client, &server, "manager").await;
    click(&client, "sync").await;
    wait_for_text(&client, "sync-message", |t| t.starts_with("Готово")).await;
    wait_for_text(&client, "map-pack-done", |t| t.starts_with("Карта загружена")).await;
    click(&client, "to-map").await;
    map_at_rest(&client, |drawn| drawn_count(drawn, "streets") > 50).await;
    choose(&client, "map-territory", &south.to_string()).await;
    click(&client, "draw-outline").await;
    let (view, _) = map_at_rest(&client, |_| true).await;
    let corners =
        [(0.25, 0.25), (0.7, 0.2), (0.75, 0.75), (0.3, 0.7)].map(|(fx, fy)| (view.width * fx, view.height * fy));
    for corner in corners {
        press(&client, corner, 50).await;
    }
    click(&client, "save-outline").await;
    wait_for_text(&client, "map-message", |t| t == "Граница сохранена").await;
    map_at_rest(&client, |drawn| drawn_count(drawn, "streets") > 50).await;
    photograph_for_docs(&driver, &client, "map-outline-ru").await;
    let outline = tokio::task::block_in_place(|| {
        let mut office = Device::sign_in(dir.path(), "office-2", &server, "manager");
        office.sync().unwrap();
        office.replica.territories().unwrap().into_iter().find(|t| t.id == south).unwrap().boundary
    });
    assert_eq!(outline.len(), 4);
    for (corner, [lat, lon]) in corners.iter().zip(&outline) {
        let (x, y) = view.pixel(*lat, *lon);
        assert!((x - corner.0).abs() < 3.0 && (y - corner.1).abs() < 3.0, "a corner at {x},{y}, drawn at {corner:?}");
    }
    client.close().await.unwrap();
    drop(driver);
}
