#include <core.p4>
parser P(packet_in p) {
    state start { transition parse_ip; }
}
// Error: E0200 3:30
