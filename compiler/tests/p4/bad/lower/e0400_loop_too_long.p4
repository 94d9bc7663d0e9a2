/* Unrolling is bounded: a loop running more than 1024 times, or forever, is refused. */
#include <core.p4>
#include <v1model.p4>
header h_t { bit<8> v; }
struct headers_t { h_t h; h_t[4] s; }
struct meta_t { bit<8> a; }
parser P(packet_in pkt, out headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    state start { pkt.extract(hdr.h); transition accept; }
}
control V(inout headers_t hdr, inout meta_t meta) { apply { } }
control I(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) {
    apply {
        for (bit<16> i = 0; i < 2000; i = i + 1) {
            meta.a = meta.a + 1;
        }
        for (bit<8> j = 0; ; j = j + 1) {
            meta.a = meta.a + j;
        }
        for (bit<8> k = 0; k < 10; ) {
            meta.a = 1;
        }
    }
}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }
control C(inout headers_t hdr, inout meta_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
// Error: E0400 13:9 a loop that runs more than 1024 iterations
// Error: E0400 16:9 a loop that runs more than 1024 iterations
// Error: E0400 19:9 a loop that runs more than 1024 iterations
