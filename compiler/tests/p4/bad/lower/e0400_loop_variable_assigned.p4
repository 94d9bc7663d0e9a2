/* The body of a three-part loop may not assign the loop's variables. */
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
        for (bit<8> i = 0; i < 4; i = i + 1) {
            if (hdr.h.v == i) {
                i = i + 1;
            }
        }
        bit<8> j;
        for (j = 0; j < 4; j = j + 1) {
            j[0:0] = 1;
        }
    }
}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }
control C(inout headers_t hdr, inout meta_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
// Error: E0400 15:17 assigning loop variable `i`
// Error: E0400 20:13 assigning loop variable `j`
