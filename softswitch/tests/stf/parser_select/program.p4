/*
 * Select keysets: a plain value, a value with a mask, a range, a parser value set, tuples
 * with don't-care and masked elements, and default. Each parser state records its number in
 * `meta.path`, and ingress sends the packet, unchanged, to that port.
 */

#include "../headers.p4"

struct headers_t {
    ethernet_t eth;
    probe_t    probe;
}

struct metadata_t {
    bit<9> path;
}

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,
         inout standard_metadata_t sm) {
    value_set<bit<16>>(4) special;

    state start {
        meta.path = 9;
        pkt.extract(hdr.eth);
        transition select(hdr.eth.etype) {
            TYPE_IPV4: plain;
            0x8100 &&& 0xefff: masked;
            0x0900 .. 0x09ff: ranged;
            TYPE_PROBE: pair;
            special: from_set;
            default: accept;
        }
    }
    state plain { meta.path = 1; transition accept; }
    state masked { meta.path = 2; transition accept; }
    state ranged { meta.path = 3; transition accept; }
    state from_set { meta.path = 6; transition accept; }
    state pair {
        pkt.extract(hdr.probe);
        transition select(hdr.probe.a, hdr.probe.b) {
            (1, _): first_any;
            (2, 0x10 &&& 0xf0): second_masked;
            (_, 0x33): any_second;
            default: accept;
        }
    }
    state first_any { meta.path = 4; transition accept; }
    state second_masked { meta.path = 5; transition accept; }
    state any_second { meta.path = 7; transition accept; }
}

control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply { sm.egress_spec = meta.path; }
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
