//! Waiting for the operator's stop: SIGINT (Ctrl-C) or SIGTERM (service managers, `kill`).

use std::fmt;
use std::io;

use tokio::signal::unix::{SignalKind, signal};

/// Which signal asked the device to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupt,
    Terminate,
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
        })
    }
}

/// Resolves at the first SIGINT or SIGTERM after the call. Registering replaces the default
/// action (termination) for the rest of the process, so later signals are ignored until the
/// caller exits.
pub async fn shutdown_signal() -> io::Result<Stop> {
    let mut int = signal(SignalKind::interrupt())?;
    let mut term = signal(SignalKind::terminate())?;
    Ok(tokio::select! {
        _ = int.recv() => Stop::Interrupt,
        _ = term.recv() => Stop::Terminate,
    })
}
