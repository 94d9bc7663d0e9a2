/*
 * ddsr egress role (TNA, Tofino). Same behaviour, tables, actions and names
 * as p4/v1model/egress.p4; checksums are updated by the deparser
 * (include/tna/parsers.p4).
 */
#include <core.p4>
#include <tna.p4>

#include "../include/headers.p4"
#include "../include/sizes.p4"
#include "../include/tna/parsers.p4"
#include "../include/tna/routing.p4"

control DdsrIngress(inout headers_t hdr,
                    inout ddsr_meta_t meta,
                    in ingress_intrinsic_metadata_t ig_intr_md,
                    in ingress_intrinsic_metadata_from_parser_t ig_prsr_md,
                    inout ingress_intrinsic_metadata_for_deparser_t ig_dprsr_md,
                    inout ingress_intrinsic_metadata_for_tm_t ig_tm_md) {
    @name(".response_packets")
    Counter<bit<64>, bit<16>>(DDSR_VIPS, CounterType_t.PACKETS_AND_BYTES) response_packets;

    DdsrRouting() routing;

    @name(".to_client_v4")
    action to_client_v4(bit<16> vip_id, bit<32> vip_addr, bit<16> vip_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v4 = vip_addr;
        meta.port = vip_port;
        response_packets.count(vip_id);
    }

    @name(".to_client_v6")
    action to_client_v6(bit<16> vip_id, bit<128> vip_addr, bit<16> vip_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.addr_v6 = vip_addr;
        meta.port = vip_port;
        response_packets.count(vip_id);
    }

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
        if (hdr.ports.isValid()) {
            if (hdr.ipv4.isValid()) {
                services_v4.apply();
            } else {
                services_v6.apply();
            }
        }
        if (meta.is_vip == 1) {
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
        }
        routing.apply(hdr, ig_tm_md);
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
