#include <core.p4>
const bit<8> K = 1;
control C() {
    table t { actions = { K; NoAction; } }
    apply { t.apply(); }
}
// Error: E0231 4:27
