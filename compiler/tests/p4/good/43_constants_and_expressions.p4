/*
 * Compile-time constants and expressions: const declarations at top level
 * and in a control, constant folding of arithmetic in widths and values,
 * the conditional operator, boolean operators with short-circuit, and
 * comparisons of signed and unsigned values.
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

const bit<16> ETHERTYPE_IPV4 = 16w0x0800;
const bit<8>  PROTO_TCP = 6;
const bit<8>  PROTO_UDP = PROTO_TCP + 11;
const int     PORT_COUNT = 4;
const bit<9>  LAST_PORT = PORT_COUNT - 1;
const bool    STRICT = true;

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
    tcp_t      tcp;
    udp_t      udp;
}

struct metadata_t {
    bit<9> port;
    int<16> delta;
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
    const bit<8> TTL_FLOOR = 2 * 2 - 2;

    apply {
        bool is_ip = hdr.ethernet.ether_type == ETHERTYPE_IPV4 && hdr.ipv4.isValid();
        bool is_l4 = is_ip && (hdr.ipv4.protocol == PROTO_TCP || hdr.ipv4.protocol == PROTO_UDP);
        meta.port = is_l4 ? LAST_PORT : 9w1;
        meta.delta = is_ip ? (int<16>)hdr.ipv4.total_len - 16s1500 : 16s0;
        if (STRICT && is_ip && hdr.ipv4.ttl < TTL_FLOOR) {
            mark_to_drop(standard_metadata);
        } else if (meta.delta > 0 || !is_ip) {
            standard_metadata.egress_spec = 0;
        } else {
            standard_metadata.egress_spec = meta.port;
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
