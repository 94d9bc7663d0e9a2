/*
 * P4_16 arithmetic on the operands a and b of the probe header: wrapping and saturating
 * addition and subtraction (unsigned and signed), arithmetic shift of a signed value,
 * concatenation, widening multiplication, sign extension, shifts by a slice and by more than
 * the width, slices, bitwise operators, unsigned and signed comparison, negation, and a
 * widening cast before a shift. Results go into the probe and into a header `res` that
 * ingress makes valid, so the packet grows by its 7 bytes.
 */

#include "../headers.p4"

header res_t {
    bit<8> shl;
    bit<8> shr_big;
    bit<4> hi;
    bit<4> lo;
    bit<8> bitops;
    bit<8> cmp;
    bit<8> neg;
    bit<8> wide;
}

struct headers_t {
    ethernet_t eth;
    probe_t    probe;
    res_t      res;
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
        bit<8> a = hdr.probe.a;
        bit<8> b = hdr.probe.b;
        hdr.probe.r0 = a + b;
        hdr.probe.r1 = a - b;
        hdr.probe.r2 = a |+| b;
        hdr.probe.r3 = a |-| b;
        hdr.probe.r4 = (bit<8>)((int<8>)a |+| (int<8>)b);
        hdr.probe.r5 = (bit<8>)((int<8>)a >> 2);
        hdr.probe.w0 = a ++ b;
        hdr.probe.w1 = (bit<16>)a * (bit<16>)b;
        hdr.probe.d0 = (bit<32>)(int<32>)(int<8>)a;
        hdr.res.setValid();
        hdr.res.shl = a << b[2:0];
        hdr.res.shr_big = a >> b;
        hdr.res.hi = a[7:4];
        hdr.res.lo = b[3:0];
        hdr.res.bitops = (a & b) ^ ~b;
        hdr.res.cmp = (a < b ? 8w1 : 8w0) | ((int<8>)a < (int<8>)b ? 8w2 : 8w0)
                      | (a == b ? 8w4 : 8w0);
        hdr.res.neg = -a;
        hdr.res.wide = ((bit<16>)a << 7)[15:8];
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
        pkt.emit(hdr.res);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
