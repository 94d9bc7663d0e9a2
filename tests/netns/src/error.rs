use std::time::Duration;

/// What can go wrong while building or running a topology. Every variant names the command or
/// the namespace object involved, so a failing test says which step broke.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("`{command}` did not finish within {timeout:?}")]
    Timeout { command: String, timeout: Duration },
    #[error("cannot start `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("process `{label}` did not print `{needle}` within {timeout:?}; its log:\n{log}")]
    NotReady {
        label: String,
        needle: String,
        timeout: Duration,
        log: String,
    },
    #[error("process `{label}` exited ({status}) before printing `{needle}`; its log:\n{log}")]
    Exited {
        label: String,
        needle: String,
        status: String,
        log: String,
    },
    #[error(
        "invalid name `{0}`: namespace short names and interface names are 1-15 characters of [a-z0-9-]"
    )]
    Name(String),
}
