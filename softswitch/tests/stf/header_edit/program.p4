/*
 * Adding and removing headers and branching on table results: 'known' (exact on the source
 * MAC) sends frames from unknown sources to port 9 with `.apply().miss`; 'edit' (exact on the
 * destination MAC) pushes a VLAN tag (setValid, the tag is emitted between Ethernet and IPv4),
 * pops it (setInvalid, the tag is not emitted) or rewrites the destination MAC, and a switch
 * on `.action_run` picks the port per action.
 */

#include "../headers.p4"

header vlan_t {
    bit<3>  pcp;
    bit<1>  dei;
    bit<12> vid;
    bit<16> etype;
}

struct headers_t {
    ethernet_t eth;
    vlan_t     vlan;
    ipv4_t     ipv4;
}

struct metadata_t { }

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,
         inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.etype) {
            0x8100: vlan;
            TYPE_IPV4: ipv4;
            default: accept;
        }
    }
    state vlan {
        pkt.extract(hdr.vlan);
        transition select(hdr.vlan.etype) {
            TYPE_IPV4: ipv4;
            default: accept;
        }
    }
    state ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    action push_vlan(bit<12> vid) {
        hdr.vlan.setValid();
        hdr.vlan.pcp = 0;
        hdr.vlan.dei = 0;
        hdr.vlan.vid = vid;
        hdr.vlan.etype = hdr.eth.etype;
        hdr.eth.etype = 0x8100;
    }
    action pop_vlan() {
        hdr.eth.etype = hdr.vlan.etype;
        hdr.vlan.setInvalid();
    }
    action rewrite(bit<48> mac) { hdr.eth.dst = mac; }

    table known {
        key = { hdr.eth.src: exact; }
        actions = { NoAction; }
        default_action = NoAction();
    }
    table edit {
        key = { hdr.eth.dst: exact; }
        actions = { push_vlan; pop_vlan; rewrite; }
        default_action = rewrite(0xffffffffffff);
    }

    apply {
        sm.egress_spec = 1;
        if (known.apply().miss) {
            sm.egress_spec = 9;
            return;
        }
        switch (edit.apply().action_run) {
            push_vlan: { sm.egress_spec = 2; }
            pop_vlan: { sm.egress_spec = 3; }
            default: { sm.egress_spec = 4; }
        }
    }
}

control Egr(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply { }
}

control NoUpdate(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Dep(packet_out pkt, in headers_t hdr) {
    apply {
        pkt.emit(hdr.eth);
        pkt.emit(hdr.vlan);
        pkt.emit(hdr.ipv4);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
