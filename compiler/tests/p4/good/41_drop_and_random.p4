/*
 * mark_to_drop in both forms (the deprecated one without argument and the
 * one taking standard_metadata), and random() giving a value in a range to
 * drop a sample of packets.
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
    bit<16> sample;
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
    action drop_legacy() {
        mark_to_drop();
    }
    action drop() {
        mark_to_drop(standard_metadata);
    }
    table blocked {
        key = {
            hdr.ethernet.src_addr: exact;
        }
        actions = {
            drop_legacy;
            drop;
            NoAction;
        }
        default_action = NoAction();
    }
    apply {
        standard_metadata.egress_spec = 1;
        random(meta.sample, 16w0, 16w999);
        if (meta.sample < 10) {
            drop();
        }
        blocked.apply();
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
