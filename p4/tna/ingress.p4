/*
 * ddsr ingress role (TNA, Tofino). Same behaviour, tables, actions and names
 * as p4/v1model/ingress.p4; differences are Tofino's:
 *   - the bucket is the low DDSR_BUCKET_BITS bits of a CRC32 of the 5-tuple
 *     (Tofino has no modulo), so each pool's Maglev table has
 *     2^DDSR_BUCKET_BITS buckets;
 *   - checksums are updated by the deparser (include/tna/parsers.p4).
 */
#include <core.p4>
#include <tna.p4>

#include "../include/headers.p4"
#include "../include/sizes.p4"
#include "../include/tna/parsers.p4"
#include "../include/tna/routing.p4"

control DdsrIngress(inout headers_t hdr,
                    inout ddsr_meta_t meta,
                    in ingress_intrinsic_metadata_t ig_intr_md,
                    in ingress_intrinsic_metadata_from_parser_t ig_prsr_md,
                    inout ingress_intrinsic_metadata_for_deparser_t ig_dprsr_md,
                    inout ingress_intrinsic_metadata_for_tm_t ig_tm_md) {
    @name(".vip_packets")
    Counter<bit<64>, bit<16>>(DDSR_VIPS, CounterType_t.PACKETS_AND_BYTES) vip_packets;
    @name(".backend_packets")
    Counter<bit<64>, bit<16>>(DDSR_BACKENDS, CounterType_t.PACKETS_AND_BYTES) backend_packets;

    Hash<bit<DDSR_BUCKET_BITS>>(HashAlgorithm_t.CRC32) hash_v4;
    Hash<bit<DDSR_BUCKET_BITS>>(HashAlgorithm_t.CRC32) hash_v6;

    DdsrRouting() routing;

    @name(".drop")
    action drop() {
        meta.dropped = 1;
    }

    @name(".to_pool")
    action to_pool(bit<16> vip_id, bit<16> pool_id, bit<16> service_port) {
        meta.is_vip = 1;
        meta.vip_id = vip_id;
        meta.pool_id = pool_id;
        meta.service_port = service_port;
        vip_packets.count(vip_id);
    }

    @name(".vip_v4")
    table vip_v4 {
        key = {
            hdr.ipv4.dst_addr: exact @name("dst_addr");
            hdr.ipv4.protocol: exact @name("protocol");
            hdr.ports.dst_port: exact @name("dst_port");
        }
        actions = { to_pool; @defaultonly NoAction; }
        const default_action = NoAction();
        size = DDSR_VIPS;
    }

    @name(".vip_v6")
    table vip_v6 {
        key = {
            hdr.ipv6.dst_addr: exact @name("dst_addr");
            hdr.ipv6.next_hdr: exact @name("protocol");
            hdr.ports.dst_port: exact @name("dst_port");
        }
        actions = { to_pool; @defaultonly NoAction; }
        const default_action = NoAction();
        size = DDSR_VIPS;
    }

    @name(".to_backend_v4")
    action to_backend_v4(bit<16> backend_id, bit<32> addr) {
        meta.backend_id = backend_id;
        hdr.ipv4.dst_addr = addr;
        backend_packets.count(backend_id);
    }

    @name(".to_backend_v6")
    action to_backend_v6(bit<16> backend_id, bit<128> addr) {
        meta.backend_id = backend_id;
        hdr.ipv6.dst_addr = addr;
        backend_packets.count(backend_id);
    }

    @name(".backends_v4")
    table backends_v4 {
        key = {
            meta.pool_id: exact @name("pool_id");
            meta.bucket: exact @name("bucket");
        }
        actions = { to_backend_v4; @defaultonly drop; }
        const default_action = drop();
        size = DDSR_BUCKET_ENTRIES;
    }

    @name(".backends_v6")
    table backends_v6 {
        key = {
            meta.pool_id: exact @name("pool_id");
            meta.bucket: exact @name("bucket");
        }
        actions = { to_backend_v6; @defaultonly drop; }
        const default_action = drop();
        size = DDSR_BUCKET_ENTRIES;
    }

    apply {
        if (hdr.ports.isValid()) {
            if (hdr.ipv4.isValid()) {
                vip_v4.apply();
            } else {
                vip_v6.apply();
            }
        }
        if (meta.is_vip == 1) {
            if (hdr.ipv4.isValid()) {
                meta.bucket = (bit<24>)hash_v4.get({ hdr.ipv4.src_addr, hdr.ipv4.dst_addr,
                                                     hdr.ipv4.protocol,
                                                     hdr.ports.src_port, hdr.ports.dst_port });
                backends_v4.apply();
            } else {
                meta.bucket = (bit<24>)hash_v6.get({ hdr.ipv6.src_addr, hdr.ipv6.dst_addr,
                                                     hdr.ipv6.next_hdr,
                                                     hdr.ports.src_port, hdr.ports.dst_port });
                backends_v6.apply();
            }
            hdr.ports.dst_port = meta.service_port;
        }
        if (meta.dropped == 1) {
            ig_dprsr_md.drop_ctl = 1;
        } else {
            routing.apply(hdr, ig_tm_md);
        }
        ig_tm_md.bypass_egress = 1;
    }
}

Pipeline(DdsrIngressParser(),
         DdsrIngress(),
         DdsrIngressDeparser(),
         DdsrEgressParser(),
         DdsrEgress(),
         DdsrEgressDeparser()) pipe;

Switch(pipe) main;
