#include <core.p4>
const int A = 10 / (5 - 5);
const bit<8> B = 1 << -1;
// Error: E0212 2:21
// Error: E0212 3:23
