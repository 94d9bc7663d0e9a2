#if !defined(TARGET)
#define TARGET 1
const bit<8> t = TARGET;
