#include <core.p4>
control C(inout bit<8> x) {
    apply { if (x) { x = 1; } }
}
// Error: E0203 3:17
