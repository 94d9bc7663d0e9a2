#include <core.p4>
/* A generic struct or header is always used with its type arguments. */
struct pair_t<T> { T first; T second; }
header tag_h<T> { T v; }
struct outer_t { pair_t p; }
control C(inout tag_h h) {
    apply {
        pair_t<bit<8>, bit<8>> a;
    }
}
// Error: E0218 5:18
// Error: E0218 6:17
// Error: E0218 8:9
