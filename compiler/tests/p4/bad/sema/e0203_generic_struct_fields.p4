#include <core.p4>
/* Fields of a specialised generic struct have the type argument's width. */
struct pair_t<T> { T first; T second; }
header tag_h<T> { T v; bit<8> kind; }
typedef pair_t<bit<16>> pair16_t;
struct wrap_t { pair_t<bit<8>> p; tag_h<bit<4>>[2] tags; }
control C(inout wrap_t w, inout pair_t<bit<32>> q) {
    apply {
        pair_t<bit<8>> a = { 8w1, 16w2 };
        pair16_t b = { first = 16w1, second = 8w2 };
        bit<16> x = a.first;
        w.p.second = 16w3;
        w.tags[0].v = 8w1;
        q.first = 16w5;
        b.first = 16w1;
        a = { 8w1, 8w2 };
        a = { 8w1, 16w2 };
        q.second = b.first;
    }
}
// Error: E0203 9:28
// Error: E0203 10:22
// Error: E0203 11:21
// Error: E0203 12:22
// Error: E0203 13:23
// Error: E0203 14:19
// Error: E0203 17:13
// Error: E0203 18:20
