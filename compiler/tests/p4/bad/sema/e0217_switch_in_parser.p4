#include <core.p4>
/* A parser state has `select` and `if`, no `switch`. */
header h_t { bit<8> v; }
parser P(packet_in p, out h_t h) {
    state start {
        p.extract(h);
        switch (h.v) {
            1: { h.v = 2; }
        }
        transition accept;
    }
}
// Error: E0217 7:9
