struct meta_t { bit<8> x; }

control Ingress(inout meta_t m) {
    action set(bit<8> v) { m.x = v }
    table t {
        key = { m.x exact; }
        actions = { set; }
        size = ;
    }
    apply {
        if (m.x == 1 { t.apply(); }
        m.x = m.x + ;
    }
}

const bit<8> fine = 1;
const bit<8> broken = (1 + 2;
