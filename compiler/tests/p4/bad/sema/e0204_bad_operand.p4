#include <core.p4>
control C(inout bool b, inout int<8> s) {
    apply {
        b = b + 1;
        s = s / 2;
    }
}
// Error: E0204 4:13
// Error: E0204 5:13
