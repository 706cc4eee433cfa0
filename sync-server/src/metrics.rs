//! Prometheus metrics at `/metrics`: requests by route and status and their latencies, pushes,
//! pulls and bootstraps, changes stored, failed sign-ins, picture bytes received and pictures
//! stored and removed, and, read from the database when scraped, the compaction lag, active
//! devices and the database's size.
//!
//! Counts say how much, never who: no login, device or address is a label. Only the networks
//! in `metrics_from` (loopback by default) may read them; another address gets `404`, as if
//! there were nothing here.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use census_core::Timestamp;

use crate::api::{AppState, blocking, now};
use crate::client_address::ClientAddress;
use crate::error::ApiError;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// A device is active when it was seen within this long.
const ACTIVE_WITHIN_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// One route's answers by status, and their latencies.
#[derive(Debug, Default, Clone)]
struct RouteAnswers {
    by_status: BTreeMap<u16, u64>,
    /// Requests at most each bucket's bound (not cumulative here; summed when written).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

/// What the server counts while it runs.
#[derive(Debug, Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<String, RouteAnswers>>,
    pub pushes: AtomicU64,
    pub pulls: AtomicU64,
    pub bootstraps: AtomicU64,
    pub changes_stored: AtomicU64,
    pub sign_ins_failed: AtomicU64,
    pub picture_bytes_received: AtomicU64,
    pub pictures_stored: AtomicU64,
    pub pictures_removed: AtomicU64,
}

impl Metrics {
    /// Counts one answered request of `route` (the route's pattern, never the path as sent).
    pub fn answered(&self, route: &str, status: u16, took: Duration) {
        let seconds = took.as_secs_f64();
        let mut routes = self.routes.lock().unwrap_or_else(|p| p.into_inner());
        // The route's name is copied once, on its first request.
        if !routes.contains_key(route) {
            routes.insert(route.to_owned(), RouteAnswers::default());
        }
        let Some(route) = routes.get_mut(route) else { return };
        *route.by_status.entry(status).or_insert(0) += 1;
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            route.buckets[bucket] += 1;
        }
        route.count += 1;
        route.sum_seconds += seconds;
    }

    pub fn count(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    /// The metrics in Prometheus's text format, with the readings taken from the database.
    fn render(&self, readings: &Readings) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP census_requests_total Requests answered, by route and status.\n# TYPE census_requests_total counter"
        );
        let routes = self.routes.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for (route, answers) in &routes {
            for (status, count) in &answers.by_status {
                let _ = writeln!(out, "census_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}");
            }
        }
        let _ = writeln!(
            out,
            "# HELP census_request_duration_seconds How long requests took, by route.\n\
             # TYPE census_request_duration_seconds histogram"
        );
        for (route, latency) in &routes {
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(latency.buckets) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "census_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "census_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 census_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                 census_request_duration_seconds_count{{route=\"{route}\"}} {}",
                latency.count, latency.sum_seconds, latency.count
            );
        }
        let counters = [
            ("census_pushes_total", "Push requests whose changes were looked at.", &self.pushes),
            ("census_pulls_total", "Pull pages served.", &self.pulls),
            ("census_bootstraps_total", "Bootstrap pages served.", &self.bootstraps),
            ("census_changes_stored_total", "Pushed changes stored (not repeats or refusals).", &self.changes_stored),
            ("census_sign_ins_failed_total", "Sign-ins refused for a wrong login or password.", &self.sign_ins_failed),
            (
                "census_picture_bytes_received_total",
                "Bytes of pictures received in uploads (each chunk as it arrives).",
                &self.picture_bytes_received,
            ),
            (
                "census_pictures_stored_total",
                "Pictures stored whole after their hash was checked.",
                &self.pictures_stored,
            ),
            (
                "census_pictures_removed_total",
                "Pictures removed after no prospect referred to them for the grace period.",
                &self.pictures_removed,
            ),
        ];
        for (name, help, counter) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let gauges = [
            ("census_feed_end", "The feed's last sequence number.", readings.feed_end),
            (
                "census_compaction_lag_changes",
                "Changes in the feed that snapshots do not cover yet.",
                readings.feed_end.saturating_sub(readings.snapshots_through),
            ),
            ("census_active_devices", "Devices not revoked that synced in the last 24 hours.", readings.active_devices),
            ("census_database_bytes", "The size of the server's database.", readings.database_bytes),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        out
    }
}

/// What `/metrics` reads from the database when scraped.
#[derive(Debug, Clone, Copy)]
struct Readings {
    feed_end: u64,
    snapshots_through: u64,
    active_devices: u64,
    database_bytes: u64,
}

/// Counts every request routed to a handler, under its route's pattern.
pub async fn count_requests(State(state): State<std::sync::Arc<AppState>>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unrouted", |p| p.as_str()).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.answered(&route, response.status().as_u16(), started.elapsed());
    response
}

/// `GET /metrics`, for the networks allowed to read it.
pub async fn metrics(
    State(state): State<std::sync::Arc<AppState>>,
    client: Option<axum::Extension<ClientAddress>>,
) -> Result<Response, ApiError> {
    let allowed = client.is_some_and(|c| state.metrics_from.iter().any(|network| network.contains(c.0.0)));
    if !allowed {
        return Err(ApiError::NotFound("there is no such address in the Census API".into()));
    }
    let store = state.store.clone();
    let readings = blocking(move || {
        let status = store.compaction_status()?;
        let since = Timestamp::from_unix_millis(now().unix_millis() - ACTIVE_WITHIN_MILLIS);
        let active =
            store.devices()?.iter().filter(|d| !d.revoked && d.last_seen_at.is_some_and(|t| t >= since)).count();
        Ok(Readings {
            feed_end: status.feed_end,
            snapshots_through: status.snapshots_through,
            active_devices: active as u64,
            database_bytes: store.database_bytes()?,
        })
    })
    .await?;
    let body = state.metrics.render(&readings);
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}
