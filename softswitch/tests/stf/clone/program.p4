/*
 * Clones with sessions: a = 1 clones ingress-to-egress to session 5 with clone(), a = 2 with
 * clone_preserving_field_list() keeping meta.keep (field list 1). The I2E clone carries the
 * packet as received (ingress's write of r5 is not in it). A probe with b = 1 is also cloned
 * egress-to-egress to session 6: the copy has been through egress once and goes through it
 * again. Egress writes instance_type into r0 and meta.keep into r1 and counts its passes
 * in r2.
 */

#include "../headers.p4"

struct headers_t {
    ethernet_t eth;
    probe_t    probe;
}

struct metadata_t {
    @field_list(1)
    bit<8> keep;
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
        meta.keep = 0x77;
        hdr.probe.r5 = 0xaa;
        if (hdr.probe.a == 1) {
            clone(CloneType.I2E, 32w5);
        } else if (hdr.probe.a == 2) {
            clone_preserving_field_list(CloneType.I2E, 32w5, 1);
        }
    }
}

control Egr(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.probe.r0 = (bit<8>)sm.instance_type;
        hdr.probe.r1 = meta.keep;
        hdr.probe.r2 = hdr.probe.r2 + 1;
        if (sm.instance_type == 0 && hdr.probe.b == 1) {
            clone(CloneType.E2E, 32w6);
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
