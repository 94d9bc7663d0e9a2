//! Running external commands with a deadline.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::Error;

/// How long `ip` and friends may take: they normally answer in milliseconds, but a machine
/// loaded by a parallel build can stall them for a while.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `argv` to completion within `timeout`, capturing its output; a non-zero exit is
/// [`Error::Command`] with the command's stderr.
pub fn run(argv: &[&str], timeout: Duration) -> Result<Output, Error> {
    let out = run_unchecked(argv, timeout)?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(Error::Command {
            command: argv.join(" "),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        })
    }
}

/// Like [`run`] but a non-zero exit is returned rather than an error.
pub fn run_unchecked(argv: &[&str], timeout: Duration) -> Result<Output, Error> {
    let command = argv.join(" ");
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            command: command.clone(),
            source,
        })?;
    // Readers drain both pipes while we wait, so a chatty command cannot block on a full pipe.
    let mut stdout = child.stdout.take().expect("stdout was piped");
    let mut stderr = child.stderr.take().expect("stderr was piped");
    let out_reader = thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err_reader = thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Error::Timeout { command, timeout });
            }
            Ok(None) => thread::sleep(Duration::from_millis(2)),
            Err(source) => {
                return Err(Error::Io {
                    what: format!("waiting for `{command}`"),
                    source,
                });
            }
        }
    };
    Ok(Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    })
}
