#include <core.p4>
header h_t { bit<8> f; }
parser P(packet_in p, h_t h) {
    state start { transition accept; }
}
control C(bit<8> x, inout h_t h) { apply { } }
// Error: E0240 3:23
// Error: E0240 6:11
