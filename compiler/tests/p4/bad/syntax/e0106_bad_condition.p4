#define WIDTH 32
#if WIDTH >
#endif
#if WIDTH % 0
#endif
