/*
 * Loops (P4_16 1.2.5) and run-time header stack indices, both unrolled by
 * lowering: range loops whose variable indexes a stack, a loop over the
 * stack's elements with `break`, a range loop with `continue`, and a stack
 * element read and written at an index taken from the packet.
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
        bit<8> sum = 0;
        for (bit<8> i in 0..3) {
            sum = sum + hdr.tags[i].v;
        }
        /* Tags before the first 0xff. */
        bit<8> count = 0;
        for (tag_t t in hdr.tags) {
            if (t.v == 0xff) {
                break;
            }
            count = count + 1;
        }
        bit<8> nonzero = 0;
        for (bit<8> i in 0..3) {
            if (hdr.tags[i].v == 0) {
                continue;
            }
            nonzero = nonzero + 1;
        }
        bit<2> idx = hdr.ethernet.dst_addr[1:0];
        bit<8> picked = 0;
        picked = hdr.tags[idx].v;
        hdr.tags[idx].v = sum;
        hdr.ethernet.src_addr = 16w0 ++ count ++ nonzero ++ picked ++ sum;
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
