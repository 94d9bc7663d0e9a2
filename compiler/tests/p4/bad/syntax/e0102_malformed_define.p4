#define
#define 42 x
#define PAIR(a, b c) a
const bit<8> x = 1;
