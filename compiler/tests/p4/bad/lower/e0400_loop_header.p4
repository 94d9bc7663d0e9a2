/* The initialisation declares or assigns local variables; the updates assign them. */
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
        for (meta.a = 0; meta.a < 4; meta.a = meta.a + 1) {
            hdr.h.v = 1;
        }
        bit<8> other = 0;
        for (bit<8> i = 0; i < 4; other = other + 1) {
            hdr.h.v = i;
        }
        for (h_t x = { 1 }; x.v < 4; x.v = x.v + 1) {
            hdr.h.v = 1;
        }
    }
}
control E(inout headers_t hdr, inout meta_t meta, inout standard_metadata_t sm) { apply { } }
control C(inout headers_t hdr, inout meta_t meta) { apply { } }
control D(packet_out pkt, in headers_t hdr) { apply { pkt.emit(hdr.h); } }
V1Switch(P(), V(), I(), E(), C(), D()) main;
// Error: E0400 13:14 a loop initialisation that assigns something other than a local variable
// Error: E0400 17:35 a loop update that does not assign a variable the loop initialises
// Error: E0400 20:14 a loop variable whose type is not `bit<N>`, `int<N>` or `bool`
