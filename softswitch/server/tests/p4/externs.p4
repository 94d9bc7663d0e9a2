/*
 * Every extern entity P4Runtime writes, for the server's entity tests: an action selector
 * and an action profile with their tables, an indexed meter and a direct meter, a register,
 * an indexed counter and a direct counter, a digest, and actions that multicast and clone.
 *
 * IPv4 packets go through `ecmp` (selector on the source address); others through `nexthop`
 * (profile, by EtherType). Every packet is counted, metered by ingress port and learned
 * (digest) when `known` misses; its length is stored in `last_len[ingress_port]`.
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

struct headers_t {
    ethernet_t ethernet;
    ipv4_t     ipv4;
}

struct learn_t {
    bit<48> src_addr;
    bit<9>  ingress_port;
}

struct metadata_t {
    bit<2> port_color;
    bit<2> flow_color;
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
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr,
                  inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    action_selector(HashAlgorithm.crc16, 32w64, 32w16) ecmp_selector;
    action_profile(32w16) nexthop_profile;
    meter(32w16, MeterType.packets) port_meter;
    direct_meter<bit<2>>(MeterType.packets) flow_meter;
    direct_counter(CounterType.packets_and_bytes) acl_hits;
    counter(32w16, CounterType.packets_and_bytes) port_packets;
    register<bit<32>>(32w16) last_len;

    action forward(bit<9> port) {
        standard_metadata.egress_spec = port;
    }
    action flood(bit<16> group) {
        standard_metadata.mcast_grp = group;
    }
    action mirror(bit<9> port, bit<32> session) {
        standard_metadata.egress_spec = port;
        clone(CloneType.I2E, session);
    }
    action drop() {
        mark_to_drop(standard_metadata);
    }
    action learn() {
        digest<learn_t>(1, { hdr.ethernet.src_addr, standard_metadata.ingress_port });
    }
    action meter_flow() {
        flow_meter.read(meta.flow_color);
    }
    action count_acl() {
    }
    table ecmp {
        key = {
            hdr.ipv4.dst_addr: exact;
            hdr.ipv4.src_addr: selector;
        }
        actions = {
            forward;
            flood;
            mirror;
            drop;
        }
        default_action = drop();
        implementation = ecmp_selector;
        size = 64;
    }
    table nexthop {
        key = {
            hdr.ethernet.ether_type: exact;
        }
        actions = {
            forward;
            flood;
            drop;
        }
        default_action = drop();
        implementation = nexthop_profile;
        size = 16;
    }
    table known {
        key = {
            hdr.ethernet.src_addr: exact;
        }
        actions = {
            learn;
            NoAction;
        }
        default_action = learn();
        size = 64;
    }
    table policer {
        key = {
            hdr.ethernet.src_addr: exact;
        }
        actions = {
            meter_flow;
        }
        default_action = meter_flow();
        meters = flow_meter;
        size = 64;
    }
    table acl {
        key = {
            hdr.ethernet.dst_addr: ternary;
        }
        actions = {
            count_acl;
        }
        default_action = count_acl();
        counters = acl_hits;
        size = 64;
    }
    apply {
        port_packets.count((bit<32>) standard_metadata.ingress_port);
        port_meter.execute_meter((bit<32>) standard_metadata.ingress_port, meta.port_color);
        last_len.write((bit<32>) standard_metadata.ingress_port, standard_metadata.packet_length);
        known.apply();
        policer.apply();
        acl.apply();
        if (hdr.ipv4.isValid()) {
            ecmp.apply();
        } else {
            nexthop.apply();
        }
        if (meta.port_color == V1MODEL_METER_COLOR_RED || meta.flow_color == V1MODEL_METER_COLOR_RED) {
            mark_to_drop(standard_metadata);
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
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
