/*
 * v1model.p4 -- the v1model architecture: the switch model that BMv2's
 * simple_switch implements, with its standard metadata, externs and the
 * V1Switch package. Written for ddsr from the declarations described by the
 * P4_16 specification's v1model examples, the p4c v1model documentation and
 * BMv2's simple_switch documentation; type, method and parameter names follow
 * those descriptions so that programs (including ones using named arguments)
 * mean the same here and with p4c.
 *
 * Two versions of the interface exist. Before including this file a program
 * may define V1MODEL_VERSION to 20200408 to get externs whose index type is
 * a type parameter (counter<I>, meter<I>, register<T, I>) and the PortId_t
 * typedef; the default, 20180101, indexes every array with bit<32>.
 */

#ifndef _V1_MODEL_P4_
#define _V1_MODEL_P4_

#include "core.p4"

#ifndef V1MODEL_VERSION
#define V1MODEL_VERSION 20180101
#endif

/* Match kinds added to the core ones. */
match_kind {
    range,     /* low <= key <= high */
    optional,  /* exact match, or a wildcard matching every value */
    selector   /* key fields hashed by an action_selector */
}

const bit<32> __v1model_version = V1MODEL_VERSION;

#if V1MODEL_VERSION >= 20200408
typedef bit<9> PortId_t;
#endif

/*
 * Per-packet metadata the architecture provides to every block. Widths are
 * those of BMv2 simple_switch.
 */
@metadata @name("standard_metadata")
struct standard_metadata_t {
#if V1MODEL_VERSION >= 20200408
    PortId_t ingress_port;   /* port the packet arrived on */
    PortId_t egress_spec;    /* set by ingress: port to send the packet to */
    PortId_t egress_port;    /* in egress: port the packet leaves by */
#else
    bit<9>   ingress_port;
    bit<9>   egress_spec;
    bit<9>   egress_port;
#endif
    bit<32>  instance_type;  /* normal, clone, resubmit, recirculate... */
    bit<32>  packet_length;  /* bytes, as received */
    bit<32>  enq_timestamp;  /* microseconds, when queued for egress */
    bit<19>  enq_qdepth;     /* queue depth when queued */
    bit<32>  deq_timedelta;  /* microseconds spent in the queue */
    bit<19>  deq_qdepth;     /* queue depth when dequeued */
    bit<48>  ingress_global_timestamp;  /* microseconds, at ingress start */
    bit<48>  egress_global_timestamp;   /* microseconds, at egress start */
    bit<16>  mcast_grp;      /* set by ingress: multicast group, 0 for none */
    bit<16>  egress_rid;     /* in egress: replication id of a multicast copy */
    bit<1>   checksum_error; /* 1 when verify_checksum found a mismatch */
    error    parser_error;   /* error the parser ended with */
    bit<3>   priority;       /* queue priority of the packet */
}

enum CounterType {
    packets,
    bytes,
    packets_and_bytes
}

enum MeterType {
    packets,
    bytes
}

/* An array of counters, counted from the program by index. */
#if V1MODEL_VERSION >= 20200408
extern counter<I>
#else
extern counter
#endif
{
    counter(bit<32> size, CounterType type);
    /* Adds the packet (and/or its length) to cell `index`; an index out of
       range counts nothing. */
#if V1MODEL_VERSION >= 20200408
    void count(in I index);
#else
    void count(in bit<32> index);
#endif
}

/* One counter per entry of the table it is attached to (table property
   `counters`); every hit counts, count() is only documentation. */
extern direct_counter {
    direct_counter(CounterType type);
    void count();
}

/* Colours written by the meters' result parameters. */
#define V1MODEL_METER_COLOR_GREEN  0
#define V1MODEL_METER_COLOR_YELLOW 1
#define V1MODEL_METER_COLOR_RED    2

/* An array of two-rate three-colour meters (RFC 2698). */
#if V1MODEL_VERSION >= 20200408
extern meter<I>
#else
extern meter
#endif
{
    meter(bit<32> size, MeterType type);
    /* Meters the packet with cell `index` and writes its colour (T is
       bit<W>, W >= 2). */
#if V1MODEL_VERSION >= 20200408
    void execute_meter<T>(in I index, out T result);
#else
    void execute_meter<T>(in bit<32> index, out T result);
#endif
}

/* One meter per entry of the table it is attached to (table property
   `meters`); read() gives the colour of the entry that matched. */
extern direct_meter<T> {
    direct_meter(MeterType type);
    void read(out T result);
}

/* An array of cells of type T that packets read and write. */
#if V1MODEL_VERSION >= 20200408
extern register<T, I>
#else
extern register<T>
#endif
{
    register(bit<32> size);
#if V1MODEL_VERSION >= 20200408
    @noSideEffects
    void read(out T result, in I index);
    void write(in I index, in T value);
#else
    @noSideEffects
    void read(out T result, in bit<32> index);
    void write(in bit<32> index, in T value);
#endif
}

/* Table implementation (property `implementation`): entries point at
   members holding the action data, shared between entries. */
extern action_profile {
    action_profile(bit<32> size);
}

/* A uniformly distributed value in [lo, hi]. */
extern void random<T>(out T result, in T lo, in T hi);

/* Sends `data` to the control plane as a digest; T should be a named
   struct, whose name becomes the digest's name. */
extern void digest<T>(in bit<32> receiver, in T data);

enum HashAlgorithm {
    crc32,
    crc32_custom,
    crc16,
    crc16_custom,
    random,
    identity,
    csum16,
    xor16
}

/* Drops the packet at the end of the current pipeline, unless later code
   sets egress_spec or mcast_grp again. */
@deprecated("Please use mark_to_drop(standard_metadata) instead.")
extern void mark_to_drop();
@pure
extern void mark_to_drop(inout standard_metadata_t standard_metadata);

/* result = base + (H(data) % max), or base when max is 0. */
@pure
extern void hash<O, T, D, M>(out O result, in HashAlgorithm algo, in T base,
                             in D data, in M max);

/* Table implementation choosing a member of a group by hashing the
   `selector` key fields. */
extern action_selector {
    action_selector(HashAlgorithm algorithm, bit<32> size,
                    bit<32> outputWidth);
}

enum CloneType {
    I2E,  /* clone from ingress to egress */
    E2E   /* clone from egress to egress */
}

@deprecated("Please use verify_checksum/update_checksum instead.")
extern Checksum16 {
    Checksum16();
    bit<16> get<D>(in D data);
}

/* In the checksum-verification control: when condition holds and the
   checksum of `data` differs from `checksum`, sets
   standard_metadata.checksum_error. */
extern void verify_checksum<T, O>(in bool condition, in T data,
                                  in O checksum, HashAlgorithm algo);
/* In the checksum-update control: when condition holds, writes the
   checksum of `data` to `checksum`. */
extern void update_checksum<T, O>(in bool condition, in T data,
                                  inout O checksum, HashAlgorithm algo);

/* The same, with the unparsed rest of the packet appended to `data`. */
extern void verify_checksum_with_payload<T, O>(in bool condition, in T data,
                                               in O checksum,
                                               HashAlgorithm algo);
extern void update_checksum_with_payload<T, O>(in bool condition, in T data,
                                               inout O checksum,
                                               HashAlgorithm algo);

/* Packet duplication and re-injection. The *_preserving_field_list forms
   keep the user metadata fields annotated @field_list(index). */
extern void clone(in CloneType type, in bit<32> session);

@deprecated("Please use 'resubmit_preserving_field_list' instead")
extern void resubmit<T>(in T data);
extern void resubmit_preserving_field_list(bit<8> index);

@deprecated("Please use 'recirculate_preserving_field_list' instead")
extern void recirculate<T>(in T data);
extern void recirculate_preserving_field_list(bit<8> index);

@deprecated("Please use 'clone_preserving_field_list' instead")
extern void clone3<T>(in CloneType type, in bit<32> session, in T data);
extern void clone_preserving_field_list(in CloneType type, in bit<32> session,
                                        bit<8> index);

/* Sends only the first `length` bytes of the packet. */
extern void truncate(in bit<32> length);

/* Checks for testing and verification tools; a failing assert stops the
   software switch. */
extern void assert(in bool check);
extern void assume(in bool check);

/* Logs a message; `{}` in msg is replaced by the fields of data. */
extern void log_msg(string msg);
extern void log_msg<T>(string msg, in T data);

/* The blocks a V1Switch program provides, in pipeline order. */
parser Parser<H, M>(packet_in b,
                    out H parsedHdr,
                    inout M meta,
                    inout standard_metadata_t standard_metadata);

control VerifyChecksum<H, M>(inout H hdr,
                             inout M meta);

@pipeline
control Ingress<H, M>(inout H hdr,
                      inout M meta,
                      inout standard_metadata_t standard_metadata);

@pipeline
control Egress<H, M>(inout H hdr,
                     inout M meta,
                     inout standard_metadata_t standard_metadata);

control ComputeChecksum<H, M>(inout H hdr,
                              inout M meta);

@deparser
control Deparser<H>(packet_out b, in H hdr);

package V1Switch<H, M>(Parser<H, M> p,
                       VerifyChecksum<H, M> vr,
                       Ingress<H, M> ig,
                       Egress<H, M> eg,
                       ComputeChecksum<H, M> ck,
                       Deparser<H> dep);

#endif /* _V1_MODEL_P4_ */
