/*
 * Expressions on bit strings: slices on both sides of assignments,
 * concatenation (++), shifts by constants and by variables, casts between
 * widths and between bit<N>, int<N> and bool, saturating addition and
 * subtraction (|+| |-|) on unsigned and signed values, bitwise and
 * arithmetic operators, and width-suffixed literals.
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
    bit<64> both_addrs;
    bit<8>  shift;
    bit<8>  sat_up;
    bit<8>  sat_down;
    int<8>  signed_val;
    bit<1>  flag;
    bool    flag_bool;
    bit<16> mixed;
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
        if (!hdr.ipv4.isValid()) {
            return;
        }
        meta.both_addrs = hdr.ipv4.src_addr ++ hdr.ipv4.dst_addr;
        hdr.ipv4.src_addr[7:0] = hdr.ipv4.dst_addr[31:24];
        meta.shift = (bit<8>)hdr.ipv4.ihl;
        meta.mixed = (hdr.ipv4.total_len << 2) >> meta.shift;
        meta.sat_up = hdr.ipv4.ttl |+| 8w200;
        meta.sat_down = hdr.ipv4.ttl |-| 8w10;
        meta.signed_val = (int<8>)hdr.ipv4.ttl;
        meta.signed_val = meta.signed_val |-| 8s100;
        meta.signed_val = -meta.signed_val;
        meta.flag = hdr.ipv4.flags[1:1];
        meta.flag_bool = (bool)meta.flag;
        if (meta.flag_bool && meta.signed_val < 0) {
            hdr.ipv4.diffserv = (bit<8>)meta.signed_val;
        }
        hdr.ipv4.identification = (hdr.ipv4.identification & 16w0xff00)
                                  | (~hdr.ipv4.identification & 16w0x00ff);
        hdr.ipv4.identification = hdr.ipv4.identification ^ 16w0x5555;
        meta.mixed = meta.mixed * 3 + (bit<16>)(meta.both_addrs[63:56]) - 1;
        hdr.ethernet.src_addr = 16w0x0200 ++ hdr.ipv4.src_addr;
        standard_metadata.egress_spec = (bit<9>)(meta.both_addrs[8:0]);
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
