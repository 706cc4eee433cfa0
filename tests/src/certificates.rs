//! Certificates made by the tests: a company's own certificate authority, and a server
//! certificate it signs for the loopback addresses, written as the PEM files a server is given.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// A certificate authority of the tests' own.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    /// Its certificate, as devices are given it (`--ca-cert`, the app's sign-in).
    pub pem: String,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authority")
    }
}

/// A server's certificate chain and key, written to files.
#[derive(Debug, Clone)]
pub struct ServerFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ServerFiles {
    /// The `serve` options that use these files.
    pub fn options(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.cert.to_str().unwrap().into(),
            "--tls-key".into(),
            self.key.to_str().unwrap().into(),
        ]
    }
}

impl Authority {
    pub fn new(name: &str) -> Authority {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        Authority { issuer: Issuer::new(params, key), pem }
    }

    /// Writes the authority's certificate to `path`, for a command line's `--ca-cert`.
    pub fn write(&self, path: &Path) -> PathBuf {
        std::fs::write(path, &self.pem).unwrap();
        path.to_path_buf()
    }

    /// Signs a certificate for `localhost` and the loopback addresses 127.0.0.1-3, and writes
    /// it and its key into `dir` as `cert.pem` and `key.pem` (replacing what is there).
    pub fn server_files(&self, dir: &Path) -> ServerFiles {
        let names: Vec<String> = ["localhost", "127.0.0.1", "127.0.0.2", "127.0.0.3"].map(String::from).to_vec();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, "census test server");
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let files = ServerFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }
}
