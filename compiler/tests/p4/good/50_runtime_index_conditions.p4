/*
 * Header stack indices known only at run time in conditions and in the
 * initializers of local variables (assignments and calls are in 47): the
 * condition is computed once per possible element, and an index outside the
 * stack makes the condition false. `idx + 1` wraps in `bit<2>`, so element 3
 * is compared with element 0.
 */

#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header tag_t {
    bit<8> v;
}

struct headers_t {
    ethernet_t ethernet;
    tag_t[4]   tags;
}

struct metadata_t {
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        packet.extract(hdr.tags.next);
        packet.extract(hdr.tags.next);
        packet.extract(hdr.tags.next);
        packet.extract(hdr.tags.next);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr,
                  inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    apply {
        bit<2> idx = hdr.ethernet.dst_addr[1:0];
        bit<3> wide = hdr.ethernet.dst_addr[2:0];
        bit<8> picked = hdr.tags[idx].v;
        bit<8> flags;
        if (hdr.tags[idx].v == 0xff) {
            flags = 1;
        } else {
            flags = 2;
        }
        if (hdr.tags[idx].v > hdr.tags[idx + 1].v) {
            flags = flags | 0x10;
        }
        if (hdr.tags[wide].v != 0) {
            flags = flags | 0x20;
        }
        hdr.ethernet.src_addr = 32w0 ++ picked ++ flags;
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
        packet.emit(hdr.tags);
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
