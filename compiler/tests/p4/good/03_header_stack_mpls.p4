/*
 * Header stacks: parsing a label stack with .next and .last, reading
 * .lastIndex in the parser, indexing with constants, .size, push_front and
 * pop_front, and emitting a whole stack.
 */

#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header mpls_t {
    bit<20> label;
    bit<3>  tc;
    bit<1>  bos;
    bit<8>  ttl;
}

struct headers_t {
    ethernet_t ethernet;
    mpls_t[4]  mpls;
}

struct metadata_t {
    bit<32> depth;
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x8847: parse_mpls;
            default: accept;
        }
    }
    state parse_mpls {
        packet.extract(hdr.mpls.next);
        meta.depth = hdr.mpls.lastIndex + 1;
        transition select(hdr.mpls.last.bos) {
            1: accept;
            default: parse_mpls;
        }
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr,
                  inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    action pop_label() {
        hdr.mpls.pop_front(1);
    }
    action push_label(bit<20> label) {
        hdr.mpls.push_front(1);
        hdr.mpls[0].setValid();
        hdr.mpls[0].label = label;
        hdr.mpls[0].tc = 0;
        hdr.mpls[0].bos = 0;
        hdr.mpls[0].ttl = 64;
    }
    table label_ops {
        key = {
            hdr.mpls[0].label: exact;
        }
        actions = {
            pop_label;
            push_label;
            NoAction;
        }
        default_action = NoAction();
        size = 256;
    }
    apply {
        if (hdr.mpls[0].isValid()) {
            label_ops.apply();
            if (meta.depth == hdr.mpls.size) {
                hdr.mpls[3].ttl = hdr.mpls[3].ttl - 1;
            }
        }
        standard_metadata.egress_spec = 1;
    }
}

control MyEgress(inout headers_t hdr,
                 inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    apply { }
}

control MyComputeChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyDeparser(packet_out packet, in headers_t hdr) {
    apply {
        packet.emit(hdr.ethernet);
        packet.emit(hdr.mpls);
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
