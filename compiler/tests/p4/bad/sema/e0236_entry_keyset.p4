#include <core.p4>
control C(in bit<8> x, in bit<8> y) {
    action a(bit<8> v) {}
    table t {
        key = { x: exact; y: lpm; }
        actions = { a; }
        const entries = {
            (1 &&& 0xf, 2): a(1);
            (_, 0x0f &&& 0x0f): a(2);
        }
    }
    apply { t.apply(); }
}
// Error: E0236 8:14
// Error: E0236 9:14
// Error: E0236 9:17
