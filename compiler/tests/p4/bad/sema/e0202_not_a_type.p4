#include <core.p4>
action a() {}
struct S { a x; }
// Error: E0202 3:12
