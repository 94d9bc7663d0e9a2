#ifdef DEBUG
const bit<8> LEVEL = 2;
#else
const bit<8> LEVEL = 0;
#else
const bit<8> LEVEL = 1;
#endif
#endif
