const bit<8> x = 1;
/* the rest of the program
const bit<8> y = 2;
