/*
 * An action profile (entries name members) and an action selector (entries name members or
 * groups; within a group, BMv2 picks member number crc16(selector keys) % group size, members
 * in ascending id order).
 */

#include "../headers.p4"

struct headers_t {
    ethernet_t eth;
    probe_t    probe;
}

struct metadata_t { }

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,
         inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.etype) {
            TYPE_PROBE: probe;
            default: accept;
        }
    }
    state probe { pkt.extract(hdr.probe); transition accept; }
}

control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    action_profile(32w8) prof;
    action_selector(HashAlgorithm.crc16, 32w16, 32w16) sel;

    action to_port(bit<9> port, bit<8> v) {
        sm.egress_spec = port;
        hdr.probe.r0 = v;
    }
    action pick(bit<8> v) { hdr.probe.r1 = v; }

    table by_profile {
        key = { hdr.probe.a: exact; }
        actions = { to_port; }
        implementation = prof;
        size = 8;
    }
    table by_selector {
        key = {
            hdr.probe.b: exact;
            hdr.probe.w0: selector;
        }
        actions = { pick; }
        implementation = sel;
        size = 8;
    }

    apply {
        sm.egress_spec = 9;
        if (hdr.probe.isValid()) {
            by_profile.apply();
            by_selector.apply();
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
