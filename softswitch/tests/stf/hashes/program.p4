/*
 * The hash extern with every algorithm BMv2 has: crc16 (ARC), crc32, csum16 (the Internet
 * checksum of the field list), xor16, identity, a base with a modulus, and random; plus the
 * random extern. Results of a hash over { a, b, w0 } (4 bytes) go into the probe and into a
 * header `hres` that ingress makes valid.
 */

#include "../headers.p4"

header hres_t {
    bit<16> csum;
    bit<16> xor;
    bit<32> ident;
    bit<16> based;
    bit<8>  fixed;
    bit<8>  rnd;
}

struct headers_t {
    ethernet_t eth;
    probe_t    probe;
    hres_t     hres;
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
        hash(hdr.probe.w1, HashAlgorithm.crc16, 16w0,
             { hdr.probe.a, hdr.probe.b, hdr.probe.w0 }, 32w65536);
        hash(hdr.probe.d0, HashAlgorithm.crc32, 32w0,
             { hdr.probe.a, hdr.probe.b, hdr.probe.w0 }, 64w4294967296);
        hdr.hres.setValid();
        hash(hdr.hres.csum, HashAlgorithm.csum16, 16w0,
             { hdr.probe.a, hdr.probe.b, hdr.probe.w0 }, 32w65536);
        hash(hdr.hres.xor, HashAlgorithm.xor16, 16w0,
             { hdr.probe.a, hdr.probe.b, hdr.probe.w0 }, 32w65536);
        hash(hdr.hres.ident, HashAlgorithm.identity, 32w0,
             { hdr.probe.w0, hdr.probe.a, hdr.probe.b }, 64w4294967296);
        hash(hdr.hres.based, HashAlgorithm.crc16, 16w100, { hdr.probe.w0 }, 32w10);
        hash(hdr.hres.fixed, HashAlgorithm.random, 8w7, { hdr.probe.a }, 16w1);
        random(hdr.hres.rnd, 8w10, 8w20);
        if (hdr.hres.rnd < 10 || hdr.hres.rnd > 20) {
            sm.egress_spec = 9;
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
        pkt.emit(hdr.hres);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
