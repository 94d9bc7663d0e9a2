/*
 * TNA: every resource kind the P4Info has, named as bf-p4c names them
 * (`pipe.<control>.<object>`), next to one object with a global `@name`.
 * Tables: exact with a direct counter, ternary with a direct meter, an
 * action profile and an action selector with a selector key, a table never
 * applied (left out); a counter, a meter, a register with a RegisterAction,
 * a value set in the parser and a digest in the ingress deparser.
 */
#include <core.p4>
#include <tna.p4>

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header ipv4_t {
    bit<8>  version_ihl;
    bit<8>  diffserv;
    bit<16> total_len;
    bit<32> id_flags_frag;
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

struct meta_t {
    bit<16> flow;
    bit<8>  color;
    bit<1>  learn;
}


struct learn_t {
    bit<48>  src_addr;
    PortId_t port;
}

parser TnaIngressParser(packet_in pkt,
                        out headers_t hdr,
                        out meta_t meta,
                        out ingress_intrinsic_metadata_t ig_intr_md) {
    value_set<bit<16>>(4) ip_types;

    state start {
        pkt.extract(ig_intr_md);
        pkt.advance(PORT_METADATA_SIZE);
        meta.flow = 0;
        meta.color = 0;
        meta.learn = 0;
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ip_types: parse_ipv4;
            default: accept;
        }
    }

    state parse_ipv4 {
        pkt.extract(hdr.ipv4);
        transition accept;
    }
}

control TnaIngress(inout headers_t hdr,
                   inout meta_t meta,
                   in ingress_intrinsic_metadata_t ig_intr_md,
                   in ingress_intrinsic_metadata_from_parser_t ig_prsr_md,
                   inout ingress_intrinsic_metadata_for_deparser_t ig_dprsr_md,
                   inout ingress_intrinsic_metadata_for_tm_t ig_tm_md) {
    DirectCounter<bit<64>>(CounterType_t.PACKETS_AND_BYTES) mac_hits;
    DirectMeter(MeterType_t.BYTES) acl_rate;
    Counter<bit<32>, bit<16>>(1024, CounterType_t.PACKETS) flows;
    Meter<bit<16>>(256, MeterType_t.PACKETS) policer;
    Register<bit<32>, bit<16>>(2048) last_seen;
    RegisterAction<bit<32>, bit<16>, bit<32>>(last_seen) touch = {
        void apply(inout bit<32> value, out bit<32> rv) {
            rv = value;
            value = value + 1;
        }
    };
    ActionProfile(128) nexthops;
    Hash<bit<16>>(HashAlgorithm_t.CRC16) ecmp_hash;
    ActionSelector(256, ecmp_hash, SelectorMode_t.RESILIENT) ecmp;

    action forward(PortId_t port) {
        ig_tm_md.ucast_egress_port = port;
        mac_hits.count();
    }

    action learn() {
        meta.learn = 1;
        mac_hits.count();
    }

    @name(".drop")
    action drop() {
        ig_dprsr_md.drop_ctl = 1;
    }

    action set_color() {
        meta.color = acl_rate.execute();
    }

    action set_nexthop(PortId_t port, bit<48> mac) {
        ig_tm_md.ucast_egress_port = port;
        hdr.ethernet.dst_addr = mac;
    }

    action unused_action() {
        meta.flow = 7;
    }

    table mac {
        key = { hdr.ethernet.dst_addr: exact; }
        actions = { forward; learn; }
        default_action = learn();
        counters = mac_hits;
        size = 4096;
        idle_timeout = true;
    }

    table acl {
        key = {
            hdr.ipv4.src_addr: ternary @name("src");
            hdr.ipv4.protocol: ternary @name("proto");
        }
        actions = { set_color; @defaultonly drop; }
        const default_action = drop();
        meters = acl_rate;
    }

    table nexthop {
        key = { hdr.ipv4.dst_addr: lpm; }
        actions = { set_nexthop; }
        implementation = nexthops;
    }

    table multipath {
        key = {
            hdr.ipv4.dst_addr: exact;
            hdr.ipv4.src_addr: selector;
            hdr.ipv4.protocol: selector;
        }
        actions = { set_nexthop; }
        implementation = ecmp;
    }

    table never_applied {
        key = { meta.flow: exact; }
        actions = { unused_action; }
    }

    apply {
        mac.apply();
        if (hdr.ipv4.isValid()) {
            acl.apply();
            if (!nexthop.apply().hit) {
                multipath.apply();
            }
            meta.flow = hdr.ipv4.src_addr[15:0];
            flows.count(meta.flow);
            meta.color = policer.execute(meta.flow);
            touch.execute(meta.flow);
        }
        if (meta.learn == 1) {
            ig_dprsr_md.digest_type = 1;
        }
    }
}

control TnaIngressDeparser(packet_out pkt,
                           inout headers_t hdr,
                           in meta_t meta,
                           in ingress_intrinsic_metadata_for_deparser_t ig_dprsr_md) {
    Digest<learn_t>() learned;

    apply {
        if (ig_dprsr_md.digest_type == 1) {
            learned.pack({ hdr.ethernet.src_addr, 0 });
        }
        pkt.emit(hdr);
    }
}

parser TnaEgressParser(packet_in pkt,
                       out headers_t hdr,
                       out meta_t meta,
                       out egress_intrinsic_metadata_t eg_intr_md) {
    state start {
        pkt.extract(eg_intr_md);
        transition accept;
    }
}

control TnaEgress(inout headers_t hdr,
                  inout meta_t meta,
                  in egress_intrinsic_metadata_t eg_intr_md,
                  in egress_intrinsic_metadata_from_parser_t eg_prsr_md,
                  inout egress_intrinsic_metadata_for_deparser_t eg_dprsr_md,
                  inout egress_intrinsic_metadata_for_output_port_t eg_oport_md) {
    action rewrite_src(bit<48> mac) {
        hdr.ethernet.src_addr = mac;
    }

    table port_mac {
        key = { eg_intr_md.egress_port: exact @name("port"); }
        actions = { rewrite_src; NoAction; }
        size = 512;
    }

    apply {
        port_mac.apply();
    }
}

control TnaEgressDeparser(packet_out pkt,
                          inout headers_t hdr,
                          in meta_t meta,
                          in egress_intrinsic_metadata_for_deparser_t eg_dprsr_md) {
    apply {
        pkt.emit(hdr);
    }
}

Pipeline(TnaIngressParser(),
         TnaIngress(),
         TnaIngressDeparser(),
         TnaEgressParser(),
         TnaEgress(),
         TnaEgressDeparser()) pipe;

Switch(pipe) main;
