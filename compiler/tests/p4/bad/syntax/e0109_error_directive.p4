#ifndef __TARGET_BMV2__
#error this program needs -D __TARGET_BMV2__
#endif
