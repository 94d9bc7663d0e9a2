/*
 * Enumerations: an enum without representation used in metadata and
 * compared; a serializable enum over bit<16> used as a header field type and
 * in a select; an enum over bit<8> cast to and from its underlying type; a
 * switch statement on an enum value.
 */

#include <core.p4>
#include <v1model.p4>

enum bit<16> ether_type_t {
    IPV4 = 0x0800,
    ARP  = 0x0806,
    IPV6 = 0x86dd
}

enum bit<8> verdict_t {
    PASS = 1,
    DROP = 2
}

enum color_t {
    GREEN,
    YELLOW,
    RED
}

header ethernet_t {
    bit<48>      dst_addr;
    bit<48>      src_addr;
    ether_type_t ether_type;
}

struct headers_t {
    ethernet_t ethernet;
}

struct metadata_t {
    color_t   color;
    verdict_t verdict;
    bit<8>    verdict_code;
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ether_type_t.IPV4: accept;
            ether_type_t.IPV6: accept;
            ether_type_t.ARP: accept;
            default: reject;
        }
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr,
                  inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    apply {
        meta.color = color_t.GREEN;
        if (hdr.ethernet.ether_type == ether_type_t.ARP) {
            meta.color = color_t.YELLOW;
        }
        switch (meta.color) {
            color_t.GREEN: {
                meta.verdict = verdict_t.PASS;
            }
            color_t.YELLOW: {
                meta.verdict = (verdict_t)8w1;
            }
            default: {
                meta.verdict = verdict_t.DROP;
            }
        }
        meta.verdict_code = (bit<8>)meta.verdict;
        if (meta.verdict == verdict_t.DROP) {
            mark_to_drop(standard_metadata);
        } else {
            standard_metadata.egress_spec = (bit<9>)meta.verdict_code;
        }
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
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
