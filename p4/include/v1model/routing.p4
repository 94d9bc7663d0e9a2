/*
 * Forwarding for the ingress and egress roles: longest-prefix routes on the
 * destination address give the output port and the next hop's MAC address.
 * A host without routes (no entries) sends every packet out of
 * DDSR_DEFAULT_PORT with its Ethernet header unchanged.
 */
#ifndef DDSR_V1MODEL_ROUTING_P4
#define DDSR_V1MODEL_ROUTING_P4

#include "../headers.p4"
#include "../sizes.p4"

control DdsrRouting(inout headers_t hdr, inout standard_metadata_t standard_metadata) {
    /* The frame was addressed to this host, so its destination MAC becomes
       the source: the host needs no MAC table of its own. */
    @name(".route")
    action route(bit<9> port, bit<48> next_hop_mac) {
        standard_metadata.egress_spec = port;
        hdr.ethernet.src_addr = hdr.ethernet.dst_addr;
        hdr.ethernet.dst_addr = next_hop_mac;
    }

    @name(".default_port")
    action default_port() {
        standard_metadata.egress_spec = DDSR_DEFAULT_PORT;
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

#endif /* DDSR_V1MODEL_ROUTING_P4 */
