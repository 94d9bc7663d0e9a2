/*
 * lookahead<T>() peeks without moving the cursor; advance() skips bits, and skipped bytes are
 * not part of the payload the deparser appends (as in BMv2); a lookahead past the end of the
 * packet is PacketTooShort.
 */

#include "../headers.p4"

struct headers_t {
    ethernet_t eth;
    probe_t    probe;
}

struct metadata_t {
    bit<8> kind;
}

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,
         inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.etype) {
            TYPE_PROBE: peek;
            default: accept;
        }
    }
    state peek {
        meta.kind = pkt.lookahead<bit<8>>();
        transition select(meta.kind) {
            1: skip;
            2: take;
            default: far;
        }
    }
    state skip {
        pkt.advance(32);
        pkt.extract(hdr.probe);
        transition accept;
    }
    state take {
        pkt.extract(hdr.probe);
        transition accept;
    }
    state far {
        probe_t p = pkt.lookahead<probe_t>();
        meta.kind = p.b;
        transition accept;
    }
}

control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (sm.parser_error != error.NoError) {
            sm.egress_spec = 9;
        } else if (hdr.probe.isValid()) {
            hdr.probe.r0 = meta.kind;
            sm.egress_spec = (bit<9>)meta.kind;
        } else {
            sm.egress_spec = 5;
            hdr.eth.src = (bit<48>)meta.kind;
        }
    }
}

control Egr(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply { }
}

control NoUpdate(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Dep(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.eth);
        pkt.emit(hdr.probe);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
