#include <core.p4>
control C() {
    table t { size = 4; size = 8; }
    apply { t.apply(); }
}
// Error: E0234 3:11
// Error: E0234 3:25
