/*
 * Multicast: a probe with a != 0 goes to multicast group a; egress writes each replica's
 * egress_rid, egress_port and instance_type (5, replication) into r0..r2 and drops the replica
 * for port 7. A probe with a = 0 is unicast to port b (instance_type 0).
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
    apply {
        if (!hdr.probe.isValid()) {
            mark_to_drop(sm);
        } else if (hdr.probe.a != 0) {
            sm.mcast_grp = (bit<16>)hdr.probe.a;
        } else {
            sm.egress_spec = (bit<9>)hdr.probe.b;
        }
    }
}

control Egr(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        hdr.probe.r0 = (bit<8>)sm.egress_rid;
        hdr.probe.r1 = (bit<8>)sm.egress_port;
        hdr.probe.r2 = (bit<8>)sm.instance_type;
        if (sm.egress_port == 7) {
            mark_to_drop(sm);
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
