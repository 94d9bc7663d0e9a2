/*
 * P4_16 1.2.4 loops and run-time header-stack indices: a `for ... in` range loop finds the
 * largest of four tags, a second one with `break` finds the first tag >= 0x80 (4 if none),
 * and the tag chosen by the low two bits of the destination MAC is overwritten with the
 * largest. Results go into the source MAC.
 */

#include "../headers.p4"

header tag_t {
    bit<8> v;
}

struct headers_t {
    ethernet_t eth;
    tag_t[4]   tags;
}

struct metadata_t { }

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,
         inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.etype) {
            0x9001: tags;
            default: accept;
        }
    }
    state tags {
        pkt.extract(hdr.tags[0]);
        pkt.extract(hdr.tags[1]);
        pkt.extract(hdr.tags[2]);
        pkt.extract(hdr.tags[3]);
        transition accept;
    }
}

control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        sm.egress_spec = 1;
        if (!hdr.tags[3].isValid()) {
            return;
        }
        bit<8> largest = 0;
        for (bit<8> i in 0..3) {
            if (hdr.tags[i].v > largest) {
                largest = hdr.tags[i].v;
            }
        }
        bit<8> first_big = 4;
        for (bit<8> i in 0..3) {
            if (hdr.tags[i].v >= 0x80) {
                first_big = i;
                break;
            }
        }
        bit<2> k = hdr.eth.dst[1:0];
        hdr.tags[k].v = largest;
        hdr.eth.src = 32w0 ++ largest ++ first_big;
    }
}

control Egr(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply { }
}

control NoUpdate(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Dep(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.eth);
        pkt.emit(hdr.tags);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
