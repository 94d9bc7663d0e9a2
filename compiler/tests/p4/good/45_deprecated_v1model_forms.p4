/*
 * The older v1model primitives that p4c still accepts with a deprecation
 * warning and that BMv2 programs in the wild still use: clone3 with a list of
 * fields to preserve, resubmit and recirculate taking the preserved fields as
 * an argument, and mark_to_drop without argument.
 */

#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

struct headers_t {
    ethernet_t ethernet;
}

struct metadata_t {
    bit<8> passes;
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
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
        standard_metadata.egress_spec = 1;
        if (meta.passes == 0 && hdr.ethernet.ether_type == 0x88b5) {
            meta.passes = 1;
            resubmit({ meta.passes });
        } else if (hdr.ethernet.ether_type == 0x88b6) {
            clone3(CloneType.I2E, 32w9, { standard_metadata.ingress_port });
        } else if (hdr.ethernet.ether_type == 0x88b7) {
            mark_to_drop();
        }
    }
}

control MyEgress(inout headers_t hdr,
                 inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    apply {
        if (standard_metadata.instance_type == 0 && hdr.ethernet.ether_type == 0x88b8) {
            hdr.ethernet.ether_type = 0x88b9;
            recirculate({ meta.passes });
        }
    }
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
