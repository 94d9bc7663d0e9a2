#include <core.p4>
control C() {
    apply {
        int x = 3;
    }
}
// Error: E0245 4:9
