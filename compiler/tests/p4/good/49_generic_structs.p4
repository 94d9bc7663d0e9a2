/*
 * Generic structs (P4_16 1.2.2): `struct S<T>` specialised with `bit<N>`
 * type arguments (two different ones) in local variables; field
 * reads, writes and initializers take the type argument's width, so
 * arithmetic on them wraps at that width.
 */

#include <core.p4>
#include <v1model.p4>

struct pair_t<T> {
    T first;
    T second;
}

header tag_t {
    bit<16> v;
    bit<8>  kind;
}

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

struct headers_t {
    ethernet_t ethernet;
    tag_t      tag;
}

struct metadata_t {
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        packet.extract(hdr.tag);
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
        pair_t<bit<8>> bytes = { hdr.tag.v[15:8], hdr.tag.v[7:0] };
        pair_t<bit<16>> words = { first = hdr.ethernet.ether_type, second = 0x0102 };
        /* 8-bit arithmetic wraps at 8 bits, 16-bit at 16. */
        bytes.first = bytes.first + 0xff;
        words.second = words.second + 0xffff;
        hdr.tag.v = bytes.second ++ bytes.first;
        pair_t<bit<8>> kinds = { hdr.tag.kind, 0 };
        kinds.first = kinds.first + 1;
        hdr.tag.kind = kinds.first;
        hdr.ethernet.src_addr = 16w0 ++ words.first ++ words.second;
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
        packet.emit(hdr.tag);
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
