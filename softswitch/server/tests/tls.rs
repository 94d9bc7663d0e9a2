//! TLS and mutual TLS with certificates made by rcgen for each run: a CA, a server
//! certificate for `localhost` it signed, a client certificate it signed and one it did not.
//! Clients that trust the CA (and, for mutual TLS, present a certificate from it) get
//! answers; plain-text clients, clients presenting no certificate or a stranger's, do not.
//! The last tests start the `ddsr` binary with the `--tls-*` flags.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ddsr_proto::P4RuntimeClient;
use ddsr_proto::p4::v1;
use ddsr_softswitch_server::{Service, Tls, TlsError, tls};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

struct Pki {
    ca: String,
    server: (String, String),
    client: (String, String),
    stranger: (String, String),
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ddsr test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf = |name: &str, signed: bool| {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec![name.to_string()]).unwrap();
        let cert = if signed {
            params.signed_by(&key, &ca, &ca_key).unwrap()
        } else {
            params.self_signed(&key).unwrap()
        };
        (cert.pem(), key.serialize_pem())
    };
    Pki {
        ca: ca.pem(),
        server: leaf("localhost", true),
        client: leaf("controller", true),
        stranger: leaf("controller", false),
    }
}

/// Starts a server with `tls`; returns its port.
async fn start(tls: Tls) -> u16 {
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = incoming.local_addr().unwrap().port();
    let service = Service::new(1, None);
    tokio::spawn(async move {
        tls::serve(&service, incoming, Some(&tls), std::future::pending())
            .await
            .unwrap()
    });
    port
}

/// The P4Runtime version the server reports, or the error that stopped the call.
async fn capabilities(
    port: u16,
    scheme: &str,
    tls: Option<ClientTlsConfig>,
) -> Result<String, String> {
    let mut endpoint = Channel::from_shared(format!("{scheme}://localhost:{port}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(5));
    if let Some(t) = tls {
        endpoint = endpoint.tls_config(t).map_err(|e| e.to_string())?;
    }
    let channel = endpoint.connect().await.map_err(|e| format!("{e:?}"))?;
    P4RuntimeClient::new(channel)
        .capabilities(v1::CapabilitiesRequest::default())
        .await
        .map(|r| r.into_inner().p4runtime_api_version)
        .map_err(|e| format!("{e:?}"))
}

fn trusting(p: &Pki) -> ClientTlsConfig {
    ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&p.ca))
        .domain_name("localhost")
}

#[tokio::test]
async fn tls_serves_clients_that_trust_the_ca_only() {
    let p = pki();
    let port = start(Tls::new(
        p.server.0.clone().into(),
        p.server.1.clone().into(),
        None,
    ))
    .await;
    assert_eq!(
        capabilities(port, "https", Some(trusting(&p))).await,
        Ok("1.5.0".into())
    );
    assert!(
        capabilities(port, "http", None).await.is_err(),
        "plain text"
    );
    let other = pki();
    assert!(
        capabilities(port, "https", Some(trusting(&other)))
            .await
            .is_err(),
        "a client trusting another CA"
    );
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let p = pki();
    let tls = Tls::new(
        p.server.0.clone().into(),
        p.server.1.clone().into(),
        Some(p.ca.clone().into()),
    );
    assert!(tls.mutual());
    let port = start(tls).await;
    let with = |id: &(String, String)| trusting(&p).identity(Identity::from_pem(&id.0, &id.1));
    assert_eq!(
        capabilities(port, "https", Some(with(&p.client))).await,
        Ok("1.5.0".into())
    );
    assert!(
        capabilities(port, "https", Some(trusting(&p)))
            .await
            .is_err(),
        "no client certificate"
    );
    assert!(
        capabilities(port, "https", Some(with(&p.stranger)))
            .await
            .is_err(),
        "a self-signed client certificate"
    );
}

#[tokio::test]
async fn unusable_material_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki();
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server.key");
    let junk = dir.path().join("junk.pem");
    std::fs::write(&cert, &p.server.0).unwrap();
    std::fs::write(&key, &p.server.1).unwrap();
    std::fs::write(&junk, "not a certificate\n").unwrap();

    let missing = dir.path().join("missing.pem");
    let err = Tls::from_files(&cert, &key, Some(&missing)).err().unwrap();
    assert!(
        matches!(
            err,
            TlsError::Read {
                what: "client CA",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().starts_with(&format!(
        "cannot read the client CA `{}`: ",
        missing.display()
    )));
    let err = Tls::from_files(&junk, &key, None).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "the certificate `{}` holds no PEM block (expected `-----BEGIN ...`)",
            junk.display()
        )
    );
    assert!(Tls::from_files(&cert, &key, None).is_ok());

    // A certificate whose key is a PEM block of something else fails when serving starts.
    let bad = Tls::new(p.server.0.clone().into(), p.ca.clone().into(), None);
    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let err = tls::serve(&Service::new(1, None), incoming, Some(&bad), async {})
        .await
        .unwrap_err();
    assert!(matches!(err, TlsError::Config(_)), "{err}");
}

/// The `ddsr` binary of this build, built first if needed (same profile as this test).
fn ddsr_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let mut cargo = Command::new(option_env!("CARGO").unwrap_or("cargo"));
    cargo
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["build", "--quiet", "-p", "ddsr", "--bin", "ddsr"]);
    if release {
        cargo.arg("--release");
    }
    assert!(cargo.status().expect("cargo build").success());
    profile_dir.join("ddsr")
}

/// A child process killed when the test ends, also when an assertion failed.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `ddsr softswitch serve ARGS` and returns it with the address of its ready line.
fn serve(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(ddsr_binary())
        .args(["softswitch", "serve"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ddsr");
    let stderr = child.stderr.take().expect("piped");
    let running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut seen = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                if let Some(addr) = line.strip_prefix("P4Runtime device 1 listening on ") {
                    return (running, addr.to_string());
                }
                seen.push(line);
            }
            Err(e) => panic!("no ready line ({e}); stderr so far: {seen:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_mutual_tls_from_its_flags() {
    let dir = tempfile::tempdir().unwrap();
    let p = pki();
    let file = |name: &str, text: &str| {
        let f = dir.path().join(name);
        std::fs::write(&f, text).unwrap();
        f.to_str().unwrap().to_string()
    };
    let (cert, key, ca) = (
        file("server.pem", &p.server.0),
        file("server.key", &p.server.1),
        file("ca.pem", &p.ca),
    );
    let (_switch, addr) = tokio::task::spawn_blocking(move || {
        serve(&[
            "--grpc",
            "127.0.0.1:0",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
            "--tls-client-ca",
            &ca,
        ])
    })
    .await
    .unwrap();
    let port: u16 = addr
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .expect("a port");
    let with = |id: &(String, String)| trusting(&p).identity(Identity::from_pem(&id.0, &id.1));
    assert_eq!(
        capabilities(port, "https", Some(with(&p.client))).await,
        Ok("1.5.0".into())
    );
    assert!(
        capabilities(port, "https", Some(trusting(&p)))
            .await
            .is_err(),
        "no client certificate"
    );
    assert!(
        capabilities(port, "http", None).await.is_err(),
        "plain text"
    );
}

#[test]
fn the_binary_refuses_a_remote_address_and_half_tls_flags() {
    let out = Command::new(ddsr_binary())
        .args(["softswitch", "serve", "--grpc", "0.0.0.0:0"])
        .output()
        .expect("run ddsr");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: refusing to serve P4Runtime on 0.0.0.0:0: it is not a loopback address, so \
         other hosts could program the switch; pass --allow-remote to accept that (with \
         --tls-cert, --tls-key and --tls-client-ca to admit only known controllers)\n"
    );

    let out = Command::new(ddsr_binary())
        .args(["softswitch", "serve", "--tls-cert", "server.pem"])
        .output()
        .expect("run ddsr");
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--tls-key <FILE>"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    let out = Command::new(ddsr_binary())
        .args(["softswitch", "serve", "--grpc", "127.0.0.1:0", "--tls-cert"])
        .arg(&missing)
        .arg("--tls-key")
        .arg(&missing)
        .output()
        .expect("run ddsr");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "error: cannot read the certificate `{}`: ",
            missing.display()
        )),
        "{err}"
    );
}
