/*
 * A header stack of one-byte tags filled with `next` until the bottom-of-stack bit, with
 * StackOutOfBounds when a fourth tag would not fit; ingress sends the packet to the port given
 * by the number of tags parsed, and pops or pushes a tag depending on the top tag's value.
 */

#include "../headers.p4"

header tag_t {
    bit<7> value;
    bit<1> bos;
}

struct headers_t {
    ethernet_t eth;
    tag_t[3]   tags;
}

struct metadata_t { }

parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,
         inout standard_metadata_t sm) {
    state start {
        pkt.extract(hdr.eth);
        transition select(hdr.eth.etype) {
            0x9000: tag;
            default: accept;
        }
    }
    state tag {
        pkt.extract(hdr.tags.next);
        transition select(hdr.tags.last.bos) {
            1: accept;
            default: tag;
        }
    }
}

control NoVerify(inout headers_t hdr, inout metadata_t meta) { apply { } }

control Ing(inout headers_t hdr, inout metadata_t meta, inout standard_metadata_t sm) {
    apply {
        if (sm.parser_error == error.StackOutOfBounds) {
            sm.egress_spec = 7;
            return;
        }
        if (hdr.tags[2].isValid()) {
            sm.egress_spec = 3;
        } else if (hdr.tags[1].isValid()) {
            sm.egress_spec = 2;
        } else {
            sm.egress_spec = 1;
        }
        if (hdr.tags[0].value == 1) {
            hdr.tags.pop_front(1);
        } else if (hdr.tags[0].value == 2) {
            hdr.tags.push_front(1);
            hdr.tags[0].setValid();
            hdr.tags[0].value = 0x55;
            hdr.tags[0].bos = 0;
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
        pkt.emit(hdr.tags);
    }
}

V1Switch(P(), NoVerify(), Ing(), Egr(), NoUpdate(), Dep()) main;
