/*
 * Headers and per-packet metadata shared by every ddsr data-plane program
 * (the ingress, server and egress roles, in v1model and in TNA).
 *
 * TCP and UDP both start with the source and destination ports, so the parser
 * extracts those four bytes as their own header (`ports`) and the rest of the
 * transport header separately. Every rewrite then touches `hdr.ports` whatever
 * the protocol, and only the checksum location differs.
 */
#ifndef DDSR_HEADERS_P4
#define DDSR_HEADERS_P4

const bit<16> ETHERTYPE_IPV4 = 0x0800;
const bit<16> ETHERTYPE_IPV6 = 0x86dd;
const bit<8>  IP_PROTO_TCP   = 6;
const bit<8>  IP_PROTO_UDP   = 17;

header ethernet_h {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header ipv4_h {
    bit<4>  version;
    bit<4>  ihl;
    bit<8>  tos;
    bit<16> total_len;
    bit<16> identification;
    bit<3>  flags;
    bit<13> frag_offset;
    bit<8>  ttl;
    bit<8>  protocol;
    bit<16> hdr_checksum;
    bit<32> src_addr;
    bit<32> dst_addr;
}

header ipv6_h {
    bit<4>   version;
    bit<8>   traffic_class;
    bit<20>  flow_label;
    bit<16>  payload_len;
    bit<8>   next_hdr;
    bit<8>   hop_limit;
    bit<128> src_addr;
    bit<128> dst_addr;
}

/* The first four bytes of TCP and UDP. */
header ports_h {
    bit<16> src_port;
    bit<16> dst_port;
}

/* TCP after the ports. Options stay in the payload: nothing here reads them. */
header tcp_h {
    bit<32> seq_no;
    bit<32> ack_no;
    bit<4>  data_offset;
    bit<4>  reserved;
    bit<8>  flags;
    bit<16> window;
    bit<16> checksum;
    bit<16> urgent_ptr;
}

/* UDP after the ports. */
header udp_h {
    bit<16> length;
    bit<16> checksum;
}

struct headers_t {
    ethernet_h ethernet;
    ipv4_h     ipv4;
    ipv6_h     ipv6;
    ports_h    ports;
    tcp_h      tcp;
    udp_h      udp;
}

/*
 * Metadata of all three roles. A role leaves the fields it does not use at 0.
 * Ids (vip_id, pool_id, backend_id, rule_id) are assigned by the table
 * compiler and index the counters.
 */
struct ddsr_meta_t {
    bit<1>   is_vip;        /* a VIP (or service) table hit: rewrite this packet */
    bit<1>   dropped;       /* decided to drop; forwarding is skipped */
    bit<16>  vip_id;
    bit<16>  pool_id;
    bit<16>  backend_id;
    bit<24>  bucket;        /* consistent-hash bucket of the 5-tuple: wide enough for
                               table_size 65537 and any prime up to 2^24 */
    bit<16>  service_port;
    bit<32>  addr_v4;       /* address a rewrite installs (VIP or egress host) */
    bit<128> addr_v6;
    bit<16>  port;          /* port a rewrite installs (VIP port or service port) */
    bit<9>   out_port;      /* server role: the other side of the SmartNIC */
    bit<1>   from_host;     /* server role: arrived on the host port */
    bit<16>  l4_sum_old;    /* v1model: ones'-complement sum of rewritten fields before */
    bit<16>  l4_sum_new;    /* ... and after the rewrite */
    bit<16>  ipv4_residual; /* TNA: IPv4 header checksum minus the addresses */
    bit<16>  l4_residual;   /* TNA: L4 checksum minus addresses and ports */
    bit<1>   csum_tcp_v4;   /* TNA: which L4 checksum the deparser rewrites */
    bit<1>   csum_udp_v4;
    bit<1>   csum_tcp_v6;
    bit<1>   csum_udp_v6;
}

#endif /* DDSR_HEADERS_P4 */
