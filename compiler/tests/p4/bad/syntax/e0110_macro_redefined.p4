#define PORT_CPU 64
#define PORT_CPU 255
const bit<9> cpu = PORT_CPU;
