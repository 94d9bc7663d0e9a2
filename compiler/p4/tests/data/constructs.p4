// Every construct of the grammar at least once; written for the parser tests, not for p4c.
#define ETH_IPV4 0x0800
#define WIDTH(n) bit<n>
#define MAX(a, b) ((a) > (b) ? (a) : (b))

error { NoError, PacketTooShort, NoMatch }
match_kind { exact, ternary, lpm, range, optional, selector }

extern packet_in {
    void extract<T>(out T hdr);
    void extract<T>(out T variableSizeHeader, in bit<32> variableFieldSizeInBits);
    T lookahead<T>();
    void advance(in bit<32> sizeInBits);
    bit<32> length();
}

extern packet_out {
    void emit<T>(in T hdr);
}

extern void verify(in bool check, in error toSignal);
action NoAction() {}

extern Register<T, I> {
    Register(bit<32> size);
    Register(bit<32> size, T initial_value);
    T read(in I index);
    void write(in I index, in T value);
}

extern Virtual {
    Virtual();
    abstract bit<16> f(in bit<16> ix);
    bit<16> run(in bit<16> ix);
}

typedef WIDTH(48) mac_t;
type bit<32> ip4_t;
typedef bit<9> port_t;

enum Color { Red, Green, Blue }
enum bit<8> Proto { TCP = 6, UDP = 17, ICMP = 0x01 }

header ethernet_t {
    mac_t dst;
    mac_t src;
    bit<16> ether_type;
}

header ipv4_t {
    bit<4> version;
    bit<4> ihl;
    @name("tos") bit<8> diffserv;
    bit<16> total_len;
    bit<16> identification;
    bit<3> flags;
    bit<13> frag_offset;
    bit<8> ttl;
    bit<8> protocol;
    bit<16> hdr_checksum;
    ip4_t src;
    ip4_t dst;
    varbit<320> options;
}

header_union ip_t { ipv4_t v4; }

struct headers_t {
    ethernet_t eth;
    ipv4_t ipv4;
    ethernet_t[2] stack;
}

struct meta_t {
    bit<8> priority;
    int<8> delta;
    bool flag;
    tuple<bit<8>, bool> pair;
}

struct pair_t<T> { T first; T second; }

const bit<16> TYPE_IPV4 = ETH_IPV4;
const int BIG = MAX(3, 7);

parser P<H, M>(packet_in b, out H h, inout M m);
control C<H, M>(inout H h, inout M m);
package Switch<H, M>(P<H, M> p, C<H, M> c);

bit<16> add_one(in bit<16> x) {
    return x + 1;
}

T pick<T>(in bool c, in T a, in T b) {
    if (c) { return a; } else { return b; }
}

parser MyParser(packet_in b, out headers_t h, inout meta_t m) {
    value_set<bit<16>>(4) pvs;
    bit<8> tmp = 0;
    state start {
        b.extract(h.eth);
        transition select(h.eth.ether_type) {
            TYPE_IPV4: parse_ipv4;
            pvs: accept;
            0x8100 &&& 0xEFFF: accept;
            0x9000 .. 0x90FF: reject;
            default: accept;
        }
    }
    state parse_ipv4 {
        b.extract(h.ipv4, (bit<32>)(((bit<16>)h.ipv4.ihl - 5) * 32));
        verify(h.ipv4.version == 4w4, error.PacketTooShort);
        transition select(h.ipv4.protocol, h.ipv4.ttl) {
            (6, _): accept;
            (_, 0): reject;
            (8w17 &&& 8w0xff, 1 .. 2): accept;
            default: accept;
        }
    }
}

control MyIngress(inout headers_t h, inout meta_t m) {
    Register<bit<32>, bit<8>>(256) reg;
    Virtual() v = {
        bit<16> f(in bit<16> ix) { return ix + 1; }
    };
    bit<32> counter_value;

    action set_port(port_t port, @name("mac") mac_t dst) {
        h.eth.dst = dst;
        m.priority = (bit<8>)port[7:0];
    }
    action drop() { exit; }

    @name("ingress.fwd")
    table fwd {
        key = {
            h.ipv4.dst: lpm @name("dst");
            h.ipv4.protocol: exact;
            m.priority: ternary;
        }
        actions = {
            set_port;
            @defaultonly drop;
            NoAction;
        }
        const default_action = drop();
        size = 1024;
        support_timeout = true;
        my_custom_property = 3;
        const entries = {
            (32w0x0a000001, 6, _): set_port(1, 48w0x001122334455);
            priority = 10: (0x0a000000 &&& 0xff000000, _, 1 .. 3): drop();
            (default, default, default): NoAction();
        }
    }

    apply {
        bit<8> x = 8w3;
        int<8> y = 8s-1;
        bool b = !(x < 4) && x >= 2 || x != 7;
        bit<16> z = x ++ x;
        x = x |+| 1 |-| 2;
        x = x << 2 >> 1;
        x = (x & 0xF) | (x ^ 3) + ~x * 2 / 1 % 3;
        m.pair = { 8w1, true };
        m.pair = (tuple<bit<8>, bool>){ 8w2, false };
        h.stack[0].dst = h.stack[1].src;
        h.stack.push_front(1);
        counter_value = reg.read(m.priority);
        reg.write(0, counter_value + 1);
        z = pick<bit<16>>(b, z, 16w3);
        z = add_one(x = z);
        x = b ? 8w1 : 8w2;
        if (h.ipv4.isValid()) {
            switch (fwd.apply().action_run) {
                set_port: 
                drop: { h.ipv4.ttl = h.ipv4.ttl - 1; }
                default: {}
            }
        } else if (fwd.apply().hit) {
            ;
        }
        switch (Color.Red) {
            Color.Red: { x = 1; }
            default: { x = 2; }
        }
        @atomic {
            reg.write(1, 2);
        }
        meta_t copy = { priority = 1, delta = -1, flag = true, pair = { 0, false } };
        h.ipv4 = {#};
        for (bit<8> i = 0; i < 4; i = i + 1) { x = x + i; }
        for (bit<8> i in 0 .. 3) { x = x + i; }
        return;
    }
}

Switch(MyParser(), MyIngress()) main;
