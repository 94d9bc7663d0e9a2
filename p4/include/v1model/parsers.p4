/*
 * v1model blocks shared by the three roles: the parser, IPv4 header checksum
 * verification and update, an empty egress control and the deparser.
 *
 * L4 is parsed only where the ports are at a known place: IPv4 without
 * options and not a fragment (a non-first fragment has no ports, and
 * rewriting only the first would split one datagram across backends), and
 * IPv6 whose next header is TCP or UDP directly. Anything else is forwarded
 * untouched by the roles.
 */
#ifndef DDSR_V1MODEL_PARSERS_P4
#define DDSR_V1MODEL_PARSERS_P4

#include "../headers.p4"

parser DdsrParser(packet_in pkt,
                  out headers_t hdr,
                  inout ddsr_meta_t meta,
                  inout standard_metadata_t standard_metadata) {
    state start {
        pkt.extract(hdr.ethernet);
        transition select(hdr.ethernet.ether_type) {
            ETHERTYPE_IPV4: parse_ipv4;
            ETHERTYPE_IPV6: parse_ipv6;
            default: accept;
        }
    }

    state parse_ipv4 {
        pkt.extract(hdr.ipv4);
        /* (ihl, more-fragments flag, fragment offset, protocol) */
        transition select(hdr.ipv4.ihl, hdr.ipv4.flags[0:0], hdr.ipv4.frag_offset, hdr.ipv4.protocol) {
            (4w5, 1w0, 13w0, IP_PROTO_TCP): parse_tcp;
            (4w5, 1w0, 13w0, IP_PROTO_UDP): parse_udp;
            default: accept;
        }
    }

    state parse_ipv6 {
        pkt.extract(hdr.ipv6);
        transition select(hdr.ipv6.next_hdr) {
            IP_PROTO_TCP: parse_tcp;
            IP_PROTO_UDP: parse_udp;
            default: accept;
        }
    }

    state parse_tcp {
        pkt.extract(hdr.ports);
        pkt.extract(hdr.tcp);
        transition accept;
    }

    state parse_udp {
        pkt.extract(hdr.ports);
        pkt.extract(hdr.udp);
        transition accept;
    }
}

/* The header checksum covers the fields below only when there are no options;
   packets with options are never rewritten, so they are neither checked nor
   recomputed here. */
control DdsrVerifyChecksum(inout headers_t hdr, inout ddsr_meta_t meta) {
    apply {
        verify_checksum(hdr.ipv4.isValid() && hdr.ipv4.ihl == 5,
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.tos, hdr.ipv4.total_len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset,
              hdr.ipv4.ttl, hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum, HashAlgorithm.csum16);
    }
}

control DdsrComputeChecksum(inout headers_t hdr, inout ddsr_meta_t meta) {
    apply {
        update_checksum(hdr.ipv4.isValid() && hdr.ipv4.ihl == 5,
            { hdr.ipv4.version, hdr.ipv4.ihl, hdr.ipv4.tos, hdr.ipv4.total_len,
              hdr.ipv4.identification, hdr.ipv4.flags, hdr.ipv4.frag_offset,
              hdr.ipv4.ttl, hdr.ipv4.protocol, hdr.ipv4.src_addr, hdr.ipv4.dst_addr },
            hdr.ipv4.hdr_checksum, HashAlgorithm.csum16);
    }
}

/* Every decision is taken in ingress. */
control DdsrEgress(inout headers_t hdr,
                   inout ddsr_meta_t meta,
                   inout standard_metadata_t standard_metadata) {
    apply { }
}

control DdsrDeparser(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.ethernet);
        pkt.emit(hdr.ipv4);
        pkt.emit(hdr.ipv6);
        pkt.emit(hdr.ports);
        pkt.emit(hdr.tcp);
        pkt.emit(hdr.udp);
    }
}

#endif /* DDSR_V1MODEL_PARSERS_P4 */
