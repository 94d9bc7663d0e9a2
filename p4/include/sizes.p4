/*
 * Table and counter sizes. The table compiler writes each host's
 * program.p4 with these defined to what the policy needs (and checks them
 * against the target's limits); the defaults below let the programs compile
 * on their own.
 */
#ifndef DDSR_SIZES_P4
#define DDSR_SIZES_P4

/* VIPs per family, and the size of every per-VIP counter. */
#ifndef DDSR_VIPS
#define DDSR_VIPS 1024
#endif

/* Backends over all pools: size of the per-backend counter. */
#ifndef DDSR_BACKENDS
#define DDSR_BACKENDS 4096
#endif

/* Consistent-hash buckets per pool. v1model takes hash % buckets, so the
   Maglev table size (a prime) is used directly. */
#ifndef DDSR_BUCKETS
#define DDSR_BUCKETS 251
#endif

/* TNA cannot reduce modulo a prime: the bucket is the low bits of the hash,
   and the Maglev table size is 2^DDSR_BUCKET_BITS. */
#ifndef DDSR_BUCKET_BITS
#define DDSR_BUCKET_BITS 8
#endif

/* (pool, bucket) -> backend entries per family: pools * buckets. */
#ifndef DDSR_BUCKET_ENTRIES
#define DDSR_BUCKET_ENTRIES 65536
#endif

/* ACL entries per family (after lowering) and ACL rules (counter size). */
#ifndef DDSR_ACL_ENTRIES
#define DDSR_ACL_ENTRIES 4096
#endif
#ifndef DDSR_ACL_RULES
#define DDSR_ACL_RULES 4096
#endif

/* Routes per family. */
#ifndef DDSR_ROUTES
#define DDSR_ROUTES 1024
#endif

/* Port used when no route matches (and for every packet of a host without
   routes). */
#ifndef DDSR_DEFAULT_PORT
#define DDSR_DEFAULT_PORT 1
#endif

#endif /* DDSR_SIZES_P4 */
