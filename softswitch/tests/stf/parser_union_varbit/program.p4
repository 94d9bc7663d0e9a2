/*
 * A header union of IPv4 and IPv6 and IPv4 options in a varbit sized by IHL. Ingress
 * decrements the TTL or hop limit; an IPv4 packet whose TTL is 1 is turned into IPv6 by
 * making the union's other member valid (which invalidates the IPv4 member).
 */

#include "../headers.p4"

header options_t {
    varbit<320> data;
}

header_union l3_t {
    ipv4_t v4;
    ipv6_t v6;
}

struct headers_t {
    ethernet_t eth;
    l3_t       l3;
    options_t  opts;
}

struct metadata_t { }

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,
         inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.etype) {
            TYPE_IPV4: v4;
            TYPE_IPV6: v6;
            default: accept;
        }
    }
    state v4 {
        pkt.extract(hdr.l3.v4);
        pkt.extract(hdr.opts, (((bit<32>)hdr.l3.v4.ihl) - 5) * 32);
        transition accept;
    }
    state v6 {
        pkt.extract(hdr.l3.v6);
        transition accept;
    }
}

control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        sm.egress_spec = 1;
        if (hdr.l3.v4.isValid() && hdr.l3.v4.ttl == 1 && hdr.l3.v4.ihl == 5) {
            bit<8> proto = hdr.l3.v4.protocol;
            bit<16> len = hdr.l3.v4.total_len - 20;
            bit<32> src = hdr.l3.v4.src;
            bit<32> dst = hdr.l3.v4.dst;
            hdr.l3.v6.setValid();
            hdr.l3.v6.version = 6;
            hdr.l3.v6.traffic_class = 0;
            hdr.l3.v6.flow_label = 0;
            hdr.l3.v6.payload_len = len;
            hdr.l3.v6.next_hdr = proto;
            hdr.l3.v6.hop_limit = 64;
            hdr.l3.v6.src = 16w0xfc00 ++ 80w0 ++ src;
            hdr.l3.v6.dst = 16w0xfc00 ++ 80w0 ++ dst;
            hdr.eth.etype = TYPE_IPV6;
            sm.egress_spec = 3;
        } else if (hdr.l3.v4.isValid()) {
            hdr.l3.v4.ttl = hdr.l3.v4.ttl - 1;
            sm.egress_spec = 4;
        } else if (hdr.l3.v6.isValid()) {
            hdr.l3.v6.hop_limit = hdr.l3.v6.hop_limit - 1;
            sm.egress_spec = 6;
        }
    }
}

control Egr(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply { }
}

control NoUpdate(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Dep(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.eth);
        pkt.emit(hdr.l3);
        pkt.emit(hdr.opts);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
