//! One-call loading of compiled entries into a switch core, without a gRPC server: what
//! `ddsr compile` writes as `entries.txtpb` (a P4Runtime `WriteRequest` in text format)
//! goes through the same translation and checks as a controller's Write.

use ddsr_proto::p4::config::v1 as p4i;
use ddsr_proto::p4::v1;
use ddsr_softswitch::Switch;

use crate::error::Error;
use crate::schema::Schema;
use crate::write::{Extras, Writer};

/// Parses protobuf text (an `entries.txtpb`) into a `WriteRequest`; a syntax error names its
/// line and column.
pub fn parse_write_request(text: &str) -> Result<v1::WriteRequest, Error> {
    ddsr_proto::text::from_text(text)
        .map_err(|e| Error::InvalidArgument(format!("WriteRequest text: {e}")))
}

/// Applies every update of `req` to `switch`, whose pipeline `p4info` describes, all or
/// nothing: on the first failing update every applied one is undone and the error names the
/// update's index. Returns the number of updates applied.
///
/// The request's device id, election id and atomicity are ignored: there is no device or
/// arbitration here, and the load is always atomic. Table entry `metadata` and
/// `idle_timeout_ns` are accepted but not kept (the switch core has no place for them).
pub fn apply_write_request(
    switch: &mut Switch,
    p4info: &p4i::P4Info,
    req: &v1::WriteRequest,
) -> Result<usize, Error> {
    let schema = Schema::new(p4info, switch.pipeline()).map_err(Error::InvalidArgument)?;
    let mut extras = Extras::default();
    let mut w = Writer {
        switch,
        schema: &schema,
        extras: &mut extras,
        now_ns: 0,
    };
    let mut undo = Vec::with_capacity(req.updates.len());
    for (i, u) in req.updates.iter().enumerate() {
        if let Err(e) = w.apply(u, Some(&mut undo)) {
            w.undo_all(undo);
            return Err(e.context(&format!("update {i}")));
        }
    }
    Ok(req.updates.len())
}
