//! A hostile client's tools, for the tests and the attack benchmark: raw requests with any body,
//! gzip frames, a compressed change bomb, connections that hold on and send nothing, and the
//! server's memory read from `/proc`.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use census_core::wire::{DocKind, PushBatch, PushItem, PushOutcome, PushResult};
use census_core::{DeviceId, ProspectId, TerritoryId, UserId};
use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};
use reqwest::blocking::{Client, Response};
use serde_json::Value;

use crate::{Server, now};

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).unwrap();
    out
}

/// Asserts a JSON error with this status and code, and a message in words; returns the message.
pub fn assert_error(response: Response, status: u16, code: &str) -> String {
    assert_eq!(response.status().as_u16(), status, "expected {code}");
    let body: Value = response.json().unwrap();
    assert_eq!(body["code"], code, "{body}");
    let message = body["message"].as_str().unwrap().to_owned();
    assert!(message.len() > 10 && !message.contains("Error("), "a message for people: {message}");
    message
}

/// Raw requests to a server as one signed-in device.
#[derive(Debug, Clone)]
pub struct RawApi {
    pub http: Client,
    pub url: String,
    pub token: String,
    pub device: DeviceId,
    pub user: UserId,
}

impl RawApi {
    /// Signs `login` in (password `census-demo`) as a new device.
    pub fn sign_in(server: &Server, login: &str) -> RawApi {
        // The same crypto as the sync client's, for a test that makes no device first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = Client::new();
        let device = DeviceId::new_v7(now(), rand::random());
        let response: Value = http
            .post(format!("{}/api/v1/login", server.url))
            .json(&serde_json::json!({ "login": login, "password": "census-demo", "device": device }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let user = serde_json::from_value(response["user"]["id"].clone()).unwrap();
        RawApi { http, url: server.url.clone(), token: response["token"].as_str().unwrap().to_owned(), device, user }
    }

    pub fn push_body(&self, body: Vec<u8>) -> Response {
        self.http.post(format!("{}/api/v1/push", self.url)).bearer_auth(&self.token).body(body).send().unwrap()
    }

    pub fn push(&self, items: Vec<PushItem>) -> Vec<PushOutcome> {
        let response = self.push_body(gzip(&PushBatch { items }.encode()));
        assert_eq!(response.status().as_u16(), 200);
        PushResult::decode(&gunzip(&response.bytes().unwrap())).unwrap().outcomes
    }

    pub fn login(&self, login: &str, password: &str) -> Response {
        let body = serde_json::json!({ "login": login, "password": password, "device": DeviceId::new_v7(now(), rand::random()) });
        self.http.post(format!("{}/api/v1/login", self.url)).json(&body).send().unwrap()
    }
}

/// A change written with Automerge directly, on `device`, over a prospect's `changes`: what a
/// device that skips Census's own rules can send, naming `author` in its message.
pub fn forge(
    changes: &[Vec<u8>],
    device: DeviceId,
    author: UserId,
    f: impl FnOnce(&mut automerge::AutoCommit),
) -> Vec<u8> {
    use automerge::transaction::CommitOptions;
    let mut doc = automerge::AutoCommit::new().with_actor(device.actor());
    for change in changes {
        doc.load_incremental(change).unwrap();
    }
    f(&mut doc);
    let message = serde_json::json!({ "user": author }).to_string();
    let options = CommitOptions::default().with_message(message).with_time(now().unix_millis());
    let hash = doc.commit_with(options).expect("the forged edit changes something");
    doc.get_change_by_hash(&hash).unwrap().raw_bytes().to_vec()
}

/// A prospect's change as a push carries it.
pub fn item(doc: ProspectId, territory: TerritoryId, change: &[u8]) -> PushItem {
    PushItem { doc, kind: DocKind::Prospect, territory, change: change.to_vec() }
}

/// The refusal code of a pushed change's outcome.
pub fn refused_code(outcome: &PushOutcome) -> &str {
    match outcome {
        PushOutcome::Refused { code, .. } => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn uleb(mut value: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// A compressed change bomb made from a real change: its body, padded with `inflated_mib` MiB of
/// zeros, in Automerge's compressed chunk form (a few kilobytes per hundred MiB).
pub fn change_bomb(real_change: &[u8], inflated_mib: usize) -> Vec<u8> {
    let mut header_end = 9;
    while real_change[header_end] & 0x80 != 0 {
        header_end += 1;
    }
    let mut body = real_change[header_end + 1..].to_vec();
    body.resize(inflated_mib << 20, 0);
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&body).unwrap();
    let deflated = encoder.finish().unwrap();
    let mut chunk = real_change[..8].to_vec();
    chunk.push(2);
    uleb(deflated.len() as u64, &mut chunk);
    chunk.extend(deflated);
    chunk
}

/// A connection from `from` (an address of 127.0.0.0/8) that sends the start of a request and
/// then nothing more: what a slow or stalled client does.
pub fn stalled_connection(server: &Server, from: IpAddr, start: &str) -> TcpStream {
    let stream = connect_from(from, server.port());
    (&stream).write_all(start.as_bytes()).unwrap();
    stream
}

/// A TCP connection to the server's port from a chosen loopback address.
pub fn connect_from(from: IpAddr, port: u16) -> TcpStream {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.bind(&SocketAddr::new(from, 0).into()).unwrap();
    socket.connect(&SocketAddr::from(([127, 0, 0, 1], port)).into()).unwrap();
    TcpStream::from(socket)
}

/// Waits up to `within` for the server to close a connection (reading whatever it answers
/// first); returns what it answered, or `None` if the connection is still open.
pub fn closed_within(mut stream: TcpStream, within: Duration) -> Option<String> {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => None,
        // Reset by the server: closed too.
        Err(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
    }
}

/// The most memory the process has held (its peak resident set), in MiB.
pub fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024.0
}

/// An HTTP client whose connections come from `from` (an address of 127.0.0.0/8).
pub fn client_from(from: IpAddr) -> Client {
    Client::builder().local_address(from).timeout(Duration::from_secs(60)).build().unwrap()
}
