// Includes itself with no include guard.
#include "e0101_include_cycle.p4"
