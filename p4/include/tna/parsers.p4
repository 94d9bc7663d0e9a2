/*
 * TNA (Tofino) blocks shared by the three roles: the ingress parser and
 * deparser, and an egress pipeline that does nothing (every decision is taken
 * in ingress, and the packet bypasses egress).
 *
 * Checksums are updated incrementally with Tofino's residual method: the
 * parser subtracts the fields a role may rewrite (addresses, ports) and the
 * old checksum, deposits what remains (the sum of everything else, payload
 * included) in metadata, and the deparser adds the final fields back. This is
 * RFC 1624's update without reading the payload, and a packet corrupted on
 * the way stays detectably corrupt. Packets that are not rewritten get their
 * old checksum back unchanged.
 *
 * The parser accepts L4 on the same packets as the v1model parser: IPv4
 * without options and not fragmented, IPv6 with TCP or UDP as next header.
 */
#ifndef DDSR_TNA_PARSERS_P4
#define DDSR_TNA_PARSERS_P4

#include "../headers.p4"

parser DdsrIngressParser(packet_in pkt,
                         out headers_t hdr,
                         out ddsr_meta_t meta,
                         out ingress_intrinsic_metadata_t ig_intr_md,
                         out ingress_intrinsic_metadata_for_tm_t ig_tm_md,
                         out ingress_intrinsic_metadata_from_parser_t ig_prsr_md) {
    Checksum() ipv4_checksum;
    Checksum() l4_checksum;

    state start {
        pkt.extract(ig_intr_md);
        pkt.advance(PORT_METADATA_SIZE);
        meta.is_vip = 0;
        meta.dropped = 0;
        meta.from_host = 0;
        meta.csum_tcp_v4 = 0;
        meta.csum_udp_v4 = 0;
        meta.csum_tcp_v6 = 0;
        meta.csum_udp_v6 = 0;
        transition parse_ethernet;
    }

    state parse_ethernet {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_IPV4: parse_ipv4;
            ETHERTYPE_IPV6: parse_ipv6;
            default: accept;
        }
    }

    state parse_ipv4 {
        pkt.extract(hdr.ipv4);
        ipv4_checksum.subtract({ hdr.ipv4.hdr_checksum, hdr.ipv4.src_addr, hdr.ipv4.dst_addr });
        ipv4_checksum.subtract_all_and_deposit(meta.ipv4_residual);
        l4_checksum.subtract({ hdr.ipv4.src_addr, hdr.ipv4.dst_addr });
        /* (ihl, more-fragments flag, fragment offset, protocol) */
        transition select(hdr.ipv4.ihl, hdr.ipv4.flags[0:0], hdr.ipv4.frag_offset, hdr.ipv4.protocol) {
            (4w5, 1w0, 13w0, IP_PROTO_TCP): parse_tcp_v4;
            (4w5, 1w0, 13w0, IP_PROTO_UDP): parse_udp_v4;
            default: accept;
        }
    }

    state parse_ipv6 {
        pkt.extract(hdr.ipv6);
        l4_checksum.subtract({ hdr.ipv6.src_addr, hdr.ipv6.dst_addr });
        transition select(hdr.ipv6.next_hdr) {
            IP_PROTO_TCP: parse_tcp_v6;
            IP_PROTO_UDP: parse_udp_v6;
            default: accept;
        }
    }

    state parse_tcp_v4 {
        pkt.extract(hdr.ports);
        pkt.extract(hdr.tcp);
        l4_checksum.subtract({ hdr.ports.src_port, hdr.ports.dst_port, hdr.tcp.checksum });
        l4_checksum.subtract_all_and_deposit(meta.l4_residual);
        meta.csum_tcp_v4 = 1;
        transition accept;
    }

    state parse_tcp_v6 {
        pkt.extract(hdr.ports);
        pkt.extract(hdr.tcp);
        l4_checksum.subtract({ hdr.ports.src_port, hdr.ports.dst_port, hdr.tcp.checksum });
        l4_checksum.subtract_all_and_deposit(meta.l4_residual);
        meta.csum_tcp_v6 = 1;
        transition accept;
    }

    /* A UDP checksum of 0 means "not computed" (IPv4) and is left alone. */
    state parse_udp_v4 {
        pkt.extract(hdr.ports);
        pkt.extract(hdr.udp);
        l4_checksum.subtract({ hdr.ports.src_port, hdr.ports.dst_port, hdr.udp.checksum });
        l4_checksum.subtract_all_and_deposit(meta.l4_residual);
        transition select(hdr.udp.checksum) {
            0: accept;
            default: udp_v4_checksum;
        }
    }

    state udp_v4_checksum {
        meta.csum_udp_v4 = 1;
        transition accept;
    }

    state parse_udp_v6 {
        pkt.extract(hdr.ports);
        pkt.extract(hdr.udp);
        l4_checksum.subtract({ hdr.ports.src_port, hdr.ports.dst_port, hdr.udp.checksum });
        l4_checksum.subtract_all_and_deposit(meta.l4_residual);
        meta.csum_udp_v6 = 1;
        transition accept;
    }
}

control DdsrIngressDeparser(packet_out pkt,
                            inout headers_t hdr,
                            in ddsr_meta_t meta,
                            in ingress_intrinsic_metadata_for_deparser_t ig_dprsr_md) {
    Checksum() ipv4_checksum;
    Checksum() tcp_v4_checksum;
    Checksum() udp_v4_checksum;
    Checksum() tcp_v6_checksum;
    Checksum() udp_v6_checksum;

    apply {
        if (hdr.ipv4.isValid()) {
            hdr.ipv4.hdr_checksum = ipv4_checksum.update(
                { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, meta.ipv4_residual });
        }
        if (meta.csum_tcp_v4 == 1) {
            hdr.tcp.checksum = tcp_v4_checksum.update(
                { hdr.ipv4.src_addr, hdr.ipv4.dst_addr,
                  hdr.ports.src_port, hdr.ports.dst_port, meta.l4_residual });
        }
        /* zeros_as_ones: a computed 0 is sent as 0xffff (RFC 768). */
        if (meta.csum_udp_v4 == 1) {
            hdr.udp.checksum = udp_v4_checksum.update(
                { hdr.ipv4.src_addr, hdr.ipv4.dst_addr,
                  hdr.ports.src_port, hdr.ports.dst_port, meta.l4_residual }, true);
        }
        if (meta.csum_tcp_v6 == 1) {
            hdr.tcp.checksum = tcp_v6_checksum.update(
                { hdr.ipv6.src_addr, hdr.ipv6.dst_addr,
                  hdr.ports.src_port, hdr.ports.dst_port, meta.l4_residual });
        }
        if (meta.csum_udp_v6 == 1) {
            hdr.udp.checksum = udp_v6_checksum.update(
                { hdr.ipv6.src_addr, hdr.ipv6.dst_addr,
                  hdr.ports.src_port, hdr.ports.dst_port, meta.l4_residual }, true);
        }
        pkt.emit(hdr);
    }
}

struct egress_headers_t {
}

struct egress_meta_t {
}

parser DdsrEgressParser(packet_in pkt,
                        out egress_headers_t hdr,
                        out egress_meta_t meta,
                        out egress_intrinsic_metadata_t eg_intr_md) {
    state start {
        pkt.extract(eg_intr_md);
        transition accept;
    }
}

control DdsrEgress(inout egress_headers_t hdr,
                   inout egress_meta_t meta,
                   in egress_intrinsic_metadata_t eg_intr_md,
                   in egress_intrinsic_metadata_from_parser_t eg_prsr_md,
                   inout egress_intrinsic_metadata_for_deparser_t eg_dprsr_md,
                   inout egress_intrinsic_metadata_for_output_port_t eg_oport_md) {
    apply { }
}

control DdsrEgressDeparser(packet_out pkt,
                           inout egress_headers_t hdr,
                           in egress_meta_t meta,
                           in egress_intrinsic_metadata_for_deparser_t eg_dprsr_md) {
    apply {
        pkt.emit(hdr);
    }
}

#endif /* DDSR_TNA_PARSERS_P4 */
