//! # census-tests: Census across real processes
//!
//! Helpers for the scenarios in `tests/`: a real `census-server` process on 127.0.0.1 (port 0,
//! its address read from its first line of output, killed with SIGKILL when dropped), its
//! administration commands, devices (a replica file with a sync client), and the real app
//! driven through tauri-driver (`app.rs`).

#![allow(clippy::unwrap_used, clippy::missing_panics_doc, reason = "test helpers fail loudly")]

pub mod app;
pub mod certificates;
pub mod hostile;
pub mod offline;
pub mod slow_link;
pub mod window;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use census_core::{
    Address, Answer, DeviceId, EditContext, NewProspect, PhotoAnswer, ProspectId, QuestionId, QuestionnaireRef, Status,
    TerritoryId, Timestamp, UserId, Visit, VisitId,
};
use census_replica::{Replica, SyncClient, SyncError, SyncReport, Trust};

/// The `census-server` binary of this build (debug or release, like the running program),
/// built first if need be (in release, brought up to date every time).
pub fn server_binary() -> PathBuf {
    binary("census-server", "census-server")
}

/// The `census` command line of this build, built first if need be.
pub fn cli_binary() -> PathBuf {
    binary("census-cli", "census")
}

pub(crate) fn binary(package: &str, name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test> or target/<profile>/<bench> -> target/<profile>/<name>
    let mut profile_dir = exe.parent().unwrap().to_path_buf();
    if profile_dir.ends_with("deps") {
        profile_dir.pop();
    }
    let binary = profile_dir.join(name);
    // Benchmarks (release) bring it up to date once per run: a stale server would be measured
    // instead of this one. Tests find it built by scripts/test.
    static BROUGHT_UP_TO_DATE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let release = profile_dir.ends_with("release");
    let mut up_to_date = BROUGHT_UP_TO_DATE.lock().unwrap_or_else(|p| p.into_inner());
    if (release && !up_to_date.iter().any(|built| built == name)) || !binary.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", package, "--bin", name]);
        if release {
            build.arg("--release");
        }
        assert!(build.status().unwrap().success(), "building {name} failed");
        up_to_date.push(name.to_owned());
    }
    binary
}

/// Runs an administration command of `census-server` on `db`; returns its output, or panics
/// with its error.
pub fn admin(db: &Path, args: &[&str]) -> String {
    let out = Command::new(server_binary()).arg("--db").arg(db).args(args).output().unwrap();
    assert!(out.status.success(), "census-server {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A running `census-server serve` process.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub db: PathBuf,
    pub url: String,
}

impl Server {
    /// Starts a server on a free loopback port over the database `db`.
    pub fn start(db: &Path) -> Server {
        Server::start_with(db, &[])
    }

    /// Starts a server with more `serve` options.
    pub fn start_with(db: &Path, options: &[&str]) -> Server {
        Server::spawn(db, 0, options)
    }

    /// Starts a server on `port`: the same address as before, for clients that remember it.
    pub fn start_on(db: &Path, port: u16) -> Server {
        Server::spawn(db, port, &[])
    }

    /// Starts a server whose whole log, a line per request included, goes to the file `log`.
    pub fn start_logging_to(db: &Path, log: &Path) -> Server {
        let log = std::fs::File::create(log).unwrap();
        Server::spawn_with_log(db, 0, &[], Stdio::from(log), "info")
    }

    fn spawn(db: &Path, port: u16, options: &[&str]) -> Server {
        // A line per request would bury the tests' own output; $CENSUS_LOG asks for more.
        let filter = std::env::var("CENSUS_LOG").unwrap_or_else(|_| "info,request=warn".into());
        Server::spawn_with_log(db, port, options, Stdio::inherit(), &filter)
    }

    fn spawn_with_log(db: &Path, port: u16, options: &[&str], log: Stdio, filter: &str) -> Server {
        let mut child = Command::new(server_binary())
            .arg("--db")
            .arg(db)
            .args(["serve", "--port", &port.to_string()])
            .args(options)
            .env("CENSUS_LOG", filter)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.trim().rsplit(' ').next().unwrap().to_owned();
        assert!(url.starts_with("http://127.") || url.starts_with("https://127."), "unexpected first line: {line}");
        Server { child, db: db.to_path_buf(), url }
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .expect("the URL ends with a port")
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the server a signal by name (`TERM`, `INT`), as a service manager would.
    pub fn signal(&self, name: &str) {
        let sent = Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().unwrap();
        assert!(sent.success(), "kill -{name} failed");
    }

    /// Waits for the server to exit by itself, and says how it exited.
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    /// Kills the server with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A counter or gauge of the server's `/metrics` (0 when it has not been counted yet).
    pub fn metric(&self, name: &str) -> u64 {
        let text = reqwest::blocking::get(format!("{}/metrics", self.url)).unwrap().text().unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
    }

    /// Kills the server and starts it again over the same database (on a new port).
    pub fn restart(&mut self) {
        self.kill();
        *self = Server::start(&self.db.clone());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One device: a replica file and a client for the server.
#[derive(Debug)]
pub struct Device {
    pub replica: Replica,
    pub client: SyncClient,
    pub path: PathBuf,
}

impl Device {
    /// A new device signed in as `login` (password `census-demo`).
    pub fn sign_in(dir: &Path, name: &str, server: &Server, login: &str) -> Device {
        Device::sign_in_trusting(dir, name, &server.url, &Trust::default(), login)
    }

    /// A new device signed in as `login` at `url`, trusting what `trust` says.
    pub fn sign_in_trusting(dir: &Path, name: &str, url: &str, trust: &Trust, login: &str) -> Device {
        let (mut replica, path) = new_replica(dir, name);
        let client = SyncClient::connect(url, trust).unwrap();
        replica.login(&client, login, "census-demo", name).unwrap();
        Device { replica, client, path }
    }

    /// Points the device at a (restarted) server.
    pub fn reconnect(&mut self, server: &Server) {
        self.client = SyncClient::new(&server.url).unwrap();
    }

    pub fn sync(&mut self) -> Result<SyncReport, SyncError> {
        self.replica.sync(&self.client, now(), &mut |_| {})
    }

    /// Waits until the server's snapshots cover its whole feed, so that a device joining now
    /// bootstraps from them.
    pub fn wait_for_snapshots(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let status = self.replica.server_status(&self.client).unwrap();
            if status.snapshots_through == status.feed_end {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "the server's snapshots stay behind: {status:?}");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }

    /// An edit context for the signed-in person, now, with their role (as the app makes it).
    pub fn ctx(&self) -> EditContext {
        self.replica.edit_context(now()).unwrap()
    }

    pub fn user(&self) -> UserId {
        self.replica.signed_in_user().unwrap().unwrap()
    }

    /// Records a visit to `shop` on the demo questionnaire whose shopfront photo is `photo`
    /// (kept on this device first), as an agent's app does.
    pub fn record_photo_visit(&mut self, shop: ProspectId, photo: &PhotoAnswer) {
        let questionnaire = census_server::demo::demo_questionnaire();
        let answer = |id: &str, answer: Answer| (QuestionId::new(id).unwrap(), answer);
        let visit = Visit {
            id: VisitId::new_v7(now(), rand::random()),
            at: now(),
            agent: self.user(),
            questionnaire: QuestionnaireRef { id: questionnaire.id, version: questionnaire.version },
            answers: [
                answer("staff", Answer::Integer(3)),
                answer("owner_present", Answer::SelectOne("no".into())),
                answer("shopfront", Answer::Photo(photo.clone())),
            ]
            .into(),
            location: None,
            outcome: "photographed the shopfront".into(),
        };
        let ctx = self.ctx();
        let recorded = self.replica.record_visit(shop, &ctx, &questionnaire, &visit).unwrap();
        assert!(matches!(recorded, census_replica::VisitOutcome::Recorded { .. }), "{recorded:?}");
    }
}

/// A new replica file `<name>.census` in `dir`, for a new device, not signed in.
pub fn new_replica(dir: &Path, name: &str) -> (Replica, PathBuf) {
    let path = dir.join(format!("{name}.census"));
    (Replica::create(&path, DeviceId::new_v7(now(), rand::random())).unwrap(), path)
}

/// A kiosk in `territory`, with nothing but its name.
pub fn new_prospect(territory: TerritoryId, name: &str) -> NewProspect {
    NewProspect {
        territory,
        name: name.into(),
        category: "kiosk".into(),
        status: Status::New,
        address: Address::default(),
        location: None,
    }
}

pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
    Timestamp::from_unix_millis(i64::try_from(millis).unwrap())
}

/// Writes a map pack (MBTiles) named `name` covering `bounds` ("west,south,east,north"), with
/// `tiles` as `(zoom, column, row counted from the south, data)`.
pub fn write_map_pack(path: &Path, name: &str, bounds: &str, tiles: &[(u8, u32, u32, Vec<u8>)]) {
    let pack = rusqlite::Connection::open(path).unwrap();
    pack.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT); \
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB); \
         INSERT INTO metadata VALUES ('format', 'pbf'), ('maxzoom', '14'), \
           ('json', '{\"vector_layers\": [{\"id\": \"building\", \"fields\": {}}]}');",
    )
    .unwrap();
    pack.execute("INSERT INTO metadata VALUES ('name', ?1), ('bounds', ?2)", [name, bounds]).unwrap();
    for (zoom, column, row, data) in tiles {
        pack.execute("INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)", rusqlite::params![zoom, column, row, data]).unwrap();
    }
}
