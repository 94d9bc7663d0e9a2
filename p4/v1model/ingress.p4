/*
 * ddsr ingress role (v1model): the host where client packets enter.
 *
 * A TCP/UDP packet whose (destination address, protocol, destination port)
 * is a VIP is sent to one server of the VIP's pool:
 *   client C:cp -> VIP V:vp   becomes   C:cp -> server S:sp
 * where S is chosen by consistent hashing of the 5-tuple and sp is the VIP's
 * service port. The client's source address and port are kept, so the server
 * and the egress host can answer the client without any shared state.
 * Everything else is forwarded unchanged by the routes.
 */
#include <core.p4>
#include <v1model.p4>

#include "../include/headers.p4"
#include "../include/sizes.p4"
#include "../include/v1model/parsers.p4"
#include "../include/v1model/checksum.p4"
#include "../include/v1model/routing.p4"

control DdsrIngress(inout headers_t hdr,
                    inout ddsr_meta_t meta,
                    inout standard_metadata_t standard_metadata) {
    @name(".vip_packets")
    counter(DDSR_VIPS, CounterType.packets_and_bytes) vip_packets;
    @name(".backend_packets")
    counter(DDSR_BACKENDS, CounterType.packets_and_bytes) backend_packets;

    DdsrL4Sum() sum_before;
    DdsrL4Sum() sum_after;
    DdsrL4Patch() patch;
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
        vip_packets.count((bit<32>)vip_id);
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

    /* The bucket is hash(5-tuple) % DDSR_BUCKETS: the same Maglev table size
       the compiler populated each pool's (pool, bucket) entries for. */
    action bucket_v4() {
        hash(meta.bucket, HashAlgorithm.crc32, 24w0,
             { hdr.ipv4.src_addr, hdr.ipv4.dst_addr, hdr.ipv4.protocol,
               hdr.ports.src_port, hdr.ports.dst_port },
             (bit<32>)DDSR_BUCKETS);
    }

    action bucket_v6() {
        hash(meta.bucket, HashAlgorithm.crc32, 24w0,
             { hdr.ipv6.src_addr, hdr.ipv6.dst_addr, hdr.ipv6.next_hdr,
               hdr.ports.src_port, hdr.ports.dst_port },
             (bit<32>)DDSR_BUCKETS);
    }

    @name(".to_backend_v4")
    action to_backend_v4(bit<16> backend_id, bit<32> addr) {
        meta.backend_id = backend_id;
        hdr.ipv4.dst_addr = addr;
        backend_packets.count((bit<32>)backend_id);
    }

    @name(".to_backend_v6")
    action to_backend_v6(bit<16> backend_id, bit<128> addr) {
        meta.backend_id = backend_id;
        hdr.ipv6.dst_addr = addr;
        backend_packets.count((bit<32>)backend_id);
    }

    /* One exact entry per (pool, bucket), filled from the Maglev table.
       A miss means the pool has no backend: the packet is dropped rather
       than sent to the VIP address, which no host owns. */
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
        if (standard_metadata.checksum_error == 1) {
            drop();
        } else if (hdr.ports.isValid()) {
            if (hdr.ipv4.isValid()) {
                vip_v4.apply();
            } else {
                vip_v6.apply();
            }
        }
        if (meta.is_vip == 1) {
            sum_before.apply(hdr, meta.l4_sum_old);
            if (hdr.ipv4.isValid()) {
                bucket_v4();
                backends_v4.apply();
            } else {
                bucket_v6();
                backends_v6.apply();
            }
            hdr.ports.dst_port = meta.service_port;
            sum_after.apply(hdr, meta.l4_sum_new);
            patch.apply(hdr, meta.l4_sum_old, meta.l4_sum_new);
        }
        if (meta.dropped == 1) {
            mark_to_drop(standard_metadata);
        } else {
            routing.apply(hdr, standard_metadata);
        }
    }
}

V1Switch(DdsrParser(),
         DdsrVerifyChecksum(),
         DdsrIngress(),
         DdsrEgress(),
         DdsrComputeChecksum(),
         DdsrDeparser()) main;
