//! `ddsr softswitch`: run a pipeline on ddsr's software switch offline (pcap in, pcap out) or
//! against an STF test.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use ddsr_pipeline::Pipeline;
use ddsr_softswitch::{Switch, offline, pcap, stf};

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

/// Where the program comes from. (`--p4 PROGRAM.p4` joins once the P4 front end lowers to the
/// pipeline IR.)
#[derive(Args)]
struct Program {
    /// A lowered pipeline (`pipeline.json`, the format of docs/pipeline-ir.md).
    #[arg(long, value_name = "FILE")]
    pipeline: PathBuf,
}

/// Send the packets of pcap captures through the switch and write what leaves each port.
///
/// Packets from all inputs are processed in timestamp order. Exits with 1 on any error.
#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    program: Program,
    /// Table entries to install first: a JSON array in the shared entry model.
    #[arg(long, value_name = "FILE")]
    entries: Option<PathBuf>,
    /// Packets received on PORT, e.g. `--pcap-in 1=in.pcap` (repeatable).
    #[arg(long = "pcap-in", value_name = "PORT=FILE", value_parser = port_file, required = true)]
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

/// Run a simple test format (STF) file against a pipeline; exits 0 only when every expectation
/// holds.
#[derive(Args)]
struct StfArgs {
    #[command(flatten)]
    program: Program,
    /// The STF test.
    #[arg(value_name = "TEST.stf")]
    test: PathBuf,
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

fn load(p: &Program) -> Result<Switch> {
    let text = read(&p.pipeline)?;
    let pipeline = Pipeline::from_json(&text)
        .with_context(|| format!("cannot load {}", p.pipeline.display()))?;
    Switch::new(pipeline).with_context(|| format!("cannot load {}", p.pipeline.display()))
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn run_pcaps(a: &RunArgs) -> Result<ExitCode> {
    let mut sw = load(&a.program)?;
    if let Some(e) = &a.entries {
        let n = offline::load_entries(&mut sw, &read(e)?)
            .with_context(|| format!("cannot load entries from {}", e.display()))?;
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
    if !a.pcap_in.is_empty() && run.received == 0 {
        bail!("the input captures hold no packets");
    }
    Ok(ExitCode::SUCCESS)
}

fn run_stf(a: &StfArgs) -> Result<ExitCode> {
    let mut sw = load(&a.program)?;
    let text = read(&a.test)?;
    let cmds = match stf::parse(&text) {
        Ok(c) => c,
        Err(errs) => {
            for e in errs {
                eprintln!("{}:{e}", a.test.display());
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    let report = stf::run(&mut sw, &cmds);
    for f in &report.failures {
        eprintln!("{}: {f}", a.test.display());
    }
    println!(
        "{}: {} ({} packets in, {} out)",
        a.test.display(),
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
