//! What can go wrong talking to a device, and the decoding of per-update Write errors.

use ddsr_proto::google::rpc::Status as RpcStatus;
use ddsr_proto::p4::v1;
use prost::Message;

use super::code_name;

/// Why a P4Runtime exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum P4rtError {
    #[error("`{0}` is not a valid gRPC address")]
    Address(String),
    #[error("cannot connect to {target}: {reason}")]
    Connect {
        target: String,
        /// The transport error with its causes (tonic's own text is just "transport error").
        reason: String,
    },
    #[error("{target} did not answer the arbitration within {seconds} s")]
    ArbitrationTimeout { target: String, seconds: u64 },
    #[error("the device closed the stream before answering the arbitration")]
    StreamClosed,
    #[error("the device refused the stream: {code}: {message}")]
    StreamError { code: String, message: String },
    #[error("not primary on {target} with election id {ours}{}: {code}: {message}", primary.map(|p| format!(" (the device answers with {p})")).unwrap_or_default())]
    NotPrimary {
        target: String,
        ours: u128,
        primary: Option<u128>,
        code: String,
        message: String,
    },
    #[error("{rpc} failed: {}: {}", code_name(status.code() as i32), status.message())]
    Rpc {
        rpc: &'static str,
        /// Boxed: a status is large and errors travel through every `Result` of a load.
        status: Box<tonic::Status>,
    },
}

/// An error and its causes, `outer: inner: ...`.
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}

/// One update's error in a failed Write, in request order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateError {
    /// Index of the update in its Write request.
    pub index: usize,
    /// `google.rpc.Code` name, e.g. `ALREADY_EXISTS`.
    pub code: String,
    pub message: String,
}

/// The per-update errors of a failed Write: the gRPC status details hold a
/// `google.rpc.Status` with one `p4.v1.Error` per update (OK for those that succeeded).
/// Only failed updates are returned; `None` when the details do not have that shape (the
/// whole request was refused).
pub fn update_errors(status: &tonic::Status) -> Option<Vec<UpdateError>> {
    let details = RpcStatus::decode(status.details()).ok()?;
    if details.details.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for (index, any) in details.details.iter().enumerate() {
        let e: v1::Error = any.to_msg().ok()?;
        if e.canonical_code != 0 {
            out.push(UpdateError {
                index,
                code: code_name(e.canonical_code),
                message: e.message,
            });
        }
    }
    Some(out)
}
