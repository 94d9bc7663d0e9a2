#define SET(dst, value) dst = value
control C(inout bit<8> a) {
    apply {
        SET(a);
        SET(a, 1, 2);
    }
}
