#include <core.p4>
const bit<8> K = 3;
control C(in bit<8> x) {
    apply {
        x = 1;
        K = 2;
    }
}
// Error: E0209 5:9
// Error: E0209 6:9
