/*
 * Parser errors reach ingress in standard_metadata.parser_error (v1model does not drop on a
 * parser error): a truncated header gives PacketTooShort, a select without a matching case
 * NoMatch, a failed verify() the program's own error. Ingress maps each error to a port; the
 * packet leaves unchanged because the headers extracted before the error stay valid and the
 * rest is payload.
 */

#include "../headers.p4"

error { BadVersion }

struct headers_t {
    ethernet_t eth;
    ipv4_t     ipv4;
    tcp_t      tcp;
    udp_t      udp;
}

struct metadata_t { }

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,
         inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.etype) {
            TYPE_IPV4: ipv4;
            default: accept;
        }
    }
    state ipv4 {
        pkt.extract(hdr.ipv4);
        verify(hdr.ipv4.version == 4, error.BadVersion);
        transition select(hdr.ipv4.protocol) {
            6: tcp;
            17: udp;
        }
    }
    state tcp { pkt.extract(hdr.tcp); transition accept; }
    state udp { pkt.extract(hdr.udp); transition accept; }
}

control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (sm.parser_error == error.NoError) {
            sm.egress_spec = 1;
        } else if (sm.parser_error == error.PacketTooShort) {
            sm.egress_spec = 2;
        } else if (sm.parser_error == error.NoMatch) {
            sm.egress_spec = 3;
        } else if (sm.parser_error == error.BadVersion) {
            sm.egress_spec = 4;
        } else {
            sm.egress_spec = 5;
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
        pkt.emit(hdr.ipv4);
        pkt.emit(hdr.tcp);
        pkt.emit(hdr.udp);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
