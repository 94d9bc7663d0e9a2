/*
 * ddsr egress role (v1model): the host that returns responses to clients.
 *
 * A server's response arrives as C:cp -> E:sp: the client's address and port
 * in the source fields, the VIP's service port sp as destination port. The
 * service port names the VIP V:vp, and the packet leaves as V:vp -> C:cp,
 * routed towards the client. The client sees its answer come from the VIP.
 * Everything else is forwarded unchanged by the routes.
 */
#include <core.p4>
#include <v1model.p4>

#include "../include/headers.p4"
#include "../include/sizes.p4"
#include "../include/v1model/parsers.p4"
#include "../include/v1model/checksum.p4"
#include "../include/v1model/routing.p4"

control DdsrIngress(inout headers_t hdr,
                    inout ddsr_meta_t meta,
                    inout standard_metadata_t standard_metadata) {
    @name(".response_packets")
    counter(DDSR_VIPS, CounterType.packets_and_bytes) response_packets;

    DdsrL4Sum() sum_before;
    DdsrL4Sum() sum_after;
    DdsrL4Patch() patch;
    DdsrRouting() routing;

    @name(".drop")
    action drop() {
        meta.dropped = 1;
    }

    @name(".to_client_v4")
    action to_client_v4(bit<16> vip_id, bit<32> vip_addr, bit<16> vip_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v4 = vip_addr;
        meta.port = vip_port;
        response_packets.count((bit<32>)vip_id);
    }

    @name(".to_client_v6")
    action to_client_v6(bit<16> vip_id, bit<128> vip_addr, bit<16> vip_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v6 = vip_addr;
        meta.port = vip_port;
        response_packets.count((bit<32>)vip_id);
    }

    /* (egress address, protocol, service port) -> VIP. */
    @name(".services_v4")
    table services_v4 {
        key = {
            hdr.ipv4.dst_addr: exact @name("dst_addr");
            hdr.ipv4.protocol: exact @name("protocol");
            hdr.ports.dst_port: exact @name("dst_port");
        }
        actions = { to_client_v4; @defaultonly NoAction; }
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
        actions = { to_client_v6; @defaultonly NoAction; }
        const default_action = NoAction();
        size = DDSR_VIPS;
    }

    apply {
        if (standard_metadata.checksum_error == 1) {
            drop();
        } else if (hdr.ports.isValid()) {
            if (hdr.ipv4.isValid()) {
                services_v4.apply();
            } else {
                services_v6.apply();
            }
        }
        if (meta.is_vip == 1) {
            sum_before.apply(hdr, meta.l4_sum_old);
            /* C:cp -> E:sp becomes V:vp -> C:cp. */
            if (hdr.ipv4.isValid()) {
                hdr.ipv4.dst_addr = hdr.ipv4.src_addr;
                hdr.ipv4.src_addr = meta.addr_v4;
            } else {
                hdr.ipv6.dst_addr = hdr.ipv6.src_addr;
                hdr.ipv6.src_addr = meta.addr_v6;
            }
            hdr.ports.dst_port = hdr.ports.src_port;
            hdr.ports.src_port = meta.port;
            sum_after.apply(hdr, meta.l4_sum_new);
            patch.apply(hdr, meta.l4_sum_old, meta.l4_sum_new);
        }
        if (meta.dropped == 1) {
            mark_to_drop(standard_metadata);
        } else {
            routing.apply(hdr, standard_metadata);
        }
    }
}

V1Switch(DdsrParser(),
         DdsrVerifyChecksum(),
         DdsrIngress(),
         DdsrEgress(),
         DdsrComputeChecksum(),
         DdsrDeparser()) main;
