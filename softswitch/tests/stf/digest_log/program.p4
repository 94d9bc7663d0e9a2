/*
 * Digests to the control plane and log_msg: a probe whose b is 1 sends a digest of the
 * struct learn_t (source MAC, ingress port, a); every probe logs its operands, and a = 0 also
 * logs a line without arguments.
 */

#include "../headers.p4"

struct learn_t {
    bit<48> mac;
    bit<9>  port;
    bit<8>  a;
}

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
        sm.egress_spec = 1;
        if (!hdr.probe.isValid()) {
            return;
        }
        if (hdr.probe.b == 1) {
            digest<learn_t>(1, { hdr.eth.src, sm.ingress_port, hdr.probe.a });
        }
        log_msg("a={} b={}", { hdr.probe.a, hdr.probe.b });
        if (hdr.probe.a == 0) {
            log_msg("a is zero");
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
