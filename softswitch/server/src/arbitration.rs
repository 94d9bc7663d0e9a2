//! Primary election among the StreamChannel clients (P4Runtime §5, default role only).
//!
//! The server remembers the highest election id it has ever received; the connected client
//! holding that id is the primary. When the primary leaves there is no primary until a client
//! sends an id at least as high. Every change of primary is announced to every client; a
//! client that only re-announces itself gets an answer alone.

use std::collections::HashMap;

use ddsr_proto::google::rpc::{Code, Status as RpcStatus};
use ddsr_proto::p4::v1;
use tokio::sync::mpsc;

use crate::error::Error;

/// Messages to one client's stream.
pub type Sender = mpsc::UnboundedSender<Result<v1::StreamMessageResponse, tonic::Status>>;

struct Client {
    election_id: Option<u128>,
    tx: Sender,
}

#[derive(Default)]
pub struct Arbitration {
    next: u64,
    clients: HashMap<u64, Client>,
    highest: Option<u128>,
}

impl Arbitration {
    /// A new stream with no election id yet; returns its key.
    pub fn connect(&mut self, tx: Sender) -> u64 {
        self.next += 1;
        self.clients.insert(
            self.next,
            Client {
                election_id: None,
                tx,
            },
        );
        self.next
    }

    /// The primary's stream key, if a primary is connected.
    pub fn primary(&self) -> Option<u64> {
        let h = self.highest?;
        self.clients
            .iter()
            .find(|(_, c)| c.election_id == Some(h))
            .map(|(k, _)| *k)
    }

    /// Checks the election id of a write-type request (Write, SetForwardingPipelineConfig).
    pub fn check_writer(&self, election_id: Option<u128>) -> Result<(), Error> {
        match self.primary() {
            Some(p) if self.clients[&p].election_id == election_id => Ok(()),
            Some(_) => Err(Error::PermissionDenied(format!(
                "election id {} is not the primary's",
                election_id.map_or_else(|| "(none)".into(), |e| e.to_string())
            ))),
            None => Err(Error::PermissionDenied(
                "no primary client is connected".into(),
            )),
        }
    }

    /// A client's (re-)announced election id.
    pub fn update(&mut self, key: u64, device_id: u64, election_id: u128) -> Result<(), Error> {
        if self
            .clients
            .iter()
            .any(|(k, c)| *k != key && c.election_id == Some(election_id))
        {
            return Err(Error::InvalidArgument(format!(
                "election id {election_id} is already used by another client"
            )));
        }
        let before = self.primary();
        if let Some(c) = self.clients.get_mut(&key) {
            c.election_id = Some(election_id);
        }
        if self.highest.is_none_or(|h| election_id > h) {
            self.highest = Some(election_id);
        }
        if self.primary() != before {
            self.announce_all(device_id);
        } else {
            self.announce(key, device_id);
        }
        Ok(())
    }

    /// A stream ended.
    pub fn disconnect(&mut self, key: u64, device_id: u64) {
        let was_primary = self.primary() == Some(key);
        self.clients.remove(&key);
        if was_primary {
            self.announce_all(device_id);
        }
    }

    /// Sends a message to the primary, if any (packet-in).
    pub fn to_primary(&self, msg: v1::StreamMessageResponse) {
        if let Some(p) = self.primary() {
            let _ = self.clients[&p].tx.send(Ok(msg));
        }
    }

    fn announce_all(&self, device_id: u64) {
        let keys: Vec<u64> = self
            .clients
            .iter()
            .filter(|(_, c)| c.election_id.is_some())
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.announce(k, device_id);
        }
    }

    fn announce(&self, key: u64, device_id: u64) {
        let primary = self.primary();
        let (code, message) = match primary {
            Some(p) if p == key => (Code::Ok, "this client is the primary"),
            Some(_) => (Code::AlreadyExists, "another client is the primary"),
            None => (Code::NotFound, "there is no primary"),
        };
        let msg = v1::StreamMessageResponse {
            update: Some(v1::stream_message_response::Update::Arbitration(
                v1::MasterArbitrationUpdate {
                    device_id,
                    role: None,
                    election_id: self.highest.map(ddsr_proto::uint128),
                    status: Some(RpcStatus {
                        code: code as i32,
                        message: message.into(),
                        details: Vec::new(),
                    }),
                },
            )),
        };
        if let Some(c) = self.clients.get(&key) {
            let _ = c.tx.send(Ok(msg));
        }
    }
}
