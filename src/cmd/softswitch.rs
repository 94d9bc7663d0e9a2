//! `ddsr softswitch`: run a pipeline on ddsr's software switch, live on Linux interfaces
//! (`run --port`), offline (pcap in, pcap out: `run --pcap-in`), against an STF test (`stf`), or
//! as a P4Runtime device without ports (`serve`).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use ddsr_p4::p4info::Compiled;
use ddsr_pipeline::Pipeline;
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_proto::p4::v1;
use ddsr_softswitch::{Switch, offline, pcap, stf};
use ddsr_softswitch_server::live::{self, Io, PortSpec};

use super::p4::FrontArgs;

/// Run P4 pipelines on ddsr's software switch (v1model semantics, like BMv2's simple_switch).
#[derive(Args)]
pub struct Softswitch {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand)]
enum Sub {
    Run(RunArgs),
    Stf(StfArgs),
    Serve(super::softswitch_serve::Serve),
}

/// Where the program comes from: P4 source compiled by ddsr's front end, or a lowered pipeline.
#[derive(Args)]
#[group(multiple = false)]
struct Program {
    /// A P4_16 v1model program, compiled by ddsr's P4 front end.
    #[arg(long, value_name = "PROGRAM.p4")]
    p4: Option<PathBuf>,
    /// A lowered pipeline (`pipeline.json`, the format of docs/pipeline-ir.md).
    #[arg(long, value_name = "FILE")]
    pipeline: Option<PathBuf>,
}

/// Run a pipeline on live interfaces (`--port`) or on pcap captures (`--pcap-in`).
///
/// Live: attaches switch ports to Linux interfaces with AF_PACKET sockets (root or CAP_NET_RAW)
/// and serves P4Runtime on `--grpc` so controllers program the same switch. Prints
/// `listening: grpc=ADDR ports=N:IFACE,...` on stderr when ready; SIGINT or SIGTERM stops it with
/// a counter summary and exit 0.
///
/// Offline: packets from all inputs are processed in timestamp order and what leaves each port
/// is written to `--pcap-out`. Exits with 1 on any error.
#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    program: Program,
    /// The P4Info of `--pipeline` (text format, as `ddsr compile` or `ddsr p4 info` write it):
    /// live mode needs it for P4Runtime, offline mode for `--entries` in text format.
    #[arg(long, value_name = "FILE", requires = "pipeline")]
    p4info: Option<PathBuf>,
    #[command(flatten)]
    front: FrontArgs,
    /// Table entries to install first: a JSON array in the shared entry model
    /// (docs/pipeline-ir.md) or a P4Runtime WriteRequest in text format (`entries.txtpb` of
    /// `ddsr compile`).
    #[arg(long, value_name = "FILE")]
    entries: Option<PathBuf>,
    /// Live: switch port N is the interface IFACE, e.g. `--port 1=veth0` (repeatable).
    #[arg(long = "port", value_name = "N=IFACE", conflicts_with_all = ["pcap_in", "pcap_out", "trace"])]
    ports: Vec<PortSpec>,
    /// Live: how frames cross into the switch: `ring` (memory-mapped AF_PACKET rings in
    /// batches; sockets if a ring cannot be set up) or `socket` (a system call per frame).
    #[arg(long, value_name = "ring|socket", default_value_t = Io::Ring)]
    io: Io,
    #[command(flatten)]
    device: super::softswitch_serve::DeviceArgs,
    /// Packets received on PORT, e.g. `--pcap-in 1=in.pcap` (repeatable).
    #[arg(long = "pcap-in", value_name = "PORT=FILE", value_parser = port_file)]
    pcap_in: Vec<(u16, PathBuf)>,
    /// Where to write packets sent on PORT (repeatable); other ports are only counted.
    #[arg(long = "pcap-out", value_name = "PORT=FILE", value_parser = port_file)]
    pcap_out: Vec<(u16, PathBuf)>,
    /// Print what happens to each packet (parser states, headers, tables, drops, outputs).
    #[arg(long)]
    trace: bool,
    /// `text` for people, `json` (one array of events per packet and line) for tools.
    #[arg(long, value_enum, default_value_t = TraceFormat::Text)]
    trace_format: TraceFormat,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TraceFormat {
    Text,
    Json,
}

/// Run a simple test format (STF) file against a program; exits 0 only when every expectation
/// holds.
///
/// `ddsr softswitch stf PROGRAM.p4 TEST.stf`, or `--p4 PROGRAM.p4 TEST.stf`, or
/// `--pipeline pipeline.json TEST.stf`.
#[derive(Args)]
struct StfArgs {
    #[command(flatten)]
    program: Program,
    #[command(flatten)]
    front: FrontArgs,
    /// `[PROGRAM.p4] TEST.stf`: the program may come first instead of `--p4`.
    #[arg(value_name = "FILES", num_args = 1..=2, required = true)]
    files: Vec<PathBuf>,
}

fn port_file(s: &str) -> Result<(u16, PathBuf), String> {
    let (port, file) = s
        .split_once('=')
        .ok_or_else(|| format!("expected PORT=FILE, found `{s}`"))?;
    let port = port
        .parse::<u16>()
        .ok()
        .filter(|p| *p < 512)
        .ok_or_else(|| format!("expected a port number below 512, found `{port}`"))?;
    Ok((port, PathBuf::from(file)))
}

pub fn run(args: Softswitch) -> ExitCode {
    let r = match args.command {
        Sub::Run(a) if !a.ports.is_empty() => run_live(&a),
        Sub::Run(a) => run_pcaps(&a),
        Sub::Stf(a) => run_stf(&a),
        Sub::Serve(a) => super::softswitch_serve::run(&a),
    };
    match r {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// A loaded program: the pipeline and, when known, its P4Info.
struct Loaded {
    pipeline: Pipeline,
    p4info: Option<p4i::P4Info>,
}

/// Loads the program; `Ok(None)` when the P4 front end reported errors (already printed).
fn load(p: &Program, p4info: Option<&Path>, front: &FrontArgs) -> Result<Option<Loaded>> {
    if let Some(file) = &p.p4 {
        let Some(Compiled {
            lowered, p4info, ..
        }) = super::p4_build::compile(file, front)
        else {
            return Ok(None);
        };
        return Ok(Some(Loaded {
            pipeline: lowered.pipeline,
            p4info: Some(p4info),
        }));
    }
    let Some(file) = &p.pipeline else {
        bail!("no program: give --p4 PROGRAM.p4 or --pipeline pipeline.json");
    };
    let pipeline = Pipeline::from_json(&read(file)?)
        .with_context(|| format!("cannot load {}", file.display()))?;
    let p4info = p4info.map(read_p4info).transpose()?;
    Ok(Some(Loaded { pipeline, p4info }))
}

fn read_p4info(file: &Path) -> Result<p4i::P4Info> {
    ddsr_proto::text::from_text(&read(file)?)
        .with_context(|| format!("cannot read the P4Info in {}", file.display()))
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Installs an entries file into an offline switch: a JSON array in the entry model, or a
/// WriteRequest in text format translated with the program's P4Info (all or nothing).
fn install_entries(sw: &mut Switch, p4info: Option<&p4i::P4Info>, file: &Path) -> Result<usize> {
    let text = read(file)?;
    if text.trim_start().starts_with('[') {
        return offline::load_entries(sw, &text)
            .with_context(|| format!("cannot load entries from {}", file.display()));
    }
    let Some(p4info) = p4info else {
        bail!(
            "{} is a WriteRequest, which needs the P4Info: use --p4, or --pipeline with --p4info",
            file.display()
        );
    };
    let req = ddsr_softswitch_server::parse_write_request(&text)
        .with_context(|| format!("cannot read {}", file.display()))?;
    ddsr_softswitch_server::apply_write_request(sw, p4info, &req)
        .with_context(|| format!("cannot load entries from {}", file.display()))
}

fn run_pcaps(a: &RunArgs) -> Result<ExitCode> {
    if a.pcap_in.is_empty() {
        bail!(
            "nothing to run: give --port N=IFACE (live interfaces) or --pcap-in PORT=FILE (captures)"
        );
    }
    let Some(loaded) = load(&a.program, a.p4info.as_deref(), &a.front)? else {
        return Ok(ExitCode::FAILURE);
    };
    let mut sw = Switch::new(loaded.pipeline).context("cannot load the pipeline")?;
    if let Some(e) = &a.entries {
        let n = install_entries(&mut sw, loaded.p4info.as_ref(), e)?;
        eprintln!("installed {n} entries");
    }
    let mut inputs = Vec::new();
    for (port, file) in &a.pcap_in {
        let f = fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
        let recs = pcap::read(std::io::BufReader::new(f))
            .with_context(|| format!("cannot read {}", file.display()))?;
        inputs.push((*port, recs));
    }
    let run = offline::run(&mut sw, &inputs, a.trace);
    let mut stdout = std::io::stdout().lock();
    for t in &run.traces {
        match a.trace_format {
            TraceFormat::Text => write!(stdout, "{t}")?,
            TraceFormat::Json => writeln!(stdout, "{}", t.to_json())?,
        }
    }
    for (port, file) in &a.pcap_out {
        let recs = run.outputs.get(port).map(Vec::as_slice).unwrap_or(&[]);
        let f =
            fs::File::create(file).with_context(|| format!("cannot create {}", file.display()))?;
        pcap::write(std::io::BufWriter::new(f), recs)
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    let sent: usize = run.outputs.values().map(Vec::len).sum();
    eprintln!("received {}, sent {sent}", run.received);
    for (port, recs) in &run.outputs {
        if !a.pcap_out.iter().any(|(p, _)| p == port) {
            eprintln!(
                "port {port}: {} packets not written (no --pcap-out {port}=FILE)",
                recs.len()
            );
        }
    }
    for (reason, n) in &run.drops {
        eprintln!("dropped {n}: {reason}");
    }
    if run.received == 0 {
        bail!("the input captures hold no packets");
    }
    Ok(ExitCode::SUCCESS)
}

fn run_live(a: &RunArgs) -> Result<ExitCode> {
    if a.program.p4.is_none() && a.program.pipeline.is_none() {
        if a.entries.is_some() {
            bail!("--entries needs a program (--p4 or --pipeline) to install them into");
        }
        return super::softswitch_serve::serve(
            &a.device,
            None,
            None,
            &a.ports,
            a.io,
            super::softswitch_serve::Banner::Ports,
        );
    }
    let Some(loaded) = load(&a.program, a.p4info.as_deref(), &a.front)? else {
        return Ok(ExitCode::FAILURE);
    };
    let Some(p4info) = loaded.p4info else {
        bail!(
            "P4Runtime needs the P4Info of --pipeline: add --p4info p4info.txtpb \
             (written by `ddsr compile` or `ddsr p4 info`)"
        );
    };
    let entries = match &a.entries {
        None => None,
        Some(file) => Some(live_entries(file, &p4info, &loaded.pipeline)?),
    };
    let config = v1::ForwardingPipelineConfig {
        p4info: Some(p4info),
        p4_device_config: loaded.pipeline.to_json().into_bytes(),
        cookie: None,
    };
    super::softswitch_serve::serve(
        &a.device,
        Some(&config),
        entries.as_ref(),
        &a.ports,
        a.io,
        super::softswitch_serve::Banner::Ports,
    )
}

/// The `--entries` of a live run as the WriteRequest the device loads through its server: a
/// WriteRequest in text format as it is, a JSON array in the entry model as inserts.
fn live_entries(
    file: &Path,
    p4info: &p4i::P4Info,
    pipeline: &Pipeline,
) -> Result<v1::WriteRequest> {
    let text = read(file)?;
    if !text.trim_start().starts_with('[') {
        return ddsr_proto::text::from_text(&text)
            .with_context(|| format!("cannot read the WriteRequest in {}", file.display()));
    }
    let entries: Vec<ddsr_pipeline::TableEntry> = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}:{}:{}: {e}", file.display(), e.line(), e.column()))?;
    live::preload::inserts(p4info, pipeline, &entries)
        .map_err(|e| anyhow::anyhow!("the P4Info does not describe the program: {e}"))
}

fn run_stf(a: &StfArgs) -> Result<ExitCode> {
    let (program, test) = match a.files.as_slice() {
        [p4, test] => {
            if a.program.p4.is_some() || a.program.pipeline.is_some() {
                bail!(
                    "the program is given twice: `{}` and --p4/--pipeline",
                    p4.display()
                );
            }
            (
                Program {
                    p4: Some(p4.clone()),
                    pipeline: None,
                },
                test,
            )
        }
        [test] => (
            Program {
                p4: a.program.p4.clone(),
                pipeline: a.program.pipeline.clone(),
            },
            test,
        ),
        _ => bail!("expected `[PROGRAM.p4] TEST.stf`"),
    };
    let Some(loaded) = load(&program, None, &a.front)? else {
        return Ok(ExitCode::FAILURE);
    };
    let mut sw = Switch::new(loaded.pipeline).context("cannot load the pipeline")?;
    let text = read(test)?;
    let cmds = match stf::parse(&text) {
        Ok(c) => c,
        Err(errs) => {
            for e in errs {
                eprintln!("{}:{e}", test.display());
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = stf::run(&mut sw, &cmds);
    for f in &report.failures {
        eprintln!("{}: {f}", test.display());
    }
    println!(
        "{}: {} ({} packets in, {} out)",
        test.display(),
        if report.passed() { "pass" } else { "FAIL" },
        report.packets_in,
        report.packets_out
    );
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
