#include <core.p4>
struct S { ip4_t a; }
// Error: E0200 2:12
