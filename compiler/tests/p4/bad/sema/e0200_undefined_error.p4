#include <core.p4>
parser P(packet_in p) {
    state start {
        verify(false, error.NoMatc);
        transition accept;
    }
}
// Error: E0200 4:29
