//! `converge` against the softswitch's P4Runtime server on a loopback port, with the entries
//! the compiler makes for the example policies: from empty, a second run, a drifted device,
//! `dry_run`, a refused update in the middle of a batch, pipeline decisions, arbitration.

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ddsr_proto::P4RuntimeClient;
use ddsr_proto::p4::v1;
use ddsr_runtime::artifacts::HostArtifacts;
use ddsr_runtime::load::key::canonical_entry;
use ddsr_runtime::load::order::Tier;
use ddsr_runtime::load::{LoadError, LoadOptions, Op, PushPipeline, converge};
use ddsr_runtime::p4rt::P4rtError;
use ddsr_runtime::p4rt::schema::Schema;
use ddsr_runtime::target::Target;
use ddsr_softswitch_server::Service;
use prost::Message;
use tokio::sync::mpsc;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::UnboundedReceiverStream;
use v1::field_match::FieldMatchType as Fm;

/// A compiled policy: each host's name and artifacts.
type Hosts = Vec<(String, HostArtifacts)>;

/// Every host's artifacts of `policies/<name>`, compiled once per test binary.
fn compile(name: &'static str) -> Hosts {
    static DONE: Mutex<Vec<(&str, Hosts)>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, hosts)) = done.iter().find(|(n, _)| *n == name) {
        return hosts.clone();
    }
    let hosts = compile_now(name);
    done.push((name, hosts.clone()));
    hosts
}

/// Every host's artifacts of `policies/<name>`, compiled with the compile library.
fn compile_now(name: &str) -> Hosts {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../policies")
        .join(name);
    let mut sources = ddsr_diag::SourceMap::new();
    let (policy, diags) = ddsr_policy::check_file(&mut sources, &path);
    let policy = policy.unwrap_or_else(|| panic!("{name} checks: {diags:?}"));
    let out = ddsr_tables::compile::compile(&policy, &Default::default())
        .unwrap_or_else(|e| panic!("{name} compiles: {e:?}"));
    let artifacts = out.artifacts("");
    out.hosts
        .iter()
        .map(|h| {
            let host = h.plan.name.clone();
            let a = HostArtifacts::from_files(|file| {
                artifacts
                    .iter()
                    .find(|a| a.path == format!("{host}/{file}"))
                    .map(|a| a.bytes.clone())
            })
            .unwrap();
            (host, a)
        })
        .collect()
}

fn host(policy: &'static str, name: &str) -> HostArtifacts {
    compile(policy)
        .into_iter()
        .find(|(h, _)| h == name)
        .unwrap_or_else(|| panic!("{policy} has no host {name}"))
        .1
}

/// A fresh softswitch with no pipeline; its `HOST:PORT`.
async fn device() -> (Service, String) {
    let service = Service::new(1, None);
    let incoming =
        tonic::transport::server::TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = incoming.local_addr().unwrap();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service.server())
            .serve_with_incoming(incoming),
    );
    (service, address.to_string())
}

/// Election ids only grow on a device (the highest ever seen wins), so every client of a
/// test takes the next one.
static ELECTION: AtomicU64 = AtomicU64::new(1);

fn target(addr: &str) -> Target {
    let mut t: Target = format!("p4rt://{addr}").parse().unwrap();
    t.election_id = (0, ELECTION.fetch_add(1, Ordering::Relaxed));
    t
}

fn opts() -> LoadOptions {
    LoadOptions {
        push_pipeline: PushPipeline::IfDifferent,
        dry_run: false,
        batch_size: 1000,
        progress: false,
    }
}

/// Every entry the device holds, read with one all-tables wildcard (not the loader's
/// per-table reads), encoded and sorted: the server answers in canonical form.
async fn read_back(addr: &str) -> Vec<Vec<u8>> {
    let mut rpc = P4RuntimeClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let mut s = rpc
        .read(v1::ReadRequest {
            device_id: 1,
            entities: vec![v1::Entity {
                entity: Some(v1::entity::Entity::TableEntry(Default::default())),
            }],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while let Some(r) = s.next().await {
        for e in r.unwrap().entities {
            out.push(e.encode_to_vec());
        }
    }
    out.sort();
    out
}

/// The desired entries in canonical form, encoded as the server's read answers and sorted.
fn expected(a: &HostArtifacts) -> Vec<Vec<u8>> {
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

/// A raw primary client for changing a device behind the loader's back.
struct Raw {
    rpc: P4RuntimeClient<tonic::transport::Channel>,
    _stream: mpsc::UnboundedSender<v1::StreamMessageRequest>,
    _replies: tonic::Streaming<v1::StreamMessageResponse>,
    election: v1::Uint128,
}

impl Raw {
    async fn primary(addr: &str) -> Raw {
        let mut rpc = P4RuntimeClient::connect(format!("http://{addr}"))
            .await
            .unwrap();
        let election = ddsr_proto::uint128(u128::from(ELECTION.fetch_add(1, Ordering::Relaxed)));
        let (stream, rx) = mpsc::unbounded_channel();
        stream
            .send(v1::StreamMessageRequest {
                update: Some(v1::stream_message_request::Update::Arbitration(
                    v1::MasterArbitrationUpdate {
                        device_id: 1,
                        election_id: Some(election),
                        ..Default::default()
                    },
                )),
            })
            .unwrap();
        let mut replies = rpc
            .stream_channel(UnboundedReceiverStream::new(rx))
            .await
            .unwrap()
            .into_inner();
        let first = replies.next().await.unwrap().unwrap();
        let Some(v1::stream_message_response::Update::Arbitration(a)) = first.update else {
            panic!("expected an arbitration answer")
        };
        assert_eq!(a.status.unwrap().code, 0, "raw client is primary");
        Raw {
            rpc,
            _stream: stream,
            _replies: replies,
            election,
        }
    }

    async fn write(&mut self, updates: Vec<v1::Update>) {
        self.rpc
            .write(v1::WriteRequest {
                device_id: 1,
                election_id: Some(self.election),
                updates,
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

fn table_entries(a: &HostArtifacts) -> Vec<v1::TableEntry> {
    a.entries
        .iter()
        .map(|u| match u.entity.clone().unwrap().entity.unwrap() {
            v1::entity::Entity::TableEntry(e) => e,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn update(ty: v1::update::Type, e: v1::TableEntry) -> v1::Update {
    v1::Update {
        r#type: ty as i32,
        entity: Some(v1::Entity {
            entity: Some(v1::entity::Entity::TableEntry(e)),
        }),
    }
}

fn table_id(a: &HostArtifacts, name: &str) -> u32 {
    let schema = Schema::new(&a.p4info);
    *schema
        .table_ids
        .iter()
        .find(|id| schema.tables[id].name == name)
        .unwrap_or_else(|| panic!("no table {name}"))
}

/// Sets the last byte of an entry's first action parameter to `byte`.
fn with_param(mut e: v1::TableEntry, byte: u8) -> v1::TableEntry {
    let Some(v1::table_action::Type::Action(a)) = e.action.as_mut().and_then(|a| a.r#type.as_mut())
    else {
        panic!("entry without a direct action")
    };
    *a.params[0].value.last_mut().unwrap() = byte;
    e
}

/// Every host of both example policies: from an empty softswitch (pipeline pushed as P4
/// source), read back equal to the compiled entries; a second run writes nothing and does not
/// push the pipeline again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converges_every_host_from_empty_and_then_writes_nothing() {
    for policy in ["demo.yaml", "web.yaml"] {
        for (name, a) in compile(policy) {
            let (_service, addr) = device().await;
            let first = converge(&target(&addr), &a, &opts()).await.unwrap();
            assert!(first.pipeline_pushed, "{policy} {name}");
            assert_eq!(first.inserted, a.entries.len(), "{policy} {name}");
            assert_eq!((first.modified, first.deleted, first.unchanged), (0, 0, 0));
            assert_eq!(read_back(&addr).await, expected(&a), "{policy} {name}");

            let second = converge(&target(&addr), &a, &opts()).await.unwrap();
            assert!(!second.pipeline_pushed, "{policy} {name}");
            assert_eq!(
                (second.inserted, second.modified, second.deleted),
                (0, 0, 0),
                "{policy} {name}"
            );
            assert_eq!(second.unchanged, a.entries.len());
            assert!(second.diff.is_empty());
            assert_eq!(read_back(&addr).await, expected(&a), "{policy} {name}");
        }
    }
}

/// The order never black-holes: every bucket is written before the first VIP entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_are_written_before_vip_entries() {
    let a = host("demo.yaml", "in-1");
    let (_service, addr) = device().await;
    let s = converge(&target(&addr), &a, &opts()).await.unwrap();
    let last_bucket = s
        .diff
        .iter()
        .rposition(|c| c.table.starts_with("backends_"))
        .unwrap();
    let first_vip = s
        .diff
        .iter()
        .position(|c| c.table.starts_with("vip_"))
        .unwrap();
    assert!(last_bucket < first_vip, "{last_bucket} < {first_vip}");
    assert!(s.diff.iter().all(|c| c.op == Op::Insert));
    assert!(s.diff.windows(2).all(|w| w[0].tier <= w[1].tier));
    assert_eq!(s.diff.last().unwrap().tier, Tier::Entry);
}

/// A device with extra entries, missing entries and changed actions converges exactly; a dry
/// run before reports the same changes and leaves the device untouched; the deletes come
/// last, VIP entries first among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn converges_a_drifted_device_and_dry_run_changes_nothing() {
    let a = host("demo.yaml", "in-1");
    let (_service, addr) = device().await;
    converge(&target(&addr), &a, &opts()).await.unwrap();

    // Drift: delete 3 buckets and 1 VIP entry, change 2 buckets' backend, add 1 VIP entry.
    let entries = table_entries(&a);
    let backends = table_id(&a, "backends_v4");
    let vips = table_id(&a, "vip_v4");
    let buckets: Vec<_> = entries.iter().filter(|e| e.table_id == backends).collect();
    let vip = entries.iter().find(|e| e.table_id == vips).unwrap();
    let mut extra_vip = vip.clone();
    let Some(Fm::Exact(x)) = extra_vip.r#match[0].field_match_type.as_mut() else {
        panic!("vip_v4's first key is exact")
    };
    x.value = vec![198, 18, 0, 99];
    use v1::update::Type::{Delete, Insert, Modify};
    let mut raw = Raw::primary(&addr).await;
    raw.write(vec![
        update(Delete, buckets[0].clone()),
        update(Delete, buckets[10].clone()),
        update(Delete, buckets[11].clone()),
        update(Delete, vip.clone()),
        update(Modify, with_param(buckets[20].clone(), 0x7f)),
        update(Modify, with_param(buckets[21].clone(), 0x7e)),
        update(Insert, extra_vip),
    ])
    .await;
    drop(raw);
    let drifted = read_back(&addr).await;
    assert_ne!(drifted, expected(&a));

    let dry = LoadOptions {
        dry_run: true,
        ..opts()
    };
    let plan = converge(&target(&addr), &a, &dry).await.unwrap();
    assert_eq!(
        (plan.inserted, plan.modified, plan.deleted, plan.unchanged),
        (4, 2, 1, a.entries.len() - 6)
    );
    assert!(!plan.pipeline_pushed);
    assert_eq!(read_back(&addr).await, drifted, "a dry run writes nothing");
    let last = plan.diff.last().unwrap();
    assert_eq!((last.op, last.table.as_str()), (Op::Delete, "vip_v4"));
    let inserted_vip = plan
        .diff
        .iter()
        .position(|c| c.op == Op::Insert && c.table == "vip_v4")
        .unwrap();
    assert!(
        plan.diff[..inserted_vip]
            .iter()
            .filter(|c| c.table == "backends_v4")
            .count()
            == 5
    );

    let done = converge(&target(&addr), &a, &opts()).await.unwrap();
    assert_eq!(
        (done.inserted, done.modified, done.deleted),
        (plan.inserted, plan.modified, plan.deleted)
    );
    assert_eq!(read_back(&addr).await, expected(&a));
    let again = converge(&target(&addr), &a, &opts()).await.unwrap();
    assert_eq!(again.writes(), 0);
}

/// A refused update in the middle of a batch: the batch is rolled back (the device reads back
/// as before) and the error names the table, the entry and the device's code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_update_rolls_the_batch_back_and_names_the_entry() {
    let a = host("demo.yaml", "in-1");
    let (_service, addr) = device().await;
    converge(&target(&addr), &a, &opts()).await.unwrap();
    let before = read_back(&addr).await;

    // New backends for 100 buckets, one of them with a backend id wider than its 16 bits.
    let backends = table_id(&a, "backends_v4");
    let mut bad = a.clone();
    let mut seen = 0;
    for u in &mut bad.entries {
        let Some(v1::entity::Entity::TableEntry(e)) =
            u.entity.as_mut().and_then(|e| e.entity.as_mut())
        else {
            continue;
        };
        if e.table_id != backends || seen >= 100 {
            continue;
        }
        *e = with_param(e.clone(), 0x55);
        if seen == 50 {
            let Some(v1::table_action::Type::Action(x)) =
                e.action.as_mut().and_then(|a| a.r#type.as_mut())
            else {
                unreachable!()
            };
            x.params[0].value = vec![1, 0, 0];
        }
        seen += 1;
    }
    let err = converge(&target(&addr), &bad, &opts()).await.unwrap_err();
    let LoadError::Write {
        batch,
        applied,
        failures,
        ..
    } = &err
    else {
        panic!("expected a write error, found {err}")
    };
    assert_eq!((*batch, *applied), (1, 0));
    assert_eq!(failures.len(), 1, "{failures:?}");
    let f = &failures[0];
    assert_eq!(
        (f.op, f.table.as_str(), f.code.as_str()),
        (Op::Modify, "backends_v4", "INVALID_ARGUMENT")
    );
    assert!(f.entry.starts_with("backends_v4 {"), "{}", f.entry);
    assert!(f.entry.contains("-> to_backend_v4("), "{}", f.entry);
    assert!(f.entry.contains("=0x010000"), "{}", f.entry);
    let text = err.to_string();
    assert!(
        text.starts_with("write 1 failed: modify of `backends_v4 {"),
        "{text}"
    );
    assert!(text.contains("INVALID_ARGUMENT"), "{text}");
    assert_eq!(read_back(&addr).await, before, "the batch was rolled back");
}

/// The pipeline: `Never` refuses a device without one and a device running another program;
/// `IfDifferent` pushes when the artifacts' cookie changes; `Always` pushes and reloads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_push_decisions() {
    let ingress = host("demo.yaml", "in-1");
    let server = host("demo.yaml", "srv-1");
    let (_service, addr) = device().await;
    let never = LoadOptions {
        push_pipeline: PushPipeline::Never,
        ..opts()
    };
    let err = converge(&target(&addr), &server, &never).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("p4rt://{addr} has no forwarding pipeline; push one (--push-pipeline)")
    );
    converge(&target(&addr), &server, &opts()).await.unwrap();
    let err = converge(&target(&addr), &ingress, &never)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, LoadError::OtherProgram { table, .. } if table == "backends_v4"),
        "{err}"
    );
    // Another program: IfDifferent pushes it and loads everything.
    let s = converge(&target(&addr), &ingress, &opts()).await.unwrap();
    assert!(s.pipeline_pushed);
    assert!(
        !s.pipeline_reconciled,
        "srv-1's entries do not fit in-1's program"
    );
    assert_eq!(s.inserted, ingress.entries.len());
    assert_eq!(read_back(&addr).await, expected(&ingress));
    // The same program in other bytes (another cookie): reconciled, every entry kept.
    let mut respelled = ingress.clone();
    respelled.device_config.as_mut().unwrap().push(b'\n');
    assert_ne!(respelled.cookie(), ingress.cookie());
    let s = converge(&target(&addr), &respelled, &opts()).await.unwrap();
    assert_eq!(
        (s.pipeline_pushed, s.pipeline_reconciled, s.writes()),
        (true, true, 0)
    );
    assert_eq!(s.unchanged, ingress.entries.len());
    assert_eq!(read_back(&addr).await, expected(&ingress));
    let s = converge(&target(&addr), &ingress, &never).await.unwrap();
    assert_eq!((s.pipeline_pushed, s.writes()), (false, 0));
    let always = LoadOptions {
        push_pipeline: PushPipeline::Always,
        ..opts()
    };
    let s = converge(&target(&addr), &ingress, &always).await.unwrap();
    assert_eq!(
        (s.pipeline_pushed, s.pipeline_reconciled, s.inserted),
        (true, false, ingress.entries.len())
    );
    assert_eq!(read_back(&addr).await, expected(&ingress));
    let mut no_config = ingress.clone();
    no_config.device_config = None;
    let err = converge(&target(&addr), &no_config, &always)
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::NoDeviceConfig), "{err}");
}

/// The compiler sizes tables to what they hold: moving both IPv4 VIPs to new addresses needs
/// 4 entries in `vip_v4` (size 3) if inserts went first, so that table's deletes go first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_without_room_deletes_first() {
    let a = host("demo.yaml", "in-1");
    let (_service, addr) = device().await;
    converge(&target(&addr), &a, &opts()).await.unwrap();
    let vips = table_id(&a, "vip_v4");
    let schema = Schema::new(&a.p4info);
    assert_eq!(schema.tables[&vips].size, 3);
    let mut moved = a.clone();
    let mut n = 0;
    for u in &mut moved.entries {
        let Some(v1::entity::Entity::TableEntry(e)) =
            u.entity.as_mut().and_then(|e| e.entity.as_mut())
        else {
            continue;
        };
        if e.table_id != vips {
            continue;
        }
        let Some(Fm::Exact(x)) = e.r#match[0].field_match_type.as_mut() else {
            panic!("vip_v4's first key is exact")
        };
        n += 1;
        x.value = vec![198, 18, 1, n];
    }
    assert_eq!(n, 2);
    let s = converge(&target(&addr), &moved, &opts()).await.unwrap();
    assert_eq!((s.inserted, s.modified, s.deleted), (2, 0, 2));
    let ops: Vec<(Op, bool)> = s.diff.iter().map(|c| (c.op, c.early)).collect();
    assert_eq!(
        ops,
        [
            (Op::Delete, true),
            (Op::Delete, true),
            (Op::Insert, false),
            (Op::Insert, false)
        ]
    );
    assert_eq!(read_back(&addr).await, expected(&moved));
}

/// Another client is primary with a higher election id: the load fails before writing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_client_writes_nothing() {
    let a = host("demo.yaml", "srv-1");
    let (_service, addr) = device().await;
    converge(&target(&addr), &a, &opts()).await.unwrap();
    let low = target(&addr);
    let _primary = Raw::primary(&addr).await;
    let mut changed = a.clone();
    changed.entries.truncate(2);
    let err = converge(&low, &changed, &opts()).await.unwrap_err();
    assert!(
        matches!(&err, LoadError::P4rt(e) if matches!(&**e, P4rtError::NotPrimary { code, .. } if code == "ALREADY_EXISTS")),
        "{err}"
    );
    let primary = low.election() + 1;
    assert_eq!(
        err.to_string(),
        format!(
            "not primary on p4rt://{addr} with election id {} (the device answers with {primary}): ALREADY_EXISTS: {}",
            low.election(),
            "another client is the primary"
        )
    );
    assert_eq!(read_back(&addr).await, expected(&a));
}

/// Nobody listens: the error names the target.
#[tokio::test]
async fn an_unreachable_target_is_named() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    drop(listener);
    let a = host("demo.yaml", "srv-1");
    let err = converge(&target(&addr), &a, &opts()).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot connect to p4rt://{addr}: ")),
        "{err}"
    );
}
