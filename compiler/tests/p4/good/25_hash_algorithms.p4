/*
 * The hash extern with each algorithm v1model defines over field lists of
 * mixed widths, with a base and a maximum, and the result used to pick one
 * of several ports.
 */

#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header ipv4_t {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  diffserv;
    bit<16> total_len;
    bit<16> identification;
    bit<3>  flags;
    bit<13> frag_offset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdr_checksum;
    bit<32> src_addr;
    bit<32> dst_addr;
}

header tcp_t {
    bit<16> src_port;
    bit<16> dst_port;
    bit<32> seq_no;
    bit<32> ack_no;
    bit<4>  data_offset;
    bit<4>  res;
    bit<8>  flags;
    bit<16> window;
    bit<16> checksum;
    bit<16> urgent_ptr;
}

header udp_t {
    bit<16> src_port;
    bit<16> dst_port;
    bit<16> length;
    bit<16> checksum;
}

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
    tcp_t      tcp;
    udp_t      udp;
}

struct metadata_t {
    bit<16> h_crc16;
    bit<32> h_crc32;
    bit<16> h_csum16;
    bit<16> h_xor16;
    bit<32> h_identity;
    bit<16> h_random;
    bit<16> h_crc16_custom;
    bit<32> h_crc32_custom;
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            0x0800: parse_ipv4;
            default: accept;
        }
    }
    state parse_ipv4 {
        packet.extract(hdr.ipv4);
        transition select(hdr.ipv4.protocol) {
            6: parse_tcp;
            17: parse_udp;
            default: accept;
        }
    }
    state parse_tcp {
        packet.extract(hdr.tcp);
        transition accept;
    }
    state parse_udp {
        packet.extract(hdr.udp);
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
        if (hdr.ipv4.isValid()) {
            hash(meta.h_crc16, HashAlgorithm.crc16, 16w0,
                 { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.ipv4.protocol }, 32w65536);
            hash(meta.h_crc32, HashAlgorithm.crc32, 32w0,
                 { hdr.ipv4.src_addr, hdr.ipv4.dst_addr }, 32w0);
            hash(meta.h_csum16, HashAlgorithm.csum16, 16w0,
                 { hdr.ipv4.src_addr }, 32w65536);
            hash(meta.h_xor16, HashAlgorithm.xor16, 16w0,
                 { hdr.ipv4.dst_addr }, 32w65536);
            hash(meta.h_identity, HashAlgorithm.identity, 32w0,
                 { hdr.ipv4.dst_addr }, 64w4294967296);
            hash(meta.h_random, HashAlgorithm.random, 16w0,
                 { hdr.ipv4.ttl }, 32w100);
            hash(meta.h_crc16_custom, HashAlgorithm.crc16_custom, 16w0,
                 { hdr.ethernet.src_addr }, 32w65536);
            hash(meta.h_crc32_custom, HashAlgorithm.crc32_custom, 32w0,
                 { hdr.ethernet.dst_addr }, 32w0);
            bit<16> port_pick;
            hash(port_pick, HashAlgorithm.crc16, 16w1,
                 { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.ipv4.protocol,
                   hdr.tcp.src_port, hdr.tcp.dst_port }, 32w4);
            standard_metadata.egress_spec = (bit<9>)port_pick;
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
        packet.emit(hdr.ipv4);
        packet.emit(hdr.tcp);
        packet.emit(hdr.udp);
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
