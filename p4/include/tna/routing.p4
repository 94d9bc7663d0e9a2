/*
 * Forwarding for the ingress and egress roles on TNA; the same tables,
 * actions and semantics as include/v1model/routing.p4.
 */
#ifndef DDSR_TNA_ROUTING_P4
#define DDSR_TNA_ROUTING_P4

#include "../headers.p4"
#include "../sizes.p4"

control DdsrRouting(inout headers_t hdr, inout ingress_intrinsic_metadata_for_tm_t ig_tm_md) {
    /* The frame was addressed to this host, so its destination MAC becomes
       the source: the host needs no MAC table of its own. */
    @name(".route")
    action route(PortId_t port, bit<48> next_hop_mac) {
        ig_tm_md.ucast_egress_port = port;
        hdr.ethernet.src_addr = hdr.ethernet.dst_addr;
        hdr.ethernet.dst_addr = next_hop_mac;
    }

    @name(".default_port")
    action default_port() {
        ig_tm_md.ucast_egress_port = DDSR_DEFAULT_PORT;
    }

    @name(".routes_v4")
    table routes_v4 {
        key = { hdr.ipv4.dst_addr: lpm @name("dst_addr"); }
        actions = { route; default_port; }
        default_action = default_port();
        size = DDSR_ROUTES;
    }

    @name(".routes_v6")
    table routes_v6 {
        key = { hdr.ipv6.dst_addr: lpm @name("dst_addr"); }
        actions = { route; default_port; }
        default_action = default_port();
        size = DDSR_ROUTES;
    }

    apply {
        if (hdr.ipv4.isValid()) {
            routes_v4.apply();
        } else if (hdr.ipv6.isValid()) {
            routes_v6.apply();
        } else {
            default_port();
        }
    }
}

#endif /* DDSR_TNA_ROUTING_P4 */
