/*
 * typedef and type: typedef aliases used in headers, struct fields and action
 * parameters; a `type` with a @p4runtime_translation annotation used as a
 * table key and as an action parameter, with the casts a new type requires.
 */

#include <core.p4>
#include <v1model.p4>

typedef bit<48> mac_addr_t;
typedef bit<32> ipv4_addr_t;
typedef mac_addr_t router_mac_t;

@p4runtime_translation("p4.org/psa/v1/PortId_t", 32)
type bit<9> port_id_t;

type bit<16> vrf_id_t;

header ethernet_t {
    mac_addr_t dst_addr;
    mac_addr_t src_addr;
    bit<16>    ether_type;
}

struct headers_t {
    ethernet_t ethernet;
}

struct metadata_t {
    port_id_t in_port;
    vrf_id_t  vrf;
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr,
                  inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    action set_vrf(vrf_id_t vrf) {
        meta.vrf = vrf;
    }
    action forward(port_id_t port, router_mac_t smac) {
        standard_metadata.egress_spec = (bit<9>)port;
        hdr.ethernet.src_addr = smac;
    }
    table port_vrf {
        key = {
            meta.in_port: exact;
        }
        actions = {
            set_vrf;
        }
        default_action = set_vrf((vrf_id_t)16w0);
    }
    table mac_forward {
        key = {
            meta.vrf: exact;
            hdr.ethernet.dst_addr: exact;
        }
        actions = {
            forward;
            NoAction;
        }
        default_action = NoAction();
    }
    apply {
        meta.in_port = (port_id_t)standard_metadata.ingress_port;
        port_vrf.apply();
        mac_forward.apply();
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
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
