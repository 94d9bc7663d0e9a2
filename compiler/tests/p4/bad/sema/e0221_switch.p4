#include <core.p4>
control C() {
    action a() {}
    action b() {}
    table t { actions = { a; NoAction; } }
    apply {
        switch (t.apply().action_run) {
            a: {}
            b: {}
            a: {}
        }
    }
}
// Error: E0221 9:13
// Error: E0221 10:13
