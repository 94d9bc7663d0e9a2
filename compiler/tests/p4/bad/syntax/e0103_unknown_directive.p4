#include <core.p4>
#inclde <v1model.p4>
