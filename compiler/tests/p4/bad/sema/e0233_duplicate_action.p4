#include <core.p4>
control C() {
    table t { actions = { NoAction; NoAction; } }
    apply { t.apply(); }
}
// Error: E0233 3:37
