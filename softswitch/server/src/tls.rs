//! TLS and mutual TLS for the gRPC server (rustls with ring, through tonic), and the one
//! function that serves a [`Service`] with or without it.
//!
//! With a server certificate and key the server speaks TLS only; adding a client CA makes it
//! require every client to present a certificate that CA signed (mutual TLS). The PEM files
//! are read once, at start; a key that does not match its certificate is an error when the
//! server starts, not at the first handshake.

use std::future::Future;
use std::path::{Path, PathBuf};

use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

use crate::service::Service;

/// The server's TLS material, as PEM.
#[derive(Clone)]
pub struct Tls {
    cert: Vec<u8>,
    key: Vec<u8>,
    client_ca: Option<Vec<u8>>,
}

/// Why TLS material could not be loaded or used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the {what} `{}`: {source}", path.display())]
    Read {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the {what} `{}` holds no PEM block (expected `-----BEGIN ...`)", path.display())]
    NotPem { what: &'static str, path: PathBuf },
    #[error("TLS configuration: {0}")]
    Config(#[from] tonic::transport::Error),
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    let bytes = std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.into(),
        source,
    })?;
    if !bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(TlsError::NotPem {
            what,
            path: path.into(),
        });
    }
    Ok(bytes)
}

impl Tls {
    /// TLS with this certificate chain and private key (PEM); with `client_ca`, mutual TLS
    /// accepting clients whose certificate that CA signed.
    pub fn new(cert: Vec<u8>, key: Vec<u8>, client_ca: Option<Vec<u8>>) -> Tls {
        Tls {
            cert,
            key,
            client_ca,
        }
    }

    /// Reads the PEM files given to `--tls-cert`, `--tls-key` and `--tls-client-ca`.
    pub fn from_files(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Tls, TlsError> {
        Ok(Tls {
            cert: read("certificate", cert)?,
            key: read("private key", key)?,
            client_ca: client_ca.map(|p| read("client CA", p)).transpose()?,
        })
    }

    /// Whether clients must present a certificate.
    pub fn mutual(&self) -> bool {
        self.client_ca.is_some()
    }

    fn config(&self) -> ServerTlsConfig {
        let c = ServerTlsConfig::new().identity(Identity::from_pem(&self.cert, &self.key));
        match &self.client_ca {
            Some(ca) => c
                .client_ca_root(Certificate::from_pem(ca))
                .client_auth_optional(false),
            None => c,
        }
    }
}

/// Serves `service` on `incoming` (plain gRPC, or TLS when `tls` is given) until `shutdown`
/// completes. Fails at once when the TLS material is unusable.
pub async fn serve(
    service: &Service,
    incoming: TcpIncoming,
    tls: Option<&Tls>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), TlsError> {
    let mut builder = Server::builder();
    if let Some(t) = tls {
        builder = builder.tls_config(t.config())?;
    }
    builder
        .add_service(service.server())
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await?;
    Ok(())
}
