const bit<8> a = 8w0x1G;
const bit<4> b = 0b0102;
const bit<8> c = 99999999999w1;
