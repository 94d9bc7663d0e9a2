//! Test support: a real etcd on loopback (random free ports, temporary data directory), and the
//! skip-or-fail rule for tests that need it.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Whether `etcd` can be run; when it cannot, a test prints "skipped: needs etcd" and returns,
/// unless `DDSR_REQUIRE_ETCD=1` (CI), where it fails.
pub fn etcd_available() -> bool {
    let found = Command::new("etcd")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("DDSR_REQUIRE_ETCD").as_deref() != Ok("1"),
            "DDSR_REQUIRE_ETCD=1 but `etcd` cannot be run"
        );
        eprintln!("skipped: needs etcd");
    }
    found
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// One etcd member on 127.0.0.1, killed when dropped.
pub struct Etcd {
    child: Option<Child>,
    pub client_port: u16,
    peer_port: u16,
    data: tempfile::TempDir,
}

impl Etcd {
    /// Starts etcd and waits (at most 20 s) until its client port accepts connections.
    pub fn start() -> Etcd {
        let mut e = Etcd {
            child: None,
            client_port: free_port(),
            peer_port: free_port(),
            data: tempfile::tempdir().expect("temporary directory"),
        };
        e.restart();
        e
    }

    pub fn url(&self) -> String {
        format!("etcd://127.0.0.1:{}", self.client_port)
    }

    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    fn log(&self) -> PathBuf {
        self.data.path().join("etcd.log")
    }

    /// Starts the member again on the same ports and data (after [`Etcd::stop`]).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "etcd is running");
        let client = format!("http://127.0.0.1:{}", self.client_port);
        let peer = format!("http://127.0.0.1:{}", self.peer_port);
        let log = std::fs::File::create(self.log()).expect("etcd log file");
        let child = Command::new("etcd")
            .args(["--name", "ddsr-test"])
            .arg("--data-dir")
            .arg(self.data.path().join("member"))
            .args(["--listen-client-urls", &client])
            .args(["--advertise-client-urls", &client])
            .args(["--listen-peer-urls", &peer])
            .args(["--initial-advertise-peer-urls", &peer])
            .args(["--initial-cluster", &format!("ddsr-test={peer}")])
            .args(["--logger", "zap", "--log-level", "warn"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("etcd starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.client_port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "etcd did not listen within 20 s: {}",
                std::fs::read_to_string(self.log()).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the member (as a crash would) and waits for it to be gone.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Polls `f` every 50 ms until it returns `Some`, for at most `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A softswitch P4Runtime device in this process, on a loopback port that survives a
/// simulated crash: [`Switch::kill`] stops serving and drops all its state, and
/// [`Switch::restart`] binds a fresh, empty device to the same address.
pub struct Switch {
    pub addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    write_delay: Duration,
}

impl Switch {
    pub async fn start() -> Switch {
        Switch::slowed(Duration::ZERO).await
    }

    /// A device that waits `write_delay` before each Write request, so that a test can catch
    /// a load in the middle however fast the machine is.
    pub async fn slowed(write_delay: Duration) -> Switch {
        let mut s = Switch {
            addr: "127.0.0.1:0".parse().unwrap(),
            stop: None,
            task: None,
            write_delay,
        };
        s.restart().await;
        s
    }

    pub fn target(&self, election: u64) -> ddsr_runtime::target::Target {
        let mut t: ddsr_runtime::target::Target = format!("p4rt://{}", self.addr).parse().unwrap();
        t.election_id = (0, election);
        t
    }

    pub async fn restart(&mut self) {
        assert!(self.task.is_none(), "the switch is running");
        let service = Slowed {
            inner: ddsr_softswitch_server::Service::new(1, None),
            write_delay: self.write_delay,
        };
        let service = ddsr_proto::P4RuntimeServer::new(service)
            .max_decoding_message_size(ddsr_softswitch_server::service::MAX_MESSAGE)
            .max_encoding_message_size(ddsr_softswitch_server::service::MAX_MESSAGE);
        let incoming = tonic::transport::server::TcpIncoming::bind(self.addr).unwrap();
        self.addr = incoming.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming_shutdown(incoming, async {
                let _ = stopped.await;
            });
        self.task = Some(tokio::spawn(async move {
            let _ = server.await;
        }));
        self.stop = Some(stop);
    }

    pub async fn kill(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            // Open streams would hold a graceful shutdown: bound it, then cut it.
            if tokio::time::timeout(Duration::from_secs(2), &mut task)
                .await
                .is_err()
            {
                task.abort();
                let _ = task.await;
            }
        }
    }

    /// Every entry the device holds, read with one all-tables wildcard, encoded and sorted
    /// (the server answers in canonical form). `None` when the device cannot be read.
    pub async fn read_back(&self) -> Option<Vec<Vec<u8>>> {
        use ddsr_proto::p4::v1;
        use prost::Message;
        use tokio_stream::StreamExt;
        let mut rpc = ddsr_proto::P4RuntimeClient::connect(format!("http://{}", self.addr))
            .await
            .ok()?
            .max_decoding_message_size(256 << 20);
        let mut s = rpc
            .read(v1::ReadRequest {
                device_id: 1,
                entities: vec![v1::Entity {
                    entity: Some(v1::entity::Entity::TableEntry(Default::default())),
                }],
                ..Default::default()
            })
            .await
            .ok()?
            .into_inner();
        let mut out = Vec::new();
        while let Some(r) = s.next().await {
            for e in r.ok()?.entities {
                out.push(e.encode_to_vec());
            }
        }
        out.sort();
        Some(out)
    }
}

/// The softswitch's P4Runtime service with a delay before each Write.
#[derive(Clone)]
struct Slowed {
    inner: ddsr_softswitch_server::Service,
    write_delay: Duration,
}

#[tonic::async_trait]
impl ddsr_proto::P4Runtime for Slowed {
    async fn write(
        &self,
        request: tonic::Request<ddsr_proto::p4::v1::WriteRequest>,
    ) -> Result<tonic::Response<ddsr_proto::p4::v1::WriteResponse>, tonic::Status> {
        tokio::time::sleep(self.write_delay).await;
        self.inner.write(request).await
    }

    type ReadStream = <ddsr_softswitch_server::Service as ddsr_proto::P4Runtime>::ReadStream;

    async fn read(
        &self,
        request: tonic::Request<ddsr_proto::p4::v1::ReadRequest>,
    ) -> Result<tonic::Response<Self::ReadStream>, tonic::Status> {
        self.inner.read(request).await
    }

    async fn set_forwarding_pipeline_config(
        &self,
        request: tonic::Request<ddsr_proto::p4::v1::SetForwardingPipelineConfigRequest>,
    ) -> Result<
        tonic::Response<ddsr_proto::p4::v1::SetForwardingPipelineConfigResponse>,
        tonic::Status,
    > {
        self.inner.set_forwarding_pipeline_config(request).await
    }

    async fn get_forwarding_pipeline_config(
        &self,
        request: tonic::Request<ddsr_proto::p4::v1::GetForwardingPipelineConfigRequest>,
    ) -> Result<
        tonic::Response<ddsr_proto::p4::v1::GetForwardingPipelineConfigResponse>,
        tonic::Status,
    > {
        self.inner.get_forwarding_pipeline_config(request).await
    }

    type StreamChannelStream =
        <ddsr_softswitch_server::Service as ddsr_proto::P4Runtime>::StreamChannelStream;

    async fn stream_channel(
        &self,
        request: tonic::Request<tonic::Streaming<ddsr_proto::p4::v1::StreamMessageRequest>>,
    ) -> Result<tonic::Response<Self::StreamChannelStream>, tonic::Status> {
        self.inner.stream_channel(request).await
    }

    async fn capabilities(
        &self,
        request: tonic::Request<ddsr_proto::p4::v1::CapabilitiesRequest>,
    ) -> Result<tonic::Response<ddsr_proto::p4::v1::CapabilitiesResponse>, tonic::Status> {
        self.inner.capabilities(request).await
    }
}

impl Drop for Switch {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The desired entries of a host's artifacts in canonical form, encoded as the server reads
/// them back, sorted.
pub fn expected(a: &ddsr_runtime::artifacts::HostArtifacts) -> Vec<Vec<u8>> {
    use ddsr_proto::p4::v1;
    use ddsr_runtime::load::key::canonical_entry;
    use ddsr_runtime::p4rt::schema::Schema;
    use prost::Message;
    let schema = Schema::new(&a.p4info);
    let mut out: Vec<Vec<u8>> = a
        .entries
        .iter()
        .map(|u| {
            let Some(v1::entity::Entity::TableEntry(e)) = u.entity.clone().unwrap().entity else {
                panic!("not a table entry")
            };
            let e = canonical_entry(&e, schema.tables.get(&e.table_id));
            v1::Entity {
                entity: Some(v1::entity::Entity::TableEntry(e)),
            }
            .encode_to_vec()
        })
        .collect();
    out.sort();
    out
}

/// A policy: ingress `in-1`, egress `eg-1`, servers `srv-a` to `srv-d` and any other backend
/// named, and `pools` VIPs, each with its own pool of `backends` whose Maglev table has
/// `table_size` (prime) slots.
pub fn policy(backends: &[&str], table_size: u32, pools: usize) -> String {
    let mut s = String::from(
        "version: 1\nhosts:\n  in-1: { role: ingress, address: 192.0.2.1 }\n  \
         eg-1: { role: egress, address: 192.0.2.2 }\n",
    );
    let mut servers: Vec<&str> = vec!["srv-a", "srv-b", "srv-c", "srv-d"];
    servers.extend(
        backends
            .iter()
            .filter(|b| !["srv-a", "srv-b", "srv-c", "srv-d"].contains(b)),
    );
    for (i, srv) in servers.iter().enumerate() {
        s.push_str(&format!(
            "  {srv}: {{ role: server, address: 10.0.{}.{} }}\n",
            i / 200,
            11 + i % 200
        ));
    }
    s.push_str("pools:\n");
    for p in 0..pools {
        s.push_str(&format!(
            "  pool-{p}:\n    hashing: {{ algorithm: maglev, table_size: {table_size} }}\n    \
             backends:\n"
        ));
        for b in backends {
            s.push_str(&format!("      - {{ host: {b} }}\n"));
        }
    }
    s.push_str("vips:\n");
    for p in 0..pools {
        s.push_str(&format!(
            "  vip-{p}:\n    address: 203.0.113.{}\n    protocol: tcp\n    port: 443\n    \
             pool: pool-{p}\n    service_port: {}\n",
            10 + p,
            40001 + p
        ));
    }
    s
}

/// Checks and compiles a policy text as `ddsr publish` does: every artifact plus the manifest;
/// on error the rendered diagnostics.
pub fn compile(text: &str) -> Result<Vec<ddsr_tables::back::Artifact>, String> {
    let mut sources = ddsr_diag::SourceMap::new();
    let (policy, diags) = ddsr_policy::check_source(&mut sources, "policy.yaml", text);
    let Some(policy) = policy else {
        return Err(ddsr_diag::render_text(&sources, &diags.into_vec(), false));
    };
    let out = ddsr_tables::compile::compile(&policy, &Default::default())
        .map_err(|d| ddsr_diag::render_text(&sources, &d, false))?;
    let mut artifacts = out.artifacts("");
    let m =
        ddsr_tables::back::manifest::manifest(&[("policy.yaml".into(), text.into())], &artifacts);
    artifacts.push(m);
    Ok(artifacts)
}

/// One host's artifacts out of a compiled set.
pub fn host_artifacts(
    set: &[ddsr_tables::back::Artifact],
    host: &str,
) -> ddsr_runtime::artifacts::HostArtifacts {
    ddsr_runtime::artifacts::HostArtifacts::from_files(|file| {
        set.iter()
            .find(|a| a.path == format!("{host}/{file}"))
            .map(|a| a.bytes.clone())
    })
    .unwrap()
}

/// An agent running in this process; dropping the handle (or [`Agent::kill`]) ends it the way
/// a killed process ends: wherever it is.
pub struct Agent {
    task: tokio::task::JoinHandle<()>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Agent {
    pub fn spawn(
        store: std::sync::Arc<dyn ddsr_runtime::store::Store>,
        host: &str,
        target: ddsr_runtime::target::Target,
        resync: Duration,
        batch_size: usize,
    ) -> Agent {
        use ddsr_runtime::agent::{self, Config};
        use ddsr_runtime::load::{LoadOptions, PushPipeline};
        let config = Config {
            host: host.into(),
            target,
            resync,
            load: LoadOptions {
                push_pipeline: PushPipeline::IfDifferent,
                dry_run: false,
                batch_size,
                progress: false,
            },
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(agent::run(
            store,
            config,
            async {
                let _ = stopped.await;
            },
            |_| {},
        ));
        Agent {
            task,
            stop: Some(stop),
        }
    }

    /// Asks the agent to stop, as SIGTERM does, and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("the agent stops within 10 s")
            .expect("the agent task ends cleanly");
    }

    pub async fn kill(mut self) {
        self.task.abort();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The status a host's agent last wrote, if any.
pub async fn status_of(
    store: &dyn ddsr_runtime::store::Store,
    host: &str,
) -> Option<ddsr_runtime::store::layout::Status> {
    let raw = store
        .get(&ddsr_runtime::store::layout::status_key(host))
        .await
        .ok()??;
    serde_json::from_slice(&raw).ok()
}
