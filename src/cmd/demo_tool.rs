//! `ddsr demo-tool`: the small programs `ddsr demo` and the end-to-end test run inside the
//! demo's namespaces. Hidden from `--help`: they are parts of the demo, not user commands.
//!
//! Every client prints one JSON object per line on stdout, so callers read measurements, not
//! prose. The servers are deliberately plain: the HTTP server is Python's unmodified
//! `http.server`; the UDP echo service below only answers with its name and the request.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use ddsr_proto::P4RuntimeClient;
use ddsr_proto::p4::v1;
use serde_json::{Value, json};

/// Helpers that run inside the demo's namespaces.
#[derive(Args)]
pub struct DemoTool {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand)]
enum Sub {
    Http(HttpArgs),
    Hold(HoldArgs),
    Udp(UdpArgs),
    UdpEcho(UdpEchoArgs),
    Counter(CounterArgs),
}

/// Open COUNT new TCP connections to ADDR, one HTTP/1.0 request each; print one JSON summary.
#[derive(Args)]
struct HttpArgs {
    /// The VIP and port, e.g. `192.0.2.80:80` or `[2001:db8:80::80]:80`.
    addr: SocketAddr,
    #[arg(long, default_value_t = 100)]
    count: usize,
    /// Connections in flight at once.
    #[arg(long, default_value_t = 8)]
    parallel: usize,
    /// Per-connection limit for connecting and for each read or write, in milliseconds (long
    /// enough for two SYN retransmissions when a listen queue overflows).
    #[arg(long, default_value_t = 10000)]
    timeout_ms: u64,
    #[arg(long, default_value = "/host.txt")]
    path: String,
}

/// Open COUNT keep-alive connections, ask each which backend serves it, and again for every
/// line read on stdin; one JSON line per round. Ends at end of input.
#[derive(Args)]
struct HoldArgs {
    addr: SocketAddr,
    #[arg(long, default_value_t = 20)]
    count: usize,
    #[arg(long, default_value_t = 3000)]
    timeout_ms: u64,
    #[arg(long, default_value = "/host.txt")]
    path: String,
}

/// Send COUNT datagrams to ADDR, each from a new socket (a new source port), and count the
/// answers by the name they carry.
#[derive(Args)]
struct UdpArgs {
    addr: SocketAddr,
    #[arg(long, default_value_t = 20)]
    count: usize,
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
}

/// Answer every datagram on BIND with `NAME PAYLOAD`.
#[derive(Args)]
struct UdpEchoArgs {
    bind: SocketAddr,
    #[arg(long)]
    name: String,
}

/// Read one cell of an indexed counter over P4Runtime (by the counter's P4Info name).
#[derive(Args)]
struct CounterArgs {
    /// The device's gRPC address.
    #[arg(long, default_value = "127.0.0.1:9559")]
    grpc: SocketAddr,
    #[arg(long, default_value_t = 1)]
    device_id: u64,
    /// Counter name, e.g. `acl_packets`.
    name: String,
    index: i64,
}

pub fn run(a: DemoTool) -> ExitCode {
    match try_run(&a) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_run(a: &DemoTool) -> Result<ExitCode> {
    match &a.command {
        Sub::Http(a) => http(a),
        Sub::Hold(a) => hold(a),
        Sub::Udp(a) => udp(a),
        Sub::UdpEcho(a) => udp_echo(a),
        Sub::Counter(a) => counter(a),
    }
    .map(|()| ExitCode::SUCCESS)
}

/// One HTTP exchange on a fresh connection: which backend answered, and the socket's view.
struct Exchange {
    backend: String,
    peer: SocketAddr,
    local: SocketAddr,
    micros: u64,
}

fn request(stream: &mut TcpStream, path: &str, version: &str) -> Result<()> {
    // One write, so the request leaves as one segment.
    let req = format!("GET {path} {version}\r\nHost: ddsr-demo\r\n\r\n");
    stream.write_all(req.as_bytes()).context("sending request")
}

/// Reads one response; with HTTP/1.1 keep-alive the body ends at `Content-Length`, with 1.0 at
/// end of stream. Returns the body (the backend's name) trimmed.
fn response(r: &mut BufReader<TcpStream>) -> Result<String> {
    let mut status = String::new();
    r.read_line(&mut status).context("reading status line")?;
    if !status.starts_with("HTTP/1.") || status.split_whitespace().nth(1) != Some("200") {
        bail!("unexpected status line {:?}", status.trim_end());
    }
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).context("reading headers")? == 0 {
            bail!("connection closed inside the headers");
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = Some(v.trim().parse::<usize>().context("bad Content-Length")?);
        }
    }
    let mut body = Vec::new();
    match length {
        Some(n) => {
            body.resize(n, 0);
            r.read_exact(&mut body).context("reading body")?;
        }
        None => {
            r.read_to_end(&mut body).context("reading body")?;
        }
    }
    Ok(String::from_utf8_lossy(&body).trim().to_owned())
}

fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream> {
    let s = TcpStream::connect_timeout(&addr, timeout).context("connecting")?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.set_nodelay(true)?;
    Ok(s)
}

fn one_exchange(addr: SocketAddr, path: &str, timeout: Duration) -> Result<Exchange> {
    let start = Instant::now();
    let mut s = connect(addr, timeout)?;
    let peer = s.peer_addr()?;
    let local = s.local_addr()?;
    request(&mut s, path, "HTTP/1.0")?;
    let backend = response(&mut BufReader::new(s))?;
    Ok(Exchange {
        backend,
        peer,
        local,
        micros: u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX),
    })
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn http(a: &HttpArgs) -> Result<()> {
    let timeout = Duration::from_millis(a.timeout_ms);
    let next = Arc::new(Mutex::new(0usize));
    let results = Arc::new(Mutex::new(Vec::with_capacity(a.count)));
    let started = Instant::now();
    let workers: Vec<_> = (0..a.parallel.clamp(1, 256))
        .map(|_| {
            let (next, results, path, count) =
                (next.clone(), results.clone(), a.path.clone(), a.count);
            let addr = a.addr;
            thread::spawn(move || {
                loop {
                    {
                        let mut n = next.lock().expect("counter lock");
                        if *n >= count {
                            break;
                        }
                        *n += 1;
                    }
                    let r = one_exchange(addr, &path, timeout);
                    results.lock().expect("results lock").push(r);
                }
            })
        })
        .collect();
    for w in workers {
        w.join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let results = std::mem::take(&mut *results.lock().expect("results lock"));
    let mut backends = BTreeMap::<String, usize>::new();
    let mut peers = BTreeMap::<String, usize>::new();
    let mut errors = BTreeMap::<String, usize>::new();
    let mut latencies = Vec::new();
    let mut local_ports = Vec::new();
    for r in results {
        match r {
            Ok(x) => {
                *backends.entry(x.backend).or_default() += 1;
                *peers.entry(x.peer.to_string()).or_default() += 1;
                latencies.push(x.micros);
                local_ports.push(x.local.port());
            }
            Err(e) => *errors.entry(format!("{e:#}")).or_default() += 1,
        }
    }
    latencies.sort_unstable();
    local_ports.sort_unstable();
    local_ports.dedup();
    let ok = latencies.len();
    println!(
        "{}",
        json!({
            "requested": a.count,
            "ok": ok,
            "failed": a.count - ok,
            "seconds": seconds,
            "backends": backends,
            "peers": peers,
            "errors": errors,
            "distinct_local_ports": local_ports.len(),
            "latency_us": {
                "p50": percentile(&latencies, 50.0),
                "p90": percentile(&latencies, 90.0),
                "p99": percentile(&latencies, 99.0),
                "max": latencies.last().copied().unwrap_or(0),
            },
        })
    );
    Ok(())
}

fn hold(a: &HoldArgs) -> Result<()> {
    let timeout = Duration::from_millis(a.timeout_ms);
    let mut conns: Vec<Option<(TcpStream, BufReader<TcpStream>)>> = Vec::new();
    let mut first = Vec::new();
    for _ in 0..a.count {
        let c = connect(a.addr, timeout).and_then(|s| {
            let r = BufReader::new(s.try_clone()?);
            Ok((s, r))
        });
        match c {
            Ok(c) => conns.push(Some(c)),
            Err(e) => {
                conns.push(None);
                first.push(json!({"error": format!("{e:#}")}));
            }
        }
    }
    let round = |conns: &mut Vec<Option<(TcpStream, BufReader<TcpStream>)>>| -> Vec<Value> {
        conns
            .iter_mut()
            .map(|slot| {
                let Some((s, r)) = slot else {
                    return json!({"error": "not connected"});
                };
                let local = s.local_addr().map(|a| a.port()).unwrap_or(0);
                let res = request(s, &a.path, "HTTP/1.1").and_then(|()| response(r));
                match res {
                    Ok(backend) => json!({"local_port": local, "backend": backend}),
                    Err(e) => {
                        *slot = None;
                        json!({"local_port": local, "error": format!("{e:#}")})
                    }
                }
            })
            .collect()
    };
    let out = if first.is_empty() {
        round(&mut conns)
    } else {
        first
    };
    println!("{}", json!({ "round": 0, "connections": out }));
    std::io::stdout().flush()?;
    let stdin = std::io::stdin();
    for (n, line) in stdin.lock().lines().enumerate() {
        line.context("reading stdin")?;
        let out = round(&mut conns);
        println!("{}", json!({ "round": n + 1, "connections": out }));
        std::io::stdout().flush()?;
    }
    Ok(())
}

fn udp(a: &UdpArgs) -> Result<()> {
    let timeout = Duration::from_millis(a.timeout_ms);
    let mut backends = BTreeMap::<String, usize>::new();
    let mut peers = BTreeMap::<String, usize>::new();
    let mut failed = 0usize;
    let any: SocketAddr = if a.addr.is_ipv4() {
        "0.0.0.0:0".parse()?
    } else {
        "[::]:0".parse()?
    };
    for i in 0..a.count {
        let s = UdpSocket::bind(any).context("binding a UDP socket")?;
        s.set_read_timeout(Some(timeout))?;
        let payload = format!("ping-{i}");
        s.send_to(payload.as_bytes(), a.addr).context("sending")?;
        let mut buf = [0u8; 1500];
        match s.recv_from(&mut buf) {
            Ok((n, from)) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                match text.split_once(' ') {
                    Some((name, echoed)) if echoed == payload => {
                        *backends.entry(name.to_owned()).or_default() += 1;
                        *peers.entry(from.to_string()).or_default() += 1;
                    }
                    _ => failed += 1,
                }
            }
            Err(_) => failed += 1,
        }
    }
    println!(
        "{}",
        json!({"requested": a.count, "ok": a.count - failed, "failed": failed,
               "backends": backends, "peers": peers})
    );
    Ok(())
}

fn udp_echo(a: &UdpEchoArgs) -> Result<()> {
    let s = UdpSocket::bind(a.bind).with_context(|| format!("binding {}", a.bind))?;
    eprintln!("udp echo listening on {}", a.bind);
    let mut buf = [0u8; 1500];
    loop {
        let (n, from) = s.recv_from(&mut buf).context("receiving")?;
        let mut reply = Vec::with_capacity(a.name.len() + 1 + n);
        reply.extend_from_slice(a.name.as_bytes());
        reply.push(b' ');
        reply.extend_from_slice(&buf[..n]);
        s.send_to(&reply, from).context("answering")?;
    }
}

fn counter(a: &CounterArgs) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let v = rt.block_on(async {
        let mut c = tokio::time::timeout(
            Duration::from_secs(10),
            P4RuntimeClient::connect(format!("http://{}", a.grpc)),
        )
        .await
        .context("connecting: timed out")?
        .with_context(|| format!("connecting to {}", a.grpc))?;
        let cfg = c
            .get_forwarding_pipeline_config(v1::GetForwardingPipelineConfigRequest {
                device_id: a.device_id,
                response_type:
                    v1::get_forwarding_pipeline_config_request::ResponseType::P4infoAndCookie
                        as i32,
            })
            .await
            .context("reading the pipeline config")?
            .into_inner();
        let info = cfg
            .config
            .and_then(|c| c.p4info)
            .context("the device has no pipeline")?;
        let wanted = a.name.trim_start_matches('.');
        let id = info
            .counters
            .iter()
            .filter_map(|c| c.preamble.as_ref())
            .find(|p| {
                let n = p.name.trim_start_matches('.');
                n == wanted || n.rsplit('.').next() == Some(wanted)
            })
            .map(|p| p.id)
            .with_context(|| format!("the device's P4Info has no counter `{}`", a.name))?;
        let mut stream = c
            .read(v1::ReadRequest {
                device_id: a.device_id,
                entities: vec![v1::Entity {
                    entity: Some(v1::entity::Entity::CounterEntry(v1::CounterEntry {
                        counter_id: id,
                        index: Some(v1::Index { index: a.index }),
                        data: None,
                    })),
                }],
                ..Default::default()
            })
            .await
            .context("reading the counter")?
            .into_inner();
        let mut data = None;
        while let Some(resp) = stream.message().await.context("reading the counter")? {
            for e in resp.entities {
                if let Some(v1::entity::Entity::CounterEntry(ce)) = e.entity {
                    data = ce.data;
                }
            }
        }
        let d = data.context("the device returned no counter data")?;
        anyhow::Ok(json!({"counter": a.name, "index": a.index,
                          "packets": d.packet_count, "bytes": d.byte_count}))
    })?;
    println!("{v}");
    Ok(())
}
