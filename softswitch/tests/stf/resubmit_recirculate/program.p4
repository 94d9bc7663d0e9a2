/*
 * Resubmit and recirculate with preserved field lists. a = 1: ingress writes r5 and
 * resubmits keeping meta.mark (field list 0); the resubmitted pass (instance_type 6) sees the
 * packet as received (no r5) and the preserved mark, and writes them to r0 and r3. a = 2:
 * egress recirculates the deparsed packet up to three times keeping meta.rounds (field list
 * 1); each egress pass increments r1, each recirculated ingress pass (instance_type 4) copies
 * rounds into r2 and instance_type into r3.
 */

#include "../headers.p4"

struct headers_t {
    ethernet_t eth;
    probe_t    probe;
}

struct metadata_t {
    @field_list(0)
    bit<8> mark;
    @field_list(1)
    bit<8> rounds;
}

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
    apply {
        sm.egress_spec = 1;
        if (sm.instance_type == 6) {
            hdr.probe.r0 = meta.mark;
            hdr.probe.r3 = (bit<8>)sm.instance_type;
            sm.egress_spec = 2;
        } else if (sm.instance_type == 4) {
            hdr.probe.r2 = meta.rounds;
            hdr.probe.r3 = (bit<8>)sm.instance_type;
        } else if (hdr.probe.a == 1) {
            meta.mark = 0x5a;
            hdr.probe.r5 = 0xbb;
            resubmit_preserving_field_list(0);
        }
    }
}

control Egr(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (hdr.probe.a == 2 && meta.rounds < 3) {
            meta.rounds = meta.rounds + 1;
            hdr.probe.r1 = hdr.probe.r1 + 1;
            recirculate_preserving_field_list(1);
        }
    }
}

control NoUpdate(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Dep(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.eth);
        pkt.emit(hdr.probe);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
