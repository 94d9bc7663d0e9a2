control Ingress(inout bit<8> x) {
    apply {
        if (x == 0) {
            x = 1;
    }
}
