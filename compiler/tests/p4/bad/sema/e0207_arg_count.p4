#include <core.p4>
action a(bit<8> v) {}
control C() {
    apply { a(1, 2); }
}
// Error: E0207 4:13
