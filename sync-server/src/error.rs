//! The server's one error type. Every refusal is an HTTP status and a JSON body
//! `{ "code": ..., "message": ... }`: the code for programs, the message for people.

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
    #[error("too many failed sign-ins for this login; try again in {minutes} minute(s)")]
    TooManyAttempts { minutes: u64 },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
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
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
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
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::NotFound(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid(m) => ApiError::BadRequest(m),
            StoreError::Storage(m) => ApiError::Internal(m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
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
    #[error("the server's database failed: {0}")]
    Storage(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Storage(e.to_string())
    }
}
