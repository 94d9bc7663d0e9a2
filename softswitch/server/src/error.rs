//! Why a request or one update of a batch failed, with the gRPC code the P4Runtime
//! specification assigns to that kind of failure.

use ddsr_proto::google::rpc::Code;
use ddsr_softswitch::ControlError;
use ddsr_softswitch::table::TableError;

/// A refused request or update; the variant decides the canonical code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    ResourceExhausted(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    FailedPrecondition(String),
    #[error("{0}")]
    Unimplemented(String),
    #[error("{0}")]
    Aborted(String),
}

impl Error {
    pub fn code(&self) -> Code {
        match self {
            Error::InvalidArgument(_) => Code::InvalidArgument,
            Error::NotFound(_) => Code::NotFound,
            Error::AlreadyExists(_) => Code::AlreadyExists,
            Error::ResourceExhausted(_) => Code::ResourceExhausted,
            Error::PermissionDenied(_) => Code::PermissionDenied,
            Error::FailedPrecondition(_) => Code::FailedPrecondition,
            Error::Unimplemented(_) => Code::Unimplemented,
            Error::Aborted(_) => Code::Aborted,
        }
    }

    /// The same failure with `what` (where it happened) in front of the message.
    pub fn context(self, what: &str) -> Error {
        let with = |m: String| format!("{what}: {m}");
        match self {
            Error::InvalidArgument(m) => Error::InvalidArgument(with(m)),
            Error::NotFound(m) => Error::NotFound(with(m)),
            Error::AlreadyExists(m) => Error::AlreadyExists(with(m)),
            Error::ResourceExhausted(m) => Error::ResourceExhausted(with(m)),
            Error::PermissionDenied(m) => Error::PermissionDenied(with(m)),
            Error::FailedPrecondition(m) => Error::FailedPrecondition(with(m)),
            Error::Unimplemented(m) => Error::Unimplemented(with(m)),
            Error::Aborted(m) => Error::Aborted(with(m)),
        }
    }

    /// The same failure as a whole-RPC gRPC status.
    pub fn to_status(&self) -> tonic::Status {
        tonic::Status::new(tonic::Code::from_i32(self.code() as i32), self.to_string())
    }
}

impl From<ControlError> for Error {
    fn from(e: ControlError) -> Error {
        let message = e.to_string();
        match e {
            ControlError::Table(TableError::Exists(_)) => Error::AlreadyExists(message),
            ControlError::Table(TableError::NotFound(_)) => Error::NotFound(message),
            ControlError::Table(TableError::Full { .. }) => Error::ResourceExhausted(message),
            ControlError::Table(TableError::Const(_) | TableError::ConstDefault(_)) => {
                Error::PermissionDenied(message)
            }
            ControlError::Unknown { .. } => Error::NotFound(message),
            _ => Error::InvalidArgument(message),
        }
    }
}
