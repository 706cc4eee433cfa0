//! News for online devices: `GET /api/v1/news?since=<seq>&wait=<seconds>` answers as soon as a
//! territory the caller reads has changes (or departures) after `since`, or when `wait` runs out.
//! A device keeps one such request open while it is online, and syncs when it answers: others'
//! edits show within a second or two, with no polling on a timer.
//!
//! Every stored push rings [`FeedNews`]; each waiting request then asks the store whether its
//! own territories moved, so a push elsewhere wakes it only for one cheap indexed query.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::api::{AppState, authenticate, blocking};
use crate::error::ApiError;

/// The longest a news request waits; well inside the listener's request deadline.
pub const MAX_NEWS_WAIT: Duration = Duration::from_secs(50);

/// Rung whenever the feed gains changes.
#[derive(Debug)]
pub struct FeedNews(watch::Sender<u64>);

impl Default for FeedNews {
    fn default() -> FeedNews {
        FeedNews(watch::Sender::new(0))
    }
}

impl FeedNews {
    /// Tells every waiting request that the feed moved.
    pub fn ring(&self) {
        self.0.send_modify(|rings| *rings = rings.wrapping_add(1));
    }

    fn listen(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}

#[derive(Debug, Deserialize)]
pub struct NewsQuery {
    since: u64,
    /// Seconds; at most [`MAX_NEWS_WAIT`].
    #[serde(default)]
    wait: Option<u64>,
}

/// The answer: whether there is anything to pull.
#[derive(Debug, Serialize, Deserialize)]
pub struct News {
    pub news: bool,
}

pub async fn news(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<NewsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<News>, ApiError> {
    let caller = authenticate(&state, &headers).await?;
    let Query(query) = query.map_err(|e| ApiError::BadRequest(format!("news needs since: {}", e.body_text())))?;
    let wait = Duration::from_secs(query.wait.unwrap_or(MAX_NEWS_WAIT.as_secs())).min(MAX_NEWS_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    let mut rings = state.news.listen();
    let scopes = Arc::new(caller.scopes);
    loop {
        rings.borrow_and_update();
        let (store, scopes_now) = (state.store.clone(), scopes.clone());
        if blocking(move || Ok(store.news_since(&scopes_now, query.since)?)).await? {
            return Ok(Json(News { news: true }));
        }
        match tokio::time::timeout_at(deadline, rings.changed()).await {
            Ok(Ok(())) => continue,
            _ => return Ok(Json(News { news: false })),
        }
    }
}
