#include <core.p4>
extern Acc<T> {
    Acc(bit<32> size);
    T run(in bit<8> i);
    abstract void apply(inout T value, @optional out T rv);
    abstract bit<8> pick(in T v);
}
control C(inout bit<16> x) {
    Acc<bit<16>>(4) good = {
        void apply(inout bit<16> value) { value = value + 1; }
        bit<8> pick(in bit<16> v) { return v[7:0]; }
    };
    Acc<bit<16>>(4) bad = {
        void apply(in bit<16> value, out bit<8> rv) { rv = 0; }
        bit<8> extra() { return 0; }
    };
    apply { x = good.run(1); }
}
// Error: E0246 13:21
// Error: E0246 14:20
// Error: E0246 14:38
// Error: E0246 15:16
