#include <core.p4>
#include "my_headers.p4"

control Ingress() { apply {} }
