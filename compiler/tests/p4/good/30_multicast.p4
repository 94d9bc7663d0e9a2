/*
 * Multicast: ingress sets standard_metadata.mcast_grp from a table so the
 * packet replication engine makes copies; egress reads egress_rid and
 * egress_port of each copy and drops the copy going back to its source.
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
    bit<9> source_port;
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
    action flood(bit<16> group) {
        standard_metadata.mcast_grp = group;
    }
    action unicast(bit<9> port) {
        standard_metadata.egress_spec = port;
    }
    table l2 {
        key = {
            hdr.ethernet.dst_addr: exact;
        }
        actions = {
            flood;
            unicast;
        }
        default_action = flood(1);
    }
    apply {
        meta.source_port = standard_metadata.ingress_port;
        l2.apply();
    }
}

control MyEgress(inout headers_t hdr,
                 inout metadata_t meta,
                 inout standard_metadata_t standard_metadata) {
    apply {
        if (standard_metadata.egress_rid != 0
            && standard_metadata.egress_port == meta.source_port) {
            mark_to_drop(standard_metadata);
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
