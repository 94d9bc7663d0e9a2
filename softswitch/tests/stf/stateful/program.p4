/*
 * Stateful externs: an indexed counter per ingress port (packets and bytes), a packet counter
 * indexed by the probe's a, a packet meter (two-rate three-colour, colour into r0), a table
 * with a direct meter (unconfigured: green) read into r1, and two registers: the previous w0
 * seen for index a (returned in w1) and a per-port packet count (returned in d0).
 */

#include "../headers.p4"

struct headers_t {
    ethernet_t eth;
    probe_t    probe;
}

struct metadata_t {
    bit<8> colour;
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
    counter(8, CounterType.packets_and_bytes) per_port;
    counter(4, CounterType.packets) by_a;
    meter(4, MeterType.packets) limiter;
    direct_meter<bit<8>>(MeterType.packets) dm;
    register<bit<16>>(8) last_w0;
    register<bit<32>>(8) port_pkts;

    action coloured() { dm.read(meta.colour); }
    table metered {
        key = { hdr.probe.b: exact; }
        actions = { coloured; NoAction; }
        default_action = NoAction();
        meters = dm;
        size = 4;
    }

    apply {
        sm.egress_spec = 1;
        per_port.count((bit<32>)sm.ingress_port);
        bit<32> n;
        port_pkts.read(n, (bit<32>)sm.ingress_port);
        n = n + 1;
        port_pkts.write((bit<32>)sm.ingress_port, n);
        if (!hdr.probe.isValid()) {
            return;
        }
        bit<32> i = (bit<32>)hdr.probe.a;
        by_a.count(i);
        limiter.execute_meter(i, hdr.probe.r0);
        meta.colour = 0xff;
        metered.apply();
        hdr.probe.r1 = meta.colour;
        bit<16> old;
        last_w0.read(old, i);
        last_w0.write(i, hdr.probe.w0);
        hdr.probe.w1 = old;
        hdr.probe.d0 = n;
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
