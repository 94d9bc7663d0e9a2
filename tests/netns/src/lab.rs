//! The lab: namespaces, links and processes with cleanup.

use std::fs::{self, File};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::Error;
use crate::cmd::{DEFAULT_TIMEOUT, run, run_unchecked};

/// A network namespace of a lab, by its full name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ns(String);

impl Ns {
    /// The full name, as `ip netns` knows it.
    pub fn name(&self) -> &str {
        &self.0
    }
}

/// A process spawned by a lab (an index into its process table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proc(usize);

struct Running {
    label: String,
    log: PathBuf,
    child: Child,
}

/// Namespaces and processes that are removed when the lab is dropped (see the crate docs).
pub struct Lab {
    prefix: String,
    dir: PathBuf,
    namespaces: Vec<Ns>,
    procs: Vec<Option<Running>>,
    keep: bool,
}

/// Whether this process runs as root (network namespaces need it).
pub fn is_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

fn check_name(s: &str) -> Result<(), Error> {
    let ok = !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::Name(s.to_owned()))
    }
}

/// Lists the namespaces whose name starts with `prefix`.
pub fn namespaces_with_prefix(prefix: &str) -> Result<Vec<String>, Error> {
    let out = run(&["ip", "netns", "list"], DEFAULT_TIMEOUT)?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_owned)
        .collect())
}

/// Removes the namespaces starting with `prefix` and every process in them: the cleanup of a lab
/// that was kept (or whose owner was killed). Returns the names removed.
pub fn remove_stale(prefix: &str) -> Result<Vec<String>, Error> {
    let names = namespaces_with_prefix(prefix)?;
    for n in &names {
        kill_all_in(n);
    }
    for n in &names {
        run(&["ip", "netns", "del", n], DEFAULT_TIMEOUT)?;
    }
    Ok(names)
}

/// Pids of the processes that live in namespace `ns`.
fn pids_in(ns: &str) -> Vec<String> {
    run_unchecked(&["ip", "netns", "pids", ns], DEFAULT_TIMEOUT)
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// SIGTERM, a short grace period, then SIGKILL for whatever still runs in `ns`.
fn kill_all_in(ns: &str) {
    for signal in ["-TERM", "-KILL"] {
        let pids = pids_in(ns);
        if pids.is_empty() {
            return;
        }
        let mut argv = vec!["kill", signal, "--"];
        argv.extend(pids.iter().map(String::as_str));
        let _ = run_unchecked(&argv, DEFAULT_TIMEOUT);
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline && !pids_in(ns).is_empty() {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Lab {
    /// A lab whose namespaces are named `ddsr-<area>-<pid>-...` and whose process logs go to
    /// `dir` (created if missing).
    pub fn new(area: &str, dir: &Path) -> Result<Lab, Error> {
        check_name(area)?;
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            what: format!("creating {}", dir.display()),
            source,
        })?;
        Ok(Lab {
            prefix: format!("ddsr-{area}-{}-", std::process::id()),
            dir: dir.to_owned(),
            namespaces: Vec::new(),
            procs: Vec::new(),
            keep: false,
        })
    }

    /// The common prefix of this lab's namespace names.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The directory holding the process logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The namespaces created so far, in creation order.
    pub fn namespaces(&self) -> &[Ns] {
        &self.namespaces
    }

    /// Leaves everything in place when the lab is dropped.
    pub fn keep(&mut self) {
        self.keep = true;
    }

    /// Creates namespace `<prefix><short>` with its loopback up.
    pub fn ns(&mut self, short: &str) -> Result<Ns, Error> {
        check_name(short)?;
        let ns = Ns(format!("{}{short}", self.prefix));
        run(&["ip", "netns", "add", ns.name()], DEFAULT_TIMEOUT)?;
        self.namespaces.push(ns.clone());
        self.ip(&ns, &["link", "set", "dev", "lo", "up"])?;
        Ok(ns)
    }

    /// Runs `ip -n NS args...`.
    pub fn ip(&self, ns: &Ns, args: &[&str]) -> Result<(), Error> {
        let mut argv = vec!["ip", "-n", ns.name()];
        argv.extend_from_slice(args);
        run(&argv, DEFAULT_TIMEOUT).map(drop)
    }

    /// Runs a command inside the namespace and returns its stdout.
    pub fn exec(&self, ns: &Ns, argv: &[&str], timeout: Duration) -> Result<String, Error> {
        let mut full = vec!["ip", "netns", "exec", ns.name()];
        full.extend_from_slice(argv);
        let out = run(&full, timeout)?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Sets a sysctl inside the namespace (`net.*` keys are per namespace).
    pub fn sysctl(&self, ns: &Ns, key: &str, value: &str) -> Result<(), Error> {
        self.exec(
            ns,
            &["sysctl", "-qw", &format!("{key}={value}")],
            DEFAULT_TIMEOUT,
        )
        .map(drop)
    }

    /// A veth pair from `a_if` in `a` to `b_if` in `b`, both ends down. With `ipv6: false` the
    /// ends never get an IPv6 address (switch ports: the kernel must not send on them).
    pub fn veth(
        &self,
        (a, a_if): (&Ns, &str),
        (b, b_if): (&Ns, &str),
        ipv6: bool,
    ) -> Result<(), Error> {
        check_name(a_if)?;
        check_name(b_if)?;
        run(
            &[
                "ip",
                "link",
                "add",
                "name",
                a_if,
                "netns",
                a.name(),
                "type",
                "veth",
                "peer",
                "name",
                b_if,
                "netns",
                b.name(),
            ],
            DEFAULT_TIMEOUT,
        )?;
        if !ipv6 {
            for (ns, iface) in [(a, a_if), (b, b_if)] {
                self.sysctl(ns, &format!("net.ipv6.conf.{iface}.disable_ipv6"), "1")?;
            }
        }
        Ok(())
    }

    /// Sets an interface's MAC address.
    pub fn mac(&self, ns: &Ns, iface: &str, mac: &str) -> Result<(), Error> {
        self.ip(ns, &["link", "set", "dev", iface, "address", mac])
    }

    /// Brings an interface up.
    pub fn up(&self, ns: &Ns, iface: &str) -> Result<(), Error> {
        self.ip(ns, &["link", "set", "dev", iface, "up"])
    }

    /// Adds an address (`10.0.0.1/24`, `fd00::1/64`); IPv6 addresses skip duplicate address
    /// detection so they are usable at once.
    pub fn addr(&self, ns: &Ns, iface: &str, cidr: &str) -> Result<(), Error> {
        if cidr.contains(':') {
            self.ip(ns, &["-6", "addr", "add", cidr, "dev", iface, "nodad"])
        } else {
            self.ip(ns, &["addr", "add", cidr, "dev", iface])
        }
    }

    /// Adds a route `prefix via gateway dev iface` (`prefix` may be `default`, which is taken as
    /// the gateway's family).
    pub fn route(&self, ns: &Ns, prefix: &str, gateway: &str, iface: &str) -> Result<(), Error> {
        let family = if gateway.contains(':') { "-6" } else { "-4" };
        self.ip(
            ns,
            &[family, "route", "add", prefix, "via", gateway, "dev", iface],
        )
    }

    /// A permanent neighbour entry: the roles do not answer ARP or ND, so hosts that send
    /// through them are told the next hop's MAC address.
    pub fn neigh(&self, ns: &Ns, addr: &str, mac: &str, iface: &str) -> Result<(), Error> {
        self.ip(
            ns,
            &[
                "neigh",
                "replace",
                addr,
                "lladdr",
                mac,
                "dev",
                iface,
                "nud",
                "permanent",
            ],
        )
    }

    /// A bridge in `ns` over `ports`, that forwards only to MAC addresses given with
    /// [`Lab::fdb`]: learning and every kind of flooding are off, so a frame nobody claims is
    /// dropped instead of looping through switches that send unknown traffic back out.
    pub fn bridge(&self, ns: &Ns, name: &str, ports: &[&str]) -> Result<(), Error> {
        check_name(name)?;
        self.ip(ns, &["link", "add", "name", name, "type", "bridge"])?;
        self.sysctl(ns, &format!("net.ipv6.conf.{name}.disable_ipv6"), "1")?;
        for port in ports {
            self.ip(ns, &["link", "set", "dev", port, "master", name])?;
            let mut argv = vec!["bridge", "-n", ns.name(), "link", "set", "dev", port];
            argv.extend_from_slice(&["learning", "off", "flood", "off", "mcast_flood", "off"]);
            argv.extend_from_slice(&["bcast_flood", "off"]);
            run(&argv, DEFAULT_TIMEOUT)?;
            self.up(ns, port)?;
        }
        self.up(ns, name)
    }

    /// A static forwarding entry: frames to `mac` leave the bridge by `port`.
    pub fn fdb(&self, ns: &Ns, mac: &str, port: &str) -> Result<(), Error> {
        run(
            &[
                "bridge",
                "-n",
                ns.name(),
                "fdb",
                "replace",
                mac,
                "dev",
                port,
                "master",
                "static",
            ],
            DEFAULT_TIMEOUT,
        )
        .map(drop)
    }

    /// Starts `argv` inside `ns` with stdout and stderr appended to `<dir>/<label>.log`.
    pub fn spawn(&mut self, ns: &Ns, label: &str, argv: &[&str]) -> Result<Proc, Error> {
        self.spawn_with(ns, label, argv, false)
    }

    /// Like [`Lab::spawn`], but stdin and stdout are pipes (take them with [`Lab::child`]);
    /// stderr goes to the log.
    pub fn spawn_piped(&mut self, ns: &Ns, label: &str, argv: &[&str]) -> Result<Proc, Error> {
        self.spawn_with(ns, label, argv, true)
    }

    fn spawn_with(
        &mut self,
        ns: &Ns,
        label: &str,
        argv: &[&str],
        piped: bool,
    ) -> Result<Proc, Error> {
        let log = self.dir.join(format!("{label}.log"));
        let io = |what: String| move |source| Error::Io { what, source };
        let file = File::create(&log).map_err(io(format!("creating {}", log.display())))?;
        let file2 = file
            .try_clone()
            .map_err(io(format!("opening {}", log.display())))?;
        let mut c = Command::new("ip");
        c.args(["netns", "exec", ns.name()]).args(argv);
        // Its own process group: Ctrl-C at the terminal reaches only the lab's owner.
        c.process_group(0).stderr(file2);
        if piped {
            c.stdin(Stdio::piped()).stdout(Stdio::piped());
        } else {
            c.stdin(Stdio::null()).stdout(file);
        }
        let child = c.spawn().map_err(|source| Error::Spawn {
            command: argv.join(" "),
            source,
        })?;
        self.procs.push(Some(Running {
            label: label.to_owned(),
            log,
            child,
        }));
        Ok(Proc(self.procs.len() - 1))
    }

    /// The child process, e.g. to take its pipes; `None` once stopped.
    pub fn child(&mut self, p: Proc) -> Option<&mut Child> {
        self.procs[p.0].as_mut().map(|r| &mut r.child)
    }

    /// The process's log so far.
    pub fn log(&self, p: Proc) -> String {
        self.procs[p.0]
            .as_ref()
            .and_then(|r| fs::read_to_string(&r.log).ok())
            .unwrap_or_default()
    }

    /// Waits until the process's log contains `needle` and returns the log; fails if the process
    /// exits first or the time runs out.
    pub fn wait_log(&mut self, p: Proc, needle: &str, timeout: Duration) -> Result<String, Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log(p);
            if log.contains(needle) {
                return Ok(log);
            }
            let r = self.procs[p.0].as_mut().ok_or_else(|| Error::Exited {
                label: format!("#{}", p.0),
                needle: needle.to_owned(),
                status: "stopped".into(),
                log: String::new(),
            })?;
            if let Ok(Some(status)) = r.child.try_wait() {
                return Err(Error::Exited {
                    label: r.label.clone(),
                    needle: needle.to_owned(),
                    status: status.to_string(),
                    log: self.log(p),
                });
            }
            if Instant::now() >= deadline {
                return Err(Error::NotReady {
                    label: r.label.clone(),
                    needle: needle.to_owned(),
                    timeout,
                    log,
                });
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops a process: SIGTERM, up to `grace` to exit, then SIGKILL. Returns its exit status
    /// (`None` if it had to be killed).
    pub fn stop(&mut self, p: Proc, grace: Duration) -> Option<ExitStatus> {
        let mut r = self.procs[p.0].take()?;
        if let Ok(Some(status)) = r.child.try_wait() {
            return Some(status);
        }
        let pid = r.child.id().to_string();
        let _ = run_unchecked(&["kill", "-TERM", &pid], DEFAULT_TIMEOUT);
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = r.child.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(10));
        }
        let _ = r.child.kill();
        let _ = r.child.wait();
        None
    }

    /// Stops every process and deletes every namespace, in reverse order of creation; returns
    /// what could not be removed. Called by `Drop` unless the lab is kept.
    pub fn cleanup(&mut self) -> Vec<Error> {
        for i in (0..self.procs.len()).rev() {
            self.stop(Proc(i), Duration::from_secs(2));
        }
        let mut errors = Vec::new();
        for ns in self.namespaces.drain(..).rev() {
            kill_all_in(ns.name());
            if let Err(e) = run(&["ip", "netns", "del", ns.name()], DEFAULT_TIMEOUT) {
                errors.push(e);
            }
        }
        errors
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !self.keep {
            for e in self.cleanup() {
                eprintln!("cleanup: {e}");
            }
        }
    }
}
