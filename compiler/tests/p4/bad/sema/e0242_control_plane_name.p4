#include <core.p4>
control C() {
    @name("t") table t1 { actions = { NoAction; } }
    @name("t") table t2 { actions = { NoAction; } }
    apply { t1.apply(); t2.apply(); }
}
// Error: E0242 4:22
