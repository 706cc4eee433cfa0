//! The HTTP client for one Census server (`docs/protocol.md`), and what it trusts.
//!
//! Passwords, tokens and the client base cross the network, so the client speaks HTTPS to any
//! server beyond this machine: plain `http://` is for loopback, or for a server the person
//! insisted on ([`Trust::plain_http`]). A company that runs its own certificate authority gives
//! its certificate ([`Trust::company_ca`]); it is trusted beside the system's authorities.

use std::io::{Read, Write};
use std::time::Duration;

use census_core::wire::{BootstrapPage, PullPage, PushBatch, PushResult};
use census_core::{DeviceId, Directory, Person, ProspectId, Role, ServerIdentity, TerritoryId};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};

use crate::error::ReplicaError;

/// Changes per pull page; documents per bootstrap page.
const PULL_PAGE: u32 = 2_000;
const BOOTSTRAP_PAGE: u32 = 1_000;
const FRAME_TYPE: &str = "application/vnd.census.frame";

/// Why a sync or sign-in did not complete, in words for the person at the device.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error("the server cannot be reached ({0}); your work is kept on this device and will sync later")]
    Offline(String),
    #[error("the login or password is wrong")]
    WrongPassword,
    #[error("{0}")]
    TooManyAttempts(String),
    #[error("this device was revoked by an administrator and can no longer sync; your work stays on it")]
    Revoked,
    #[error("sign in to sync: this device has no valid sign-in (it may have expired)")]
    SignedOut,
    #[error("the server refused the request: {message}")]
    Refused { code: String, message: String },
    #[error("the server failed ({0}); try again later")]
    Server(String),
    #[error("\"{0}\" is not a server address: write it as https://census.example.com")]
    BadAddress(String),
    #[error(
        "{0} is plain http: passwords and the client base would cross the network readable by anyone on it. \
         Use https://, or insist on plain http only on a network you trust"
    )]
    PlainHttp(String),
    #[error(
        "the server's certificate is not trusted ({0}); if your company has its own certificate authority, \
         give its certificate"
    )]
    Untrusted(UntrustedCertificate),
    #[error("the company's certificate authority cannot be used: {0}")]
    BadAuthority(String),
    #[error(transparent)]
    Replica(#[from] ReplicaError),
}

/// Why the server's certificate was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UntrustedCertificate {
    #[error("it was signed by an authority this device does not know")]
    UnknownIssuer,
    #[error("it was made for another name")]
    OtherName,
    #[error("it has expired")]
    Expired,
    #[error("it is not valid yet")]
    NotValidYet,
    #[error("it was revoked")]
    Revoked,
    /// Another reason, as rustls names it.
    #[error("{0}")]
    Other(String),
}

impl SyncError {
    /// Whether trying again later may succeed without anyone doing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, SyncError::Offline(_) | SyncError::Server(_))
    }
}

#[derive(Debug, Serialize)]
struct LoginRequest<'a> {
    login: &'a str,
    password: &'a str,
    device: DeviceId,
    device_name: &'a str,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginReply {
    pub(crate) token: String,
    pub(crate) user: Person,
    /// None from a server older than server identities.
    #[serde(default)]
    pub(crate) server: Option<ServerIdentity>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DirectoryReply {
    pub(crate) directory: Directory,
    pub(crate) me: Me,
    #[serde(default)]
    pub(crate) server: Option<ServerIdentity>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Me {
    pub(crate) role: Role,
    pub(crate) scopes: Vec<TerritoryId>,
}

/// How far the server's feed and its snapshots have come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerStatus {
    /// The last sequence number of the feed.
    pub feed_end: u64,
    /// Snapshots hold every change up to here; a new device starts from them.
    pub snapshots_through: u64,
}

#[derive(Debug, Deserialize)]
struct ErrorReply {
    code: String,
    message: String,
}

/// What a device trusts when it reaches its server, beside the system's certificate authorities.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    /// A company's own certificate authority (PEM), for a server whose certificate it signed.
    pub company_ca: Option<String>,
    /// Plain `http://` to a server beyond this machine: the person insisted.
    pub plain_http: bool,
}

/// An HTTP client for one Census server.
#[derive(Debug, Clone)]
pub struct SyncClient {
    pub(crate) http: reqwest::blocking::Client,
    server: String,
    trust: Trust,
}

impl SyncClient {
    /// A client for the server at `server` (`https://…`, or `http://` on this machine) that
    /// trusts the system's certificate authorities.
    pub fn new(server: &str) -> Result<SyncClient, SyncError> {
        SyncClient::connect(server, &Trust::default())
    }

    /// A client for the server at `server` that trusts what `trust` says besides.
    pub fn connect(server: &str, trust: &Trust) -> Result<SyncClient, SyncError> {
        let server = server.trim().trim_end_matches('/');
        check_address(server, trust.plain_http)?;
        // TLS through rustls with the ring provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(120));
        if let Some(pem) = &trust.company_ca {
            let authorities = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| SyncError::BadAuthority(plain(&e)))?;
            if authorities.is_empty() {
                return Err(SyncError::BadAuthority("it holds no PEM certificate".into()));
            }
            builder = builder.tls_certs_merge(authorities);
        }
        let http = builder.build().map_err(|e| SyncError::BadAuthority(plain(&e)))?;
        Ok(SyncClient { http, server: server.to_owned(), trust: trust.clone() })
    }

    /// What this client trusts besides the system's authorities.
    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    pub fn server(&self) -> &str {
        &self.server
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.server)
    }

    pub(crate) fn send(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response, SyncError> {
        let response = request.send().map_err(|e| transport_failure(&e))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().unwrap_or_default();
        let reply: Option<ErrorReply> = serde_json::from_str(&text).ok();
        Err(match reply {
            Some(e) if e.code == "wrong_password" => SyncError::WrongPassword,
            Some(e) if e.code == "too_many_attempts" => SyncError::TooManyAttempts(e.message),
            Some(e) if e.code == "device_revoked" => SyncError::Revoked,
            Some(e) if e.code == "bad_token" || e.code == "no_token" => SyncError::SignedOut,
            Some(e) if status.is_server_error() => SyncError::Server(e.message),
            Some(e) => SyncError::Refused { code: e.code, message: e.message },
            None if status.is_server_error() => SyncError::Server(format!("status {status}")),
            None => {
                SyncError::Refused { code: status.as_u16().to_string(), message: format!("status {status}: {text}") }
            }
        })
    }

    pub(crate) fn login(
        &self,
        login: &str,
        password: &str,
        device: DeviceId,
        device_name: &str,
    ) -> Result<LoginReply, SyncError> {
        let request = LoginRequest { login, password, device, device_name };
        let response = self.send(self.http.post(self.url("login")).json(&request))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable sign-in reply: {e}")))
    }

    /// GETs `path` and reads the JSON reply; `what` names it if it cannot be read.
    pub(crate) fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        what: &str,
    ) -> Result<T, SyncError> {
        self.get_json_with(token, path, &(), what)
    }

    /// GETs `path` with `query` as its query string, and reads the JSON reply.
    pub(crate) fn get_json_with<Q: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
        query: &Q,
        what: &str,
    ) -> Result<T, SyncError> {
        let response = self.send(self.http.get(self.url(path)).query(query).bearer_auth(token))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable {what}: {e}")))
    }

    /// Sends `body` as JSON with `method` to `path` and reads the JSON reply.
    pub(crate) fn send_json<B: Serialize, T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T, SyncError> {
        let response = self.send(self.http.request(method, self.url(path)).bearer_auth(token).json(body))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable reply to {path}: {e}")))
    }

    pub(crate) fn directory(&self, token: &str) -> Result<DirectoryReply, SyncError> {
        let response = self.send(self.http.get(self.url("directory")).bearer_auth(token))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable directory: {e}")))
    }

    pub(crate) fn status(&self, token: &str) -> Result<ServerStatus, SyncError> {
        let response = self.send(self.http.get(self.url("status")).bearer_auth(token))?;
        response.json().map_err(|e| SyncError::Server(format!("an unreadable status: {e}")))
    }

    /// Waits up to `wait` (at most 50 s) for changes after `since` in the caller's territories;
    /// true when there is something to pull.
    pub(crate) fn news(&self, token: &str, since: u64, wait: Duration) -> Result<bool, SyncError> {
        #[derive(Deserialize)]
        struct News {
            news: bool,
        }
        let query = [("since", since), ("wait", wait.as_secs())];
        let news: News = self.get_json_with(token, "news", &query, "news reply")?;
        Ok(news.news)
    }

    /// Pushes a batch; returns the server's answer and the bytes sent.
    pub(crate) fn push(&self, token: &str, batch: &PushBatch) -> Result<(PushResult, u64), SyncError> {
        let body = gzip(&batch.encode());
        let sent = body.len() as u64;
        let request = self
            .http
            .post(self.url("push"))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, FRAME_TYPE)
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(body);
        let frame = gunzip(&self.send(request)?.bytes().map_err(|e| transport_failure(&e))?)?;
        let result =
            PushResult::decode(&frame).map_err(|e| SyncError::Server(format!("an unreadable push reply: {e}")))?;
        Ok((result, sent))
    }

    /// Fetches a page of a territory's snapshots; returns it and the bytes received.
    pub(crate) fn bootstrap(
        &self,
        token: &str,
        scope: TerritoryId,
        after: Option<ProspectId>,
    ) -> Result<(BootstrapPage, u64), SyncError> {
        let after = after.map(|a| a.to_string()).unwrap_or_default();
        let query = [("scope", scope.to_string()), ("after", after), ("limit", BOOTSTRAP_PAGE.to_string())];
        let response = self.send(self.http.get(self.url("bootstrap")).bearer_auth(token).query(&query))?;
        let body = response.bytes().map_err(|e| transport_failure(&e))?;
        let page = BootstrapPage::decode(&gunzip(&body)?)
            .map_err(|e| SyncError::Server(format!("an unreadable bootstrap page: {e}")))?;
        Ok((page, body.len() as u64))
    }

    /// Pulls a page; returns it and the bytes received.
    pub(crate) fn pull(&self, token: &str, scope: TerritoryId, since: u64) -> Result<(PullPage, u64), SyncError> {
        let query = [("scope", scope.to_string()), ("since", since.to_string()), ("limit", PULL_PAGE.to_string())];
        let response = self.send(self.http.get(self.url("pull")).bearer_auth(token).query(&query))?;
        let body = response.bytes().map_err(|e| transport_failure(&e))?;
        let page = PullPage::decode(&gunzip(&body)?)
            .map_err(|e| SyncError::Server(format!("an unreadable pull page: {e}")))?;
        Ok((page, body.len() as u64))
    }
}

/// Refuses what is not an http(s) address, and plain http beyond this machine unless `insisted`.
fn check_address(server: &str, insisted: bool) -> Result<(), SyncError> {
    let url = reqwest::Url::parse(server).map_err(|_| SyncError::BadAddress(server.to_owned()))?;
    let on_this_machine = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => return Err(SyncError::BadAddress(server.to_owned())),
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if on_this_machine || insisted => Ok(()),
        "http" => Err(SyncError::PlainHttp(server.to_owned())),
        _ => Err(SyncError::BadAddress(server.to_owned())),
    }
}

/// A request that got no answer: a certificate the device does not trust, or no network.
fn transport_failure(e: &reqwest::Error) -> SyncError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(error) = cause {
        if let Some(rustls::Error::InvalidCertificate(why)) = error.downcast_ref::<rustls::Error>() {
            return SyncError::Untrusted(certificate_trouble(why));
        }
        // An io::Error hides what it wraps from `source()`.
        cause = match error.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => error.source(),
        };
    }
    SyncError::Offline(plain(e))
}

/// Why a certificate was not accepted.
fn certificate_trouble(why: &rustls::CertificateError) -> UntrustedCertificate {
    use rustls::CertificateError as Why;
    match why {
        Why::UnknownIssuer => UntrustedCertificate::UnknownIssuer,
        Why::NotValidForName | Why::NotValidForNameContext { .. } => UntrustedCertificate::OtherName,
        Why::Expired | Why::ExpiredContext { .. } => UntrustedCertificate::Expired,
        Why::NotValidYet | Why::NotValidYetContext { .. } => UntrustedCertificate::NotValidYet,
        Why::Revoked => UntrustedCertificate::Revoked,
        other => UntrustedCertificate::Other(format!("{other:?}")),
    }
}

/// The cause of a transport error, without the request's internals.
fn plain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

fn gzip(frame: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    // Writing to memory cannot fail.
    let _ = encoder.write_all(frame);
    encoder.finish().unwrap_or_default()
}

/// Largest reply accepted once inflated: the server ends a bootstrap page at 16 MiB of snapshots
/// and a pull page at 4 MiB of changes, so a reply past this is not the server's doing.
const MAX_REPLY_BYTES: u64 = 64 << 20;

fn gunzip(body: &[u8]) -> Result<Vec<u8>, SyncError> {
    let mut frame = Vec::new();
    GzDecoder::new(body)
        .take(MAX_REPLY_BYTES + 1)
        .read_to_end(&mut frame)
        .map_err(|e| SyncError::Server(format!("an unreadable reply: {e}")))?;
    if frame.len() as u64 > MAX_REPLY_BYTES {
        return Err(SyncError::Server("the server's reply is too large".into()));
    }
    Ok(frame)
}
