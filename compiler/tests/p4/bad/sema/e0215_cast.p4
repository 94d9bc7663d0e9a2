#include <core.p4>
header h_t { bit<8> f; }
control C(inout h_t h, inout bit<8> x) {
    apply { x = (bit<8>) h; }
}
// Error: E0215 4:17
