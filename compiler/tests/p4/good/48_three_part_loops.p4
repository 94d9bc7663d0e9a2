/*
 * Three-part `for (init; cond; update)` loops (P4_16 1.2.5), unrolled by
 * lowering because their bounds are known at compile time: a counting loop
 * indexing a header stack, a variable declared before the loop that keeps its
 * final value (or its value at `break`), `continue`, a loop that ends when a
 * `bit<8>` shift wraps to zero, a signed loop counting down with a cast index,
 * an index computed from the loop variable in a condition, two variables in
 * one header, a loop that never runs, and nested loops whose inner bound
 * depends on the outer variable.
 */

#include <core.p4>
#include <v1model.p4>

header ethernet_t {
    bit<48> dst_addr;
    bit<48> src_addr;
    bit<16> ether_type;
}

header tag_t {
    bit<8> v;
}

struct headers_t {
    ethernet_t ethernet;
    tag_t[4]   tags;
}

struct metadata_t {
}

parser MyParser(packet_in packet,
                out headers_t hdr,
                inout metadata_t meta,
                inout standard_metadata_t standard_metadata) {
    state start {
        packet.extract(hdr.ethernet);
        packet.extract(hdr.tags.next);
        packet.extract(hdr.tags.next);
        packet.extract(hdr.tags.next);
        packet.extract(hdr.tags.next);
        transition accept;
    }
}

control MyVerifyChecksum(inout headers_t hdr, inout metadata_t meta) {
    apply { }
}

control MyIngress(inout headers_t hdr,
                  inout metadata_t meta,
                  inout standard_metadata_t standard_metadata) {
    apply {
        bit<8> sum = 0;
        for (bit<8> i = 0; i < 4; i = i + 1) {
            sum = sum + hdr.tags[i].v;
        }
        /* The index of the first 0xff tag, or 4. */
        bit<8> k;
        for (k = 0; k < 4; k = k + 1) {
            if (hdr.tags[k].v == 0xff) {
                break;
            }
        }
        bit<8> nonzero = 0;
        for (bit<8> i = 0; i < 4; i = i + 1) {
            if (hdr.tags[i].v == 0) {
                continue;
            }
            nonzero = nonzero + 1;
        }
        /* Set bits of the first tag: the mask runs 1, 2, ..., 0x80, then wraps to 0. */
        bit<8> ones = 0;
        for (bit<8> m = 1; m != 0; m = m << 1) {
            if ((hdr.tags[0].v & m) != 0) {
                ones = ones + 1;
            }
        }
        /* The tags in reverse order. */
        bit<32> rev = 0;
        for (int<8> d = 3; d >= 0; d = d - 1) {
            rev = (rev << 8) | (bit<32>)hdr.tags[(bit<8>)d].v;
        }
        bit<8> palindrome = 1;
        for (bit<8> lo = 0, bit<8> hi = 3; lo < hi; lo = lo + 1, hi = hi - 1) {
            if (hdr.tags[lo].v != hdr.tags[3 - lo].v) {
                palindrome = 0;
            }
        }
        for (bit<8> z = 5; z < 5; z = z + 1) {
            sum = 0;
        }
        bit<8> pairs = 0;
        for (bit<8> a = 0; a < 2; a = a + 1) {
            for (bit<8> b = a; b < 2; b = b + 1) {
                pairs = pairs + 1;
            }
        }
        hdr.ethernet.dst_addr[31:0] = rev;
        hdr.ethernet.src_addr = k ++ nonzero ++ ones ++ palindrome ++ sum ++ pairs;
        standard_metadata.egress_spec = 1;
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
        packet.emit(hdr.tags);
    }
}

V1Switch(MyParser(),
         MyVerifyChecksum(),
         MyIngress(),
         MyEgress(),
         MyComputeChecksum(),
         MyDeparser()) main;
