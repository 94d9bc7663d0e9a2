/*
 * ddsr server role (v1model): the SmartNIC between the fabric and one server.
 *
 * The NIC has a fabric port and a host port (table port_roles says which is
 * which; everything not load-balanced passes between them unchanged, so the
 * server keeps its ordinary connectivity).
 *
 * From the fabric, a request C:cp -> S:sp (sp the VIP's service port) is
 * matched to its VIP by (S, protocol, sp), checked against the VIP's client
 * ACL (first match by priority, one counter per rule) and, if allowed,
 * delivered to the host as C:cp -> V:vp, so an unmodified application bound
 * to the VIP's address and port accepts it (the host has V on an interface,
 * typically loopback). A denied or unmatched request is dropped and counted.
 *
 * From the host, the application's response V:vp -> C:cp is matched to its
 * VIP by (V, protocol, vp) and sent to the VIP's egress host E as
 * C:cp -> E:sp: the client's address and port travel in the source fields,
 * the service port in the destination port, and the egress host needs
 * nothing else to restore V:vp -> C:cp.
 */
#include <core.p4>
#include <v1model.p4>

#include "../include/headers.p4"
#include "../include/sizes.p4"
#include "../include/v1model/parsers.p4"
#include "../include/v1model/checksum.p4"

control DdsrIngress(inout headers_t hdr,
                    inout ddsr_meta_t meta,
                    inout standard_metadata_t standard_metadata) {
    @name(".request_packets")
    counter(DDSR_VIPS, CounterType.packets_and_bytes) request_packets;
    @name(".response_packets")
    counter(DDSR_VIPS, CounterType.packets_and_bytes) response_packets;
    @name(".acl_packets")
    counter(DDSR_ACL_RULES, CounterType.packets_and_bytes) acl_packets;
    @name(".acl_misses")
    counter(DDSR_VIPS, CounterType.packets_and_bytes) acl_misses;

    DdsrL4Sum() sum_before;
    DdsrL4Sum() sum_after;
    DdsrL4Patch() patch;

    @name(".drop")
    action drop() {
        meta.dropped = 1;
    }

    @name(".from_fabric")
    action from_fabric(bit<9> host_port) {
        meta.from_host = 0;
        meta.out_port = host_port;
    }

    @name(".from_host")
    action from_host(bit<9> fabric_port) {
        meta.from_host = 1;
        meta.out_port = fabric_port;
    }

    /* Two entries: the fabric port and the host port. Frames from any other
       port are dropped. */
    @name(".port_roles")
    table port_roles {
        key = { standard_metadata.ingress_port: exact @name("ingress_port"); }
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
        request_packets.count((bit<32>)vip_id);
    }

    @name(".to_vip_v6")
    action to_vip_v6(bit<16> vip_id, bit<128> vip_addr, bit<16> vip_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v6 = vip_addr;
        meta.port = vip_port;
        request_packets.count((bit<32>)vip_id);
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
        acl_misses.count((bit<32>)meta.vip_id);
        meta.dropped = 1;
    }

    /* The VIP's client ACL. Entries carry the P4Runtime priority of their
       rule (higher wins); one rule may need several entries, all with its
       rule_id so the counter stays per rule. */
    @name(".acl_v4")
    table acl_v4 {
        key = {
            meta.vip_id: exact @name("vip_id");
            hdr.ipv4.src_addr: ternary @name("src_addr");
            hdr.ports.src_port: range @name("src_port");
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
            hdr.ports.src_port: range @name("src_port");
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
        response_packets.count((bit<32>)vip_id);
    }

    @name(".to_egress_v6")
    action to_egress_v6(bit<16> vip_id, bit<128> egress_addr, bit<16> service_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v6 = egress_addr;
        meta.port = service_port;
        response_packets.count((bit<32>)vip_id);
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
        if (standard_metadata.checksum_error == 1) {
            drop();
        }
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
            sum_before.apply(hdr, meta.l4_sum_old);
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
            sum_after.apply(hdr, meta.l4_sum_new);
            patch.apply(hdr, meta.l4_sum_old, meta.l4_sum_new);
        }
        if (meta.dropped == 1) {
            mark_to_drop(standard_metadata);
        } else {
            standard_metadata.egress_spec = meta.out_port;
        }
    }
}

V1Switch(DdsrParser(),
         DdsrVerifyChecksum(),
         DdsrIngress(),
         DdsrEgress(),
         DdsrComputeChecksum(),
         DdsrDeparser()) main;
