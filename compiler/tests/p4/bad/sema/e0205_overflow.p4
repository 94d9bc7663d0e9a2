#include <core.p4>
const bit<8> A = 256;
const bit<4> B = 4w17;
// Warning: E0205 2:18
// Warning: E0205 3:18
