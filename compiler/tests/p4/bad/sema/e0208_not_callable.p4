#include <core.p4>
const bit<8> K = 3;
control C(inout bit<8> x) {
    apply { x = K(1); }
}
// Error: E0208 4:17
