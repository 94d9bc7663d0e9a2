#include <core.p4>
bit<8> f(in bit<8> a) {
    return;
}
action b() { return 1; }
// Error: E0216 3:5
// Error: E0216 5:21
