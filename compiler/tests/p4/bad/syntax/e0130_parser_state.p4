parser P(inout bit<8> x) {
    state start {
        transition select(x) {
            0: accept
            default: reject;
        }
    }
    state other { transition }
}
