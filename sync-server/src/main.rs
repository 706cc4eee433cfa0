//! `census-server`: serve the sync API, and administer the directory from the command line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use census_core::{
    AuditEntry, AuditFilter, AuditKind, Person, Questionnaire, Retirement, Role, Territory, TerritoryId, Timestamp,
    UserId,
};
use census_server::api::{self, AppState};
use census_server::audit;
use census_server::auth::hash_password;
use census_server::client_address::{Network, TrustedProxies};
use census_server::config::{ConfigFile, Given, Settings};
use census_server::tls::Tls;
use census_server::{SqliteStore, Store, StoreError, demo, demo_places};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "census-server", version, about = "The Census sync server and its administration")]
struct Cli {
    /// The configuration file (census-server.toml); what the command line or the environment
    /// gives overrides it.
    #[arg(long, env = "CENSUS_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// The server's database file (census-server.db by default).
    #[arg(long, env = "CENSUS_SERVER_DB", global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (on 127.0.0.1:8737 unless told otherwise).
    Serve {
        /// The port on 127.0.0.1 (8737 by default; 0 picks a free one; the address is printed).
        #[arg(long)]
        port: Option<u16>,
        /// Where to listen instead, as ADDRESS:PORT: 0.0.0.0:8737 for every network of the
        /// machine, 127.0.0.2:8737 for another loopback address.
        #[arg(long, env = "CENSUS_LISTEN")]
        listen: Option<SocketAddr>,
        /// How long a device stays signed in, in seconds (90 days by default).
        #[arg(long, env = "CENSUS_TOKEN_LIFETIME_SECS")]
        token_lifetime_secs: Option<u64>,
        /// A proxy network whose X-Forwarded-For is believed, such as 10.0.0.0/8 (repeatable;
        /// commas between them in $CENSUS_TRUSTED_PROXIES).
        #[arg(long = "trusted-proxy", env = "CENSUS_TRUSTED_PROXIES", value_delimiter = ',')]
        trusted_proxies: Vec<Network>,
        /// Speak TLS with this certificate chain (PEM); read again on SIGHUP.
        #[arg(long, env = "CENSUS_TLS_CERT")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM); read again on SIGHUP.
        #[arg(long, env = "CENSUS_TLS_KEY")]
        tls_key: Option<PathBuf>,
        /// A network that may read /metrics (repeatable; loopback only by default; commas between
        /// them in $CENSUS_METRICS_FROM).
        #[arg(long = "metrics-from", env = "CENSUS_METRICS_FROM", value_delimiter = ',')]
        metrics_from: Vec<Network>,
        /// How long a picture no prospect refers to any more is kept before it is removed, in
        /// seconds (30 days by default).
        #[arg(long, env = "CENSUS_PICTURE_GRACE_SECS")]
        picture_grace_secs: Option<u64>,
    },
    /// Check the configuration (file, environment, command line) and show what it adds up to.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Add a person: census-server user add LOGIN --name NAME --role agent|manager|admin --password P
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// List devices, or revoke one.
    Device {
        #[command(subcommand)]
        action: DeviceAction,
    },
    /// Add or list territories.
    Territory {
        #[command(subcommand)]
        action: TerritoryAction,
    },
    /// Add a map pack (an MBTiles file of vector tiles) for devices, or list them.
    Map {
        #[command(subcommand)]
        action: MapAction,
    },
    /// Assign a territory to an agent (or take it away with --remove).
    Assign {
        territory: TerritoryId,
        login: String,
        #[arg(long)]
        remove: bool,
    },
    /// Publish a questionnaire version from a JSON file.
    Questionnaire {
        #[command(subcommand)]
        action: QuestionnaireAction,
    },
    /// List the audit trail (security events), newest first.
    Audit {
        /// Only events of this kind (signed_in, sign_in_failed, sign_ins_throttled, device_revoked,
        /// device_reinstated, person_added, person_retired, password_changed, role_changed, push_refused, events_dropped).
        #[arg(long)]
        kind: Option<AuditKind>,
        /// Only events about this login, or by or about its person.
        #[arg(long)]
        login: Option<String>,
        #[arg(long)]
        device: Option<census_core::DeviceId>,
        /// Only events of the last this many minutes.
        #[arg(long)]
        since_minutes: Option<u32>,
        /// At most this many (at most 1000).
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Copy the database to DEST while the server may be serving it: one consistent state,
    /// every change acknowledged before the copy began.
    Backup { dest: PathBuf },
    /// Put the backup SRC in place of the database, with the server stopped. Devices push what
    /// they made again and pull again; the replaced database is kept beside it.
    Restore { src: PathBuf },
    /// Seed a demo base (people of each role, two territories, a questionnaire, prospects).
    Demo {
        #[arg(long, default_value_t = 300)]
        prospects: u64,
        /// The named businesses of a real city (scripts/map-data's helsinki-businesses.json) to
        /// make the prospects of, instead of made-up shops.
        #[arg(long)]
        places: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    Check,
}

#[derive(Debug, Subcommand)]
enum UserAction {
    Add {
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: Role,
        #[arg(long, env = "CENSUS_NEW_PASSWORD")]
        password: String,
    },
    Password {
        login: String,
        #[arg(long, env = "CENSUS_NEW_PASSWORD")]
        password: String,
    },
    /// Give a person another role; it holds from their next request on.
    Role {
        login: String,
        #[arg(long)]
        role: Role,
    },
    /// Retire a departing person: no more sign-ins, devices revoked, history kept; their
    /// territories go to the person named by --hand-over-to.
    Retire {
        login: String,
        #[arg(long)]
        hand_over_to: Option<String>,
    },
    List,
}

#[derive(Debug, Subcommand)]
enum DeviceAction {
    List,
    Revoke {
        device: census_core::DeviceId,
    },
    /// Lift a device's revocation; it syncs again once it signs in.
    Reinstate {
        device: census_core::DeviceId,
    },
}

#[derive(Debug, Subcommand)]
enum TerritoryAction {
    Add {
        name: String,
        #[arg(long)]
        planned: Option<u32>,
        /// The territory's id (a new one when omitted).
        #[arg(long)]
        id: Option<TerritoryId>,
    },
    List,
}

#[derive(Debug, Subcommand)]
enum MapAction {
    /// Add FILE as the pack NAME, in place of any pack of that name: census-server map add
    /// helsinki.mbtiles --name Helsinki
    Add {
        file: PathBuf,
        #[arg(long)]
        name: String,
    },
    List,
}

#[derive(Debug, Subcommand)]
enum QuestionnaireAction {
    Publish { file: PathBuf },
}

fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Timestamp::from_unix_millis(millis)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("census-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn open(db: &Path) -> Result<SqliteStore, String> {
    SqliteStore::open(db).map_err(|e| format!("cannot open {}: {e}", db.display()))
}

/// Keeps an administration command's action in the audit trail.
fn audited(store: &SqliteStore, mut entry: AuditEntry) -> Result<(), String> {
    entry.detail.push_str(" (by census-server on the server's machine)");
    store.record_audit(&[entry]).map_err(|e| e.to_string())
}

/// Keeps a device's revocation or reinstatement by an administration command.
fn device_audited(
    store: &SqliteStore,
    device: census_core::DeviceId,
    kind: AuditKind,
    detail: &str,
) -> Result<(), String> {
    let owner = store.device_owner(device).map_err(|e| e.to_string())?;
    audited(store, audit::device_event(kind, detail, device, owner.as_ref()))
}

fn run(cli: Cli) -> Result<(), String> {
    let fail = |e: StoreError| e.to_string();
    let file = match &cli.config {
        Some(path) => ConfigFile::read(path)?,
        None => ConfigFile::default(),
    };
    let mut given = Given { db: cli.db.clone(), ..Given::default() };
    if let Command::Serve {
        port,
        listen,
        token_lifetime_secs,
        trusted_proxies,
        tls_cert,
        tls_key,
        metrics_from,
        picture_grace_secs,
    } = &cli.command
    {
        given.metrics_from = metrics_from.clone();
        given.picture_grace_secs = *picture_grace_secs;
        (given.port, given.listen, given.token_lifetime_secs) = (*port, *listen, *token_lifetime_secs);
        given.trusted_proxies = trusted_proxies.clone();
        (given.tls_cert, given.tls_key) = (tls_cert.clone(), tls_key.clone());
    }
    let settings = Settings::settle(given, file)?;
    let db = settings.db.clone();
    match cli.command {
        Command::Serve { .. } => {
            let _serving = census_server::backup::ServingLock::take(&db)?;
            serve(open(&db)?, &pictures_beside(&db), settings)
        }
        Command::Config { action: ConfigAction::Check } => check_configuration(&settings),
        Command::Backup { dest } => {
            let report = census_server::backup::backup(&db, &dest)?;
            println!(
                "Backed up {} to {}: {} bytes, the feed up to {}.",
                db.display(),
                dest.display(),
                report.bytes,
                report.feed_end
            );
            Ok(())
        }
        Command::Restore { src } => {
            let stamp = now().to_utc_string().replace([':', ' '], "-");
            let report = census_server::backup::restore(&src, &db, &stamp)?;
            println!(
                "Restored {} from {}: the feed up to {}, epoch {}.",
                db.display(),
                src.display(),
                report.feed_end,
                report.identity.epoch
            );
            if let Some(aside) = report.kept_aside {
                println!("The database it replaced is kept as {}.", aside.display());
            }
            println!("Devices push what they made again and pull again at their next sync.");
            Ok(())
        }
        Command::User { action } => {
            let store = open(&db)?;
            match action {
                UserAction::Add { login, name, role, password } => {
                    let person =
                        Person { id: UserId::new_v7(now(), rand::random()), name, login, role, retired: false };
                    store.add_person(&person, &hash_password(&password).map_err(fail)?).map_err(fail)?;
                    audited(&store, audit::person_added(&person))?;
                    println!("Added {} ({}) as {}: {}", person.name, person.login, role.as_str(), person.id);
                }
                UserAction::Password { login, password } => {
                    store.set_password(&login, &hash_password(&password).map_err(fail)?).map_err(fail)?;
                    let user = store.person_by_login(&login).map_err(fail)?.map(|(p, _)| p.id);
                    let entry = audit::entry(AuditKind::PasswordChanged, "password changed");
                    audited(&store, audit::about(entry, user, Some(&login), None))?;
                    println!("Changed the password of {login}.");
                }
                UserAction::Role { login, role } => {
                    let (person, _) = store
                        .person_by_login(&login)
                        .map_err(fail)?
                        .ok_or_else(|| format!("there is no one with the login \"{login}\""))?;
                    store.set_role(&login, role).map_err(fail)?;
                    let detail = format!("{} is now {} (was {})", person.name, role.as_str(), person.role.as_str());
                    let entry = audit::entry(AuditKind::RoleChanged, detail);
                    audited(&store, audit::about(entry, Some(person.id), Some(&login), None))?;
                    println!("{login} is now {}.", role.as_str());
                }
                UserAction::Retire { login, hand_over_to } => {
                    let retired = store
                        .retire(&Retirement { login: login.clone(), successor: hand_over_to.clone() })
                        .map_err(fail)?;
                    audited(&store, audit::retirement(&retired, hand_over_to.as_deref()))?;
                    println!("Retired {login}: their devices no longer sync; their history stays.");
                    if let Some(successor) = hand_over_to {
                        println!("{} territory(ies) handed over to {successor}.", retired.handed_over.len());
                    }
                }
                UserAction::List => {
                    for p in store.directory().map_err(fail)?.people {
                        let retired = if p.retired { "  (retired)" } else { "" };
                        println!("{:<8} {:<16} {}  {}{retired}", p.role.as_str(), p.login, p.id, p.name);
                    }
                }
            }
            Ok(())
        }
        Command::Device { action } => {
            let store = open(&db)?;
            match action {
                DeviceAction::List => {
                    for d in store.devices().map_err(fail)? {
                        let state = if d.revoked { "revoked" } else { "active" };
                        println!("{}  {:<16} {:<8} {}", d.id, d.login, state, d.name);
                    }
                }
                DeviceAction::Revoke { device } => {
                    store.revoke_device(device).map_err(fail)?;
                    device_audited(&store, device, AuditKind::DeviceRevoked, "device revoked")?;
                    println!("Revoked {device}: it can no longer sync.");
                }
                DeviceAction::Reinstate { device } => {
                    store.reinstate_device(device).map_err(fail)?;
                    device_audited(&store, device, AuditKind::DeviceReinstated, audit::REINSTATED)?;
                    println!("Reinstated {device}: it syncs again once it signs in.");
                }
            }
            Ok(())
        }
        Command::Map { action } => {
            let store = open(&db)?;
            let folder = census_server::map_packs::folder_beside(&db);
            match action {
                MapAction::Add { file, name } => {
                    let added = census_server::map_packs::add(&store, &folder, &file, &name, now())?;
                    println!("Added the map pack «{}» ({} bytes, {})", added.name, added.bytes, added.sha256);
                }
                MapAction::List => {
                    for pack in store.map_packs().map_err(fail)? {
                        let b = pack.bounds;
                        println!(
                            "{}  {} bytes  {}  {},{},{},{}",
                            pack.name, pack.bytes, pack.sha256, b.west, b.south, b.east, b.north
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Territory { action } => {
            let store = open(&db)?;
            match action {
                TerritoryAction::Add { name, planned, id } => {
                    let id = id.unwrap_or_else(|| TerritoryId::new_v7(now(), rand::random()));
                    store
                        .add_territory(&Territory {
                            id,
                            name,
                            planned_prospects: planned,
                            agents: vec![],
                            boundary: vec![],
                        })
                        .map_err(fail)?;
                    println!("{id}");
                }
                TerritoryAction::List => {
                    let directory = store.directory().map_err(fail)?;
                    for t in directory.territories {
                        let agents: Vec<&str> = t
                            .agents
                            .iter()
                            .filter_map(|a| directory.people.iter().find(|p| p.id == *a).map(|p| p.login.as_str()))
                            .collect();
                        println!("{}  {}  agents: {}", t.id, t.name, agents.join(", "));
                    }
                }
            }
            Ok(())
        }
        Command::Assign { territory, login, remove } => {
            let store = open(&db)?;
            if remove {
                store.unassign(territory, &login).map_err(fail)?;
                println!("{login} no longer works in {territory}.");
            } else {
                store.assign(territory, &login).map_err(fail)?;
                println!("{login} now works in {territory}.");
            }
            Ok(())
        }
        Command::Questionnaire { action: QuestionnaireAction::Publish { file } } => {
            let store = open(&db)?;
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let questionnaire: Questionnaire =
                serde_json::from_str(&text).map_err(|e| format!("{} is not a questionnaire: {e}", file.display()))?;
            store.publish_questionnaire(&questionnaire).map_err(fail)?;
            println!("Published version {} of {}.", questionnaire.version, questionnaire.title.en);
            Ok(())
        }
        Command::Audit { kind, login, device, since_minutes, limit, json } => {
            let store = open(&db)?;
            let since = since_minutes
                .map(|minutes| Timestamp::from_unix_millis(now().unix_millis() - i64::from(minutes) * 60_000));
            let filter = AuditFilter { kind, login, device, since, limit };
            for e in store.audit(&filter).map_err(fail)? {
                if json {
                    println!("{}", serde_json::to_string(&e).map_err(|e| e.to_string())?);
                    continue;
                }
                let who = e.login.clone().or_else(|| e.user.map(|u| u.to_string())).unwrap_or_else(|| "-".into());
                let count = if e.count > 1 { format!(" ×{}", e.count) } else { String::new() };
                let mut line = format!("{}  {:<18} {who}{count}: {}", e.at.to_utc_string(), e.kind.as_str(), e.detail);
                if let Some(device) = e.device {
                    line.push_str(&format!("  device {device}"));
                }
                if let Some(address) = &e.address {
                    line.push_str(&format!("  from {address}"));
                }
                if let Some(by) = e.by {
                    line.push_str(&format!("  by {by}"));
                }
                println!("{line}");
            }
            Ok(())
        }
        Command::Demo { prospects, places } => {
            let base = match places {
                Some(path) => {
                    let json = read_bounded(&path, demo_places::MAX_PLACES_BYTES)?;
                    demo_places::base_from_places(&json, prospects, now())
                        .map_err(|e| format!("{}: {e}", path.display()))?
                }
                None => demo::made_up_base(prospects, now()),
            };
            let store = open(&db)?;
            if !store.directory().map_err(fail)?.people.is_empty() {
                return Err(format!("{} already has people in it; seed the demo into a new file", db.display()));
            }
            let stored = demo::seed(&store, &base, now()).map_err(fail)?;
            println!("Seeded the demo base into {}: {stored} prospects.", db.display());
            println!("Sign in as admin, manager, anna or boris with the password \"{}\".", demo::DEMO_PASSWORD);
            Ok(())
        }
    }
}

/// The bytes of `path`, refused when larger than `limit` (read no further than that).
fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(format!("{} is larger than {} MB: it is not a list of places", path.display(), limit >> 20));
    }
    Ok(bytes)
}

/// Shows the settings and whether their certificate and database are there and readable,
/// without changing anything.
fn check_configuration(settings: &Settings) -> Result<(), String> {
    print!("{}", settings.describe());
    if let Some(files) = &settings.tls {
        Tls::load(&files.cert, &files.key)?;
        println!("The certificate {} and its key are readable and go together.", files.cert.display());
    }
    let db = &settings.db;
    if !db.exists() {
        let folder = db.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        if !folder.is_dir() {
            return Err(format!("the database's folder {} does not exist", folder.display()));
        }
        println!("The database {} does not exist yet: `serve` creates it.", db.display());
        return Ok(());
    }
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| format!("cannot open {}: {e}", db.display()))?;
    let schema: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| format!("{} is not a database Census can read: {e}", db.display()))?;
    println!("The database {} is there, at schema {schema}.", db.display());
    Ok(())
}

/// Where a database's pictures are kept: beside it, `census.db` → `census.pictures/`.
fn pictures_beside(db: &std::path::Path) -> std::path::PathBuf {
    db.with_extension("pictures")
}

fn serve(store: SqliteStore, pictures: &std::path::Path, settings: Settings) -> Result<(), String> {
    let pictures = census_server::pictures::DiskPictures::open(pictures)
        .map_err(|e| format!("cannot keep pictures in {}: {e}", pictures.display()))?;
    let map_packs = census_server::map_packs::folder_beside(&settings.db);
    let Settings { listen: address, token_lifetime, trusted_proxies, tls, metrics_from, picture_grace, .. } = settings;
    let proxies = TrustedProxies(trusted_proxies);
    let tls = tls.map(|files| Tls::load(&files.cert, &files.key).map(Arc::new)).transpose()?;
    // The log goes to standard error (CENSUS_LOG sets what it holds, "info" by default);
    // standard output's first line says where the server listens.
    let filter = tracing_subscriber::EnvFilter::try_from_env("CENSUS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(colours).init();
    // Store work runs on the blocking pool; a bounded pool bounds memory too.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(8)
        .build()
        .map_err(|e| e.to_string())?;
    let store: Arc<dyn Store> = Arc::new(store);
    let _compactor = census_server::compactor::Compactor::start(store.clone());
    runtime.block_on(async move {
        let state = Arc::new(AppState {
            token_lifetime,
            metrics_from,
            map_packs: Some(map_packs),
            ..AppState::new(store, Arc::new(pictures)).map_err(|e| e.to_string())?
        });
        let _sweep = census_server::picture_sweep::PictureSweep::start(state.clone(), picture_grace);
        let listener =
            tokio::net::TcpListener::bind(address).await.map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        println!("census-server listening on {scheme}://{bound}");
        tracing::info!(%bound, scheme, "listening");
        if let Some(tls) = &tls {
            tokio::spawn(reload_on_hangup(tls.clone()));
        }
        census_server::listener::serve(listener, api::router(state.clone()), proxies, tls, stop_requested())
            .await
            .map_err(|e| e.to_string())?;
        state.audit.finish();
        tracing::info!("stopped: every request in flight was answered");
        Ok(())
    })
}

/// Reads the certificate again on each SIGHUP (what a renewal hook sends); a failed reload keeps
/// the certificate in use.
async fn reload_on_hangup(tls: Arc<Tls>) {
    #[cfg(unix)]
    {
        let mut hangups = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(signal) => signal,
            Err(e) => {
                tracing::error!("cannot listen for SIGHUP, a renewed certificate needs a restart: {e}");
                return;
            }
        };
        while hangups.recv().await.is_some() {
            match tls.reload() {
                Ok(()) => tracing::info!("certificate read again: new connections get it"),
                Err(e) => tracing::error!("kept the certificate in use: {e}"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tls;
}

/// Completes on SIGTERM (how service managers stop a server) or Ctrl-C.
async fn stop_requested() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(signal) => signal,
            Err(e) => {
                tracing::error!("cannot listen for SIGTERM: {e}");
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("stopping: no new connections, requests in flight finish");
}
