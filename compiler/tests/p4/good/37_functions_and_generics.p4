/*
 * Functions and generics: a top-level function with a return value, a
 * generic function specialised at two types, a generic struct type
 * instantiated with a type argument, and calls to generic externs with
 * explicit and inferred type arguments.
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

struct pair_t<T> {
    T first;
    T second;
}

struct metadata_t {
    bit<16> folded;
}

bit<16> fold_ones_complement(in bit<32> value) {
    bit<17> sum = (bit<17>)value[31:16] + (bit<17>)value[15:0];
    return sum[15:0] + (bit<16>)sum[16:16];
}

void swap<T>(inout T a, inout T b) {
    T tmp = a;
    a = b;
    b = tmp;
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
            pair_t<bit<32>> addrs = { hdr.ipv4.src_addr, hdr.ipv4.dst_addr };
            swap(addrs.first, addrs.second);
            hdr.ipv4.src_addr = addrs.first;
            hdr.ipv4.dst_addr = addrs.second;
            meta.folded = fold_ones_complement(hdr.ipv4.src_addr);
        }
        if (hdr.tcp.isValid()) {
            swap<bit<16>>(hdr.tcp.src_port, hdr.tcp.dst_port);
        }
        bit<8> r;
        random<bit<8>>(r, 0, 3);
        standard_metadata.egress_spec = (bit<9>)r;
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
