/*
 * Header types and validity: bit<N> and int<N> fields, isValid, setValid on
 * a header added by the program, setInvalid on a header removed by it, and
 * emit of invalid headers (which emit nothing).
 */

#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header tag_t {
    bit<3>  pcp;
    bit<1>  dei;
    bit<12> vid;
    bit<16> ether_type;
}

header probe_t {
    int<16> offset;
    bit<16> seq;
}

struct headers_t {
    ethernet_t ethernet;
    tag_t      tag;
    probe_t    probe;
}

struct metadata_t {
    bit<12> saved_vid;
    int<16> signed_offset;
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x8100: parse_tag;
            0x88b5: parse_probe;
            default: accept;
        }
    }
    state parse_tag {
        packet.extract(hdr.tag);
        transition accept;
    }
    state parse_probe {
        packet.extract(hdr.probe);
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
        if (hdr.tag.isValid()) {
            meta.saved_vid = hdr.tag.vid;
            hdr.ethernet.ether_type = hdr.tag.ether_type;
            hdr.tag.setInvalid();
        } else {
            hdr.tag.setValid();
            hdr.tag.pcp = 0;
            hdr.tag.dei = 0;
            hdr.tag.vid = 12w100;
            hdr.tag.ether_type = hdr.ethernet.ether_type;
            hdr.ethernet.ether_type = 0x8100;
        }
        if (hdr.probe.isValid()) {
            meta.signed_offset = hdr.probe.offset - 16s1;
            hdr.probe.offset = meta.signed_offset;
        }
        standard_metadata.egress_spec = 2;
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
        packet.emit(hdr.probe);
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
