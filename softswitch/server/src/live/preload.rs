//! Entries installed at start (`--entries`) the way a controller would write them: through
//! the device's own gRPC server, so they pass the same translation, checks and arbitration as
//! any Write, and nothing reaches into the device behind the server's back. Entries in the
//! shared entry model (`entries.json`) become P4Runtime inserts first ([`inserts`]), with the
//! same id maps the server uses to read entries back.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use ddsr_pipeline::{Pipeline, TableEntry};
use ddsr_proto::P4RuntimeClient;
use ddsr_proto::google::rpc::Status as RpcStatus;
use ddsr_proto::p4::config::v1 as p4i;
use ddsr_proto::p4::v1;
use prost::Message;
use tokio_stream::StreamExt;

use crate::schema::Schema;
use crate::translate;

/// Updates per Write request, well under gRPC's default 4 MiB message limit.
pub const BATCH: usize = 5000;

/// The election id of the loading client: the lowest there is, so that any controller
/// connecting later is at least as high and becomes primary.
const ELECTION_ID: u128 = 1;

/// How long the server may take to notice the loading stream ended.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Why loading failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot reach the device's gRPC server: {0}")]
    Connect(#[from] tonic::transport::Error),
    #[error("cannot become primary: {0}")]
    Arbitration(String),
    #[error("update {index}: {message}")]
    Update { index: usize, message: String },
    #[error("Write of updates {first}..{end} failed: {message}")]
    Write {
        first: usize,
        end: usize,
        message: String,
    },
    #[error("the stream channel did not close within {CLOSE_WAIT:?}")]
    Close,
}

/// A WriteRequest inserting `entries` of the program `pipeline` whose P4Info is `info`; fails
/// when the P4Info does not describe the pipeline. Entries naming unknown tables or actions
/// are refused by the server on write, by update index.
pub fn inserts(
    info: &p4i::P4Info,
    pipeline: &Pipeline,
    entries: &[TableEntry],
) -> Result<v1::WriteRequest, String> {
    let schema = Schema::new(info, pipeline)?;
    let updates = entries
        .iter()
        .map(|e| v1::Update {
            r#type: v1::update::Type::Insert as i32,
            entity: Some(v1::Entity {
                entity: Some(v1::entity::Entity::TableEntry(translate::to_p4(
                    &schema, pipeline, e,
                ))),
            }),
        })
        .collect();
    Ok(v1::WriteRequest {
        updates,
        ..Default::default()
    })
}

/// Writes every update of `req` to device `device_id` at `addr` in batches of [`BATCH`], each
/// rolled back on error; returns the number written once the server has seen the loading
/// client leave (so a controller may take its election id at once).
pub async fn write(
    addr: SocketAddr,
    device_id: u64,
    req: &v1::WriteRequest,
) -> Result<usize, Error> {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        // Bound to every address: reach it over loopback.
        addr.set_ip(match addr {
            SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
        });
    }
    let mut client = P4RuntimeClient::connect(format!("http://{addr}")).await?;
    let election_id = Some(ddsr_proto::uint128(ELECTION_ID));
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(v1::StreamMessageRequest {
        update: Some(v1::stream_message_request::Update::Arbitration(
            v1::MasterArbitrationUpdate {
                device_id,
                election_id,
                ..Default::default()
            },
        )),
    })
    .await
    .map_err(|_| Error::Arbitration("the request stream closed".into()))?;
    let mut responses = client
        .stream_channel(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .map_err(|s| Error::Arbitration(s.message().to_string()))?
        .into_inner();
    match responses.next().await {
        Some(Ok(v1::StreamMessageResponse {
            update: Some(v1::stream_message_response::Update::Arbitration(a)),
        })) => match a.status {
            Some(s) if s.code == 0 => {}
            Some(s) => return Err(Error::Arbitration(s.message)),
            None => return Err(Error::Arbitration("no status in the answer".into())),
        },
        Some(Err(s)) => return Err(Error::Arbitration(s.message().to_string())),
        Some(Ok(other)) => return Err(Error::Arbitration(format!("unexpected answer {other:?}"))),
        None => return Err(Error::Arbitration("the stream ended".into())),
    }
    for (i, chunk) in req.updates.chunks(BATCH).enumerate() {
        let first = i * BATCH;
        client
            .write(v1::WriteRequest {
                device_id,
                election_id,
                updates: chunk.to_vec(),
                atomicity: v1::write_request::Atomicity::RollbackOnError as i32,
                ..Default::default()
            })
            .await
            .map_err(|s| {
                failed_update(&s, first).unwrap_or_else(|| Error::Write {
                    first,
                    end: first + chunk.len(),
                    message: s.message().to_string(),
                })
            })?;
    }
    drop(tx);
    tokio::time::timeout(CLOSE_WAIT, async {
        while responses.next().await.is_some() {}
    })
    .await
    .map_err(|_| Error::Close)?;
    Ok(req.updates.len())
}

/// The first update the per-update details of a failed Write blame (rolled-back updates
/// report ABORTED and are skipped).
fn failed_update(s: &tonic::Status, first: usize) -> Option<Error> {
    const ABORTED: i32 = 10;
    let status = RpcStatus::decode(s.details()).ok()?;
    status.details.iter().enumerate().find_map(|(i, any)| {
        let e = v1::Error::decode(any.value.as_slice()).ok()?;
        (e.canonical_code != 0 && e.canonical_code != ABORTED).then(|| Error::Update {
            index: first + i,
            message: e.message,
        })
    })
}

#[cfg(test)]
mod tests {
    use ddsr_pipeline::{ActionCall, EntryAction, FieldMatch};

    use super::*;

    const PROGRAM: &str = include_str!("../../tests/live.p4");

    #[test]
    fn model_entries_become_canonical_inserts_with_p4info_ids() {
        let parsed = ddsr_p4::syntax::parse_str("live.p4", PROGRAM, &Default::default());
        let c = ddsr_p4::p4info::compile(&parsed.program, "live").expect("live.p4 compiles");
        let p = &c.lowered.pipeline;
        let entry = TableEntry {
            table: p.table_by_name("LiveIngress.by_port").expect("table"),
            matches: vec![FieldMatch::Exact { value: vec![0, 3] }],
            priority: 0,
            action: EntryAction::Action(ActionCall {
                action: p.action_by_name("LiveIngress.forward").expect("action"),
                args: vec![vec![0, 2], vec![0, 0, 0, 0, 0, 0xbb]],
            }),
        };
        let req = inserts(&c.p4info, p, &[entry]).expect("inserts");
        let text = ddsr_proto::text::to_text(&req).expect("text");
        let ids = |kind: &str, name: &str| {
            let list: Vec<(String, u32)> = match kind {
                "table" => c
                    .p4info
                    .tables
                    .iter()
                    .filter_map(|t| t.preamble.as_ref())
                    .map(|p| (p.name.clone(), p.id))
                    .collect(),
                _ => c
                    .p4info
                    .actions
                    .iter()
                    .filter_map(|a| a.preamble.as_ref())
                    .map(|p| (p.name.clone(), p.id))
                    .collect(),
            };
            list.into_iter().find(|(n, _)| n == name).expect("id").1
        };
        let table = ids("table", "LiveIngress.by_port");
        let action = ids("action", "LiveIngress.forward");
        let expected = v1::WriteRequest {
            updates: vec![v1::Update {
                r#type: v1::update::Type::Insert as i32,
                entity: Some(v1::Entity {
                    entity: Some(v1::entity::Entity::TableEntry(v1::TableEntry {
                        table_id: table,
                        r#match: vec![v1::FieldMatch {
                            field_id: 1,
                            field_match_type: Some(v1::field_match::FieldMatchType::Exact(
                                v1::field_match::Exact { value: vec![3] },
                            )),
                        }],
                        action: Some(v1::TableAction {
                            r#type: Some(v1::table_action::Type::Action(v1::Action {
                                action_id: action,
                                params: vec![
                                    v1::action::Param {
                                        param_id: 1,
                                        value: vec![2],
                                    },
                                    v1::action::Param {
                                        param_id: 2,
                                        value: vec![0xbb],
                                    },
                                ],
                            })),
                        }),
                        ..Default::default()
                    })),
                }),
            }],
            ..Default::default()
        };
        assert_eq!(req, expected, "{text}");
    }

    #[test]
    fn a_p4info_of_another_program_is_refused() {
        let parsed = ddsr_p4::syntax::parse_str("live.p4", PROGRAM, &Default::default());
        let c = ddsr_p4::p4info::compile(&parsed.program, "live").expect("live.p4 compiles");
        let mut info = c.p4info.clone();
        info.actions
            .iter_mut()
            .filter_map(|a| a.preamble.as_mut())
            .for_each(|p| p.name.push_str("_renamed"));
        let err = inserts(&info, &c.lowered.pipeline, &[]).expect_err("mismatch");
        assert!(err.contains("_renamed"), "{err}");
    }
}
