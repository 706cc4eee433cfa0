//! One log line per request: its id, method, path, status and how long it took, and, once the
//! request has shown a token or signed in, the device and the person behind it. Never a header,
//! a body, a password or a token. Lines go to the `request` target at level `info`
//! (`CENSUS_LOG=info,request=off` leaves them out).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use census_core::{DeviceId, UserId};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{MakeSpan, OnResponse, TraceLayer};
use tracing::Span;
use tracing::field::Empty;

/// Longest path written to the log: a path is the client's to choose.
const MAX_LOGGED_PATH: usize = 96;

/// The layer that logs every request.
pub fn layer() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>, RequestSpan, (), Answered, (), (), ()> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan)
        .on_request(())
        .on_response(Answered)
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// Names the device and the person making the current request, for its log line.
pub fn identify(device: DeviceId, user: UserId) {
    let span = Span::current();
    span.record("device", tracing::field::display(device));
    span.record("user", tracing::field::display(user));
}

#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl MakeSpan<Body> for RequestSpan {
    fn make_span(&mut self, request: &Request<Body>) -> Span {
        let path = request.uri().path();
        let path = match path.char_indices().nth(MAX_LOGGED_PATH) {
            Some((cut, _)) => &path[..cut],
            None => path,
        };
        let id = crate::listener::REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
        tracing::info_span!(
            target: "request", "request", %id, method = %request.method(), path, device = Empty, user = Empty
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Answered;

impl<B> OnResponse<B> for Answered {
    fn on_response(self, response: &Response<B>, latency: Duration, _span: &Span) {
        tracing::info!(
            target: "request",
            status = response.status().as_u16(),
            latency_ms = format_args!("{:.1}", latency.as_secs_f64() * 1000.0),
            "answered"
        );
    }
}
