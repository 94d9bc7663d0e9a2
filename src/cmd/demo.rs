//! `ddsr demo`: the whole request path on real kernels. Builds the topology of `docs/demo.md` in
//! network namespaces (clients, ingress host, egress host, servers behind softswitch SmartNICs),
//! configures every softswitch from the policy, starts unmodified applications bound to the
//! VIPs, sends traffic and reports what happened. Everything it made is removed on exit and on
//! Ctrl-C, unless `--keep`.

use std::collections::BTreeMap;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use ddsr_diag::SourceMap;
use ddsr_netns::{Lab, Ns, is_root, remove_stale};
use ddsr_policy::ir::{Policy, Role, Transport};
use serde_json::{Value, json};

/// Run the distributed-DSR demo in network namespaces (needs root).
///
/// Builds clients, an ingress host, an egress host and servers behind softswitch SmartNICs,
/// configures the softswitches from the policy, runs HTTP and UDP traffic through them and
/// prints requests, the split over backends, ACL drops and latency percentiles. Topology and
/// addresses: docs/demo.md.
#[derive(Args)]
pub struct Demo {
    /// The policy; its hosts must have the shape of policies/demo.yaml (one ingress host, one
    /// egress host, servers, every host with a MAC address).
    #[arg(long, default_value = "policies/demo.yaml")]
    policy: PathBuf,
    /// Leave everything running and print how to use and remove it.
    #[arg(long)]
    keep: bool,
    /// How tables reach the softswitches: `agents` publishes to the store and runs one agent per
    /// host; `load` compiles and runs `ddsr load` once per host.
    #[arg(long, value_enum, default_value_t = Provision::Agents)]
    provision: Provision,
    /// Configuration store for `--provision agents` (default: `dir:` in the work directory).
    #[arg(long, value_name = "URL")]
    store: Option<String>,
    /// New HTTP connections from the allowed client to the IPv4 HTTP VIP (0: no traffic).
    #[arg(long, default_value_t = 1000)]
    connections: usize,
    /// Namespaces are named `ddsr-<AREA>-<pid>-<name>`.
    #[arg(long, default_value = "demo", hide = true)]
    area: String,
    /// Write a JSON description of the running topology (namespaces, directories) to FILE.
    #[arg(long, value_name = "FILE", hide = true)]
    describe: Option<PathBuf>,
    /// Remove what earlier `--keep` runs left behind (namespaces and their processes) and exit.
    #[arg(long)]
    clean: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Provision {
    Agents,
    Load,
}

/// The softswitch's gRPC address inside each switch namespace: every namespace has its own
/// loopback, so all of them use the same one.
const GRPC: &str = "127.0.0.1:9559";

/// The clients are not hosts of the policy: their addresses are fixed here and documented in
/// docs/demo.md (the policy's ACL and egress routes name them).
struct Client {
    short: &'static str,
    mac: &'static str,
    v4: &'static str,
    gw4: &'static str,
    v6: Option<(&'static str, &'static str)>,
}

const CLIENTS: [Client; 2] = [
    Client {
        short: "c-ok",
        mac: "02:00:00:00:0c:01",
        v4: "198.51.100.10/24",
        gw4: "198.51.100.1",
        v6: Some(("2001:db8:c::10/64", "2001:db8:c::1")),
    },
    Client {
        short: "c-deny",
        mac: "02:00:00:00:0c:02",
        v4: "203.0.113.10/24",
        gw4: "203.0.113.1",
        v6: None,
    },
];

/// The servers' default gateways: addresses nobody owns, whose static neighbour entries carry
/// the egress host's MAC, so every response frame goes to the egress host.
const SERVER_GW4: &str = "10.0.1.1";
const SERVER_GW6: &str = "fd00:1::1";

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn check_interrupt() -> Result<()> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        bail!("interrupted");
    }
    Ok(())
}

/// Ctrl-C and SIGTERM set a flag that the demo checks between steps, so that it unwinds through
/// the lab's cleanup instead of dying with namespaces left behind.
fn watch_signals() {
    thread::spawn(|| {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        });
        eprintln!("interrupted: cleaning up");
        INTERRUPTED.store(true, Ordering::SeqCst);
    });
}

/// The hosts of the policy, by role.
struct Hosts {
    ingress: Host,
    egress: Host,
    servers: Vec<Host>,
}

struct Host {
    name: String,
    mac: String,
    v4: Option<IpAddr>,
    v6: Option<IpAddr>,
}

fn hosts(p: &Policy) -> Result<Hosts> {
    let mut ingress = Vec::new();
    let mut egress = Vec::new();
    let mut servers = Vec::new();
    for (_, h) in p.hosts.iter() {
        let Some(mac) = h.mac else {
            bail!(
                "host `{}` has no `mac`: the demo needs every host's MAC address",
                h.name
            );
        };
        if h.name.len() > 11
            || !h
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            bail!(
                "host name `{}`: the demo needs at most 11 characters of [a-z0-9-] (it names interfaces after hosts)",
                h.name
            );
        }
        let host = Host {
            name: h.name.clone(),
            mac: mac.to_string(),
            v4: h.ipv4.map(IpAddr::V4),
            v6: h.ipv6.map(IpAddr::V6),
        };
        match h.role {
            Role::Ingress => ingress.push(host),
            Role::Egress => egress.push(host),
            Role::Server => servers.push(host),
        }
    }
    if ingress.len() != 1 || egress.len() != 1 || servers.is_empty() {
        bail!(
            "the demo needs exactly one ingress host, one egress host and at least one server (found {}, {}, {})",
            ingress.len(),
            egress.len(),
            servers.len()
        );
    }
    Ok(Hosts {
        ingress: ingress.remove(0),
        egress: egress.remove(0),
        servers,
    })
}

/// Everything that runs: the lab plus where things are.
struct Running {
    lab: Lab,
    dir: PathBuf,
    exe: PathBuf,
    /// Namespace of each policy host's switch (the server's NIC for servers), of each server's
    /// own stack, and of each client, by short name.
    ns: BTreeMap<String, Ns>,
}

impl Running {
    fn ns(&self, short: &str) -> &Ns {
        &self.ns[short]
    }

    /// Runs `ddsr ARGS` inside a namespace and returns its stdout.
    fn ddsr_in(&self, ns: &str, args: &[&str], timeout: Duration) -> Result<String> {
        let exe = self.exe.to_string_lossy().into_owned();
        let mut argv = vec![exe.as_str()];
        argv.extend_from_slice(args);
        Ok(self.lab.exec(self.ns(ns), &argv, timeout)?)
    }

    fn json_in(&self, ns: &str, args: &[&str], timeout: Duration) -> Result<Value> {
        let out = self.ddsr_in(ns, args, timeout)?;
        serde_json::from_str(out.trim())
            .with_context(|| format!("reading the output of `ddsr {}`: {out}", args.join(" ")))
    }
}

fn ddsr(exe: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(exe)
        .args(args)
        .output()
        .with_context(|| format!("running ddsr {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "`ddsr {}` failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn run(a: Demo) -> ExitCode {
    match try_run(&a) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn try_run(a: &Demo) -> Result<ExitCode> {
    if a.clean {
        let prefix = format!("ddsr-{}-", a.area);
        let removed = remove_stale(&prefix)?;
        println!(
            "removed {} namespaces starting with {prefix}",
            removed.len()
        );
        // Work directories (logs, artifacts, store) of kept runs: `ddsr-<area>-<pid>`.
        for e in fs::read_dir(std::env::temp_dir())?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix(&prefix).unwrap_or_default();
            if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                fs::remove_dir_all(e.path())
                    .with_context(|| format!("removing {}", e.path().display()))?;
                println!("removed {}", e.path().display());
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !is_root() {
        bail!("ddsr demo needs root: it creates network namespaces");
    }
    watch_signals();
    let exe = std::env::current_exe().context("finding the ddsr executable")?;
    let dir = std::env::temp_dir().join(format!("ddsr-{}-{}", a.area, std::process::id()));
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let result = demo(a, &exe, &dir);
    match result {
        Ok(mut r) if a.keep => {
            r.lab.keep();
            print_keep(a, &r);
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => {
            drop(r);
            let _ = fs::remove_dir_all(&dir);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) if INTERRUPTED.load(Ordering::SeqCst) => {
            let _ = fs::remove_dir_all(&dir);
            Err(e)
        }
        Err(e) => {
            // The lab inside the failed run has already been dropped and removed; the work
            // directory keeps the logs that explain the failure.
            eprintln!("logs: {}", dir.display());
            Err(e)
        }
    }
}

fn demo(a: &Demo, exe: &Path, dir: &Path) -> Result<Running> {
    let out = dir.join("out");
    let policy = a.policy.to_string_lossy().into_owned();
    eprintln!("compiling {policy}");
    ddsr(exe, &["compile", &policy, "-o", &out.to_string_lossy()])?;
    let mut sources = SourceMap::new();
    let (ir, _) = ddsr_policy::check_file(&mut sources, &a.policy);
    let ir = ir.context("the policy compiled but does not check")?;
    let hosts = hosts(&ir)?;

    let lab = Lab::new(&a.area, &dir.join("logs"))?;
    let mut r = Running {
        lab,
        dir: dir.to_owned(),
        exe: exe.to_owned(),
        ns: BTreeMap::new(),
    };
    eprintln!("building the topology ({}*)", r.lab.prefix());
    topology(&mut r, &hosts, &ir)?;
    check_interrupt()?;

    eprintln!("starting softswitches");
    start_switches(&mut r, &hosts, &out)?;
    check_interrupt()?;
    let store = a
        .store
        .clone()
        .unwrap_or_else(|| format!("dir:{}", dir.join("store").display()));
    match a.provision {
        Provision::Load => {
            eprintln!("loading tables with ddsr load");
            load_all(&r, &hosts, &out)?;
        }
        Provision::Agents => {
            eprintln!("publishing to {store} and starting agents");
            ddsr(exe, &["publish", &policy, "--store", &store])?;
            start_agents(&mut r, &hosts, &store)?;
            wait_converged(
                exe,
                &store,
                2 + hosts.servers.len(),
                Duration::from_secs(60),
            )?;
        }
    }
    check_interrupt()?;
    eprintln!("starting applications");
    start_apps(&mut r, &hosts, &ir)?;
    check_interrupt()?;
    if let Some(path) = &a.describe {
        let d = describe(&r, &out, &store, a.provision);
        fs::write(path, serde_json::to_string_pretty(&d)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if a.connections > 0 {
        traffic(&r, a, &hosts, &ir, &out)?;
    }
    Ok(r)
}

fn topology(r: &mut Running, h: &Hosts, ir: &Policy) -> Result<()> {
    let lab = &mut r.lab;
    let lan = lab.ns("lan")?;
    let mut fab_ports = Vec::new();
    let mut cli_ports = Vec::new();
    let mut fdb = Vec::new();
    // Ingress and egress hosts: port 1 to the fabric, port 2 to the client LAN.
    for host in [&h.ingress, &h.egress] {
        let ns = lab.ns(&host.name)?;
        let (f, c) = (format!("f-{}", host.name), format!("c-{}", host.name));
        lab.veth((&ns, "fab"), (&lan, &f), false)?;
        lab.veth((&ns, "cli"), (&lan, &c), false)?;
        for i in ["fab", "cli"] {
            offloads_off(lab, &ns, i)?;
            lab.up(&ns, i)?;
        }
        fdb.push(("fab", host.mac.clone(), f.clone()));
        fdb.push(("cli", host.mac.clone(), c.clone()));
        fab_ports.push(f);
        cli_ports.push(c);
        r.ns.insert(host.name.clone(), ns);
    }
    // Servers: the NIC namespace has port 0 to the fabric and port 1 to the server's own stack.
    for s in &h.servers {
        let nic = lab.ns(&format!("{}-nic", s.name))?;
        let srv = lab.ns(&s.name)?;
        let f = format!("f-{}", s.name);
        lab.veth((&nic, "fab"), (&lan, &f), false)?;
        lab.veth((&nic, "host"), (&srv, "eth0"), false)?;
        for i in ["fab", "host"] {
            offloads_off(lab, &nic, i)?;
            lab.up(&nic, i)?;
        }
        lab.sysctl(&srv, "net.ipv6.conf.eth0.disable_ipv6", "0")?;
        lab.mac(&srv, "eth0", &s.mac)?;
        offloads_off(lab, &srv, "eth0")?;
        for key in ["all", "eth0"] {
            // The VIP lives on loopback; the server must never claim it on the wire.
            lab.sysctl(&srv, &format!("net.ipv4.conf.{key}.arp_ignore"), "1")?;
            lab.sysctl(&srv, &format!("net.ipv4.conf.{key}.arp_announce"), "2")?;
            // Requests arrive with the client's address as source on a link with no route
            // back to it other than the default; keep strict reverse-path checks out of it.
            lab.sysctl(&srv, &format!("net.ipv4.conf.{key}.rp_filter"), "0")?;
        }
        lab.up(&srv, "eth0")?;
        if let Some(v4) = s.v4 {
            lab.addr(&srv, "eth0", &format!("{v4}/24"))?;
            lab.neigh(&srv, SERVER_GW4, &h.egress.mac, "eth0")?;
            lab.route(&srv, "default", SERVER_GW4, "eth0")?;
        }
        if let Some(v6) = s.v6 {
            lab.addr(&srv, "eth0", &format!("{v6}/64"))?;
            lab.neigh(&srv, SERVER_GW6, &h.egress.mac, "eth0")?;
            lab.route(&srv, "default", SERVER_GW6, "eth0")?;
        }
        for (_, v) in ir.vips.iter() {
            let len = if v.address.is_ipv4() { 32 } else { 128 };
            lab.addr(&srv, "lo", &format!("{}/{len}", v.address))?;
        }
        fdb.push(("fab", s.mac.clone(), f.clone()));
        fab_ports.push(f);
        r.ns.insert(format!("{}-nic", s.name), nic);
        r.ns.insert(s.name.clone(), srv);
    }
    for c in &CLIENTS {
        let ns = lab.ns(c.short)?;
        lab.veth((&ns, "eth0"), (&lan, c.short), false)?;
        lab.sysctl(&ns, "net.ipv6.conf.eth0.disable_ipv6", "0")?;
        lab.mac(&ns, "eth0", c.mac)?;
        offloads_off(lab, &ns, "eth0")?;
        lab.sysctl(&ns, "net.ipv4.conf.all.rp_filter", "0")?;
        lab.sysctl(&ns, "net.ipv4.conf.eth0.rp_filter", "0")?;
        lab.up(&ns, "eth0")?;
        lab.addr(&ns, "eth0", c.v4)?;
        lab.neigh(&ns, c.gw4, &h.ingress.mac, "eth0")?;
        lab.route(&ns, "default", c.gw4, "eth0")?;
        if let Some((v6, gw6)) = c.v6 {
            lab.addr(&ns, "eth0", v6)?;
            lab.neigh(&ns, gw6, &h.ingress.mac, "eth0")?;
            lab.route(&ns, "default", gw6, "eth0")?;
        }
        fdb.push(("cli", c.mac.to_owned(), c.short.to_owned()));
        cli_ports.push(c.short.to_owned());
        r.ns.insert(c.short.to_owned(), ns);
    }
    for p in fab_ports.iter().chain(&cli_ports) {
        offloads_off(lab, &lan, p)?;
    }
    let fab: Vec<&str> = fab_ports.iter().map(String::as_str).collect();
    let cli: Vec<&str> = cli_ports.iter().map(String::as_str).collect();
    lab.bridge(&lan, "fab", &fab)?;
    lab.bridge(&lan, "cli", &cli)?;
    for (_, mac, port) in &fdb {
        lab.fdb(&lan, mac, port)?;
    }
    r.ns.insert("lan".into(), lan);
    Ok(())
}

/// Checksum offload off: a kernel sending on a veth leaves TCP/UDP checksums unfinished
/// (CHECKSUM_PARTIAL) for hardware that does not exist, and a receiving veth would mark frames
/// as verified. With offloads off, the softswitch sees real checksums and every kernel checks
/// what the softswitch rewrote.
fn offloads_off(lab: &Lab, ns: &Ns, iface: &str) -> Result<()> {
    lab.exec(
        ns,
        &["ethtool", "-K", iface, "rx", "off", "tx", "off"],
        Duration::from_secs(10),
    )?;
    Ok(())
}

fn start_switches(r: &mut Running, h: &Hosts, out: &Path) -> Result<()> {
    let exe = r.exe.to_string_lossy().into_owned();
    let mut procs = Vec::new();
    let plans: Vec<(String, String, [String; 2])> = [&h.ingress, &h.egress]
        .iter()
        .map(|x| {
            (
                x.name.clone(),
                x.name.clone(),
                ["1=fab".into(), "2=cli".into()],
            )
        })
        .chain(h.servers.iter().map(|s| {
            (
                s.name.clone(),
                format!("{}-nic", s.name),
                ["0=fab".into(), "1=host".into()],
            )
        }))
        .collect();
    for (host, ns, ports) in &plans {
        let p4 = out
            .join(host)
            .join("program.p4")
            .to_string_lossy()
            .into_owned();
        let ns = r.ns(ns).clone();
        let argv = [
            exe.as_str(),
            "softswitch",
            "run",
            "--p4",
            &p4,
            "--port",
            &ports[0],
            "--port",
            &ports[1],
            "--grpc",
            GRPC,
        ];
        let p = r.lab.spawn(&ns, &format!("softswitch-{host}"), &argv)?;
        procs.push(p);
    }
    for p in procs {
        r.lab.wait_log(p, "listening", Duration::from_secs(60))?;
    }
    Ok(())
}

/// The namespace where a host's device (and so its loader or agent) lives.
fn device_ns(h: &Hosts, host: &str) -> String {
    if h.servers.iter().any(|s| s.name == host) {
        format!("{host}-nic")
    } else {
        host.to_owned()
    }
}

fn all_hosts(h: &Hosts) -> Vec<String> {
    [&h.ingress, &h.egress]
        .into_iter()
        .chain(&h.servers)
        .map(|x| x.name.clone())
        .collect()
}

fn load_all(r: &Running, h: &Hosts, out: &Path) -> Result<()> {
    let target = format!("p4rt://{GRPC}");
    for host in all_hosts(h) {
        let d = out.join(&host).to_string_lossy().into_owned();
        r.ddsr_in(
            &device_ns(h, &host),
            &["load", &d, "--target", &target, "--push-pipeline"],
            Duration::from_secs(120),
        )?;
        check_interrupt()?;
    }
    Ok(())
}

fn start_agents(r: &mut Running, h: &Hosts, store: &str) -> Result<()> {
    let exe = r.exe.to_string_lossy().into_owned();
    let target = format!("p4rt://{GRPC}");
    for host in all_hosts(h) {
        let ns = r.ns(&device_ns(h, &host)).clone();
        r.lab.spawn(
            &ns,
            &format!("agent-{host}"),
            &[
                &exe, "agent", "--host", &host, "--store", store, "--target", &target,
            ],
        )?;
    }
    Ok(())
}

/// Waits until `hosts` agents report the store's current revision applied without error.
pub fn wait_converged(exe: &Path, store: &str, hosts: usize, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    let mut last = String::new();
    while Instant::now() < deadline {
        check_interrupt()?;
        // `ddsr status` exits 1 until every host has converged: read its JSON either way.
        let out = Command::new(exe)
            .args(["status", "--store", store, "--format", "json"])
            .output()
            .context("running ddsr status")?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            let current = &v["current_revision"];
            let done = v["hosts"].as_array().map_or(0, |hs| {
                hs.iter()
                    .filter(|h| {
                        !current.is_null()
                            && h["applied_revision"] == *current
                            && h["last_error"].is_null()
                    })
                    .count()
            });
            if done >= hosts {
                return Ok(());
            }
        }
        last = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
        thread::sleep(Duration::from_millis(200));
    }
    bail!("agents did not converge within {timeout:?}; last status:\n{last}")
}

fn start_apps(r: &mut Running, h: &Hosts, ir: &Policy) -> Result<()> {
    let exe = r.exe.to_string_lossy().into_owned();
    let mut ready = Vec::new();
    for s in &h.servers {
        let www = r.dir.join("www").join(&s.name);
        fs::create_dir_all(&www)?;
        fs::write(www.join("host.txt"), format!("{}\n", s.name))?;
        let www = www.to_string_lossy().into_owned();
        let ns = r.ns(&s.name).clone();
        for (_, v) in ir.vips.iter() {
            let addr = v.address.to_string();
            let port = v.port.to_string();
            let label = format!("{}-{}-{}", s.name, v.name, v.port);
            match v.protocol {
                Transport::Tcp => {
                    let argv = [
                        "python3",
                        "-u",
                        "-m",
                        "http.server",
                        "--bind",
                        &addr,
                        "--directory",
                        &www,
                        "--protocol",
                        "HTTP/1.1",
                        &port,
                    ];
                    ready.push((r.lab.spawn(&ns, &label, &argv)?, "Serving HTTP"));
                }
                Transport::Udp => {
                    let bind = std::net::SocketAddr::new(v.address, v.port).to_string();
                    let argv = [
                        exe.as_str(),
                        "demo-tool",
                        "udp-echo",
                        &bind,
                        "--name",
                        &s.name,
                    ];
                    ready.push((r.lab.spawn(&ns, &label, &argv)?, "listening"));
                }
            }
        }
    }
    for (p, needle) in ready {
        r.lab.wait_log(p, needle, Duration::from_secs(30))?;
    }
    Ok(())
}

fn describe(r: &Running, out: &Path, store: &str, p: Provision) -> Value {
    json!({
        "prefix": r.lab.prefix(),
        "dir": r.dir,
        "out": out,
        "store": store,
        "provision": match p { Provision::Agents => "agents", Provision::Load => "load" },
        "grpc": GRPC,
        "namespaces": r.ns.iter().map(|(k, v)| (k.clone(), v.name().to_owned())).collect::<BTreeMap<_, _>>(),
    })
}

/// `rule_id` of the first entry of `table` with `action` in a host's compiled entries.
fn rule_id(out: &Path, host: &str, action: &str) -> Option<i64> {
    let text = fs::read_to_string(out.join(host).join("entries.json")).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["entries"].as_array()?.iter().find_map(|e| {
        (e["action"] == action && e["table"].as_str()?.starts_with("acl_"))
            .then(|| {
                i64::from_str_radix(
                    e["params"]["rule_id"].as_str()?.trim_start_matches("0x"),
                    16,
                )
                .ok()
            })
            .flatten()
    })
}

fn traffic(r: &Running, a: &Demo, h: &Hosts, ir: &Policy, out: &Path) -> Result<()> {
    let vip = |proto: Transport, v4: bool| {
        ir.vips
            .iter()
            .map(|(_, v)| v)
            .find(|v| v.protocol == proto && v.address.is_ipv4() == v4)
            .map(|v| std::net::SocketAddr::new(v.address, v.port).to_string())
    };
    let mut report = Vec::new();
    if let Some(addr) = vip(Transport::Tcp, true) {
        let n = a.connections.to_string();
        let v = r.json_in(
            "c-ok",
            &["demo-tool", "http", &addr, "--count", &n],
            Duration::from_secs(600),
        )?;
        report.push(("HTTP over IPv4, allowed client".to_owned(), addr.clone(), v));
        check_interrupt()?;
        let v = r.json_in(
            "c-deny",
            &[
                "demo-tool",
                "http",
                &addr,
                "--count",
                "3",
                "--parallel",
                "3",
                "--timeout-ms",
                "1500",
            ],
            Duration::from_secs(60),
        )?;
        report.push(("HTTP over IPv4, denied client".to_owned(), addr, v));
    }
    if let Some(addr) = vip(Transport::Tcp, false) {
        let n = (a.connections / 10).max(10).to_string();
        let v = r.json_in(
            "c-ok",
            &["demo-tool", "http", &addr, "--count", &n],
            Duration::from_secs(600),
        )?;
        report.push(("HTTP over IPv6, allowed client".to_owned(), addr, v));
    }
    if let Some(addr) = vip(Transport::Udp, true) {
        let v = r.json_in(
            "c-ok",
            &["demo-tool", "udp", &addr, "--count", "50"],
            Duration::from_secs(120),
        )?;
        report.push(("UDP over IPv4, allowed client".to_owned(), addr, v));
    }
    check_interrupt()?;
    println!(
        "ddsr demo: {} ({} servers)",
        a.policy.display(),
        h.servers.len()
    );
    for (what, addr, v) in &report {
        println!("\n{what} -> {addr}");
        println!(
            "  requests {}  ok {}  failed {}{}",
            v["requested"],
            v["ok"],
            v["failed"],
            v["seconds"].as_f64().map_or(String::new(), |s| format!(
                "  in {s:.1} s ({:.0}/s)",
                v["requested"].as_f64().unwrap_or(0.0) / s.max(1e-9)
            ))
        );
        if let Some(b) = v["backends"].as_object() {
            let ok = v["ok"].as_u64().unwrap_or(0).max(1) as f64;
            for (name, n) in b {
                let n = n.as_u64().unwrap_or(0);
                println!("  {name:<8} {n:>6}  {:5.1}%", 100.0 * n as f64 / ok);
            }
        }
        if let Some(l) = v.get("latency_us").filter(|_| v["ok"].as_u64() > Some(0)) {
            println!(
                "  latency  p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms",
                l["p50"].as_f64().unwrap_or(0.0) / 1000.0,
                l["p90"].as_f64().unwrap_or(0.0) / 1000.0,
                l["p99"].as_f64().unwrap_or(0.0) / 1000.0
            );
        }
        if let Some(e) = v["errors"].as_object().filter(|e| !e.is_empty()) {
            for (msg, n) in e {
                println!("  error x{n}: {msg}");
            }
        }
    }
    println!("\nACL counters on the server NICs (read over P4Runtime)");
    for s in &h.servers {
        let mut line = format!("  {:<8}", s.name);
        for (label, action) in [("allowed", "acl_allow"), ("denied", "acl_deny")] {
            let Some(id) = rule_id(out, &s.name, action) else {
                continue;
            };
            let v = r.json_in(
                &format!("{}-nic", s.name),
                &["demo-tool", "counter", "acl_packets", &id.to_string()],
                Duration::from_secs(30),
            );
            match v {
                Ok(v) => line.push_str(&format!("  {label} (rule {id}) {} packets", v["packets"])),
                Err(e) => line.push_str(&format!("  {label}: cannot read ({e:#})")),
            }
        }
        println!("{line}");
    }
    Ok(())
}

fn print_keep(a: &Demo, r: &Running) {
    let p = r.lab.prefix();
    println!(
        "\nkept running (namespaces {p}*, logs in {}):",
        r.lab.dir().display()
    );
    println!("  ip netns list | grep {p}");
    println!("  ip netns exec {p}c-ok curl -s http://192.0.2.80/host.txt");
    println!("  ip netns exec {p}c-ok ddsr demo-tool http 192.0.2.80:80 --count 100");
    println!("  ip netns exec {p}srv-1-nic tcpdump -ni fab");
    println!("  ip netns exec {p}srv-1-nic ddsr demo-tool counter acl_packets 1");
    if a.provision == Provision::Agents {
        println!(
            "  ddsr status --store {}",
            a.store
                .clone()
                .unwrap_or_else(|| format!("dir:{}", r.dir.join("store").display()))
        );
    }
    println!(
        "remove everything with:\n  ddsr demo --clean{}",
        if a.area == "demo" {
            String::new()
        } else {
            format!(" --area {}", a.area)
        }
    );
}
