#include <core.p4>
header h_t { bit<8> f; }
control C() {
    h_t() inst;
    apply { }
}
// Error: E0243 4:5
