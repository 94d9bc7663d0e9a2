#include <core.p4>
@name(3)
action a() {}
@id("x")
action b() {}
// Error: E0241 2:1
// Error: E0241 4:1
