#include <core.p4>
control C() {
    table t { actions = { NoAction; } }
    action a() { t.apply(); }
    apply { break; }
}
parser P(packet_in p) {
    state start { exit; }
}
// Error: E0217 4:18
// Error: E0217 5:13
// Error: E0217 8:19
