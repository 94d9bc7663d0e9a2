#include <core.p4>
action a(bit<8> data, inout bit<8> x) { x = data; }
// Error: E0240 2:23
