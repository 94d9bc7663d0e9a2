#include <core.p4>
control C(in bit<8> x) {
    const bit<8> K = x;
    apply { }
}
// Error: E0211 3:22
