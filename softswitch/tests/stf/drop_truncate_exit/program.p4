/*
 * Ways a packet ends or shrinks, selected by the probe's a: 1 mark_to_drop in ingress;
 * 2 egress_spec = 511 (simple_switch's drop port); 3 truncate(20) then forward; 4 exit
 * after choosing port 3 (later statements do not run); 5 mark_to_drop in egress; 6
 * mark_to_drop then a new egress_spec (the later assignment wins, as in BMv2); 7 an action
 * that returns early. Anything else goes to port 1 with r0 = 1 written after the choice.
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
    action half(bit<9> port) {
        sm.egress_spec = port;
        hdr.probe.r1 = 0x11;
        if (hdr.probe.b == 0) {
            return;
        }
        hdr.probe.r2 = 0x22;
    }
    apply {
        sm.egress_spec = 1;
        if (hdr.probe.a == 1) {
            mark_to_drop(sm);
        } else if (hdr.probe.a == 2) {
            sm.egress_spec = 511;
        } else if (hdr.probe.a == 3) {
            truncate(20);
        } else if (hdr.probe.a == 4) {
            sm.egress_spec = 3;
            exit;
        } else if (hdr.probe.a == 6) {
            mark_to_drop(sm);
            sm.egress_spec = 2;
        } else if (hdr.probe.a == 7) {
            half(4);
        }
        hdr.probe.r0 = 1;
    }
}

control Egr(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (hdr.probe.a == 5) {
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
