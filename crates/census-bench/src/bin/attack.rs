//! A real `census-server` under attack, and a signed-in device working through it.
//!
//! For `--seconds` (20 by default): 96 clients flood sign-ins with made-up logins, each request
//! from a loopback address of its own (so a per-address limit alone does not answer the flood);
//! 50 slow clients hold connections open with half-sent requests, reconnecting whenever the
//! server closes one; a signed-in device pushes an edit and pulls its territory every 50 ms,
//! each request timed; and halfway through, a compressed change bomb (a few hundred kilobytes
//! inflating to half a GiB) is pushed and timed until its refusal. Every loop stops by itself
//! at the deadline. The last line is JSON: `pull_p99_ms_under_flood`, `push_p99_ms_under_flood`,
//! `bomb_refused_ms`, `server_peak_rss_mb`, with the counts behind them.

use std::io::{Read, Write};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use census_bench::{option, peak_rss_mb_of, percentile_ms, round2};
use census_core::wire::{DocKind, PullPage, PushItem, PushOutcome};
use census_core::*;
use census_replica::SyncClient;
use census_tests::hostile::{RawApi, change_bomb, connect_from, gunzip};
use census_tests::{Server, admin, now};

const FLOODERS: usize = 96;
const SLOW_CLIENTS: u8 = 50;
const DEVICE_EVERY: Duration = Duration::from_millis(50);

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The `n`th address of a flooder's own: 127.(40 + flooder).x.y, never the same twice.
fn flood_address(flooder: usize, n: usize) -> IpAddr {
    IpAddr::from([127, 40 + flooder as u8, (n / 250 % 250) as u8, (n % 250 + 1) as u8])
}

/// One sign-in with a made-up login over a connection of its own; its status.
fn made_up_sign_in(port: u16, from: IpAddr, n: usize) -> Option<u16> {
    let body = serde_json::json!({
        "login": format!("nobody-{n}"), "password": "guess-guess-guess",
        "device": DeviceId::new_v7(now(), rand::random()),
    })
    .to_string();
    let mut stream = connect_from(from, port);
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let request = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: census\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    String::from_utf8_lossy(&answer).split_whitespace().nth(1)?.parse().ok()
}

/// The signed-in device: a prospect of its own that it edits and pushes, and its territory,
/// which it pulls from where it stopped.
struct Working {
    api: RawApi,
    prospect: ProspectDoc,
    territory: TerritoryId,
    since: u64,
    edits: usize,
}

impl Working {
    fn item(&self, change: Vec<u8>) -> PushItem {
        PushItem { doc: self.prospect.id(), kind: DocKind::Prospect, territory: self.territory, change }
    }

    /// One edit pushed, then one pull: how long each took, in milliseconds.
    fn round(&mut self) -> (f64, f64) {
        self.edits += 1;
        let ctx = EditContext::new(self.api.user, now());
        let name = format!("Под нагрузкой {}", self.edits);
        let change = self.prospect.edit(&ctx, |p| p.set_name(&name)).expect("an edit").expect("a change");
        let started = Instant::now();
        let outcomes = self.api.push(vec![self.item(change.bytes)]);
        let push = millis(started.elapsed());
        assert!(matches!(outcomes[0], PushOutcome::Stored { .. }), "{outcomes:?}");
        let started = Instant::now();
        let response = self
            .api
            .http
            .get(format!("{}/api/v1/pull", self.api.url))
            .bearer_auth(&self.api.token)
            .query(&[("scope", self.territory.to_string()), ("since", self.since.to_string())])
            .send()
            .expect("a pull");
        let page = PullPage::decode(&gunzip(&response.bytes().expect("a pull page"))).expect("a pull page");
        let pull = millis(started.elapsed());
        self.since = page.next_cursor;
        (pull, push)
    }
}

fn main() -> Result<(), String> {
    let seconds: u64 = option("--seconds", 20)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = dir.path().join("server.db");
    admin(&db, &["demo", "--prospects", "200"]);
    let server = Server::start(&db);
    SyncClient::new(&server.url).map_err(|e| e.to_string())?; // installs the TLS provider reqwest needs
    let port = server.port();
    let centre = census_server::demo::demo_territories()[0].id;
    println!(
        "census-bench attack: {FLOODERS} sign-in flooders, {SLOW_CLIENTS} slow clients and a bomb for {seconds} s, \
         against {}",
        server.url
    );

    // The device, signed in before the attack, with a prospect of its own to edit; its requests
    // are timed first with the server quiet, for comparison.
    let api = RawApi::sign_in(&server, "anna");
    let new = NewProspect {
        territory: centre,
        name: "Под нагрузкой".into(),
        category: "kiosk".into(),
        status: Status::New,
        address: Address::default(),
        location: None,
    };
    let doc = ProspectId::new_v7(now(), rand::random());
    let (prospect, first) =
        ProspectDoc::create(doc, api.device, &EditContext::new(api.user, now()), &new).map_err(|e| e.to_string())?;
    let mut device = Working { api, prospect, territory: centre, since: 0, edits: 0 };
    device.api.push(vec![device.item(first.bytes.clone())]);
    let bomb = change_bomb(&first.bytes, 512);
    let (mut quiet_pulls, mut quiet_pushes) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        let (pull, push) = device.round();
        quiet_pulls.push(pull);
        quiet_pushes.push(push);
        std::thread::sleep(DEVICE_EVERY);
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let running = || Instant::now() < deadline;
    let stop = AtomicBool::new(false);
    let (sign_ins, turned_away, slow_connections) = (AtomicUsize::new(0), AtomicUsize::new(0), AtomicUsize::new(0));
    let mut pulls = Vec::new();
    let mut pushes = Vec::new();
    let mut bomb_refused_ms = None;

    std::thread::scope(|scope| {
        for flooder in 0..FLOODERS {
            let (sign_ins, turned_away) = (&sign_ins, &turned_away);
            scope.spawn(move || {
                let mut n = 0;
                while running() {
                    let status = made_up_sign_in(port, flood_address(flooder, n), flooder * 1_000_000 + n);
                    sign_ins.fetch_add(1, Ordering::Relaxed);
                    if status == Some(429) {
                        turned_away.fetch_add(1, Ordering::Relaxed);
                    }
                    n += 1;
                }
            });
        }
        for slow in 0..SLOW_CLIENTS {
            let (slow_connections, stop) = (&slow_connections, &stop);
            scope.spawn(move || {
                while running() && !stop.load(Ordering::Relaxed) {
                    let mut stream = connect_from(IpAddr::from([127, 0, 30, slow + 1]), port);
                    slow_connections.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.write_all(b"POST /api/v1/push HTTP/1.1\r\nHost: census\r\n");
                    // Held until the server closes it, or the attack ends.
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                    let mut byte = [0u8; 1];
                    while running() {
                        match stream.read(&mut byte) {
                            Ok(0) => break,
                            Ok(_) => {}
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                            Err(_) => break,
                        }
                    }
                }
            });
        }
        // Let the flood build up before the device starts measuring.
        std::thread::sleep(Duration::from_secs(1));
        while running() {
            if bomb_refused_ms.is_none() && deadline.saturating_duration_since(Instant::now()).as_secs() < seconds / 2 {
                let started = Instant::now();
                let outcomes = device.api.push(vec![device.item(bomb.clone())]);
                let elapsed = millis(started.elapsed());
                assert!(
                    matches!(&outcomes[0], PushOutcome::Refused { code, .. } if code == "change_too_large"),
                    "the bomb was not refused: {outcomes:?}"
                );
                bomb_refused_ms = Some(elapsed);
            }
            let (pull, push) = device.round();
            pulls.push(pull);
            pushes.push(push);
            std::thread::sleep(DEVICE_EVERY);
        }
        stop.store(true, Ordering::Relaxed);
    });

    let figures = serde_json::json!({
        "seconds": seconds,
        "pull_p99_ms_under_flood": round2(percentile_ms(&pulls, 99.0)),
        "pull_p50_ms_under_flood": round2(percentile_ms(&pulls, 50.0)),
        "push_p99_ms_under_flood": round2(percentile_ms(&pushes, 99.0)),
        "push_p50_ms_under_flood": round2(percentile_ms(&pushes, 50.0)),
        "pull_p99_ms_quiet": round2(percentile_ms(&quiet_pulls, 99.0)),
        "push_p99_ms_quiet": round2(percentile_ms(&quiet_pushes, 99.0)),
        "bomb_refused_ms": bomb_refused_ms.map(round2),
        "server_peak_rss_mb": round2(peak_rss_mb_of(&server.pid().to_string())),
        "device_pulls": pulls.len(),
        "device_pushes": pushes.len(),
        "flood_sign_ins": sign_ins.load(Ordering::Relaxed),
        "flood_turned_away_429": turned_away.load(Ordering::Relaxed),
        "slow_connections_opened": slow_connections.load(Ordering::Relaxed),
    });
    println!("{figures}");
    Ok(())
}
