#include <core.p4>
header h_t { int<0> f; bit<(1 << 20)> g; }
// Error: E0214 2:18
// Error: E0214 2:29
