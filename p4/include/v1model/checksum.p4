/*
 * Incremental TCP/UDP checksum update (RFC 1624, eqn. 3:
 * HC' = ~(~HC + ~m + m'), all additions in ones' complement).
 *
 * The roles rewrite only addresses (part of the pseudo-header) and ports, so
 * a role takes the ones'-complement sum m of those fields before the rewrite
 * (DdsrL4Sum), the sum m' after it, and patches the checksum (DdsrL4Patch).
 * Updating instead of recomputing over the payload keeps a packet that was
 * corrupted on the way detectably corrupt, needs no payload access, and is the
 * same arithmetic the TNA programs do with Tofino's residual checksums.
 */
#ifndef DDSR_V1MODEL_CHECKSUM_P4
#define DDSR_V1MODEL_CHECKSUM_P4

#include "../headers.p4"

/* Ones'-complement sum of the addresses and ports; apply only when hdr.ports
   is valid. At most 34 16-bit words are added, so the 32-bit accumulator
   cannot overflow and two folds bring it to 16 bits. */
control DdsrL4Sum(in headers_t hdr, out bit<16> sum) {
    apply {
        bit<32> s = (bit<32>)hdr.ports.src_port + (bit<32>)hdr.ports.dst_port;
        if (hdr.ipv4.isValid()) {
            s = s + (bit<32>)hdr.ipv4.src_addr[31:16] + (bit<32>)hdr.ipv4.src_addr[15:0]
                  + (bit<32>)hdr.ipv4.dst_addr[31:16] + (bit<32>)hdr.ipv4.dst_addr[15:0];
        } else if (hdr.ipv6.isValid()) {
            s = s + (bit<32>)hdr.ipv6.src_addr[127:112] + (bit<32>)hdr.ipv6.src_addr[111:96]
                  + (bit<32>)hdr.ipv6.src_addr[95:80]   + (bit<32>)hdr.ipv6.src_addr[79:64]
                  + (bit<32>)hdr.ipv6.src_addr[63:48]   + (bit<32>)hdr.ipv6.src_addr[47:32]
                  + (bit<32>)hdr.ipv6.src_addr[31:16]   + (bit<32>)hdr.ipv6.src_addr[15:0]
                  + (bit<32>)hdr.ipv6.dst_addr[127:112] + (bit<32>)hdr.ipv6.dst_addr[111:96]
                  + (bit<32>)hdr.ipv6.dst_addr[95:80]   + (bit<32>)hdr.ipv6.dst_addr[79:64]
                  + (bit<32>)hdr.ipv6.dst_addr[63:48]   + (bit<32>)hdr.ipv6.dst_addr[47:32]
                  + (bit<32>)hdr.ipv6.dst_addr[31:16]   + (bit<32>)hdr.ipv6.dst_addr[15:0];
        }
        s = (s & 32w0xffff) + (s >> 16);
        s = (s & 32w0xffff) + (s >> 16);
        sum = s[15:0];
    }
}

/* Replaces old_sum by new_sum inside the TCP or UDP checksum. A UDP checksum
   of 0 means "not computed" and stays 0; a computed 0 is sent as 0xffff,
   its other ones'-complement form (RFC 768). */
control DdsrL4Patch(inout headers_t hdr, in bit<16> old_sum, in bit<16> new_sum) {
    apply {
        bit<16> csum = 0;
        if (hdr.tcp.isValid()) {
            csum = hdr.tcp.checksum;
        } else if (hdr.udp.isValid()) {
            csum = hdr.udp.checksum;
        }
        bit<32> s = (bit<32>)(~csum) + (bit<32>)(~old_sum) + (bit<32>)new_sum;
        s = (s & 32w0xffff) + (s >> 16);
        s = (s & 32w0xffff) + (s >> 16);
        bit<16> updated = ~s[15:0];
        if (hdr.tcp.isValid()) {
            hdr.tcp.checksum = updated;
        } else if (hdr.udp.isValid() && hdr.udp.checksum != 0) {
            if (updated == 0) {
                updated = 0xffff;
            }
            hdr.udp.checksum = updated;
        }
    }
}

#endif /* DDSR_V1MODEL_CHECKSUM_P4 */
