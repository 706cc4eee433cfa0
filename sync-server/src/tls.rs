//! TLS for the listener: a certificate chain and its key, read from PEM files, and read again
//! when the server is told to (SIGHUP), so a renewed certificate needs no restart.
//!
//! A reload that fails (a half-written file, a key that does not match) keeps the certificate
//! in use and says why: a server must not stop answering because a renewal went wrong.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// A certificate or key file larger than this is not one (a long chain is a few KiB).
const MAX_PEM_BYTES: u64 = 1 << 20;

/// The certificate the listener presents, and where it came from.
#[derive(Debug)]
pub struct Tls {
    certificate: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<ServerConfig>>,
}

impl Tls {
    /// Reads the certificate chain at `certificate` and the private key at `key`, or says what is
    /// wrong with them.
    pub fn load(certificate: &Path, key: &Path) -> Result<Tls, String> {
        let config = server_config(certificate, key)?;
        Ok(Tls { certificate: certificate.to_owned(), key: key.to_owned(), current: RwLock::new(Arc::new(config)) })
    }

    /// Reads the files again; new connections get the new certificate. On failure the one in
    /// use stays.
    pub fn reload(&self) -> Result<(), String> {
        let config = server_config(&self.certificate, &self.key)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(config);
        Ok(())
    }

    /// The handshake for a new connection, with the certificate in use now.
    pub fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.read().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let shown = path.display();
    let size = std::fs::metadata(path).map_err(|e| format!("cannot read the {what} {shown}: {e}"))?.len();
    if size > MAX_PEM_BYTES {
        return Err(format!("the {what} {shown} is {size} bytes; a PEM file is at most 1 MiB"));
    }
    std::fs::read(path).map_err(|e| format!("cannot read the {what} {shown}: {e}"))
}

fn server_config(certificate: &Path, key: &Path) -> Result<ServerConfig, String> {
    let pem = read_pem(certificate, "certificate")?;
    let chain = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the certificate {} is not PEM: {e}", certificate.display()))?;
    if chain.is_empty() {
        return Err(format!("the certificate {} holds no certificate", certificate.display()));
    }
    let pem = read_pem(key, "private key")?;
    let key_der = PrivateKeyDer::from_pem_slice(&pem)
        .map_err(|e| format!("the private key {} holds no private key in PEM: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key_der)
        .map_err(|e| {
            format!("the certificate {} and the key {} do not go together: {e}", certificate.display(), key.display())
        })?;
    // The listener speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
