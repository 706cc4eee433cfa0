//! The server's one error type. Every refusal is an HTTP status and a JSON body
//! `{ "code": ..., "message": ... }`: the code for programs, the message for people. A refusal
//! that asks the client to come back later says when in `Retry-After`. An internal failure is
//! logged with its cause and the request's id; the client gets the id, never the cause.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body is not a valid Census frame: {0}")]
    BadBody(String),
    #[error("the request body is larger than the limit of {limit} bytes; send smaller batches")]
    TooLarge { limit: usize },
    #[error("sign in first: this request needs a device token")]
    NoToken,
    #[error("the login or password is wrong")]
    WrongPassword,
    #[error("this device's sign-in is not valid (expired, revoked, or unknown); sign in again")]
    BadToken,
    #[error("this device was revoked by an administrator; it can no longer sync")]
    DeviceRevoked,
    #[error("too many failed sign-ins for this login; try again in {retry_after_secs} second(s)")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("too many sign-ins from this address; try again in {retry_after_secs} second(s)")]
    TooManySignIns { retry_after_secs: u64 },
    #[error("the server is busy signing others in; try again in {retry_after_secs} second(s)")]
    Busy { retry_after_secs: u64 },
    #[error("the request body arrived too slowly; send it again on a better connection")]
    SlowBody,
    #[error("the server took too long to answer; try again")]
    Timeout,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    DeviceIdTaken(String),
    #[error("the server could not complete the request: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::BadBody(_) => "bad_body",
            ApiError::TooLarge { .. } => "too_large",
            ApiError::NoToken => "no_token",
            ApiError::WrongPassword => "wrong_password",
            ApiError::BadToken => "bad_token",
            ApiError::DeviceRevoked => "device_revoked",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::TooManySignIns { .. } => "too_many_sign_ins",
            ApiError::Busy { .. } => "busy",
            ApiError::SlowBody => "slow_body",
            ApiError::Timeout => "timeout",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::DeviceIdTaken(_) => "device_id_taken",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) | ApiError::BadBody(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NoToken | ApiError::WrongPassword | ApiError::BadToken | ApiError::DeviceRevoked => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::TooManyAttempts { .. } | ApiError::TooManySignIns { .. } | ApiError::Busy { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::SlowBody => StatusCode::REQUEST_TIMEOUT,
            ApiError::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) | ApiError::DeviceIdTaken(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::DeviceIdTaken(m) => ApiError::DeviceIdTaken(m),
            StoreError::Invalid(m) => ApiError::BadRequest(m),
            StoreError::Storage(m) => ApiError::Internal(m),
        }
    }
}

impl ApiError {
    /// Seconds the client should wait before trying again, for refusals that end by themselves.
    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::TooManyAttempts { retry_after_secs }
            | ApiError::TooManySignIns { retry_after_secs }
            | ApiError::Busy { retry_after_secs } => Some(*retry_after_secs),
            ApiError::Timeout => Some(1),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = match &self {
            ApiError::Internal(cause) => {
                let request = crate::listener::REQUEST_ID.try_with(Clone::clone).unwrap_or_default();
                tracing::error!(request_id = %request, "internal error: {cause}");
                format!("the server could not complete the request; its log tells why under request id {request}")
            }
            other => other.to_string(),
        };
        let body = serde_json::json!({ "code": self.code(), "message": message });
        let mut response = (self.status(), axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after_secs() {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// Why the store could not do something; also what the administration commands print.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// A device id no device may take: the nil id, or one whose changes another device pushed.
    #[error("{0}")]
    DeviceIdTaken(String),
    #[error("the server's database failed: {0}")]
    Storage(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Storage(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;

    async fn answer(error: ApiError) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let response =
            crate::listener::REQUEST_ID.scope("0123456789abcdef".into(), async { error.into_response() }).await;
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 16).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn an_internal_error_names_its_request_and_keeps_its_cause_to_the_log() {
        let (status, _, body) = answer(ApiError::Internal("disk I/O error at /srv/census/server.db".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("0123456789abcdef"), "{message}");
        assert!(!message.contains("disk") && !message.contains("/srv"), "{message}");
    }

    #[tokio::test]
    async fn refusals_that_end_by_themselves_say_when_to_come_back() {
        let (status, headers, body) = answer(ApiError::Busy { retry_after_secs: 1 }).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("busy")));
        assert_eq!(headers[axum::http::header::RETRY_AFTER], "1");
        let (_, headers, _) = answer(ApiError::TooManyAttempts { retry_after_secs: 180 }).await;
        assert_eq!(headers[axum::http::header::RETRY_AFTER], "180");
        let (_, headers, _) = answer(ApiError::WrongPassword).await;
        assert!(!headers.contains_key(axum::http::header::RETRY_AFTER));
    }
}
