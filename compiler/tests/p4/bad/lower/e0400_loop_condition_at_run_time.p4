/* A three-part loop is unrolled: its condition must be known at compile time. */
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
        for (bit<8> i = 0; i < hdr.h.v; i = i + 1) {
            meta.a = meta.a + 1;
        }
        bit<8> n = hdr.h.v;
        for (bit<8> j = n; j < 4; j = j + 1) {
            meta.a = meta.a + j;
        }
        for (bit<8> k = 0; k < 4; k = k + hdr.h.v) {
            meta.a = meta.a + k;
        }
    }
}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }
control C(inout headers_t hdr, inout meta_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
// Error: E0400 13:28 the condition of a loop that is not known at compile time
// Error: E0400 17:25 the initial value of a loop variable that is not known at compile time
// Error: E0400 20:39 the update of a loop variable that is not known at compile time
