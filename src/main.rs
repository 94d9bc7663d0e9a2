//! `ddsr`: the one command-line entry point. Each subcommand lives in `src/cmd/<name>.rs` and only
//! parses arguments, calls into the library crates and prints; no logic of its own.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// Compile load-balancer policies with distributed direct server return (DSR) into P4 programs and
/// table entries, and run them on ddsr's own software P4 switch.
///
/// Start with `ddsr check policies/web.yaml`, then `ddsr compile policies/web.yaml -o out`.
#[derive(Parser)]
#[command(name = "ddsr", version, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(cmd::check::Check),
    Compile(cmd::compile::Compile),
    Diff(cmd::diff::Diff),
    Explain(cmd::explain::Explain),
    GenPolicy(cmd::gen_policy::GenPolicy),
    Load(cmd::load::Load),
    P4(cmd::p4::P4),
    Softswitch(cmd::softswitch::Softswitch),
    Publish(cmd::publish::Publish),
    Agent(cmd::agent::Agent),
    Status(cmd::status::Status),
    Demo(cmd::demo::Demo),
    #[command(hide = true)]
    DemoTool(cmd::demo_tool::DemoTool),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DDSR_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => cmd::check::run(args),
        Command::Compile(args) => cmd::compile::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::GenPolicy(args) => cmd::gen_policy::run(args),
        Command::Load(args) => cmd::load::run(args),
        Command::P4(args) => cmd::p4::run(args),
        Command::Softswitch(args) => cmd::softswitch::run(args),
        Command::Publish(args) => cmd::publish::run(args),
        Command::Agent(args) => cmd::agent::run(args),
        Command::Status(args) => cmd::status::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::DemoTool(args) => cmd::demo_tool::run(args),
    }
}
