#include <core.p4>
header h_t { bit<8> f; }
header g_t { h_t inner; }
header_union u_t { bit<8> x; }
// Error: E0219 3:14
// Error: E0219 4:20
