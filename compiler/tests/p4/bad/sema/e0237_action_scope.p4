#include <core.p4>
control C(in bit<8> x) {
    action a() {}
    action b() {}
    table t {
        key = { x: exact; }
        actions = { @defaultonly a; @tableonly b; }
        default_action = b();
        const entries = {
            1: a();
        }
    }
    apply { t.apply(); }
}
// Error: E0237 8:26
// Error: E0237 10:16
