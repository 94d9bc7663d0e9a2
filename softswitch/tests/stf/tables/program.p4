/*
 * Match kinds, priorities, defaults and const entries: five tables keyed on the probe's
 * operands, each writing one result byte, all applied to every probe packet.
 *   by_a     exact a          -> r0 (default set_r0(0xee), changeable; direct counter)
 *   by_d0    lpm d0           -> r1 (default 0)
 *   by_w0    ternary w0       -> r2 (default 0)
 *   by_w1_b  range w1, optional b -> r3 (default 0)
 *   fixed    exact a, const entries and const default -> r4
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
    direct_counter(CounterType.packets_and_bytes) by_a_hits;

    action set_r0(bit<8> v) { hdr.probe.r0 = v; }
    action set_r1(bit<8> v) { hdr.probe.r1 = v; }
    action set_r2(bit<8> v) { hdr.probe.r2 = v; }
    action set_r3(bit<8> v) { hdr.probe.r3 = v; }
    action set_r4(bit<8> v) { hdr.probe.r4 = v; }

    table by_a {
        key = { hdr.probe.a: exact; }
        actions = { set_r0; }
        default_action = set_r0(0xee);
        counters = by_a_hits;
        size = 16;
    }
    table by_d0 {
        key = { hdr.probe.d0: lpm; }
        actions = { set_r1; }
        default_action = set_r1(0);
        size = 16;
    }
    table by_w0 {
        key = { hdr.probe.w0: ternary; }
        actions = { set_r2; }
        default_action = set_r2(0);
        size = 16;
    }
    table by_w1_b {
        key = {
            hdr.probe.w1: range;
            hdr.probe.b: optional;
        }
        actions = { set_r3; }
        default_action = set_r3(0);
        size = 16;
    }
    table fixed {
        key = { hdr.probe.a: exact; }
        actions = { set_r4; }
        const default_action = set_r4(0xdd);
        const entries = {
            1: set_r4(0x11);
            2: set_r4(0x22);
        }
    }

    apply {
        sm.egress_spec = 1;
        if (hdr.probe.isValid()) {
            by_a.apply();
            by_d0.apply();
            by_w0.apply();
            by_w1_b.apply();
            fixed.apply();
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
