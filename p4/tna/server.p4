/*
 * ddsr server role (TNA, Tofino): the SmartNIC between the fabric and one
 * server. Same behaviour, tables, actions and names as p4/v1model/server.p4,
 * except that the ACL matches the client port as ternary (the table compiler
 * expands ranges into prefixes) and checksums are updated by the deparser
 * (include/tna/parsers.p4).
 */
#include <core.p4>
#include <tna.p4>

#include "../include/headers.p4"
#include "../include/sizes.p4"
#include "../include/tna/parsers.p4"

control DdsrIngress(inout headers_t hdr,
                    inout ddsr_meta_t meta,
                    in ingress_intrinsic_metadata_t ig_intr_md,
                    in ingress_intrinsic_metadata_from_parser_t ig_prsr_md,
                    inout ingress_intrinsic_metadata_for_deparser_t ig_dprsr_md,
                    inout ingress_intrinsic_metadata_for_tm_t ig_tm_md) {
    @name(".request_packets")
    Counter<bit<64>, bit<16>>(DDSR_VIPS, CounterType_t.PACKETS_AND_BYTES) request_packets;
    @name(".response_packets")
    Counter<bit<64>, bit<16>>(DDSR_VIPS, CounterType_t.PACKETS_AND_BYTES) response_packets;
    @name(".acl_packets")
    Counter<bit<64>, bit<32>>(DDSR_ACL_RULES, CounterType_t.PACKETS_AND_BYTES) acl_packets;
    @name(".acl_misses")
    Counter<bit<64>, bit<16>>(DDSR_VIPS, CounterType_t.PACKETS_AND_BYTES) acl_misses;

    @name(".drop")
    action drop() {
        meta.dropped = 1;
    }

    @name(".from_fabric")
    action from_fabric(PortId_t host_port) {
        meta.from_host = 0;
        meta.out_port = host_port;
    }

    @name(".from_host")
    action from_host(PortId_t fabric_port) {
        meta.from_host = 1;
        meta.out_port = fabric_port;
    }

    /* Two entries: the fabric port and the host port. Frames from any other
       port are dropped. */
    @name(".port_roles")
    table port_roles {
        key = { ig_intr_md.ingress_port: exact @name("ingress_port"); }
        actions = { from_fabric; from_host; @defaultonly drop; }
        const default_action = drop();
        size = 16;
    }

    @name(".to_vip_v4")
    action to_vip_v4(bit<16> vip_id, bit<32> vip_addr, bit<16> vip_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v4 = vip_addr;
        meta.port = vip_port;
        request_packets.count(vip_id);
    }

    @name(".to_vip_v6")
    action to_vip_v6(bit<16> vip_id, bit<128> vip_addr, bit<16> vip_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v6 = vip_addr;
        meta.port = vip_port;
        request_packets.count(vip_id);
    }

    /* (server address, protocol, service port) -> VIP. */
    @name(".services_v4")
    table services_v4 {
        key = {
            hdr.ipv4.dst_addr: exact @name("dst_addr");
            hdr.ipv4.protocol: exact @name("protocol");
            hdr.ports.dst_port: exact @name("dst_port");
        }
        actions = { to_vip_v4; @defaultonly NoAction; }
        const default_action = NoAction();
        size = DDSR_VIPS;
    }

    @name(".services_v6")
    table services_v6 {
        key = {
            hdr.ipv6.dst_addr: exact @name("dst_addr");
            hdr.ipv6.next_hdr: exact @name("protocol");
            hdr.ports.dst_port: exact @name("dst_port");
        }
        actions = { to_vip_v6; @defaultonly NoAction; }
        const default_action = NoAction();
        size = DDSR_VIPS;
    }

    @name(".acl_allow")
    action acl_allow(bit<32> rule_id) {
        acl_packets.count(rule_id);
    }

    @name(".acl_deny")
    action acl_deny(bit<32> rule_id) {
        acl_packets.count(rule_id);
        meta.dropped = 1;
    }

    /* No rule of the VIP matched: closed by default. */
    @name(".acl_miss")
    action acl_miss() {
        acl_misses.count(meta.vip_id);
        meta.dropped = 1;
    }

    /* The VIP's client ACL. Entries carry the P4Runtime priority of their
       rule (higher wins); one rule may need several entries, all with its
       rule_id so the counter stays per rule. Tofino's TCAM takes the source
       port as ternary: the compiler expands port ranges into prefixes. */
    @name(".acl_v4")
    table acl_v4 {
        key = {
            meta.vip_id: exact @name("vip_id");
            hdr.ipv4.src_addr: ternary @name("src_addr");
            hdr.ports.src_port: ternary @name("src_port");
        }
        actions = { acl_allow; acl_deny; @defaultonly acl_miss; }
        const default_action = acl_miss();
        size = DDSR_ACL_ENTRIES;
    }

    @name(".acl_v6")
    table acl_v6 {
        key = {
            meta.vip_id: exact @name("vip_id");
            hdr.ipv6.src_addr: ternary @name("src_addr");
            hdr.ports.src_port: ternary @name("src_port");
        }
        actions = { acl_allow; acl_deny; @defaultonly acl_miss; }
        const default_action = acl_miss();
        size = DDSR_ACL_ENTRIES;
    }

    @name(".to_egress_v4")
    action to_egress_v4(bit<16> vip_id, bit<32> egress_addr, bit<16> service_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v4 = egress_addr;
        meta.port = service_port;
        response_packets.count(vip_id);
    }

    @name(".to_egress_v6")
    action to_egress_v6(bit<16> vip_id, bit<128> egress_addr, bit<16> service_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v6 = egress_addr;
        meta.port = service_port;
        response_packets.count(vip_id);
    }

    /* (VIP address, protocol, VIP port) of a response -> egress host and
       service port. */
    @name(".responses_v4")
    table responses_v4 {
        key = {
            hdr.ipv4.src_addr: exact @name("src_addr");
            hdr.ipv4.protocol: exact @name("protocol");
            hdr.ports.src_port: exact @name("src_port");
        }
        actions = { to_egress_v4; @defaultonly NoAction; }
        const default_action = NoAction();
        size = DDSR_VIPS;
    }

    @name(".responses_v6")
    table responses_v6 {
        key = {
            hdr.ipv6.src_addr: exact @name("src_addr");
            hdr.ipv6.next_hdr: exact @name("protocol");
            hdr.ports.src_port: exact @name("src_port");
        }
        actions = { to_egress_v6; @defaultonly NoAction; }
        const default_action = NoAction();
        size = DDSR_VIPS;
    }

    apply {
        port_roles.apply();
        if (meta.dropped == 0 && hdr.ports.isValid()) {
            if (meta.from_host == 0) {
                if (hdr.ipv4.isValid()) {
                    services_v4.apply();
                    if (meta.is_vip == 1) {
                        acl_v4.apply();
                    }
                } else {
                    services_v6.apply();
                    if (meta.is_vip == 1) {
                        acl_v6.apply();
                    }
                }
            } else {
                if (hdr.ipv4.isValid()) {
                    responses_v4.apply();
                } else {
                    responses_v6.apply();
                }
            }
        }
        if (meta.is_vip == 1 && meta.dropped == 0) {
            if (meta.from_host == 0) {
                /* Request: C:cp -> S:sp becomes C:cp -> V:vp. */
                if (hdr.ipv4.isValid()) {
                    hdr.ipv4.dst_addr = meta.addr_v4;
                } else {
                    hdr.ipv6.dst_addr = meta.addr_v6;
                }
                hdr.ports.dst_port = meta.port;
            } else {
                /* Response: V:vp -> C:cp becomes C:cp -> E:sp. */
                if (hdr.ipv4.isValid()) {
                    hdr.ipv4.src_addr = hdr.ipv4.dst_addr;
                    hdr.ipv4.dst_addr = meta.addr_v4;
                } else {
                    hdr.ipv6.src_addr = hdr.ipv6.dst_addr;
                    hdr.ipv6.dst_addr = meta.addr_v6;
                }
                hdr.ports.src_port = hdr.ports.dst_port;
                hdr.ports.dst_port = meta.port;
            }
        }
        if (meta.dropped == 1) {
            ig_dprsr_md.drop_ctl = 1;
        } else {
            ig_tm_md.ucast_egress_port = meta.out_port;
        }
        ig_tm_md.bypass_egress = 1;
    }
}

Pipeline(DdsrIngressParser(),
         DdsrIngress(),
         DdsrIngressDeparser(),
         DdsrEgressParser(),
         DdsrEgress(),
         DdsrEgressDeparser()) pipe;

Switch(pipe) main;
