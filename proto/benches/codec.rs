//! Cost of the artifact formats for a batch of table entries of the shape
//! the load balancer writes (exact VIP key + ternary ACL key, one action with
//! two parameters): protobuf wire encode/decode with prost, and text format
//! print/parse through the embedded descriptors. Figures go to
//! docs/notes/proto.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ddsr_proto::p4::v1;
use ddsr_proto::text::{from_text, to_text};
use prost::Message;
use std::hint::black_box;

const ENTRIES: usize = 10_000;

fn batch() -> v1::WriteRequest {
    use v1::field_match::{Exact, FieldMatchType, Ternary};
    let updates = (0..ENTRIES as u32)
        .map(|i| v1::Update {
            r#type: v1::update::Type::Insert as i32,
            entity: Some(v1::Entity {
                entity: Some(v1::entity::Entity::TableEntry(v1::TableEntry {
                    table_id: 38116258,
                    r#match: vec![
                        v1::FieldMatch {
                            field_id: 1,
                            field_match_type: Some(FieldMatchType::Exact(Exact {
                                value: (0xcb00_7100 | i).to_be_bytes().to_vec(),
                            })),
                        },
                        v1::FieldMatch {
                            field_id: 2,
                            field_match_type: Some(FieldMatchType::Ternary(Ternary {
                                value: vec![10, (i >> 8) as u8, i as u8, 0],
                                mask: vec![255, 255, 255, 0],
                            })),
                        },
                    ],
                    action: Some(v1::TableAction {
                        r#type: Some(v1::table_action::Type::Action(v1::Action {
                            action_id: 16800567,
                            params: vec![
                                v1::action::Param {
                                    param_id: 1,
                                    value: vec![192, 0, 2, i as u8],
                                },
                                v1::action::Param {
                                    param_id: 2,
                                    value: vec![(i % 64) as u8],
                                },
                            ],
                        })),
                    }),
                    priority: (i % 1000 + 1) as i32,
                    ..Default::default()
                })),
            }),
        })
        .collect();
    v1::WriteRequest {
        device_id: 1,
        election_id: Some(ddsr_proto::uint128(1)),
        updates,
        ..Default::default()
    }
}

fn codec(c: &mut Criterion) {
    let request = batch();
    let wire = request.encode_to_vec();
    let text = to_text(&request).unwrap();
    let mut group = c.benchmark_group("write_request_10k_entries");
    group.throughput(Throughput::Elements(ENTRIES as u64));
    group.sample_size(10);
    group.bench_function("wire_encode", |b| {
        b.iter(|| black_box(&request).encode_to_vec())
    });
    group.bench_function("wire_decode", |b| {
        b.iter(|| v1::WriteRequest::decode(black_box(wire.as_slice())).unwrap())
    });
    group.bench_function("text_print", |b| {
        b.iter(|| to_text(black_box(&request)).unwrap())
    });
    group.bench_function("text_parse", |b| {
        b.iter(|| from_text::<v1::WriteRequest>(black_box(&text)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
