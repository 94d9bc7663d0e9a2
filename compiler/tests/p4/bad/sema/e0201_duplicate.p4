#include <core.p4>
const bit<8> A = 1;
const bit<8> A = 2;
header h_t { bit<8> f; bit<8> f; }
// Error: E0201 3:14
// Error: E0201 4:31
