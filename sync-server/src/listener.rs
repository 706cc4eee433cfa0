//! The HTTP listener: how many connections are served, how long each may take, and stopping
//! without cutting requests off.
//!
//! Phones reach the server over public networks, where a client may open connections and then
//! send nothing, or send a byte a minute. So: a request's headers must arrive within
//! [`HEADER_TIMEOUT`] (which also closes a connection left idle that long between requests);
//! its body must keep arriving (`api::read_body`); the whole request is answered within
//! [`REQUEST_DEADLINE`], and the client must keep reading the answer (`write_timeout.rs`); at most [`MAX_CONNECTIONS`] connections are open at once, at most
//! [`MAX_CONNECTIONS_PER_ADDRESS`] from one address, so one client cannot take every place.
//!
//! With a certificate (`tls.rs`) every connection is TLS; without one the server speaks plain
//! HTTP, for a reverse proxy in front of it or for loopback.
//!
//! Each request gets an id (`x-request-id` in the answer, and in the log of any failure) and
//! the client's address ([`ClientAddress`], see `client_address.rs`). On SIGTERM or Ctrl-C the
//! listener stops accepting, lets requests in flight finish (for up to [`SHUTDOWN_GRACE`]),
//! then returns.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, Request};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;

use crate::client_address::{ClientAddress, TrustedProxies};
use crate::error::ApiError;
use crate::security_log::Throttled;
use crate::tls::Tls;
use crate::write_timeout::{WRITE_STALL, WriteTimeout};

/// How long a client has to send a request's headers, and how long a connection may sit idle.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long any request may take, its body included. Room is left for a route that waits for
/// news for up to a minute (a long poll) and then answers.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(120);
/// Connections open at once; more wait in the kernel's queue until one closes.
pub const MAX_CONNECTIONS: usize = 1_024;
/// Connections open at once from one address (a trusted proxy's are not counted as one client's).
pub const MAX_CONNECTIONS_PER_ADDRESS: usize = 64;
/// Largest request head (request line and headers).
pub const MAX_HEAD_BYTES: usize = 64 << 10;
/// How long requests in flight may take to finish once the server is told to stop.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

tokio::task_local! {
    /// The id of the request being answered, for the log of an internal error.
    pub static REQUEST_ID: String;
}

static CROWDING: Throttled = Throttled::new("connections closed: their address already had the most it may");
static HANDSHAKES_FAILED: Throttled = Throttled::new("TLS handshakes failed or took too long");

/// Open connections per address.
#[derive(Debug, Default)]
struct OpenConnections(Mutex<HashMap<IpAddr, usize>>);

/// One open connection, counted until dropped.
struct Counted {
    open: Arc<OpenConnections>,
    address: IpAddr,
}

impl OpenConnections {
    fn open(self: &Arc<Self>, address: IpAddr, most: usize) -> Option<Counted> {
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(address).or_insert(0);
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Counted { open: self.clone(), address })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// Serves `app` on `listener` (over TLS when `tls` is given) until `shutdown` completes, then
/// finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    proxies: TrustedProxies,
    tls: Option<Arc<Tls>>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT).max_buf_size(MAX_HEAD_BYTES);
    let graceful = GracefulShutdown::new();
    let places = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let open = Arc::new(OpenConnections::default());
    let proxies = Arc::new(proxies);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let place = tokio::select! {
            place = places.clone().acquire_owned() => place.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!("cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let per_address =
            if proxies.0.iter().any(|n| n.contains(peer.ip())) { MAX_CONNECTIONS } else { MAX_CONNECTIONS_PER_ADDRESS };
        let Some(counted) = open.open(peer.ip(), per_address) else {
            CROWDING.happened();
            continue;
        };
        let service = RequestService { app: app.clone(), peer, proxies: proxies.clone() };
        let stream = WriteTimeout::new(stream, WRITE_STALL);
        let (http, watcher) = (http.clone(), graceful.watcher());
        let handshake = tls.as_ref().map(|tls| tls.acceptor());
        tokio::spawn(async move {
            match handshake {
                None => {
                    let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await;
                }
                // The handshake has the time the request's headers would have had.
                Some(acceptor) => match tokio::time::timeout(HEADER_TIMEOUT, acceptor.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await;
                    }
                    Ok(Err(_)) | Err(_) => {
                        HANDSHAKES_FAILED.happened();
                    }
                },
            }
            drop((place, counted));
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("requests still in flight were cut off at shutdown"),
    }
    Ok(())
}

/// Answers one connection's requests: each with its id, its client's address and its deadline.
#[derive(Clone)]
struct RequestService {
    app: Router,
    peer: SocketAddr,
    proxies: Arc<TrustedProxies>,
}

impl hyper::service::Service<Request<Incoming>> for RequestService {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let client = self.proxies.client(self.peer.ip(), request.headers());
        request.extensions_mut().insert(ClientAddress(client));
        let id = hex::encode(rand::random::<[u8; 8]>());
        let mut app = self.app.clone();
        Box::pin(REQUEST_ID.scope(id.clone(), async move {
            let mut response = match tokio::time::timeout(REQUEST_DEADLINE, app.call(request)).await {
                Ok(Ok(response)) => response,
                Ok(Err(never)) => match never {},
                Err(_) => ApiError::Timeout.into_response(),
            };
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert("x-request-id", value);
            }
            Ok(response)
        }))
    }
}
