/*
 * tna.p4 -- the part of the Tofino Native Architecture (TNA) that ddsr's
 * Tofino programs use: intrinsic metadata of the ingress and egress
 * parsers, controls and deparsers, port metadata, hashing, checksums,
 * counters, meters, registers, action profiles and selectors, mirroring,
 * digests, and the Pipeline and Switch packages.
 *
 * Written for ddsr from the declarations the public TNA documentation
 * describes (Intel "P4_16 Tofino Native Architecture", open-sourced with the
 * Tofino SDE); names, field widths and parameter names follow it so that
 * programs written against it mean the same here. bf-p4c ships its own copy
 * of this header, which is the one used when compiling for real hardware.
 */

#ifndef _TOFINO_NATIVE_ARCHITECTURE_P4_
#define _TOFINO_NATIVE_ARCHITECTURE_P4_

#include "core.p4"

/* Errors a Tofino parser adds to the core ones. */
error {
    CounterRange,    /* parser counter out of range */
    Timeout,         /* parser took too long */
    PhvOwner,        /* two writers of the same container */
    MultiWrite,      /* a container written twice */
    IbufOverflow,    /* input buffer overflow */
    IbufUnderflow    /* input buffer underflow */
}

match_kind {
    range,                /* low <= key <= high, expanded into TCAM */
    selector,             /* key fields hashed by an ActionSelector */
    dleft_hash,           /* d-left hash table (exact) */
    atcam_partition_index /* partition key of an algorithmic TCAM */
}

/* Widths of Tofino 1. */
typedef bit<9>  PortId_t;           /* port number */
typedef bit<16> MulticastGroupId_t; /* multicast group */
typedef bit<5>  QueueId_t;          /* egress queue */
typedef bit<3>  MirrorType_t;       /* which mirror header to emit */
typedef bit<10> MirrorId_t;         /* mirror session */
typedef bit<16> ReplicationId_t;    /* replication id of a multicast copy */
typedef bit<8>  ResubmitType_t;
typedef bit<3>  DigestType_t;

/* Bytes of per-port metadata that precede the packet in the ingress
   parser, read with port_metadata_unpack(). */
const bit<32> PORT_METADATA_SIZE = 32w64;

/* ----------------------------------------------------------------------
 * Intrinsic metadata
 * ------------------------------------------------------------------- */

/* Prepended to every packet entering the ingress parser. */
@__intrinsic_metadata
header ingress_intrinsic_metadata_t {
    bit<1>   resubmit_flag;     /* 1 for a resubmitted packet */
    bit<1>   _pad1;
    bit<2>   packet_version;
    bit<3>   _pad2;
    PortId_t ingress_port;      /* port the packet arrived on */
    bit<48>  ingress_mac_tstamp;/* MAC arrival time, nanoseconds */
}

/* Set by ingress to tell the traffic manager what to do. */
@__intrinsic_metadata
struct ingress_intrinsic_metadata_for_tm_t {
    PortId_t ucast_egress_port;    /* unicast destination */
    bit<1>   bypass_egress;        /* skip the egress pipeline */
    bit<1>   deflect_on_drop;
    bit<3>   ingress_cos;
    QueueId_t qid;                 /* egress queue */
    bit<3>   icos_for_copy_to_cpu;
    bit<1>   copy_to_cpu;          /* also send a copy to the CPU port */
    bit<2>   packet_color;
    bit<1>   disable_ucast_cutthru;
    bit<1>   enable_mcast_cutthru;
    MulticastGroupId_t mcast_grp_a;/* first multicast group, 0 for none */
    MulticastGroupId_t mcast_grp_b;
    bit<13>  level1_mcast_hash;
    bit<13>  level2_mcast_hash;
    bit<16>  level1_exclusion_id;
    bit<9>   level2_exclusion_id;
    bit<16>  rid;                  /* replication id for pruning */
}

/* Set by the ingress parser. */
@__intrinsic_metadata
struct ingress_intrinsic_metadata_from_parser_t {
    bit<48> global_tstamp;  /* nanoseconds, when parsing started */
    bit<32> global_ver;
    bit<16> parser_err;     /* parser error flags */
}

/* Set by ingress for the ingress deparser. */
@__intrinsic_metadata
struct ingress_intrinsic_metadata_for_deparser_t {
    bit<3>         drop_ctl;      /* bit 0 set: drop the packet */
    DigestType_t   digest_type;   /* which Digest to send, 0 for none */
    bit<3>         resubmit_type; /* which Resubmit to apply, 0 for none */
    MirrorType_t   mirror_type;   /* which Mirror to apply, 0 for none */
}

/* Prepended to every packet entering the egress parser. */
@__intrinsic_metadata
header egress_intrinsic_metadata_t {
    bit<7>   _pad0;
    PortId_t egress_port;        /* port the packet leaves by */
    bit<5>   _pad1;
    bit<19>  enq_qdepth;         /* queue depth when queued, in cells */
    bit<6>   _pad2;
    bit<2>   enq_congest_stat;
    bit<14>  _pad3;
    bit<18>  enq_tstamp;         /* nanoseconds, when queued */
    bit<5>   _pad4;
    bit<19>  deq_qdepth;         /* queue depth when dequeued */
    bit<6>   _pad5;
    bit<2>   deq_congest_stat;
    bit<8>   app_pool_congest_stat;
    bit<14>  _pad6;
    bit<18>  deq_timedelta;      /* nanoseconds spent queued */
    ReplicationId_t egress_rid;  /* replication id of a multicast copy */
    bit<7>   _pad7;
    bit<1>   egress_rid_first;   /* first copy of its group */
    bit<3>   _pad8;
    QueueId_t egress_qid;
    bit<5>   _pad9;
    bit<3>   egress_cos;
    bit<7>   _pad10;
    bit<1>   deflection_flag;
    bit<16>  pkt_length;         /* bytes */
}

/* Set by the egress parser. */
@__intrinsic_metadata
struct egress_intrinsic_metadata_from_parser_t {
    bit<48> global_tstamp;
    bit<32> global_ver;
    bit<16> parser_err;
}

/* Set by egress for the egress deparser. */
@__intrinsic_metadata
struct egress_intrinsic_metadata_for_deparser_t {
    bit<3>       drop_ctl;
    MirrorType_t mirror_type;
    bit<1>       coalesce_flush;
    bit<7>       coalesce_length;
}

/* Set by egress for the MAC of the output port. */
@__intrinsic_metadata
struct egress_intrinsic_metadata_for_output_port_t {
    bit<1> capture_tstamp_on_tx;
    bit<1> update_delay_on_tx;
    bit<1> force_tx_error;
}

/* ----------------------------------------------------------------------
 * Parser helpers
 * ------------------------------------------------------------------- */

/* Reads the per-port metadata (PORT_METADATA_SIZE bits) that follows the
   ingress intrinsic metadata. */
extern T port_metadata_unpack<T>(packet_in pkt);

extern bit<32> sizeInBits<H>(in H h);
extern bit<32> sizeInBytes<H>(in H h);

/* Ones'-complement 16-bit checksum (IPv4, TCP, UDP), incremental. */
extern Checksum {
    Checksum();
    void add<T>(in T data);
    void subtract<T>(in T data);
    bool verify();
    bit<16> get();
    void subtract_all_and_deposit<T>(out T data);
    bit<16> update<T>(in T data, @optional in bool zeros_as_ones);
}

/* ----------------------------------------------------------------------
 * Hashing and randomness
 * ------------------------------------------------------------------- */

enum HashAlgorithm_t {
    IDENTITY,
    RANDOM,
    CRC8,
    CRC16,
    CRC32,
    CRC64,
    CUSTOM
}

/* A CRC given by its polynomial, for Hash(HashAlgorithm_t.CUSTOM, ...). */
extern CRCPolynomial<T> {
    CRCPolynomial(T coeff, bool reversed, bool msb, bool extended,
                  T init, T xor);
}

/* A W-bit hash of any list of fields. */
extern Hash<W> {
    Hash(HashAlgorithm_t algo);
    Hash(HashAlgorithm_t algo, CRCPolynomial<_> poly);
    W get<D>(in D data);
}

extern Random<W> {
    Random();
    W get();
}

/* ----------------------------------------------------------------------
 * Counters, meters, registers
 * ------------------------------------------------------------------- */

enum CounterType_t {
    PACKETS,
    BYTES,
    PACKETS_AND_BYTES
}

/* An array of W-bit counters indexed by I. */
extern Counter<W, I> {
    Counter(bit<32> size, CounterType_t type);
    void count(in I index, @optional in bit<32> adjust_byte_count);
}

/* One counter per entry of the table it is attached to. */
extern DirectCounter<W> {
    DirectCounter(CounterType_t type);
    void count(@optional in bit<32> adjust_byte_count);
}

enum MeterType_t {
    PACKETS,
    BYTES
}

enum bit<8> MeterColor_t {
    GREEN  = 8w0,
    YELLOW = 8w1,
    RED    = 8w3
}

/* An array of two-rate three-colour meters indexed by I. */
extern Meter<I> {
    Meter(bit<32> size, MeterType_t type);
    Meter(bit<32> size, MeterType_t type, bit<8> red, bit<8> yellow,
          bit<8> green);
    bit<8> execute(in I index, in MeterColor_t color,
                   @optional in bit<32> adjust_byte_count);
    bit<8> execute(in I index, @optional in bit<32> adjust_byte_count);
}

extern DirectMeter {
    DirectMeter(MeterType_t type);
    DirectMeter(MeterType_t type, bit<8> red, bit<8> yellow, bit<8> green);
    bit<8> execute(in MeterColor_t color,
                   @optional in bit<32> adjust_byte_count);
    bit<8> execute(@optional in bit<32> adjust_byte_count);
}

/* Stateful memory: an array of T indexed by I, updated by RegisterActions. */
extern Register<T, I> {
    Register(bit<32> size);
    Register(bit<32> size, T initial_value);
    T read(in I index);
    void write(in I index, in T value);
}

/* A read-modify-write of one Register cell, run by the stateful ALU. */
extern RegisterAction<T, I, U> {
    RegisterAction(Register<T, I> reg);
    U execute(in I index);
    @synchronous(execute)
    abstract void apply(inout T value, @optional out U rv);
}

/* ----------------------------------------------------------------------
 * Table implementations
 * ------------------------------------------------------------------- */

extern ActionProfile {
    ActionProfile(bit<32> size);
}

enum SelectorMode_t {
    FAIR,      /* members chosen evenly */
    RESILIENT  /* removing a member moves only its flows */
}

extern ActionSelector {
    ActionSelector(ActionProfile action_profile, Hash<_> hash,
                   SelectorMode_t mode, bit<32> max_group_size,
                   bit<32> num_groups);
    ActionSelector(bit<32> size, Hash<_> hash, SelectorMode_t mode);
}

/* ----------------------------------------------------------------------
 * Deparser externs
 * ------------------------------------------------------------------- */

/* Sends a copy of the packet to a mirror session, optionally preceded by
   a header. */
extern Mirror {
    Mirror();
    Mirror(MirrorType_t mirror_type);
    void emit(in MirrorId_t session_id);
    void emit<T>(in MirrorId_t session_id, in T hdr);
}

/* Sends the packet through ingress again, optionally with a header. */
extern Resubmit {
    Resubmit();
    Resubmit(ResubmitType_t resubmit_type);
    void emit();
    void emit<T>(in T hdr);
}

/* Sends `data` to the control plane. */
extern Digest<T> {
    Digest();
    Digest(DigestType_t digest_type);
    void pack(in T data);
}

/* ----------------------------------------------------------------------
 * Blocks and packages
 * ------------------------------------------------------------------- */

parser IngressParserT<H, M>(
    packet_in pkt,
    out H hdr,
    out M ig_md,
    @optional out ingress_intrinsic_metadata_t ig_intr_md,
    @optional out ingress_intrinsic_metadata_for_tm_t ig_intr_md_for_tm,
    @optional out ingress_intrinsic_metadata_from_parser_t ig_intr_md_from_prsr);

parser EgressParserT<H, M>(
    packet_in pkt,
    out H hdr,
    out M eg_md,
    @optional out egress_intrinsic_metadata_t eg_intr_md,
    @optional out egress_intrinsic_metadata_from_parser_t eg_intr_md_from_prsr);

control IngressT<H, M>(
    inout H hdr,
    inout M ig_md,
    @optional in ingress_intrinsic_metadata_t ig_intr_md,
    @optional in ingress_intrinsic_metadata_from_parser_t ig_intr_md_from_prsr,
    @optional inout ingress_intrinsic_metadata_for_deparser_t ig_intr_md_for_dprsr,
    @optional inout ingress_intrinsic_metadata_for_tm_t ig_intr_md_for_tm);

control EgressT<H, M>(
    inout H hdr,
    inout M eg_md,
    @optional in egress_intrinsic_metadata_t eg_intr_md,
    @optional in egress_intrinsic_metadata_from_parser_t eg_intr_md_from_prsr,
    @optional inout egress_intrinsic_metadata_for_deparser_t eg_intr_md_for_dprsr,
    @optional inout egress_intrinsic_metadata_for_output_port_t eg_intr_md_for_oport);

control IngressDeparserT<H, M>(
    packet_out pkt,
    inout H hdr,
    in M metadata,
    @optional in ingress_intrinsic_metadata_for_deparser_t ig_intr_md_for_dprsr,
    @optional in ingress_intrinsic_metadata_t ig_intr_md);

control EgressDeparserT<H, M>(
    packet_out pkt,
    inout H hdr,
    in M metadata,
    @optional in egress_intrinsic_metadata_for_deparser_t eg_intr_md_for_dprsr,
    @optional in egress_intrinsic_metadata_t eg_intr_md,
    @optional in egress_intrinsic_metadata_from_parser_t eg_intr_md_from_prsr);

/* One pipe: an ingress and an egress pipeline with their parsers and
   deparsers. */
package Pipeline<IH, IM, EH, EM>(
    IngressParserT<IH, IM> ingress_parser,
    IngressT<IH, IM> ingress,
    IngressDeparserT<IH, IM> ingress_deparser,
    EgressParserT<EH, EM> egress_parser,
    EgressT<EH, EM> egress,
    EgressDeparserT<EH, EM> egress_deparser);

/* The switch: up to four pipes; a program usually gives one, run by all. */
@pkginfo(arch="TNA", version="1.0.0")
package Switch<IH0, IM0, EH0, EM0, IH1, IM1, EH1, EM1,
               IH2, IM2, EH2, EM2, IH3, IM3, EH3, EM3>(
    Pipeline<IH0, IM0, EH0, EM0> pipe0,
    @optional Pipeline<IH1, IM1, EH1, EM1> pipe1,
    @optional Pipeline<IH2, IM2, EH2, EM2> pipe2,
    @optional Pipeline<IH3, IM3, EH3, EM3> pipe3);

#endif /* _TOFINO_NATIVE_ARCHITECTURE_P4_ */
