#include <core.p4>
control C() {
    action a() {}
    table t {
        actions = { NoAction; }
        default_action = a();
    }
    apply { t.apply(); }
}
// Error: E0232 6:26
