#include <core.p4>
control C() {
    table t {
        actions = { NoAction; }
        size = 0;
    }
    apply { t.apply(); }
}
// Error: E0235 5:16
