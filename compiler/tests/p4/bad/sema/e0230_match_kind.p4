#include <core.p4>
control C(in bit<8> x) {
    table t {
        key = { x: exakt; }
        actions = { NoAction; }
    }
    apply { t.apply(); }
}
// Error: E0230 4:20
