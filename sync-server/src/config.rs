//! The server's configuration: a file (`census-server.toml`, named by `--config` or
//! `$CENSUS_CONFIG`), then the environment (`CENSUS_…`), then the command line, each overriding
//! the one before; defaults for the rest. `census-server config check` shows what they add up to.
//!
//! ```toml
//! db = "/var/lib/census/census-server.db"
//! listen = "0.0.0.0:8737"
//! token_lifetime_secs = 7776000
//! trusted_proxies = ["127.0.0.1", "10.0.0.0/8"]
//! tls_cert = "/etc/census/fullchain.pem"
//! tls_key = "/etc/census/privkey.pem"
//! metrics_from = ["127.0.0.1", "10.0.0.0/8"]
//! picture_grace_secs = 2592000
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::client_address::Network;

/// A configuration file larger than this is not one.
const MAX_FILE_BYTES: u64 = 64 << 10;

/// What a configuration file may say; every key is optional, an unknown key is a mistake.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub db: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub token_lifetime_secs: Option<u64>,
    pub trusted_proxies: Option<Vec<String>>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub metrics_from: Option<Vec<String>>,
    pub picture_grace_secs: Option<u64>,
}

impl ConfigFile {
    /// Reads and checks the file at `path`, or says in words what is wrong with it.
    pub fn read(path: &Path) -> Result<ConfigFile, String> {
        let shown = path.display();
        let size = std::fs::metadata(path).map_err(|e| format!("cannot read the configuration {shown}: {e}"))?.len();
        if size > MAX_FILE_BYTES {
            return Err(format!("the configuration {shown} is {size} bytes; a configuration is at most 64 KiB"));
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the configuration {shown}: {e}"))?;
        toml::from_str(&text).map_err(|e| format!("the configuration {shown} is not right: {}", e.message()))
    }
}

/// What the command line and the environment gave (clap reads both).
#[derive(Debug, Default)]
pub struct Given {
    pub db: Option<PathBuf>,
    pub port: Option<u16>,
    pub listen: Option<SocketAddr>,
    pub token_lifetime_secs: Option<u64>,
    pub trusted_proxies: Vec<Network>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub metrics_from: Vec<Network>,
    pub picture_grace_secs: Option<u64>,
}

/// The settings the server runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub db: PathBuf,
    pub listen: SocketAddr,
    pub token_lifetime: Duration,
    pub trusted_proxies: Vec<Network>,
    /// The certificate chain and private key (PEM files) when the server speaks TLS itself.
    pub tls: Option<TlsFiles>,
    /// The networks that may read `/metrics`.
    pub metrics_from: Vec<Network>,
    /// How long a picture no prospect refers to stays before it is removed.
    pub picture_grace: Duration,
}

/// Loopback alone may read `/metrics` unless told otherwise.
pub fn default_metrics_from() -> Vec<Network> {
    ["127.0.0.0/8", "::1"].iter().filter_map(|n| n.parse().ok()).collect()
}

fn networks(given: Vec<Network>, listed: Option<Vec<String>>, key: &str) -> Result<Option<Vec<Network>>, String> {
    match (given.is_empty(), listed) {
        (false, _) => Ok(Some(given)),
        (true, None) => Ok(None),
        (true, Some(listed)) => listed
            .iter()
            .map(|p| p.parse::<Network>().map_err(|e| format!("{key} in the configuration: {e}")))
            .collect::<Result<_, _>>()
            .map(Some),
    }
}

/// Where the server's certificate chain and its private key are.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub const DEFAULT_DB: &str = "census-server.db";
pub const DEFAULT_PORT: u16 = 8737;

impl Settings {
    /// The settings `given` and `file` add up to: what was given wins, then the file, then the
    /// defaults. A port given alone goes with the file's address, or the loopback one.
    pub fn settle(given: Given, file: ConfigFile) -> Result<Settings, String> {
        let proxies = networks(given.trusted_proxies, file.trusted_proxies, "trusted_proxies")?.unwrap_or_default();
        let metrics_from =
            networks(given.metrics_from, file.metrics_from, "metrics_from")?.unwrap_or_else(default_metrics_from);
        let listen = match (given.listen, given.port, file.listen) {
            (Some(listen), _, _) => listen,
            (None, Some(port), Some(listen)) => SocketAddr::new(listen.ip(), port),
            (None, Some(port), None) => SocketAddr::from(([127, 0, 0, 1], port)),
            (None, None, Some(listen)) => listen,
            (None, None, None) => SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
        };
        let lifetime =
            given.token_lifetime_secs.or(file.token_lifetime_secs).unwrap_or(crate::auth::TOKEN_LIFETIME_SECS);
        if lifetime == 0 {
            return Err("token_lifetime_secs must be more than 0: a device could never stay signed in".into());
        }
        let tls = match (given.tls_cert.or(file.tls_cert), given.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
            (None, None) => None,
            (Some(_), None) => return Err("tls_cert is given without tls_key: TLS needs both".into()),
            (None, Some(_)) => return Err("tls_key is given without tls_cert: TLS needs both".into()),
        };
        Ok(Settings {
            db: given.db.or(file.db).unwrap_or_else(|| PathBuf::from(DEFAULT_DB)),
            listen,
            token_lifetime: Duration::from_secs(lifetime),
            trusted_proxies: proxies,
            tls,
            metrics_from,
            picture_grace: given
                .picture_grace_secs
                .or(file.picture_grace_secs)
                .map_or(crate::picture_sweep::DEFAULT_GRACE, Duration::from_secs),
        })
    }

    /// The settings as a configuration file would say them.
    pub fn describe(&self) -> String {
        let quoted = |networks: &[Network]| networks.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ");
        let mut described = format!(
            "db = \"{}\"\nlisten = \"{}\"\ntoken_lifetime_secs = {}\ntrusted_proxies = [{}]\nmetrics_from = [{}]\n\
             picture_grace_secs = {}\n",
            self.db.display(),
            self.listen,
            self.token_lifetime.as_secs(),
            quoted(&self.trusted_proxies),
            quoted(&self.metrics_from),
            self.picture_grace.as_secs(),
        );
        match &self.tls {
            Some(tls) => described.push_str(&format!(
                "tls_cert = \"{}\"\ntls_key = \"{}\"\n",
                tls.cert.display(),
                tls.key.display()
            )),
            None => described.push_str("# no tls_cert: plain HTTP, for loopback or behind a reverse proxy\n"),
        }
        described
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> ConfigFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn the_command_line_wins_over_the_file_and_the_file_over_the_defaults() {
        let from_file =
            file("db = \"/var/lib/census/c.db\"\nlisten = \"0.0.0.0:9000\"\ntrusted_proxies = [\"10.0.0.0/8\"]");
        let settled = Settings::settle(Given::default(), from_file).unwrap();
        assert_eq!(settled.db, PathBuf::from("/var/lib/census/c.db"));
        assert_eq!(settled.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(settled.trusted_proxies, vec!["10.0.0.0/8".parse().unwrap()]);
        let given = Given { listen: Some("127.0.0.2:1".parse().unwrap()), ..Given::default() };
        assert_eq!(Settings::settle(given, file("listen = \"0.0.0.0:9000\"")).unwrap().listen.port(), 1);
        let port_only = Given { port: Some(9100), ..Given::default() };
        assert_eq!(
            Settings::settle(port_only, file("listen = \"0.0.0.0:9000\"")).unwrap().listen.to_string(),
            "0.0.0.0:9100"
        );
        let defaults = Settings::settle(Given::default(), ConfigFile::default()).unwrap();
        assert_eq!((defaults.db, defaults.listen.to_string()), (PathBuf::from(DEFAULT_DB), "127.0.0.1:8737".into()));
        assert_eq!(defaults.picture_grace, crate::picture_sweep::DEFAULT_GRACE);
        let shorter = Settings::settle(Given::default(), file("picture_grace_secs = 60")).unwrap();
        assert_eq!(shorter.picture_grace, Duration::from_secs(60));
    }

    #[test]
    fn mistakes_in_the_file_are_said_in_words() {
        assert!(toml::from_str::<ConfigFile>("listn = \"0.0.0.0:1\"").unwrap_err().message().contains("unknown field"));
        let bad = file("trusted_proxies = [\"ten\"]");
        assert!(
            Settings::settle(Given::default(), bad).unwrap_err().starts_with("trusted_proxies in the configuration")
        );
        assert!(Settings::settle(Given::default(), file("token_lifetime_secs = 0")).is_err());
        let half = Settings::settle(Given::default(), file("tls_cert = \"/etc/census/cert.pem\"")).unwrap_err();
        assert!(half.contains("without tls_key"), "{half}");
    }
}
